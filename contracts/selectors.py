"""Reads of prepaid hours: blocks with their use, the ledger page, the burn rate.

Each is one query whatever the number of blocks or ledger rows (scoped by the default
managers, so a client contact reads only its own company's contracts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.utils import timezone

from contracts.ledger import ledger_describe
from contracts.models import HourBlock, LedgerEntry, LedgerKind

USE_KINDS = [LedgerKind.DEBIT, LedgerKind.REVERSAL]


def contract_blocks(contract) -> list[HourBlock]:
    """The contract's blocks, oldest first, with `used_minutes`, `expired_minutes`, `left_minutes`."""
    blocks = list(
        HourBlock.objects.filter(contract=contract)
        .annotate(
            use_total=Sum("ledger__minutes", filter=Q(ledger__kind__in=USE_KINDS)),
            expired_total=Sum("ledger__minutes", filter=Q(ledger__kind=LedgerKind.EXPIRY)),
            left_total=Sum("ledger__minutes"),
        )
        .order_by("purchased_at", "pk")
    )
    now = timezone.now()
    for block in blocks:
        block.used_minutes = -(block.use_total or 0)
        block.expired_minutes = -(block.expired_total or 0)
        block.left_minutes = block.left_total or 0
        block.is_expired = block.expires_at is not None and block.expires_at <= now
    return blocks


def ledger_rows(contract):
    """The contract's ledger, newest first, with the block each row moved (credits name it)."""
    return LedgerEntry.objects.filter(contract=contract).select_related("block").order_by("-pk")


def ledger_page(contract, page_number, per_page: int = 25):
    """A page of the statement: each row with its `description` in the reader's language
    (one query for the rows, one per kind of source on the page)."""
    page = Paginator(ledger_rows(contract), per_page).get_page(page_number)
    page.object_list = ledger_describe(page.object_list)
    return page


@dataclass
class BurnRate:
    days: int
    minutes: int

    @property
    def per_week(self) -> int:
        return round(self.minutes * 7 / self.days)


def burn_rates(contract, periods=(30, 90)) -> list[BurnRate]:
    """Minutes drawn (net of reversals) over the last 30 and 90 days, in one query."""
    now = timezone.now()
    aggregates = {
        f"d{days}": Sum("minutes", filter=Q(kind__in=USE_KINDS, created_at__gte=now - timedelta(days=days)))
        for days in periods
    }
    totals = LedgerEntry.objects.filter(contract=contract).aggregate(**aggregates)
    return [BurnRate(days=days, minutes=-(totals[f"d{days}"] or 0)) for days in periods]


def weeks_left(balance_minutes: int, rate: BurnRate) -> int | None:
    if rate.per_week <= 0 or balance_minutes <= 0:
        return None
    return balance_minutes // rate.per_week
