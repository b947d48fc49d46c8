"""The hot lists read their first page from an index, in order, instead of sorting every row.

On PostgreSQL only (the plans are its own). Sequential scans are switched off so the planner
shows whether an index *can* serve the query's order: if a change to the queue's ordering,
the API's ordering or the timesheet's filter stops matching its index, the plan gains a Sort
over the whole table and these tests fail (the benchmarks would only show it at scale)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from msp.scoping import tenant_scope
from tests.factories import TicketFactory
from tickets.selectors import ticket_queue
from timetracking.models import TimeEntry, worked_at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _plan(queryset, *, ordered: bool = False) -> str:
    """The plan with sequential scans off; `ordered` also turns sorts off, so with a handful of
    test rows the planner still prefers an index that yields the order when one exists (it
    would otherwise happily sort one row)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if ordered:
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _reads_in_order(plan: str, *indexes: str) -> bool:
    """One of `indexes` yields the rows and no Sort node orders them."""
    return any(index in plan for index in indexes) and "Sort" not in plan


@pytest.fixture
def scoped(tenant, make_member):
    from msp.roles import Role

    member = make_member(tenant, Role.TECHNICIAN, email="t@msp.example")
    TicketFactory.create_batch(3, tenant=tenant)
    with connection.cursor() as cursor:  # fresh statistics of tiny tables: the planner's worst case here
        cursor.execute("ANALYZE tickets_ticket, timetracking_timeentry")
    with tenant_scope(tenant):
        yield member.user


def test_the_queue_reads_its_index(scoped):
    for params in ({}, {"priority": "P2"}, {"status": "open"}):
        plan = _plan(ticket_queue(user=scoped, params=params)[:50], ordered=True)
        assert _reads_in_order(plan, "tickets_queue_order"), plan


def test_newest_first_api_lists_read_their_index(scoped):
    from tickets.models import Ticket

    plan = _plan(Ticket.objects.order_by("-created_at", "-pk")[:50], ordered=True)
    assert _reads_in_order(plan, "tickets_tenant_created"), plan
    plan = _plan(TimeEntry.objects.filter(technician=scoped).order_by("-created_at", "-pk")[:50], ordered=True)
    # Either newest-first index yields the order (with tiny tables the planner may filter the
    # technician on the tenant's one).
    assert _reads_in_order(plan, "time_entry_tech_created", "time_entry_tenant_created"), plan


def test_the_timesheet_week_reads_its_index(scoped, tenant, make_member):
    from msp.roles import Role
    from tickets.models import Ticket

    # A year of entries by four technicians: with an empty table every index costs the same
    # and the planner may pick the tenant's own (it did, once in CI).
    now = timezone.now()
    others = [make_member(tenant, Role.TECHNICIAN, email=f"t{n}@msp.example").user for n in range(3)]
    ticket = Ticket.unscoped.filter(tenant=tenant).first()
    TimeEntry.unscoped.bulk_create(
        TimeEntry(tenant=tenant, ticket=ticket, technician=tech, minutes=15, started_at=now - timedelta(days=day))
        for day in range(1, 366, 3)
        for tech in [scoped, *others]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE timetracking_timeentry")
    week = (
        TimeEntry.objects.annotate(worked_at=worked_at())
        .filter(technician=scoped, worked_at__gte=now - timedelta(days=7), worked_at__lt=now)
        .order_by("worked_at", "pk")
    )
    plan = _plan(week)
    assert "time_entry_worked_at" in plan and "Index Cond" in plan.split("Filter")[0], plan
