"""Prepaid hours: the seeds' scenario, reversals, expiry, overage, and the ledger invariant."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from djmoney.money import Money

from contracts.choices import ContractKind
from contracts.models import BlockOrigin, Contract, HourBlock, LedgerEntry, LedgerKind
from contracts.services.hours import block_purchase, blocks_expire, hours_draw, hours_reverse
from contracts.signals import hour_block_purchased
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def prepaid(**kwargs):
    defaults = {
        "kind": ContractKind.PREPAID_HOURS,
        "auto_renew": True,
        "renew_threshold_minutes": 5 * 60,
        "renew_block_minutes": 10 * 60,
        "renew_block_price": Money("900.00", "EUR"),
        "client__currency": "EUR",
    }
    return ContractFactory(**{**defaults, **kwargs})


def assert_ledger_sums_to_balance(contract):
    contract = Contract.unscoped.get(pk=contract.pk)
    total = LedgerEntry.unscoped.filter(contract=contract).aggregate(s=Sum("minutes"))["s"] or 0
    assert total == contract.balance_minutes
    last = LedgerEntry.unscoped.filter(contract=contract).order_by("pk").last()
    assert last is None or last.balance_after == contract.balance_minutes
    return contract.balance_minutes


def test_the_seeds_scenario(django_capture_on_commit_callbacks):
    announced = []
    hour_block_purchased.connect(lambda sender, block_id, **kw: announced.append(block_id), weak=False)
    contract = prepaid()
    with django_capture_on_commit_callbacks(execute=True):
        first = block_purchase(
            contract=contract, minutes=600, price=Money("900.00", "EUR"), origin=BlockOrigin.INITIAL
        )
    assert assert_ledger_sums_to_balance(contract) == 600

    # A 15-minute phone call draws 15 minutes.
    result = hours_draw(contract=contract, minutes=15, source_kind="time_entry", source_id=1)
    assert (result.drawn_minutes, result.overage_minutes, result.renewals) == (15, 0, [])
    assert assert_ledger_sums_to_balance(contract) == 585

    # Entries totalling 5 h 1 min trigger exactly one renewal, when the balance crosses under 5 h.
    renewals = []
    with django_capture_on_commit_callbacks(execute=True):
        for n, minutes in enumerate([120, 120, 46], start=2):  # 15 + 286 = 301 = 5 h 1 min
            result = hours_draw(contract=contract, minutes=minutes, source_kind="time_entry", source_id=n)
            renewals += result.renewals
            assert_ledger_sums_to_balance(contract)
    assert len(renewals) == 1
    renewal = renewals[0]
    assert (renewal.minutes, renewal.origin, renewal.price) == (
        600,
        BlockOrigin.AUTO_RENEW,
        Money("900.00", "EUR"),
    )
    assert renewal.invoiced_at is None  # not yet invoiced: billing picks it up
    assert announced == [first.pk, renewal.pk]  # each purchase announced once
    assert assert_ledger_sums_to_balance(contract) == 600 - 301 + 600


def test_a_draw_splits_across_blocks_oldest_expiring_first():
    contract = prepaid(auto_renew=False)
    now = timezone.now()
    late = block_purchase(
        contract=contract, minutes=60, price=Money("90", "EUR"), expires_at=now + timedelta(days=90)
    )
    soon = block_purchase(
        contract=contract, minutes=30, price=Money("45", "EUR"), expires_at=now + timedelta(days=10)
    )
    result = hours_draw(contract=contract, minutes=50, source_kind="time_entry", source_id=7)
    debits = {(e.block_id, e.minutes) for e in result.entries}
    assert debits == {(soon.pk, -30), (late.pk, -20)}


def test_without_auto_renew_what_the_balance_cannot_cover_is_overage():
    contract = prepaid(auto_renew=False)
    block_purchase(contract=contract, minutes=60, price=Money("90", "EUR"))
    result = hours_draw(contract=contract, minutes=90, source_kind="time_entry", source_id=1)
    assert (result.drawn_minutes, result.overage_minutes) == (60, 30)
    assert assert_ledger_sums_to_balance(contract) == 0


def test_an_entry_larger_than_balance_plus_one_block_renews_as_many_as_needed():
    contract = prepaid()
    block_purchase(contract=contract, minutes=60, price=Money("90", "EUR"))
    result = hours_draw(contract=contract, minutes=60 + 1500, source_kind="time_entry", source_id=1)
    # 1500 short: 3 blocks of 600 cover it and leave 300, not under the 300 threshold.
    assert len(result.renewals) == 3 and result.overage_minutes == 0
    assert assert_ledger_sums_to_balance(contract) == 300


def test_editing_an_entry_reverses_then_redraws_and_never_rewrites():
    contract = prepaid(auto_renew=False)
    block_purchase(contract=contract, minutes=600, price=Money("900", "EUR"))
    hours_draw(contract=contract, minutes=45, source_kind="time_entry", source_id=3)
    rows_before = list(
        LedgerEntry.unscoped.filter(contract=contract).values_list("pk", "minutes", "balance_after")
    )

    assert hours_reverse(contract=contract, source_kind="time_entry", source_id=3) == 45
    hours_draw(contract=contract, minutes=30, source_kind="time_entry", source_id=3)

    rows_after = list(
        LedgerEntry.unscoped.filter(contract=contract).values_list("pk", "minutes", "balance_after")
    )
    assert rows_after[: len(rows_before)] == rows_before  # history untouched
    assert [r[1] for r in rows_after[len(rows_before) :]] == [45, -30]
    assert assert_ledger_sums_to_balance(contract) == 570
    # Reversing twice gives back nothing more.
    hours_reverse(contract=contract, source_kind="time_entry", source_id=3)
    assert hours_reverse(contract=contract, source_kind="time_entry", source_id=3) == 0
    assert assert_ledger_sums_to_balance(contract) == 600


def test_expired_blocks_stop_counting_and_show_as_expired():
    contract = prepaid(auto_renew=False)
    now = timezone.now()
    block = block_purchase(
        contract=contract,
        minutes=120,
        price=Money("180", "EUR"),
        at=now - timedelta(days=100),
        expires_at=now - timedelta(days=1),
    )
    assert blocks_expire(contract=contract) == 120
    expiry = LedgerEntry.unscoped.get(contract=contract, kind=LedgerKind.EXPIRY)
    assert (expiry.block_id, expiry.minutes) == (block.pk, -120)
    assert assert_ledger_sums_to_balance(contract) == 0
    assert blocks_expire(contract=contract) == 0  # once


def test_the_ledger_is_append_only():
    contract = prepaid()
    block_purchase(contract=contract, minutes=60, price=Money("90", "EUR"))
    row = LedgerEntry.unscoped.get(contract=contract)
    row.minutes = 6000
    with pytest.raises(ValueError, match="append-only"):
        row.save()
    with pytest.raises(ValueError, match="append-only"):
        row.delete()


def test_bad_input_changes_nothing():
    contract = prepaid()
    block_purchase(contract=contract, minutes=60, price=Money("90", "EUR"))
    rows = LedgerEntry.unscoped.count()
    for minutes in (0, -5):
        with pytest.raises(ValidationError):
            hours_draw(contract=contract, minutes=minutes, source_kind="time_entry", source_id=1)
    with pytest.raises(ValidationError, match="EUR"):
        block_purchase(contract=contract, minutes=60, price=Money("90", "USD"))
    with pytest.raises(ValidationError):
        block_purchase(
            contract=ContractFactory(kind=ContractKind.BREAK_FIX), minutes=60, price=Money("1", "EUR")
        )
    with pytest.raises(ValidationError):
        hours_draw(
            contract=ContractFactory(kind=ContractKind.BREAK_FIX), minutes=5, source_kind="x", source_id=1
        )
    assert LedgerEntry.unscoped.count() == rows
    assert HourBlock.unscoped.count() == 1
    assert Decimal(assert_ledger_sums_to_balance(contract)) == 60
