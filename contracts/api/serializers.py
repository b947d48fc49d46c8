"""API of the catalogue (tiers, à-la-carte services) and of contracts.

Money is a decimal string `x` plus `x_currency` (django-money's DRF field). Sending `x`
alone means the object's own currency; sending another currency is refused, never
converted. The rules are contracts.services' validators, the same the browser uses.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from djmoney.contrib.django_rest_framework import MoneyField
from djmoney.contrib.django_rest_framework.fields import _PrimitiveMoney
from djmoney.money import Money
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from assets.choices import AssetKind
from contracts.choices import ContractKind, Feature
from contracts.models import Contract, RecurringService, ServiceTier
from contracts.services import (
    CONTRACT_MONEY_FIELDS,
    TIER_FLAG_FEATURES,
    contract_save,
    contract_validate,
    recurring_service_save,
    recurring_service_validate,
    tier_save,
    tier_validate,
)
from msp.api.base import TenantModelSerializer


def as_drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    """A service's ValidationError, keyed by field the way DRF answers."""
    if not hasattr(exc, "error_dict"):
        return serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})
    return serializers.ValidationError(
        {
            (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): [
                message for error in errors for message in error.messages
            ]
            for field, errors in exc.error_dict.items()
        }
    )


class AmountField(MoneyField):
    """A money amount; its currency is `<name>_currency` when sent, else the object's own."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def get_value(self, data):
        amount = serializers.Field.get_value(self, data)
        currency = data.get(f"{self.field_name}_currency") if hasattr(data, "get") else None
        if currency not in (None, "") and amount not in (None, "", empty):
            return _PrimitiveMoney(amount=amount, currency=str(currency))
        return amount


@extend_schema_field(OpenApiTypes.STR)
class CurrencyOfField(serializers.Field):
    """The currency of a money attribute (null when the amount is)."""

    def __init__(self, money_field: str, **kwargs):
        # allow_null only says so in the schema: it is null exactly when its amount may be.
        self.money_field = money_field
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance):
        money = getattr(instance, self.money_field)
        return money.currency.code if money is not None else None


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string", "format": "decimal"},
        "example": {"server": "350.00", "network": "350.00", "desktop": "60.00"},
    }
)
class TierPricesField(serializers.Field):
    """`{asset kind: "amount"}` in the tier's currency; a kind left out is not priced."""

    default_error_messages = {
        "not_a_dict": _("Give the prices as an object of asset kind to amount."),
        "too_many": _("Give at most one price per asset kind."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            _("Monthly price per asset kind, in the tier's currency. Sending it replaces all prices."),
        )
        super().__init__(**kwargs)

    def to_representation(self, prices):
        by_kind = {price.kind: price.price.amount for price in prices.all()}
        return {kind: str(by_kind[kind]) for kind in AssetKind.values if kind in by_kind}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_a_dict")
        if len(data) > len(AssetKind.values):  # a price per kind at most: never echo thousands of keys
            self.fail("too_many")
        errors, cleaned = {}, {}
        amount_field = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
        for kind, value in data.items():
            if kind not in AssetKind.values:
                errors[kind] = [
                    _("Unknown asset kind. Use: %(choices)s.") % {"choices": ", ".join(AssetKind.values)}
                ]
                continue
            try:
                amount = amount_field.run_validation(value)
            except serializers.ValidationError as exc:
                errors[kind] = exc.detail
                continue
            if amount is None:
                continue
            if amount < 0:
                errors[kind] = [_("A price cannot be negative.")]
                continue
            cleaned[kind] = amount
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned


class TierSerializer(TenantModelSerializer):
    currency = serializers.ChoiceField(
        choices=ServiceTier._meta.get_field("currency").choices,
        required=False,
        help_text=_("Defaults to the tenant's currency."),
    )
    prices = TierPricesField(required=False)
    features = serializers.ListField(
        child=serializers.ChoiceField(choices=Feature.choices),
        required=False,
        max_length=len(Feature.choices),
        help_text=_("Codes of the included features."),
    )

    class Meta:
        model = ServiceTier
        fields = [
            "id",
            "name",
            "position",
            "description",
            "currency",
            "prices",
            "features",
            "onsite_discount_percent",
            "includes_labour",
            "after_hours_support",
            "review_meeting_hours",
            "sla_first_response_minutes",
            "sla_server_first_response_minutes",
            "is_active",
        ]

    def validate(self, attrs):
        tier = copy.copy(self.instance) if self.instance is not None else ServiceTier()
        if self.instance is None:
            attrs.setdefault("currency", self.context["request"].membership.tenant.default_currency)
        # A billing flag and the feature it is sold as agree: sending one sets the other.
        for flag, feature in TIER_FLAG_FEATURES.items():
            if "features" in attrs and flag not in attrs:
                attrs[flag] = feature in attrs["features"]
            elif flag in attrs and "features" not in attrs:
                features = [
                    code for code in (attrs.get("_features") or tier.features or []) if code != feature
                ]
                attrs["_features"] = [*features, feature] if attrs[flag] else features
        if "_features" in attrs:
            attrs["features"] = attrs.pop("_features")
        for field, value in attrs.items():
            if field != "prices":
                setattr(tier, field, value)
        try:
            tier_validate(tier=tier, prices=attrs.get("prices"))
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        if "features" in attrs:
            attrs["features"] = tier.features  # normalised: no repeats, the list's order
        return attrs

    def _save(self, tier: ServiceTier, validated_data: dict) -> ServiceTier:
        prices = validated_data.pop("prices", None)
        for field, value in validated_data.items():
            setattr(tier, field, value)
        try:
            return tier_save(tier=tier, prices=prices)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc

    def create(self, validated_data):
        return self._save(ServiceTier(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class RecurringServiceSerializer(TenantModelSerializer):
    price = AmountField(help_text=_("Monthly price; in `price_currency`, else the tenant's currency."))
    price_currency = CurrencyOfField("price")
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=AssetKind.choices),
        required=False,
        max_length=len(AssetKind.choices),
        help_text=_("Asset kinds a per-device service is counted on."),
    )

    class Meta:
        model = RecurringService
        fields = ["id", "name", "description", "unit", "kinds", "price", "price_currency", "is_active"]

    def validate(self, attrs):
        service = copy.copy(self.instance) if self.instance is not None else RecurringService()
        price = attrs.get("price")
        if isinstance(price, Decimal):
            if self.instance is not None and self.instance.price is not None:
                currency = self.instance.price.currency.code
            else:
                currency = self.context["request"].membership.tenant.default_currency
            attrs["price"] = Money(price, currency)
        for field, value in attrs.items():
            setattr(service, field, value)
        try:
            recurring_service_validate(service=service)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        attrs["kinds"] = service.kinds
        return attrs

    def _save(self, service, validated_data):
        for field, value in validated_data.items():
            setattr(service, field, value)
        try:
            return recurring_service_save(service=service)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc

    def create(self, validated_data):
        return self._save(RecurringService(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class ContractSerializer(TenantModelSerializer):
    currency = serializers.ChoiceField(
        choices=Contract._meta.get_field("currency").choices,
        required=False,
        help_text=_("Defaults to the client's currency. Every amount of the contract is in it."),
    )
    monthly_fee = AmountField(required=False, allow_null=True)
    monthly_fee_currency = CurrencyOfField("monthly_fee", allow_null=True)
    hourly_rate = AmountField(required=False, allow_null=True, help_text=_("Break/fix and overage work."))
    hourly_rate_currency = CurrencyOfField("hourly_rate", allow_null=True)
    overage_rate = AmountField(required=False, allow_null=True)
    overage_rate_currency = CurrencyOfField("overage_rate", allow_null=True)
    renew_block_price = AmountField(required=False, allow_null=True)
    renew_block_price_currency = CurrencyOfField("renew_block_price", allow_null=True)
    balance_minutes = serializers.SerializerMethodField(
        help_text=_(
            "Prepaid minutes left: the sum of the hour ledger (null unless the contract is prepaid hours)."
        )
    )
    offer = serializers.SerializerMethodField(help_text=_("The accepted offer that created this contract."))

    class Meta:
        model = Contract
        fields = [
            "id",
            "client",
            "kind",
            "name",
            "tier",
            "offer",
            "status",
            "start_date",
            "end_date",
            "currency",
            "monthly_fee",
            "monthly_fee_currency",
            "hourly_rate",
            "hourly_rate_currency",
            "overage_rate",
            "overage_rate_currency",
            "rounding_minutes",
            "minimum_minutes",
            "includes_labour",
            "auto_renew",
            "renew_threshold_minutes",
            "renew_block_minutes",
            "renew_block_price",
            "renew_block_price_currency",
            "notice_days",
            "term_end",
            "trial_end",
            "blocks_need_payment",
            "lines",
            "balance_minutes",
            "created_at",
        ]
        read_only_fields = ["offer", "lines", "created_at"]

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_offer(self, contract) -> int | None:
        # The link is the offer's (sales/ points at contracts/); Django gives the reverse side,
        # which ContractViewSet reads as `offer_pk` with the contract.
        if hasattr(contract, "offer_pk"):
            return contract.offer_pk
        offer = getattr(contract, "offer", None)
        return offer.pk if offer is not None else None

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_balance_minutes(self, contract) -> int | None:
        # Kept equal to the ledger's sum by contracts.services.hours under the contract's lock.
        return contract.balance_minutes if contract.kind == ContractKind.PREPAID_HOURS else None

    def validate(self, attrs):
        contract = copy.copy(self.instance) if self.instance is not None else Contract()
        for field, value in attrs.items():
            if field not in CONTRACT_MONEY_FIELDS:
                setattr(contract, field, value)
        if not contract.currency and contract.client_id:
            contract.currency = attrs["currency"] = contract.client.currency
        for field in CONTRACT_MONEY_FIELDS:
            if field not in attrs:
                continue
            value = attrs[field]
            if isinstance(value, Decimal):
                value = attrs[field] = Money(value, contract.currency)
            setattr(contract, field, value)
        try:
            contract_validate(contract=contract)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return attrs

    def _save(self, contract, validated_data):
        for field, value in validated_data.items():
            setattr(contract, field, value)
        try:
            return contract_save(contract=contract)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc

    def create(self, validated_data):
        return self._save(Contract(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)
