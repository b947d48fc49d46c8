"""On PostgreSQL: 50 concurrent time entries (and timers) from separate connections."""

import threading

import pytest
from django.db import connections
from django.db.models import Sum
from djmoney.money import Money

from contracts.choices import ContractKind
from contracts.models import BlockOrigin, Contract, HourBlock, LedgerEntry
from contracts.services.hours import block_purchase
from tests.factories import ContractFactory, TicketFactory, UserFactory
from timetracking.models import TimeEntry
from timetracking.services import time_entry_create, time_entry_update

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run(workers):
    errors, start = [], threading.Barrier(len(workers))

    def work(fn):
        try:
            start.wait()
            fn()
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(fn,)) for fn in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_fifty_concurrent_time_entries_are_exact():
    contract = ContractFactory(
        kind=ContractKind.PREPAID_HOURS,
        client__currency="EUR",
        auto_renew=True,
        renew_threshold_minutes=300,
        renew_block_minutes=600,
        renew_block_price=Money("900.00", "EUR"),
    )
    block_purchase(contract=contract, minutes=600, price=Money("900.00", "EUR"), origin=BlockOrigin.INITIAL)
    ticket = TicketFactory(tenant=contract.tenant, client=contract.client, contract=contract)
    techs = [UserFactory() for _ in range(50)]

    errors = _run([lambda t=t: time_entry_create(ticket=ticket, technician=t, minutes=17) for t in techs])
    assert errors == []
    contract = Contract.unscoped.get(pk=contract.pk)
    assert TimeEntry.unscoped.filter(ticket=ticket).aggregate(s=Sum("drawn_minutes"))["s"] == 850
    assert HourBlock.unscoped.filter(contract=contract, origin=BlockOrigin.AUTO_RENEW).count() == 1
    assert contract.balance_minutes == 600 + 600 - 850
    total = LedgerEntry.unscoped.filter(contract=contract).aggregate(s=Sum("minutes"))["s"]
    assert total == contract.balance_minutes

    # Concurrent edits: each reverses and re-draws; nothing is lost.
    entries = list(TimeEntry.unscoped.filter(ticket=ticket))
    errors = _run([lambda e=e: time_entry_update(entry=e, minutes=7) for e in entries])
    assert errors == []
    contract = Contract.unscoped.get(pk=contract.pk)
    assert contract.balance_minutes == 1200 - 50 * 7
    total = LedgerEntry.unscoped.filter(contract=contract).aggregate(s=Sum("minutes"))["s"]
    assert total == contract.balance_minutes
