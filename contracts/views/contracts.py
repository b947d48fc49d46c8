"""Contracts in the browser: what each client bought, its rates and its terms."""

from __future__ import annotations

from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy

from audit.selectors import contract_history, history_context
from contracts.choices import ContractKind
from contracts.forms.contracts import ContractFilterSet, ContractForm
from contracts.models import Contract
from contracts.services import contract_delete
from contracts.views.hours import hours_context
from contracts.views.tiers import ProtectedDeleteView, ServiceFormMixin
from msp.models import Client
from msp.views.base import (
    TenantCreateView,
    TenantDetailView,
    TenantListView,
    TenantUpdateView,
)


class ContractListView(TenantListView):
    model = Contract
    template_name = "contracts/contracts/list.html"

    def get_queryset(self):
        queryset = Contract.objects.select_related("client", "tier").order_by(
            "client__name", "kind", "-start_date", "pk"
        )
        self.filterset = ContractFilterSet(self.request.GET or None, queryset=queryset, request=self.request)
        return self.filterset.qs

    partial_template_name = "contracts/contracts/_table.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter=self.filterset, filtered=self.filterset.is_bound, show_client=True, **kwargs
        )


class ContractDetailView(TenantDetailView):
    model = Contract
    template_name = "contracts/contracts/detail.html"

    def get_queryset(self):
        return Contract.objects.select_related("client", "tier", "offer")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            can_view_tier=self.has_perm("servicetier.view"),
            can_view_offer=self.has_perm("offer.view"),
            is_prepaid=self.object.kind == ContractKind.PREPAID_HOURS,
            **hours_context(self.request, self.object, can_buy=self.has_perm("hourblock.add")),
            **(
                history_context(self.request, contract_history(self.object.pk))
                if self.has_perm("contract.history")
                else {}
            ),
            **kwargs,
        )


def _client_from_query(request) -> Client | None:
    value = request.GET.get("client", "")
    if not value.isdigit():
        return None
    return Client.objects.filter(pk=int(value)).first()  # in scope: another tenant's is ignored


class ContractFormMixin(ServiceFormMixin):
    form_class = ContractForm
    template_name = "contracts/contracts/form.html"


class ContractCreateView(ContractFormMixin, TenantCreateView):
    model = Contract

    def get_client(self) -> Client | None:
        if not hasattr(self, "_client"):
            self._client = _client_from_query(self.request)
        return self._client

    def get_initial(self):
        initial = {"kind": ContractKind.MANAGED, "start_date": timezone.localdate()}
        client = self.get_client()
        if client is not None:
            initial.update(client=client, currency=client.currency)
        return initial

    def get_context_data(self, **kwargs):
        if self.get_client() is not None:
            kwargs.setdefault("parent", self.get_client())
        return super().get_context_data(**kwargs)

    def get_cancel_url(self):
        client = self.get_client()
        return client.get_absolute_url() if client is not None else reverse("contracts:list")


class ContractUpdateView(ContractFormMixin, TenantUpdateView):
    model = Contract

    def get_queryset(self):
        return Contract.objects.select_related("client", "tier")

    def get_context_data(self, **kwargs):
        kwargs.setdefault("parent", self.object.client)
        return super().get_context_data(**kwargs)


class ContractDeleteView(ProtectedDeleteView):
    model = Contract
    success_url = reverse_lazy("contracts:list")
    blocked_hint = gettext_lazy("End it instead: set its status to ended.")

    def delete_object(self, obj) -> None:
        contract_delete(contract=obj)
