"""On PostgreSQL: two monthly runs at once, and a run killed halfway then run again, make
the same invoices: one per client, nothing twice, numbers gap-free."""

import threading
from collections import Counter

import pytest
from django.db import connections

from assets.choices import AssetKind
from billing.models import BilledItem, BillingSettings, Invoice
from billing.periods import Period
from billing.services.run import billing_run
from tests.factories import AssetFactory, ClientFactory, ContractFactory, ServiceTierFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DECEMBER = Period(2026, 12)
CLIENTS = 12


@pytest.fixture
def tenant_with_clients(tenant):
    BillingSettings.objects.model.unscoped.create(tenant=tenant, auto_issue=True)
    gold = ServiceTierFactory(tenant=tenant, currency="EUR", prices={"server": "350.00", "desktop": "60.00"})
    for i in range(CLIENTS):
        client = ClientFactory(tenant=tenant, name=f"Client {i:02d}", currency="EUR")
        ContractFactory(tenant=tenant, client=client, tier=gold)
        AssetFactory(tenant=tenant, client=client, kind=AssetKind.SERVER)
        AssetFactory(tenant=tenant, client=client, kind=AssetKind.DESKTOP)
    return tenant


def _assert_billed_once(tenant):
    invoices = Invoice.unscoped.filter(tenant=tenant)
    assert Counter(invoices.values_list("client_id", flat=True)).most_common(1)[0][1] == 1
    assert invoices.count() == CLIENTS
    numbers = sorted(invoices.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:04d}" for n in range(1, CLIENTS + 1)]
    assert BilledItem.unscoped.filter(tenant=tenant, source_kind="contract_fee").count() == CLIENTS


def test_two_runs_at_once_bill_every_client_once(tenant_with_clients):
    tenant = tenant_with_clients
    errors, start = [], threading.Barrier(2)

    def run():
        try:
            start.wait()
            billing_run(tenant=tenant, period=DECEMBER)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    _assert_billed_once(tenant)


class Killed(Exception):
    pass


def test_a_run_killed_halfway_is_completed_by_the_next(tenant_with_clients):
    tenant = tenant_with_clients

    def die_after(count):
        def each(groups, total):
            for done, group in enumerate(groups):
                if done == count:
                    raise Killed
                yield group

        return each

    with pytest.raises(Killed):
        billing_run(tenant=tenant, period=DECEMBER, each=die_after(CLIENTS // 2))
    assert Invoice.unscoped.filter(tenant=tenant).count() == CLIENTS // 2
    billing_run(tenant=tenant, period=DECEMBER)
    _assert_billed_once(tenant)
