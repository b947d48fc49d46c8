"""The hour ledger and hour blocks of a contract: `contracts/{id}/ledger/`, `contracts/{id}/blocks/`."""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from audit.api.views import HistoryApi
from audit.selectors import contract_history
from contracts.api.serializers import AmountField, CurrencyOfField
from contracts.ledger import ledger_describe
from contracts.models import BlockOrigin, Contract, HourBlock, LedgerEntry
from contracts.selectors import ledger_rows
from contracts.services.hours import block_purchase
from msp.api.base import LeanModelSerializer, StrictSerializerMixin, TenantAPIMixin

TIME_ENTRY_SOURCE = "time_entry"  # the source kind timetracking/ writes (contracts/ never imports it)


class LedgerEntrySerializer(LeanModelSerializer):
    time_entry = serializers.SerializerMethodField(
        help_text=_("The time entry that drew or gave back minutes.")
    )
    description = serializers.SerializerMethodField(
        help_text=_(
            "The statement line in the reader's language: the ticket's number and subject, "
            "the technician and the work note (or the block bought, the minutes expired)."
        )
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "minutes",
            "balance_after",
            "time_entry",
            "block",
            "description",
            "note",
            "created_at",
        ]

    def get_time_entry(self, row) -> int | None:
        return row.source_id if row.source_kind == TIME_ENTRY_SOURCE else None

    def get_description(self, row) -> str:
        if not hasattr(row, "description"):
            ledger_describe([row])
        return row.description


class HourBlockSerializer(StrictSerializerMixin, LeanModelSerializer):
    price = AmountField()
    price_currency = CurrencyOfField("price")
    origin = serializers.ChoiceField(
        choices=[BlockOrigin.INITIAL, BlockOrigin.MANUAL], default=BlockOrigin.MANUAL
    )

    class Meta:
        model = HourBlock
        fields = [
            "id",
            "minutes",
            "price",
            "price_currency",
            "origin",
            "purchased_at",
            "expires_at",
            "invoiced_at",
        ]
        read_only_fields = ["purchased_at", "invoiced_at"]


class ContractHoursMixin(TenantAPIMixin):
    def get_contract(self) -> Contract:
        if not hasattr(self, "_contract"):
            self._contract = get_object_or_404(Contract.objects.all(), pk=self.kwargs["contract_pk"])
        return self._contract


class ContractLedgerApi(ContractHoursMixin, generics.ListAPIView):
    """The contract's hour ledger, newest first: signed minutes and the balance after each row."""

    permission_required = "contract.view"
    serializer_class = LedgerEntrySerializer

    def get_queryset(self):
        return ledger_rows(self.get_contract())

    def paginate_queryset(self, queryset):
        # Describe the whole page at once: one query per kind of source, not one per row.
        page = super().paginate_queryset(queryset)
        return ledger_describe(page) if page is not None else None

    filter_backends: list = []


class ContractBlocksApi(ContractHoursMixin, generics.ListCreateAPIView):
    """The contract's hour blocks; a POST buys one (it credits the ledger at once)."""

    serializer_class = HourBlockSerializer
    filter_backends: list = []

    @property
    def permission_required(self):
        return "hourblock.add" if self.request.method == "POST" else "contract.view"

    def get_queryset(self):
        return HourBlock.objects.filter(contract=self.get_contract()).order_by("purchased_at", "pk")

    def create(self, request, *args, **kwargs):
        contract = self.get_contract()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        price = data["price"]
        if isinstance(price, Decimal):
            price = Money(price, contract.currency)
        block = block_purchase(
            contract=contract,
            minutes=data["minutes"],
            price=price,
            origin=data.get("origin", BlockOrigin.MANUAL),
            expires_at=data.get("expires_at"),
        )
        return Response(self.get_serializer(block).data, status=status.HTTP_201_CREATED)


class ContractHistoryApi(ContractHoursMixin, HistoryApi):
    """Who changed the contract's terms, rates and renewal settings, its blocks and time
    entries: when, from where (IP, browser, API token, task), before and after; newest first."""

    permission_required = "contract.history"

    def history(self):
        return contract_history(self.get_contract().pk)
