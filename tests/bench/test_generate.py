"""Smoke test of the benchmark data generator at a tiny scale."""

import pytest
from django.db import transaction
from django.db.models import Count, Sum

from bench.generate import MAIN_SLUG, SMALL_TENANTS, generate
from contracts.choices import ContractKind
from contracts.models import Contract, LedgerEntry
from msp.models import Tenant
from tickets.choices import OPEN_STATUSES
from tickets.models import Ticket
from timetracking.models import TimeEntry

SCALE = 0.002


def _snapshot() -> dict:
    main = Tenant.objects.get(slug=MAIN_SLUG)
    first = Ticket.unscoped.filter(tenant=main).order_by("pk").first()
    return {
        "tenants": Tenant.objects.filter(slug__startswith="bench-").count(),
        "tickets": Ticket.unscoped.filter(tenant=main).count(),
        "open": Ticket.unscoped.filter(tenant=main, status__in=OPEN_STATUSES).count(),
        "entries": TimeEntry.unscoped.filter(tenant=main).count(),
        "ledger": LedgerEntry.unscoped.filter(tenant=main).count(),
        "first_subject": first.subject,
    }


def _run_and_roll_back(seed: int) -> dict:
    with transaction.atomic():
        summary = generate(scale=SCALE, seed=seed, quiet=True)
        snapshot = _snapshot()
        snapshot["summary_tickets"] = summary["tenants"][0]["tickets"]
        transaction.set_rollback(True)
    return snapshot


@pytest.mark.django_db
def test_counts_and_determinism():
    first = _run_and_roll_back(seed=7)
    assert first["tenants"] == 1 + SMALL_TENANTS
    assert first["tickets"] == first["summary_tickets"] == 200  # 100,000 × 0.002
    assert first["open"] == 40  # 20 % open
    assert first["entries"] == 600
    assert first["ledger"] > 0
    second = _run_and_roll_back(seed=7)
    assert second == first


@pytest.mark.django_db
def test_ledger_sums_to_balance_and_runs():
    generate(scale=SCALE, seed=3, quiet=True)
    prepaid = Contract.unscoped.filter(kind=ContractKind.PREPAID_HOURS).annotate(
        total=Sum("ledger__minutes"), rows=Count("ledger")
    )
    assert prepaid.exists()
    for contract in prepaid:
        assert contract.rows > 0
        assert contract.total == contract.balance_minutes
        running = 0
        for row in LedgerEntry.unscoped.filter(contract=contract).order_by("pk"):
            running += row.minutes
            assert row.balance_after == running >= 0
    # Only prepaid contracts have a ledger; the others stay at zero.
    others = Contract.unscoped.exclude(kind=ContractKind.PREPAID_HOURS)
    assert not LedgerEntry.unscoped.filter(contract__in=others).exists()
    assert set(others.values_list("balance_minutes", flat=True)) == {0}
    # Drawn minutes on time entries equal the debits.
    drawn = TimeEntry.unscoped.aggregate(total=Sum("drawn_minutes"))["total"]
    debits = LedgerEntry.unscoped.filter(kind="debit").aggregate(total=Sum("minutes"))["total"]
    assert drawn == -debits
