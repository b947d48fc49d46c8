"""Forms of the offer builder and of sending and deciding an offer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assets.choices import AssetKind
from contracts.choices import ServiceUnit
from msp.forms.base import TenantFormMixin
from msp.models import Contact

MAX_QUANTITY = 100_000
MAX_HOURS = 1000

QUANTITY_ERRORS = {
    "min_value": _("A quantity cannot be negative."),
    "max_value": _("At most %(limit_value)s."),
    "invalid": _("Enter a whole number."),
}


def _quantity_field(*, label, initial=0, help_text="") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=MAX_QUANTITY,
        initial=initial,
        required=False,
        help_text=help_text,
        error_messages=QUANTITY_ERRORS,
        widget=forms.NumberInput(attrs={"min": 0, "step": 1, "inputmode": "numeric"}),
    )


class OfferBuilderForm(forms.Form):
    """Quantities per asset kind (from the inventory), a discount, an hour-block add-on,
    à-la-carte services, a recommended tier and the offer's text.

    Built for one client with its tiers and services already loaded, so rendering it and
    pricing it costs no query.
    """

    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        required=False,
        initial=Decimal("0"),
        error_messages={
            "min_value": _("A discount cannot be negative."),
            "max_value": _("A discount is at most 100 %%."),
        },
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": "0.5"}),
    )
    hour_block_hours = forms.IntegerField(
        label=_("Prepaid hours"),
        min_value=0,
        max_value=MAX_HOURS,
        required=False,
        initial=0,
        help_text=_("Optional add-on: a block of hours paid upfront; every minute of work draws on it."),
        error_messages={
            "min_value": _("Hours cannot be negative."),
            "max_value": _("At most %(limit_value)s hours."),
        },
        widget=forms.NumberInput(attrs={"min": 0, "step": 1}),
    )
    hour_block_price = forms.DecimalField(
        label=_("Price of the prepaid hours"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        required=False,
        error_messages={"min_value": _("A price cannot be negative.")},
        widget=forms.NumberInput(attrs={"min": 0, "step": "0.01"}),
    )
    recommended_tier = forms.ChoiceField(
        label=_("Recommended tier"), required=False, widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        label=_("Notes for the client"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, client, tiers, services, inventory: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.client, self.tiers, self.services = client, list(tiers), list(services)
        self.kind_fields = []
        for kind, label in AssetKind.choices:
            name = f"qty_{kind}"
            self.fields[name] = _quantity_field(
                label=label,
                initial=inventory.get(kind, 0),
                help_text=_("In inventory: %(count)s") % {"count": inventory.get(kind, 0)},
            )
            self.kind_fields.append(name)
        self.service_fields = []
        for service in self.services:
            name = f"svc_{service.pk}"
            unit = _("per device per month") if service.unit == ServiceUnit.PER_DEVICE else _("per month")
            self.fields[name] = _quantity_field(label=service.name, help_text=f"{service.price} {unit}")
            self.service_fields.append(name)
        self.fields["recommended_tier"].choices = [("", _("None"))] + [
            (str(tier.pk), tier.name) for tier in self.tiers
        ]
        self.fields["hour_block_price"].label = _("Price of the prepaid hours (%(currency)s)") % {
            "currency": client.currency
        }
        if not self.is_bound:
            self.initial.setdefault(
                "title", _("Managed IT services for %(client)s") % {"client": client.name}
            )
            self.initial.setdefault("valid_until", timezone.localdate() + timedelta(days=30))

    # Field groups, for the template.
    def quantity_bound_fields(self):
        return [self[name] for name in self.kind_fields]

    def service_bound_fields(self):
        return [self[name] for name in self.service_fields]

    def terms_bound_fields(self):
        return [self[name] for name in ("discount_percent", "hour_block_hours", "hour_block_price")]

    def text_bound_fields(self):
        return [self[name] for name in ("title", "valid_until", "notes")]

    def clean_valid_until(self):
        valid_until = self.cleaned_data.get("valid_until")
        if valid_until and valid_until < timezone.localdate():
            raise ValidationError(_("The offer cannot expire in the past."))
        return valid_until

    def clean(self):
        data = super().clean()
        hours = data.get("hour_block_hours") or 0
        if hours and data.get("hour_block_price") is None and "hour_block_price" not in self.errors:
            self.add_error("hour_block_price", _("Give the price of the prepaid hours."))
        return data

    # What the form says, as the arguments of pricing and of offer_create.
    def terms(self) -> dict:
        """Valid data, or for an unbound form its initial values (the inventory)."""
        if self.is_bound:
            data = self.cleaned_data
        else:
            data = {name: self.get_initial_for_field(field, name) for name, field in self.fields.items()}
        tier_id = data.get("recommended_tier") or None
        tier = next((t for t in self.tiers if str(t.pk) == str(tier_id)), None) if tier_id else None
        hours = data.get("hour_block_hours") or 0
        return {
            "quantities": {name.removeprefix("qty_"): data.get(name) or 0 for name in self.kind_fields},
            "service_quantities": {
                int(name.removeprefix("svc_")): data.get(name) or 0 for name in self.service_fields
            },
            "discount_percent": data.get("discount_percent") or Decimal("0"),
            "hour_block_minutes": hours * 60,
            "hour_block_price": data.get("hour_block_price") if hours else None,
            "recommended_tier": tier,
            "title": data.get("title") or "",
            "notes": data.get("notes") or "",
            "valid_until": data.get("valid_until"),
        }

    # The service's field names, as this form names them.
    SERVICE_FIELDS = {
        "quantities": None,
        "service_quantities": None,
        "hour_block_minutes": "hour_block_hours",
        "hour_block_price": "hour_block_price",
        "discount_percent": "discount_percent",
        "recommended_tier": "recommended_tier",
        "valid_until": "valid_until",
    }

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            self.add_error(self.SERVICE_FIELDS.get(name), errors)


class ContactChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, contact):
        return f"{contact.name} <{contact.email}>"


class OfferSendForm(TenantFormMixin, forms.Form):
    contacts = ContactChoiceField(
        label=_("Send to"),
        queryset=Contact.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one contact to send the offer to.")},
        help_text=_(
            "Contacts of the client with an email address. They get the PDF and a link to the portal."
        ),
    )
    message = forms.CharField(
        label=_("Personal message"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Optional: added at the top of the email."),
    )

    def __init__(self, *args, offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = (
            Contact.objects.filter(client_id=offer.client_id).exclude(email="").order_by("name")
        )
