"""Service tiers in the browser: compared side by side, edited with their prices."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assets.choices import AssetKind
from audit.selectors import history_context, tier_history
from contracts.choices import Feature
from contracts.forms.tiers import ServiceTierForm
from contracts.models import ServiceTier
from contracts.services import delete_blockers, tier_delete
from msp.views.base import (
    TenantCreateView,
    TenantDeleteView,
    TenantDetailView,
    TenantListView,
    TenantUpdateView,
)


class ServiceFormMixin:
    """The form saves through a service; an error it raises there (a concurrent write the
    checks could not see) shows on the form again, and nothing is written."""

    def form_valid(self, form):
        creating = form.instance._state.adding
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except ValidationError as exc:
            if creating:
                form.instance.pk = None
                form.instance._state.adding = True
            form.add_service_errors(exc)
            return self.form_invalid(form)


class ProtectedDeleteView(TenantDeleteView):
    """Deletes through a service that refuses while other rows depend on the object."""

    template_name = "contracts/contracts/confirm_delete.html"
    blocked_hint = ""

    def delete_object(self, obj) -> None:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        kwargs.setdefault("blockers", delete_blockers(self.object))
        kwargs.setdefault("blocked_hint", self.blocked_hint)
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        name = str(self.object)
        try:
            self.delete_object(self.object)
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
            return redirect(self.get_blocked_url())
        messages.success(self.request, _("%(name)s was deleted.") % {"name": name})
        return redirect(self.get_success_url())

    def get_blocked_url(self) -> str:
        return self.object.get_absolute_url()


# Features whose row says what they mean for billing too.
FEATURE_ROW_LABELS = {
    Feature.ALL_INCLUSIVE_SUPPORT: gettext_lazy("All-inclusive support (labour included)"),
}


def tier_comparison(tiers: list[ServiceTier]) -> dict:
    """The rows of the side-by-side table (prices must be prefetched)."""
    prices = [{price.kind: price.price for price in tier.prices.all()} for tier in tiers]
    return {
        "price_rows": [
            {"label": kind.label, "cells": [by_kind.get(kind.value) for by_kind in prices]}
            for kind in AssetKind
            if any(kind.value in by_kind for by_kind in prices)
        ],
        "feature_rows": [
            {
                "label": FEATURE_ROW_LABELS.get(feature, feature.label),
                "cells": [feature.value in tier.features for tier in tiers],
            }
            for feature in Feature
        ],
    }


class TierListView(TenantListView):
    model = ServiceTier
    template_name = "contracts/tiers/list.html"
    paginate_by = None  # a handful of tiers, compared side by side

    def get_queryset(self):
        return ServiceTier.objects.prefetch_related("prices").order_by("position", "name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tiers = list(context["object_list"])
        context.update(
            tiers=tiers,
            can_view_services=self.has_perm("recurringservice.view"),
            **tier_comparison(tiers),
        )
        return context


class TierDetailView(TenantDetailView):
    model = ServiceTier
    template_name = "contracts/tiers/detail.html"

    def get_queryset(self):
        return ServiceTier.objects.prefetch_related("prices")

    def get_context_data(self, **kwargs):
        prices = {price.kind: price.price for price in self.object.prices.all()}
        return super().get_context_data(
            prices=[(kind.label, prices.get(kind.value)) for kind in AssetKind],
            features=[(feature.label, feature.value in self.object.features) for feature in Feature],
            contract_count=self.object.contracts.count(),
            **(
                history_context(self.request, tier_history(self.object.pk))
                if self.has_perm("servicetier.history")
                else {}
            ),
            **kwargs,
        )


class TierCreateView(ServiceFormMixin, TenantCreateView):
    model = ServiceTier
    form_class = ServiceTierForm
    template_name = "contracts/tiers/form.html"

    def get_initial(self):
        return {"currency": self.request.membership.tenant.default_currency}

    def get_cancel_url(self):
        return reverse("tiers:list")


class TierUpdateView(ServiceFormMixin, TenantUpdateView):
    model = ServiceTier
    form_class = ServiceTierForm
    template_name = "contracts/tiers/form.html"

    def get_queryset(self):
        return ServiceTier.objects.prefetch_related("prices")


class TierDeleteView(ProtectedDeleteView):
    model = ServiceTier
    success_url = reverse_lazy("tiers:list")
    blocked_hint = gettext_lazy(
        "Mark it as not offered instead: existing contracts keep it, new offers leave it out."
    )

    def delete_object(self, obj) -> None:
        tier_delete(tier=obj)
