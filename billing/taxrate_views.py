"""The VAT rate catalogue in the browser (billing settings): list, add, edit, delete."""

from django.urls import reverse, reverse_lazy

from billing.forms import TaxRateForm
from billing.models import TaxRate
from msp.views.base import TenantCreateView, TenantDeleteView, TenantListView, TenantUpdateView


class TaxRateListView(TenantListView):
    model = TaxRate
    template_name = "billing/taxrates/list.html"

    def get_queryset(self):
        return TaxRate.objects.order_by("-is_active", "-rate", "name", "pk")


class TaxRateFormMixin:
    model = TaxRate
    form_class = TaxRateForm
    template_name = "msp/form.html"
    success_url = reverse_lazy("billing:taxrates")

    def get_cancel_url(self):
        return reverse("billing:taxrates")


class TaxRateCreateView(TaxRateFormMixin, TenantCreateView):
    pass


class TaxRateUpdateView(TaxRateFormMixin, TenantUpdateView):
    def get_context_data(self, **kwargs):
        kwargs.setdefault("cancel_url", self.get_cancel_url())
        return super().get_context_data(**kwargs)

    def get_success_url(self):
        return reverse("billing:taxrates")


class TaxRateDeleteView(TenantDeleteView):
    """A rate a client's terms name cannot go (the terms protect it): retire it instead."""

    model = TaxRate
    success_url = reverse_lazy("billing:taxrates")
