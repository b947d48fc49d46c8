"""API of invoices: read with their lines; drafts created with lines; the business actions
(issue, pay, void, credit) are their own endpoints calling billing.services."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from djmoney.money import Money
from rest_framework import serializers

from billing.models import Invoice, InvoiceLine, LineKind, Payment, PaymentMethod, TaxRate
from billing.services.invoices import MAX_BATCH
from contracts.api.serializers import AmountField, CurrencyOfField
from msp.api.base import (
    MAX_ID,
    LeanModelSerializer,
    ModelCleanMixin,
    StrictSerializerMixin,
    TenantModelSerializer,
)
from msp.models import Client


class InvoiceLineSerializer(serializers.ModelSerializer):
    unit_price = AmountField(read_only=True)
    amount = AmountField(read_only=True)
    tax = AmountField(read_only=True)

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "kind",
            "description",
            "detail",
            "quantity",
            "unit",
            "unit_price",
            "tax_rate",
            "tax_nature",
            "tax_code",
            "tax_reference",
            "amount",
            "tax",
            "contract",
            "period_start",
            "period_end",
        ]

    def to_representation(self, line) -> dict:
        # A month's invoices carry thousands of lines: written out directly (what the fields
        # above give, to the byte: decimals at their stored two places, dates in ISO).
        return {
            "id": line.pk,
            "kind": line.kind,
            "description": line.description,
            "detail": line.detail,
            "quantity": _decimal(line.quantity),
            "unit": line.unit,
            "unit_price": _decimal(line.unit_price.amount),
            "tax_rate": _decimal(line.tax_rate),
            "tax_nature": line.tax_nature,
            "tax_code": line.tax_code,
            "tax_reference": line.tax_reference,
            "amount": _decimal(line.amount.amount),
            "tax": _decimal(line.tax.amount),
            "contract": line.contract_id,
            "period_start": line.period_start.isoformat() if line.period_start else None,
            "period_end": line.period_end.isoformat() if line.period_end else None,
        }


def _decimal(value) -> str:
    return f"{Decimal(value).quantize(TWO_PLACES)}"


TWO_PLACES = Decimal("0.01")


class InvoiceSerializer(LeanModelSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    subtotal = AmountField(read_only=True)
    tax = AmountField(read_only=True)
    total = AmountField(read_only=True)
    total_currency = CurrencyOfField("total")
    paid = AmountField(read_only=True)
    outstanding = serializers.SerializerMethodField(help_text=_("Total less payments and credit notes."))

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "kind",
            "client",
            "status",
            "currency",
            "issue_date",
            "due_date",
            "period_start",
            "period_end",
            "corrects",
            "lines",
            "subtotal",
            "tax",
            "total",
            "total_currency",
            "paid",
            "outstanding",
            "tax_note",
            "void_reason",
            "note",
            "created_at",
        ]

    def get_outstanding(self, invoice) -> str:
        return str(invoice.outstanding.amount)


MAX_LINES = 500  # a hand-typed invoice; the monthly run writes its own lines


class LineInputSerializer(StrictSerializerMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=LineKind.choices, default=LineKind.ADJUSTMENT)
    description = serializers.CharField(max_length=500)
    detail = serializers.CharField(required=False, allow_blank=True, default="")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=1)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    unit_price_currency = serializers.CharField(
        required=False, help_text=_("Defaults to the invoice's currency.")
    )
    tax_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        default=None,
    )
    vat = serializers.PrimaryKeyRelatedField(
        queryset=TaxRate.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "A rate of the catalogue (`tax-rates/`): its percentage, nature and legal reference; wins over tax_rate."
        ),
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["vat"].queryset = TaxRate.objects.filter(is_active=True)  # scoped now, per request
        return fields


class InvoiceCreateSerializer(StrictSerializerMixin, serializers.Serializer):
    """A draft invoice typed by hand (the monthly run makes the others)."""

    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    currency = serializers.CharField(required=False, help_text=_("Defaults to the client's currency."))
    note = serializers.CharField(required=False, allow_blank=True, default="")
    lines = LineInputSerializer(many=True, max_length=MAX_LINES, help_text=f"At most {MAX_LINES} lines.")

    def get_fields(self):
        fields = super().get_fields()
        fields["client"].queryset = Client.objects.all()  # scoped now, per request
        return fields

    def line_money(self, line: dict, currency: str) -> Money:
        return Money(line["unit_price"], line.get("unit_price_currency") or currency)


class PaymentSerializer(StrictSerializerMixin, LeanModelSerializer):
    amount = AmountField()
    amount_currency = CurrencyOfField("amount")
    method = serializers.ChoiceField(choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER)

    class Meta:
        model = Payment
        fields = ["id", "amount", "amount_currency", "paid_at", "method", "reference", "created_at"]
        read_only_fields = ["created_at"]


class ReasonSerializer(StrictSerializerMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class TaxRateSerializer(ModelCleanMixin, TenantModelSerializer):
    category = serializers.CharField(
        read_only=True, help_text=_("The EN 16931 VAT category (S, Z, E, AE, K, G, O).")
    )

    class Meta:
        model = TaxRate
        fields = ["id", "name", "code", "rate", "nature", "legal_reference", "is_active", "category"]

    def validate_code(self, code):
        code = code.strip()
        others = TaxRate.objects.filter(code__iexact=code).exclude(pk=getattr(self.instance, "pk", None))
        if others.exists():
            raise serializers.ValidationError(_("Another rate already has this VAT code."))
        return code


class BatchIssueSerializer(StrictSerializerMixin, serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=MAX_BATCH,
        help_text=_("The drafts to issue, in the order their numbers should follow."),
    )


class BatchRefusalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()


class BatchIssueResultSerializer(serializers.Serializer):
    issued = InvoiceSerializer(many=True)
    refused = BatchRefusalSerializer(many=True)
