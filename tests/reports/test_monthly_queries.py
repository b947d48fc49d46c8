"""The month's figures are read in a fixed number of queries, whatever the client's size."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from djmoney.money import Money

from contracts.choices import ContractKind
from contracts.services.hours import block_purchase
from monitoring.models import Alert
from msp.models import Client
from msp.scoping import unscoped
from reports.figures import month_figures
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContractFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
    issued_invoice,
)
from tests.reports.monthly_scenario import AFTER, OCTOBER, at
from tickets.models import Ticket
from timetracking.models import TimeEntry

pytestmark = pytest.mark.django_db

QUERIES = (
    10  # the tenant, contracts, ledger by day, tickets, breaches, time, alerts, assets, warranties, invoices
)


def add_activity(client, tech, n: int) -> None:
    """n prepaid contracts with a block, and n tickets, entries, alerts and assets in October."""
    with unscoped():
        for i in range(n):
            contract = ContractFactory(
                tenant=client.tenant, client=client, kind=ContractKind.PREPAID_HOURS, tier=None
            )
            block_purchase(contract=contract, minutes=600, price=Money(Decimal("900"), client.currency))
            ticket = TicketFactory(
                tenant=client.tenant,
                client=client,
                contract=contract,
                priority=f"P{i % 4 + 1}",
                now=at(i % 28 + 1),
            )
            Ticket.unscoped.filter(pk=ticket.pk).update(response_due_at=at(i % 28 + 1, 11))
            entry = TimeEntryFactory(ticket=ticket, technician=tech, minutes=30 + i)
            TimeEntry.unscoped.filter(pk=entry.pk).update(created_at=at(i % 28 + 1))
            asset = AssetFactory(
                tenant=client.tenant, client=client, warranty_expires=date(2026, 11, 1) + timedelta(days=i)
            )
            Alert.unscoped.create(
                tenant=client.tenant,
                client=client,
                asset=asset,
                check_name=f"check{i}",
                severity="warning",
                first_seen_at=at(i % 28 + 1),
                last_seen_at=at(i % 28 + 1),
            )
        issued_invoice(client)


def queries_for(client) -> int:
    client = Client.unscoped.get(pk=client.pk)  # nothing cached
    with CaptureQueriesContext(connection) as captured:
        month_figures(client, OCTOBER, now=AFTER)
    return len(captured)


def test_the_figures_take_the_same_queries_for_a_small_and_a_busy_client(tenant):
    tech = UserFactory()
    small, busy = ClientFactory(tenant=tenant), ClientFactory(tenant=tenant)
    add_activity(small, tech, 1)
    add_activity(busy, tech, 12)

    assert queries_for(small) == QUERIES
    assert queries_for(busy) == QUERIES
    figures = month_figures(Client.unscoped.get(pk=busy.pk), OCTOBER, now=AFTER)
    assert len(figures.contracts) == 12 and figures.tickets_opened == 12 and figures.alerts_opened == 12
    assert figures.breaches_total == 12 and len(figures.warranties) == 12


def test_a_client_without_prepaid_hours_takes_one_query_fewer(tenant):
    assert queries_for(ClientFactory(tenant=tenant)) == QUERIES - 1  # no ledger to read by day
