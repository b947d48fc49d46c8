from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assets.choices import AssetKind
from contracts.choices import Feature
from contracts.forms.base import FieldGroup, ServiceValidatedForm, amount_field
from contracts.models import ServiceTier
from contracts.services import TIER_FLAG_FEATURES, tier_save, tier_validate

PRICE_PREFIX = "price_"


class ServiceTierForm(ServiceValidatedForm):
    """A tier with its monthly price per asset kind (empty = not priced) on one page."""

    features = forms.MultipleChoiceField(
        label=_("Included features"),
        choices=Feature.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "All-inclusive support includes labour: covered work draws no hours. "
            "After-hours support covers evenings and weekends when scheduled."
        ),
    )

    class Meta:
        model = ServiceTier
        fields = [
            "name",
            "position",
            "currency",
            "is_active",
            "description",
            "features",
            "onsite_discount_percent",
            "review_meeting_hours",
            "sla_first_response_minutes",
            "sla_server_first_response_minutes",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        existing = {}
        if self.instance.pk:
            existing = {price.kind: price.price.amount for price in self.instance.prices.all()}
        for kind in AssetKind:
            self.fields[PRICE_PREFIX + kind.value] = amount_field(label=kind.label)
            self.initial.setdefault(PRICE_PREFIX + kind.value, existing.get(kind.value))
        self.fields["currency"].help_text = _("The prices below are in this currency.")
        for name in ("sla_first_response_minutes", "sla_server_first_response_minutes"):
            self.fields[name].widget.attrs["min"] = 1
            self.fields[name].help_text = _("In minutes, e.g. 120 for 2 h. Empty: no target.")

    def groups(self) -> list[FieldGroup]:
        return [
            FieldGroup(
                self, _("Tier"), ["name", "position", "currency", "is_active", "description"], key="tier"
            ),
            FieldGroup(
                self,
                _("Monthly prices per asset kind"),
                [PRICE_PREFIX + kind for kind in AssetKind.values],
                key="prices",
            ),
            FieldGroup(self, _("Features"), ["features"], key="features"),
            FieldGroup(
                self,
                _("Support terms"),
                [
                    "onsite_discount_percent",
                    "review_meeting_hours",
                    "sla_first_response_minutes",
                    "sla_server_first_response_minutes",
                ],
                key="terms",
            ),
        ]

    def prices(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        return {
            kind: data[PRICE_PREFIX + kind]
            for kind in AssetKind.values
            if data.get(PRICE_PREFIX + kind) is not None
        }

    def prepare_instance(self) -> None:
        # The billing flags follow the features they are sold as.
        features = self.cleaned_data.get("features") or []
        for flag, feature in TIER_FLAG_FEATURES.items():
            setattr(self.instance, flag, feature in features)

    def service_validate(self) -> None:
        tier_validate(tier=self.instance, prices=self.prices())

    def save(self, commit=True):
        return tier_save(tier=self.instance, prices=self.prices())
