"""On PostgreSQL: concurrent draws on one contract from separate connections."""

import threading

import pytest
from django.db import connections
from django.db.models import Sum
from djmoney.money import Money

from contracts.choices import ContractKind
from contracts.models import BlockOrigin, Contract, HourBlock, LedgerEntry
from contracts.services.hours import block_purchase, hours_draw
from tests.factories import ContractFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_concurrent_entries_lose_no_minute_and_renew_exactly_as_needed():
    contract = ContractFactory(
        kind=ContractKind.PREPAID_HOURS,
        client__currency="EUR",
        auto_renew=True,
        renew_threshold_minutes=300,
        renew_block_minutes=600,
        renew_block_price=Money("900.00", "EUR"),
    )
    block_purchase(contract=contract, minutes=600, price=Money("900.00", "EUR"), origin=BlockOrigin.INITIAL)
    errors, start = [], threading.Barrier(50)

    def work(n):
        try:
            start.wait()
            hours_draw(contract=contract, minutes=17, source_kind="time_entry", source_id=n)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    contract = Contract.unscoped.get(pk=contract.pk)
    used = 50 * 17  # 850 minutes
    renewals = HourBlock.unscoped.filter(contract=contract, origin=BlockOrigin.AUTO_RENEW).count()
    # 600 -> crosses under 300 after 18 entries: one renewal (+600); never again above 300 - 850 + 600.
    assert renewals == 1
    assert contract.balance_minutes == 600 + 600 * renewals - used
    assert (
        LedgerEntry.unscoped.filter(contract=contract).aggregate(s=Sum("minutes"))["s"]
        == contract.balance_minutes
    )
    debits = LedgerEntry.unscoped.filter(contract=contract, kind="debit").aggregate(s=Sum("minutes"))["s"]
    assert debits == -used
