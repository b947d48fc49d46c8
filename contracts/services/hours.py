"""Prepaid hours: blocks bought, minutes drawn, reversals, renewals, expiry.

Every change follows one pattern (STYLE §5): lock the contract row, read its blocks'
balances, decide with the pure functions of contracts.allocation, append ledger rows,
update the contract's cached balance, all in one transaction. So concurrent entries on
one contract queue on the lock: none can lose a minute or renew twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from contracts.allocation import BlockBalance, allocate, blocks_needed
from contracts.choices import ContractKind
from contracts.limits import MAX_BALANCE_MINUTES, MAX_BLOCK_MINUTES
from contracts.models import BlockOrigin, Contract, HourBlock, LedgerEntry, LedgerKind
from contracts.signals import hour_block_purchased
from msp.locking import lock_row
from msp.scoping import scoped_by


@dataclass
class DrawResult:
    requested_minutes: int
    drawn_minutes: int = 0
    overage_minutes: int = 0
    entries: list[LedgerEntry] = field(default_factory=list)
    renewals: list[HourBlock] = field(default_factory=list)
    balance_before: int = 0
    current_block_minutes: int = 0  # of the most recently bought block before this draw

    @property
    def balance_after(self) -> int | None:
        return self.entries[-1].balance_after if self.entries else None


class _Ledger:
    """Appends rows for one locked contract, keeping the running balance."""

    def __init__(self, contract: Contract):
        self.contract = contract
        self.rows: list[LedgerEntry] = []

    def append(
        self, *, kind: str, minutes: int, block_id: int | None, source=("", None), note=""
    ) -> LedgerEntry:
        self.contract.balance_minutes += minutes
        row = LedgerEntry(
            tenant_id=self.contract.tenant_id,
            contract=self.contract,
            block_id=block_id,
            kind=kind,
            minutes=minutes,
            balance_after=self.contract.balance_minutes,
            source_kind=source[0],
            source_id=source[1],
            note=note,
        )
        self.rows.append(row)
        return row

    def flush(self) -> list[LedgerEntry]:
        LedgerEntry.objects.bulk_create(self.rows)
        self.contract.save(update_fields=["balance_minutes"])
        rows, self.rows = self.rows, []
        return rows


def _lock(contract: Contract) -> Contract:
    return lock_row(Contract.objects, pk=contract.pk)


def _block_balances(contract: Contract) -> tuple[list[BlockBalance], int]:
    """What each of the contract's blocks has left (one query, summed by the database, read as
    values: no model instances on the hottest write path), and the size of the latest block."""
    rows = (
        HourBlock.objects.filter(contract=contract)
        .annotate(available=Coalesce(Sum("ledger__minutes"), 0))
        .order_by("pk")
        .values_list("pk", "available", "purchased_at", "expires_at", "minutes", "paid_at")
    )
    balances, latest = [], None
    for pk, available, purchased_at, expires_at, minutes, paid_at in rows:
        if contract.blocks_need_payment and paid_at is None:
            continue  # credited, but not usable until its invoice is paid (billing sets paid_at)
        balances.append(BlockBalance(pk, int(available), purchased_at=purchased_at, expires_at=expires_at))
        if latest is None or (purchased_at, pk) > latest[:2]:
            latest = (purchased_at, pk, minutes)
    return balances, latest[2] if latest else 0


def _expire(ledger: _Ledger, balances, now: datetime) -> None:
    for balance in balances:
        if balance.expires_at is not None and balance.expires_at <= now and balance.available_minutes > 0:
            ledger.append(
                kind=LedgerKind.EXPIRY,
                minutes=-balance.available_minutes,
                block_id=balance.block_id,
                note=_("Unused minutes expired"),
            )


def _new_block(contract: Contract, *, minutes: int, price: Money, origin: str, expires_at, now) -> HourBlock:
    if minutes <= 0:
        raise ValidationError({"minutes": _("A block has a positive number of minutes.")})
    if minutes > MAX_BLOCK_MINUTES:
        raise ValidationError(
            {"minutes": _("A block has at most %(hours)s hours.") % {"hours": f"{MAX_BLOCK_MINUTES // 60:,}"}}
        )
    if price.currency.code != contract.currency:
        raise ValidationError(
            {
                "price": _("The contract is billed in %(currency)s; the block's price must be too.")
                % {"currency": contract.currency}
            }
        )
    if price.amount < 0:
        raise ValidationError({"price": _("A price cannot be negative.")})
    block = HourBlock.objects.create(
        tenant_id=contract.tenant_id,
        contract=contract,
        minutes=minutes,
        price=price,
        origin=origin,
        purchased_at=now,
        expires_at=expires_at,
    )
    transaction.on_commit(
        lambda: hour_block_purchased.send(
            sender=HourBlock, tenant_id=contract.tenant_id, block_id=block.pk, contract_id=contract.pk
        )
    )
    return block


@scoped_by("contract")
@transaction.atomic
def block_purchase(
    *,
    contract: Contract,
    minutes: int,
    price: Money,
    origin: str = BlockOrigin.MANUAL,
    expires_at=None,
    at=None,
) -> HourBlock:
    """Buy a block: it credits the contract at once and is announced (on commit) for billing."""
    if contract.kind != ContractKind.PREPAID_HOURS:
        raise ValidationError(_("Hour blocks are bought on prepaid-hours contracts only."))
    now = at or timezone.now()
    contract = _lock(contract)
    if contract.balance_minutes + minutes > MAX_BALANCE_MINUTES:
        # Purchases are the one way up that is not bounded by a threshold (contracts.limits).
        raise ValidationError(
            {
                "minutes": _("This block would take the balance past %(hours)s hours.")
                % {"hours": f"{MAX_BALANCE_MINUTES // 60:,}"}
            }
        )
    ledger = _Ledger(contract)
    block = _new_block(contract, minutes=minutes, price=price, origin=origin, expires_at=expires_at, now=now)
    ledger.append(kind=LedgerKind.CREDIT, minutes=minutes, block_id=block.pk, note=block.get_origin_display())
    ledger.flush()
    return block


@scoped_by("contract")
def hours_draw(
    *,
    contract: Contract,
    minutes: int,
    source_kind: str,
    source_id: int | Callable[[DrawResult], int],
    at=None,
    note: str | Callable[[int], str] = "",
) -> DrawResult:
    """Draw `minutes` from a prepaid contract, oldest-expiring block first.

    When the draw takes the balance under the contract's threshold (or past zero) and
    auto-renew is on, renewal blocks are bought in this same transaction: exactly as many
    as `blocks_needed` says. What no block covers is returned as overage.

    A source not yet written (a new time entry) passes `source_id` as a callable: it gets
    the result once the allocation is decided, writes its row with the outcome in one
    INSERT and returns the id the ledger rows carry; `note` may then be a callable of that id.
    """
    if minutes <= 0:
        raise ValidationError(_("Draw a positive number of minutes."))
    if contract.kind != ContractKind.PREPAID_HOURS:
        raise ValidationError(_("Only prepaid-hours contracts have hours to draw."))
    # No savepoint: a draw is part of its caller's transaction (a time entry) and fails with
    # it; two fewer round trips on the hottest write path.
    with transaction.atomic(savepoint=False):
        return _draw(contract, minutes, (source_kind, source_id), at or timezone.now(), note)


def _draw(contract: Contract, minutes: int, source: tuple, now: datetime, note) -> DrawResult:
    contract = _lock(contract)
    ledger = _Ledger(contract)
    balances, latest_minutes = _block_balances(contract)
    _expire(ledger, balances, now)
    before = contract.balance_minutes
    result = DrawResult(
        requested_minutes=minutes, balance_before=before, current_block_minutes=latest_minutes
    )

    allocation = allocate(balances, minutes, now)
    for block_id, taken in allocation.draws:
        ledger.append(kind=LedgerKind.DEBIT, minutes=-taken, block_id=block_id, source=source, note=note)
    result.drawn_minutes = allocation.drawn_minutes
    shortfall = allocation.shortfall_minutes

    renew_price = contract.renew_block_price
    if contract.auto_renew and renew_price is not None and contract.renew_block_minutes > 0:
        count = blocks_needed(
            balance_before_minutes=before,
            balance_after_minutes=contract.balance_minutes,
            shortfall_minutes=shortfall,
            threshold_minutes=contract.renew_threshold_minutes,
            block_minutes=contract.renew_block_minutes,
        )
        for _n in range(count):
            block = _new_block(
                contract,
                minutes=contract.renew_block_minutes,
                price=renew_price,
                origin=BlockOrigin.AUTO_RENEW,
                expires_at=None,
                now=now,
            )
            result.renewals.append(block)
            ledger.append(
                kind=LedgerKind.CREDIT,
                minutes=block.minutes,
                block_id=block.pk,
                note=block.get_origin_display(),
            )
            if shortfall and not contract.blocks_need_payment:
                taken = min(shortfall, block.minutes)
                ledger.append(
                    kind=LedgerKind.DEBIT, minutes=-taken, block_id=block.pk, source=source, note=note
                )
                result.drawn_minutes += taken
                shortfall -= taken
    result.overage_minutes = shortfall
    if callable(source[1]):
        source_id = source[1](result)
        for row in ledger.rows:
            if row.source_kind == source[0]:
                row.source_id = source_id
                row.note = row.note(source_id) if callable(row.note) else row.note
    result.entries = ledger.flush()
    return result


@scoped_by("contract")
@transaction.atomic
def hours_reverse(*, contract: Contract, source_kind: str, source_id: int, at=None, note: str = "") -> int:
    """Give back everything a source drew (an entry edited or deleted): reversal rows, never
    an update. Minutes returned to a block that has since expired expire again at once."""
    now = at or timezone.now()
    contract = _lock(contract)
    ledger = _Ledger(contract)
    net = (
        LedgerEntry.objects.filter(contract=contract, source_kind=source_kind, source_id=source_id)
        .values("block")
        .annotate(total=Sum("minutes"))
        .order_by("block")
    )
    blocks = {b.pk: b for b in HourBlock.objects.filter(contract=contract)}
    restored = 0
    for row in net:
        drawn = -int(row["total"])
        if drawn <= 0:
            continue
        block = blocks[row["block"]]
        ledger.append(
            kind=LedgerKind.REVERSAL,
            minutes=drawn,
            block_id=block.pk,
            source=(source_kind, source_id),
            note=note,
        )
        if block.expires_at is not None and block.expires_at <= now:
            ledger.append(
                kind=LedgerKind.EXPIRY, minutes=-drawn, block_id=block.pk, note=_("Unused minutes expired")
            )
        restored += drawn
    ledger.flush()
    return restored


@scoped_by("contract")
@transaction.atomic
def blocks_expire(*, contract: Contract, at=None) -> int:
    """Append expiry rows for blocks past their date (the beat sweep and the ledger page call it)."""
    contract = _lock(contract)
    ledger = _Ledger(contract)
    balances, _latest = _block_balances(contract)
    _expire(ledger, balances, at or timezone.now())
    return -sum(row.minutes for row in ledger.flush())
