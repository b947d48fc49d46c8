"""À-la-carte services in the browser: the monthly extras offered beside the tiers."""

from __future__ import annotations

from django.urls import reverse, reverse_lazy

from contracts.forms.services import RecurringServiceForm
from contracts.models import RecurringService
from contracts.services import recurring_service_delete
from contracts.views.tiers import ProtectedDeleteView, ServiceFormMixin
from msp.views.base import TenantCreateView, TenantListView, TenantUpdateView


class RecurringServiceListView(TenantListView):
    model = RecurringService
    template_name = "contracts/services/list.html"

    def get_queryset(self):
        return RecurringService.objects.order_by("name", "pk")


class RecurringServiceFormMixin(ServiceFormMixin):
    form_class = RecurringServiceForm
    template_name = "msp/form.html"

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "default_currency": self.request.membership.tenant.default_currency,
        }

    def get_success_url(self):
        return reverse("services:list")

    def get_cancel_url(self):
        return reverse("services:list")


class RecurringServiceCreateView(RecurringServiceFormMixin, TenantCreateView):
    model = RecurringService


class RecurringServiceUpdateView(RecurringServiceFormMixin, TenantUpdateView):
    model = RecurringService

    def get_context_data(self, **kwargs):
        kwargs.setdefault("cancel_url", self.get_cancel_url())
        return super().get_context_data(**kwargs)


class RecurringServiceDeleteView(ProtectedDeleteView):
    model = RecurringService
    success_url = reverse_lazy("services:list")

    def delete_object(self, obj) -> None:
        recurring_service_delete(service=obj)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("cancel_url", reverse("services:list"))
        return super().get_context_data(**kwargs)

    def get_blocked_url(self) -> str:
        return reverse("services:list")
