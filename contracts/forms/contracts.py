from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from contracts.choices import ContractKind, ContractStatus
from contracts.forms.base import FieldGroup, ServiceValidatedForm, amount_field
from contracts.models import Contract, ServiceTier
from contracts.services import CONTRACT_MONEY_FIELDS, contract_save, contract_validate
from msp.filtersets import FilterSet
from msp.forms.widgets import QuickSelect
from msp.models import Client
from msp.models.tenancy import CURRENCY_CHOICES

# Fields the browser shows only for some kinds (the page's script hides and disables the
# others, so they are not sent; without the script every field shows and the rules apply).
MANAGED_ONLY = ["tier", "monthly_fee", "includes_labour"]
PREPAID_ONLY = [
    "auto_renew",
    "renew_threshold_minutes",
    "renew_block_minutes",
    "renew_block_price",
    "blocks_need_payment",
]
# Left empty (or not sent), these keep the contract's current value (the model default when new).
KEEP_WHEN_EMPTY = [
    "rounding_minutes",
    "minimum_minutes",
    "renew_threshold_minutes",
    "renew_block_minutes",
    "notice_days",
]


class TierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, tier):
        return f"{tier.name} ({tier.currency})"


class ContractForm(ServiceValidatedForm):
    currency = forms.ChoiceField(
        label=_("Currency"),
        choices=[("", _("The client's currency")), *CURRENCY_CHOICES],
        required=False,
        help_text=_("Every amount of the contract is in this currency."),
    )
    tier = TierChoiceField(label=_("Service tier"), queryset=ServiceTier.objects.none(), required=False)
    monthly_fee = amount_field(
        label=_("Monthly fee"),
        help_text=_("The agreed amount; leave empty to bill the tier's per-device prices."),
    )
    hourly_rate = amount_field(label=_("Hourly rate"), help_text=_("Break/fix work is billed at this rate."))
    overage_rate = amount_field(
        label=_("Overage rate"), help_text=_("Per hour worked beyond the prepaid hours.")
    )
    renew_block_price = amount_field(label=_("Renewal block price"))

    class Meta:
        model = Contract
        fields = [
            "client",
            "kind",
            "name",
            "status",
            "start_date",
            "end_date",
            "currency",
            "tier",
            "includes_labour",
            "rounding_minutes",
            "minimum_minutes",
            "auto_renew",
            "renew_threshold_minutes",
            "renew_block_minutes",
            "notice_days",
            "term_end",
            "trial_end",
            "blocks_need_payment",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "term_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "trial_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "rounding_minutes": _("Time entries round up to this increment; 1 = to the minute."),
            "minimum_minutes": _("Every entry bills at least this long; 0 = no minimum."),
            "renew_threshold_minutes": _("A new block is bought when fewer minutes remain (300 = 5 h)."),
            "renew_block_minutes": _("Minutes in each renewal block (600 = 10 h)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        tiers = Q(is_active=True)
        if instance.tier_id:
            tiers |= Q(pk=instance.tier_id)
        self.fields["tier"].queryset = ServiceTier.objects.filter(tiers)
        self.fields["client"].queryset = Client.objects.all()
        self.fields["kind"].widget.attrs["data-contract-kind"] = ""
        for name in KEEP_WHEN_EMPTY:
            self.fields[name].required = False
        if instance.pk:
            self.fields["client"].disabled = True
            self.fields["client"].help_text = _("A contract stays with its client.")
            for name in CONTRACT_MONEY_FIELDS:
                money = getattr(instance, name)
                self.initial.setdefault(name, money.amount if money is not None else None)

    def groups(self) -> list[FieldGroup]:
        return [
            FieldGroup(
                self,
                _("Contract"),
                ["client", "kind", "name", "status", "start_date", "end_date", "currency"],
                key="contract",
            ),
            FieldGroup(self, _("Terms"), ["notice_days", "term_end", "trial_end"], key="terms"),
            FieldGroup(self, _("Managed service"), MANAGED_ONLY, key=ContractKind.MANAGED),
            FieldGroup(
                self,
                _("Rates and time rounding"),
                ["hourly_rate", "overage_rate", "rounding_minutes", "minimum_minutes"],
                key="rates",
            ),
            FieldGroup(self, _("Hour block auto-renew"), PREPAID_ONLY, key=ContractKind.PREPAID_HOURS),
        ]

    def clean(self):
        data = super().clean()
        client = data.get("client") or (self.instance.client if self.instance.client_id else None)
        if not data.get("currency") and client is not None:
            data["currency"] = client.currency
        for name in KEEP_WHEN_EMPTY:
            if data.get(name) is None:
                data[name] = getattr(self.instance, name)
        return data

    def prepare_instance(self) -> None:
        currency = self.instance.currency
        for name in CONTRACT_MONEY_FIELDS:
            if name in self._errors or name not in self.cleaned_data:
                continue
            amount = self.cleaned_data[name]
            setattr(self.instance, name, Money(amount, currency) if amount is not None and currency else None)

    def service_validate(self) -> None:
        if any(name in self._errors for name in ("client", "kind", "start_date", "currency")):
            return  # without these the other rules cannot be judged yet
        contract_validate(contract=self.instance)

    def save(self, commit=True):
        return contract_save(contract=self.instance)


class ContractFilterSet(FilterSet):
    """The filters of the contract list: client, kind, status and a free-text search."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    client = django_filters.ModelChoiceFilter(
        queryset=lambda request: Client.objects.order_by("name").only("pk", "name"),
        label=_("Client"),
        empty_label=_("All clients"),
        widget=QuickSelect,
    )
    kind = django_filters.ChoiceFilter(
        choices=ContractKind.choices, label=_("Kind"), empty_label=_("All kinds")
    )
    status = django_filters.ChoiceFilter(
        choices=ContractStatus.choices, label=_("Status"), empty_label=_("Any status")
    )

    class Meta:
        model = Contract
        fields = ["client", "kind", "status"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(client__name__icontains=value))
