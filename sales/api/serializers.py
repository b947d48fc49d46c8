"""The offer's shapes over the API: read (with its frozen options), build, accept, send."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from assets.choices import AssetKind
from contracts.models import ServiceTier
from msp.api.base import LeanModelSerializer, StrictSerializerMixin
from msp.models import Client, Contact
from sales.models import Offer, OfferOption


class OfferOptionListSerializer(serializers.ListSerializer):
    def get_attribute(self, offer):
        options = getattr(offer, "option_list", None)  # prefetched by offer_api_list
        return options if options is not None else super().get_attribute(offer)


class OfferOptionSerializer(LeanModelSerializer):
    quantities = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    monthly_total = serializers.DecimalField(
        source="monthly_total.amount", max_digits=14, decimal_places=2, read_only=True
    )
    monthly_total_currency = serializers.CharField(read_only=True)

    class Meta:
        model = OfferOption
        fields = [
            "id",
            "tier",
            "name",
            "quantities",
            "lines",
            "monthly_total",
            "monthly_total_currency",
            "features",
            "includes_labour",
            "onsite_discount_percent",
        ]
        read_only_fields = fields
        list_serializer_class = OfferOptionListSerializer


class OfferSerializer(LeanModelSerializer):
    options = OfferOptionSerializer(many=True, read_only=True)
    hour_block_price = serializers.SerializerMethodField()
    hour_block_price_currency = serializers.SerializerMethodField()
    contract = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "client",
            "status",
            "title",
            "notes",
            "currency",
            "discount_percent",
            "hour_block_minutes",
            "hour_block_price",
            "hour_block_price_currency",
            "recommended_tier",
            "valid_until",
            "options",
            "accepted_option",
            "contract",
            "created_at",
            "sent_at",
            "decided_at",
        ]
        read_only_fields = fields

    def get_hour_block_price(self, offer) -> str | None:
        return f"{offer.hour_block_price.amount:.2f}" if offer.hour_block_price is not None else None

    def get_hour_block_price_currency(self, offer) -> str | None:
        return str(offer.hour_block_price.currency) if offer.hour_block_price is not None else None

    def get_contract(self, offer) -> int | None:
        return offer.contract_id  # the contract it created; no need to read the contract


MAX_OFFER_SERVICES = 100
MAX_RECIPIENTS = 100


class OfferCreateSerializer(StrictSerializerMixin, serializers.Serializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects)
    quantities = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100_000),
        required=False,
        help_text=_("{kind: count}; kinds left out count 0. Default: the client's inventory."),
    )
    services = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100_000),
        required=False,
        help_text=_("À-la-carte services: {service id: quantity}, added to every option."),
    )
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, default=0
    )
    hour_block_minutes = serializers.IntegerField(min_value=0, max_value=60_000, default=0)
    hour_block_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    recommended_tier = serializers.PrimaryKeyRelatedField(
        queryset=ServiceTier.objects, required=False, allow_null=True
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    valid_until = serializers.DateField(required=False, allow_null=True)

    def validate_quantities(self, quantities):
        unknown = sorted(set(quantities) - set(AssetKind.values))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown asset kind: %(kinds)s. Use %(known)s.")
                % {"kinds": ", ".join(unknown[:10]), "known": ", ".join(AssetKind.values)}
            )
        return quantities

    def validate_services(self, services):
        if len(services) > MAX_OFFER_SERVICES:
            raise serializers.ValidationError(
                _("At most %(max)d services an offer.") % {"max": MAX_OFFER_SERVICES}
            )
        try:
            return {int(key): value for key, value in services.items()}
        except ValueError:
            raise serializers.ValidationError(_("Name services by their id.")) from None

    def validate(self, attrs):
        if attrs.get("hour_block_minutes") and attrs.get("hour_block_price") is None:
            raise serializers.ValidationError(
                {"hour_block_price": [_("Give the price of the prepaid hours.")]}
            )
        return attrs


class OfferAcceptSerializer(StrictSerializerMixin, serializers.Serializer):
    tier = serializers.IntegerField(required=False, help_text=_("The id of the accepted tier."))
    option = serializers.IntegerField(required=False, help_text=_("Or the id of the accepted option."))

    def validate(self, attrs):
        if "tier" not in attrs and "option" not in attrs:
            raise serializers.ValidationError({"tier": [_("Say which tier is accepted.")]})
        return attrs


class OfferRecipientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


class OfferSentSerializer(OfferSerializer):
    """The offer as sent, with the contacts it was emailed to (``sent_to``)."""

    sent_to = OfferRecipientSerializer(many=True, read_only=True)

    class Meta(OfferSerializer.Meta):
        fields = [*OfferSerializer.Meta.fields, "sent_to"]
        read_only_fields = fields


class OfferSendSerializer(StrictSerializerMixin, serializers.Serializer):
    contacts = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Contact.objects,
        required=False,
        help_text=_("Contacts of the offer's client; none named: every contact of the client with an email."),
    )
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def to_internal_value(self, data):
        # Each contact id is one query: count them before any is looked up.
        contacts = data.get("contacts") if hasattr(data, "get") else None
        if isinstance(contacts, list) and len(contacts) > MAX_RECIPIENTS:
            raise serializers.ValidationError(
                {"contacts": [_("At most %(max)d contacts.") % {"max": MAX_RECIPIENTS}]}
            )
        return super().to_internal_value(data)
