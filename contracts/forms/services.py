from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from assets.choices import AssetKind
from contracts.forms.base import ServiceValidatedForm, amount_field
from contracts.models import RecurringService
from contracts.services import recurring_service_save, recurring_service_validate
from msp.models.tenancy import CURRENCY_CHOICES


class RecurringServiceForm(ServiceValidatedForm):
    """An à-la-carte monthly service: per device (of the chosen kinds) or flat."""

    kinds = forms.MultipleChoiceField(
        label=_("Asset kinds"),
        choices=AssetKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("A per-device service is counted on these kinds."),
    )
    price = amount_field(label=_("Monthly price"), required=True)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)

    class Meta:
        model = RecurringService
        fields = ["name", "unit", "kinds", "is_active", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "unit": forms.RadioSelect}

    field_order = ["name", "price", "currency", "unit", "is_active", "kinds", "description"]

    def __init__(self, *args, default_currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.price is not None:
            self.initial.setdefault("price", self.instance.price.amount)
            self.initial.setdefault("currency", self.instance.price.currency.code)
        else:
            self.initial.setdefault("currency", default_currency)

    def prepare_instance(self) -> None:
        amount, currency = self.cleaned_data.get("price"), self.cleaned_data.get("currency")
        if amount is not None and currency:
            self.instance.price = Money(amount, currency)

    def service_validate(self) -> None:
        if "price" in self._errors or "currency" in self._errors:
            return  # the fields say what is wrong; the rest needs a price
        recurring_service_validate(service=self.instance)

    def save(self, commit=True):
        return recurring_service_save(service=self.instance)
