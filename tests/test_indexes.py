"""The hot lists read their first page from an index, in order, instead of sorting every row.

On PostgreSQL only (the plans are its own). Sequential scans are switched off so the planner
shows whether an index *can* serve the query's order: if a change to the queue's ordering,
the API's ordering or the timesheet's filter stops matching its index, the plan gains a Sort
over the whole table and these tests fail (the benchmarks would only show it at scale).

Every documented ordering of every API list is covered the same way (issue 17), read from the
views themselves: a new list or a new entry in a view's `ordering_fields` is planned without a
change here, and fails until an index serves it or `NOT_INDEXED` says why none should."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.filters import OrderingFilter

from msp.roles import Role
from msp.scoping import tenant_scope, unscoped
from tests.factories import TicketFactory
from tests.test_isolation import project_urls
from tests.test_query_counts import is_paginated_api_list
from tickets.choices import OPEN_STATUSES
from tickets.selectors import ticket_queue
from timetracking.models import TimeEntry, worked_at, worked_between

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


def _reads_in_order(plan: str, *indexes: str, presorted: str | None = None) -> bool:
    """One of `indexes` yields the rows and no Sort node orders them. With `presorted` (a
    column), an Incremental Sort may finish the order of rows that arrive sorted by it (a
    client's few assets, when the list is sorted by client name first), but nothing sorts the
    whole set."""
    full_sort = re.search(r"(?<!Incremental )Sort  \(", plan)
    incremental = "Incremental Sort" in plan
    return (
        any(index in plan for index in indexes)
        and not full_sort
        and (not incremental or (presorted is not None and f"Presorted Key: {presorted}\n" in f"{plan}\n"))
    )


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
    plan = _plan(
        TimeEntry.objects.filter(technician=scoped).order_by("-created_at", "-pk")[:50], ordered=True
    )
    # Either newest-first index yields the order (with tiny tables the planner may filter the
    # technician on the tenant's one).
    assert _reads_in_order(plan, "time_entry_tech_created", "time_entry_tenant_created"), plan


def test_the_needs_attention_filter_reads_its_index(scoped):
    """`?sla_state=at_risk&sla_state=breached`, as a dashboard asks, newest first: in order from
    the partial index, whatever the size of the closed history (either state alone too)."""
    from tickets.models import Ticket

    for states in (["at_risk", "breached"], ["breached"], ["breached", "at_risk"]):
        plan = _plan(
            Ticket.objects.filter(sla_state__in=states).order_by("-created_at", "-pk")[:50], ordered=True
        )
        assert _reads_in_order(plan, "tickets_sla_attention"), plan


def test_searches_read_trigram_indexes(scoped):
    """`?search=` is `icontains` (UPPER(column) LIKE '%term%'): PostgreSQL answers it from the
    trigram indexes (msp.search_indexes), not by reading every ticket of the tenant."""
    from django.db.models import Q

    from tickets.models import Ticket

    def plan(queryset) -> str:
        # On a handful of rows the tenant's btree and a filter win; with plain index scans off
        # too, the only way left to find the matches without reading every row is a bitmap of
        # the search's own index: there must be one for each column searched.
        # Planned as the tables' owner: in a tenant's scope row-level security adds the tenant
        # to the query, and on a handful of rows its btree then wins over any search index.
        # That the trigram indexes stay usable under the policies is LeakproofSearch's
        # (tests/msp/test_row_security.py), and the bench's search lines measure it.
        sql, params = queryset.query.sql_with_params()
        with unscoped(), connection.cursor() as cursor:
            cursor.execute("ANALYZE tickets_ticket")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_indexonlyscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    tickets = Ticket.unscoped.filter(Q(subject__icontains="printer") | Q(description__icontains="printer"))
    found = plan(tickets.values("pk"))
    assert "tickets_subject_trgm" in found and "tickets_description_trgm" in found, found


def _bench_shaped_assets(tenant, *, assets: int, small_tenants: int, small_assets: int):
    """Assets named as bench.generate names them (`host000123.client6.lan`): `assets` in
    `tenant`, 20 a client, and `small_assets` in each of `small_tenants` others. "host0001"
    then matches 100 of each tenant's assets: 1 % of the big tenant's, a quarter of a small
    one's, so the table's statistics say the big tenant has ten times the matches it has."""
    from assets.models import Asset
    from tests.factories import ClientFactory, TenantFactory

    tenants = [(tenant, assets)] + [(TenantFactory(), small_assets) for _ in range(small_tenants)]
    rows = []
    for owner, count in tenants:
        clients = ClientFactory.create_batch(max(1, count // 20), tenant=owner)
        rows += [
            Asset(
                tenant=owner,
                client=clients[n // 20],
                kind="desktop",
                name=f"DES-{n:06d}",
                hostname=f"host{n:06d}.client{n // 20}.lan",
                serial=f"SN{owner.pk:02d}{n:08d}",
            )
            for n in range(count)
        ]
    Asset.unscoped.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        # What autovacuum does (VACUUM cannot run in the test's transaction): merge GIN's list of
        # pending inserts into the index proper, then gather the statistics.
        cursor.execute("SELECT gin_clean_pending_list('asset_search_trgm'::regclass)")
        cursor.execute("ANALYZE assets_asset")
        cursor.execute("ANALYZE msp_client")


def test_the_asset_search_reads_its_index(tenant, make_member, client):
    """The API's `?search=host0001` on assets as the bench asks it (issue 17), with the planner's
    own choices on the bench's data at full size: both the page and the paginator's count find
    the matches in the search column's trigram index (msp.search), the term an index condition,
    not a filter over the tenant's 10,000 assets. With the OR of three `icontains` (and an index
    per column) both read every asset of the tenant, 10 to 15 ms: the table's statistics made
    the term look ten times as common in the big tenant as it is. (A tenant of a few thousand
    assets, some 6,000 laid out as the bench lays them, is cheaper to read whole: the planner,
    now estimating right, does.)"""
    from django.test.utils import CaptureQueriesContext

    _bench_shaped_assets(tenant, assets=10_000, small_tenants=20, small_assets=400)
    member = make_member(tenant, Role.OWNER, email="o@msp.example")
    client.force_login(member.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("api:asset-list"), {"search": "host0001", "page_size": 50})
    assert response.status_code == 200 and response.json()["count"] == 100
    searches = [query["sql"] for query in queries.captured_queries if "search_text" in query["sql"]]
    assert len(searches) == 2, searches  # the count, then the page
    for sql in searches:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "asset_search_trgm" in plan, plan
        assert not re.search(r"Filter: .*search_text", plan), plan


def test_the_timesheet_week_reads_its_index(scoped, tenant, make_member):
    from msp.roles import Role
    from tickets.models import Ticket

    # A year of entries by four technicians: with an empty table every index costs the same
    # and the planner may pick the tenant's own (it did, once in CI).
    now = timezone.now()
    others = [make_member(tenant, Role.TECHNICIAN, email=f"t{n}@msp.example").user for n in range(3)]
    ticket = Ticket.unscoped.filter(tenant=tenant).first()
    TimeEntry.unscoped.bulk_create(
        TimeEntry(
            tenant=tenant, ticket=ticket, technician=tech, minutes=15, started_at=now - timedelta(days=day)
        )
        for day in range(1, 366, 3)
        for tech in [scoped, *others]
    )
    with unscoped(), connection.cursor() as cursor:  # the owner's: the fenced role may not ANALYZE
        cursor.execute("ANALYZE timetracking_timeentry")
    week = (
        TimeEntry.objects.annotate(worked_at=worked_at())
        .filter(worked_between(now - timedelta(days=7), now), technician=scoped)
        .order_by("worked_at", "pk")
    )
    plan = _plan(week)
    # The week's bounds are index conditions (under row-level security too): not a filter
    # over every entry of the technician.
    assert re.search(r"Index Cond: .*technician_id = \d+\) AND \(started_at >=", plan), plan


# --- every documented ordering of every API list (issue 17) -----------------------------------
#
# A list's documented orderings are its default (no `?ordering=`) and each of its view's
# `ordering_fields`, ascending and descending: read from the views, so a new ordering (or a
# new list) is covered without touching this file. Each is planned as the API runs it: the
# request goes through the view (scoping, filters, OrderingFilter) and the queryset handed to
# the paginator is explained, first page only.

# The urgency orderings are served on open tickets (what an integration polls: `?status=new&
# status=open&status=waiting_on_client&ordering=priority,sla_breach_at`), from partial indexes.
URGENCY = ("priority", "sla_breach_at", "response_due_at", "resolution_due_at")
OPEN = "open"
SCOPES: dict[str, dict[str, dict]] = {"api:ticket-list": {"all": {}, OPEN: {"status": list(OPEN_STATUSES)}}}
# Orderings on several fields that clients are known to send.
COMBINATIONS = {"api:ticket-list": ["priority,sla_breach_at"]}
# Who lists: an owner sees the whole tenant; a technician's time entries are their own.
ROLES = {"api:time-entry-list": [Role.OWNER, Role.TECHNICIAN]}

_TINY = "a few rows per tenant (seeded tiers, the tenant's services/work types/members): a sort costs nothing"
_HISTORY = (
    "urgency over the whole history, closed tickets included, is not a documented use: served on "
    "open tickets (partial indexes), a full index per field would be written on every ticket change"
)
# Documented orderings deliberately not read from an index: (list, field or "*", scope) -> why.
NOT_INDEXED = {
    ("api:tier-list", "*", "all"): _TINY,
    ("api:recurring-service-list", "*", "all"): _TINY,
    ("api:work-type-list", "*", "all"): _TINY,
    ("api:tax-rate-list", "*", "all"): _TINY,  # a handful of VAT rates per MSP
    ("api:member-list", "*", "all"): _TINY,
    ("api:ingestkey-list", "*", "all"): _TINY,  # one per monitoring tool or client site
    ("api:mailbox-list", "*", "all"): _TINY,  # a support address or two per MSP
    **{("api:ticket-list", field, "all"): _HISTORY for field in URGENCY},
}


def _orderable_lists():
    """(url name, viewset) of every API list whose view lets the client choose the order."""
    for name, _route, pattern, kwargs in project_urls():
        view = getattr(pattern.callback, "cls", None)
        backends = getattr(view, "filter_backends", None) or ()
        if not kwargs and is_paginated_api_list(pattern) and OrderingFilter in backends:
            yield name, view


def _orderings(name, view) -> list[str]:
    """The default order (""), then each documented field and combination, both ways."""
    fields = getattr(view, "ordering_fields", None)
    # None is DRF's default: any serializer field (only tiny lists leave it so, see NOT_INDEXED).
    assert fields is None or isinstance(fields, list | tuple), f"{name}: list its ordering_fields"
    documented = [*(fields or []), *COMBINATIONS.get(name, [])]
    return ["", *(term for ordering in documented for term in (ordering, _descending(ordering)))]


def _descending(ordering: str) -> str:
    return ",".join(f"-{field}" for field in ordering.split(","))


def _not_indexed(name: str, ordering: str, scope: str) -> str | None:
    fields = {field.lstrip("-") for field in ordering.split(",") if field}
    for field in ["*", *sorted(fields)]:
        if (reason := NOT_INDEXED.get((name, field, scope))) is not None:
            return reason
    return None


def _cases():
    for name, view in _orderable_lists():
        for scope in SCOPES.get(name, {"all": {}}):
            for role in ROLES.get(name, [Role.OWNER]):
                for ordering in _orderings(name, view):
                    if not _not_indexed(name, ordering, scope):
                        label = f"{name}-{scope}-{role}-{ordering or 'default'}"
                        yield pytest.param(name, scope, role, ordering, id=label)


def _api_page_queryset(http, name: str, params: dict, monkeypatch):
    """The queryset the list view hands its paginator for ``params``, cut to the first page."""
    from msp.api.pagination import PageNumberPagination

    handed = []
    paginate = PageNumberPagination.paginate_queryset

    def capture(self, queryset, request, view=None):
        handed.append(queryset)
        return paginate(self, queryset, request, view)

    monkeypatch.setattr(PageNumberPagination, "paginate_queryset", capture)
    response = http.get(reverse(name), params)
    assert response.status_code == 200, response.content
    queryset = handed[0]
    # The multi-value filters' DISTINCT (`?status=new&status=open`) is being removed (issue 17,
    # part 1): plan the query the API runs without it.
    queryset.query.distinct = False
    return queryset[: PageNumberPagination.page_size or 50]


def _leading_key(queryset):
    """The model and ``table.column`` of the first ORDER BY term, through relations (an
    annotation counts as the list's own model)."""
    first = (queryset.query.order_by or queryset.model._meta.ordering)[0]
    model, *path = queryset.model, *str(first).lstrip("-").split("__")
    try:
        for relation in path[:-1]:
            model = model._meta.get_field(relation).related_model
        field = model._meta.pk if path[-1] == "pk" else model._meta.get_field(path[-1])
    except FieldDoesNotExist:
        return queryset.model, None
    return model, f"{model._meta.db_table}.{field.column}"


def _index_names(model) -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [name for name, info in constraints.items() if info["index"] or info["unique"]]


@pytest.mark.parametrize(("name", "scope", "role", "ordering"), list(_cases()))
def test_every_documented_api_ordering_reads_an_index(
    scoped, tenant, make_member, client, monkeypatch, name, scope, role, ordering
):
    member = make_member(tenant, role, email=f"{role}-orders@msp.example")
    client.force_login(member.user)
    params = {**SCOPES.get(name, {}).get(scope, {}), **({"ordering": ordering} if ordering else {})}
    queryset = _api_page_queryset(client, name, params, monkeypatch)
    plan = _plan(queryset, ordered=True)
    model, key = _leading_key(queryset)
    if model is queryset.model:
        assert _reads_in_order(plan, *_index_names(model)), f"{name} ?{params}\n{plan}"
    else:  # sorted by the client's name first: its (tenant, name) index, then each client's rows
        assert _reads_in_order(plan, *_index_names(model), presorted=key), f"{name} ?{params}\n{plan}"


def test_the_allow_list_names_documented_orderings():
    """Every entry of NOT_INDEXED still names a list, a field it documents and a scope it has."""
    lists = dict(_orderable_lists())
    for name, field, scope in NOT_INDEXED:
        assert name in lists, name
        documented = getattr(lists[name], "ordering_fields", None)
        assert field == "*" or field in (documented or []), (name, field)
        assert scope in SCOPES.get(name, {"all": {}}), (name, scope)
