"""The database as a second tenant fence (msp.db): on PostgreSQL, row-level security keeps a
tenant's scope to its own rows even for code that steps around the ORM's scoped managers (raw
SQL, a forgotten ``Model.unscoped``), while ``with unscoped():`` stays the named bypass."""

import re

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient

from msp.models import ApiToken, Client
from msp.roles import Role
from msp.scoping import TenantOwnedModel, tenant_scope, unscoped
from msp.tenant_tasks import tenant_task
from tests.factories import (
    ClientFactory,
    MembershipFactory,
    TicketCommentFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
    issued_invoice,
)
from tests.timetracking.helpers import prepaid
from timetracking.models import TimeEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Tables a raw query of one tenant must see only its own rows of.
TABLES = [
    "msp_client",
    "tickets_ticket",
    "tickets_ticketcomment",
    "timetracking_timeentry",
    "billing_invoice",
    "billing_invoiceline",
    "contracts_contract",
    "contracts_ledgerentry",
]


def raw_tenants(table: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT DISTINCT tenant_id FROM "{table}"')  # noqa: S608 - our own table names
        return {row[0] for row in cursor.fetchall()}


def raw_client_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM msp_client")
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def both(tenant, other_tenant):
    """Tenants A and B with a client, prepaid contract, ticket, comment, time entry and invoice each."""
    for owner in (tenant, other_tenant):
        client = ClientFactory(tenant=owner, name=f"{owner.slug} client")
        ticket = TicketFactory(tenant=owner, client=client, contract=prepaid(client))
        TicketCommentFactory(ticket=ticket, body="A note")
        TimeEntryFactory(ticket=ticket, technician=UserFactory())
        issued_invoice(client)
    return tenant, other_tenant


def test_every_tenant_owned_table_has_row_security_and_the_tenant_policy():
    tables = {
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantOwnedModel) and not model._meta.proxy
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relrowsecurity")
        secured = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT tablename, qual, with_check FROM pg_policies WHERE policyname = 'tenant_fence'"
        )
        policies = {table: (qual, check) for table, qual, check in cursor.fetchall()}
    assert tables - secured == set(), "add TenantRowSecurity(<model>) to the model's migration"
    assert tables - set(policies) == set()
    for table in tables:
        qual, check = policies[table]
        # One equality, read and write alike (msp.db.rls.READ says why not a range).
        assert "current_setting('msp.tenant_id'" in qual and qual == check, table
        assert qual.startswith("(tenant_id = ") and " AND " not in qual, qual
    # Only tenant-owned tables: the tenants, users, sessions and beat schedule are not fenced.
    assert secured == tables


def test_searches_may_read_their_indexes_under_the_policies():
    """A query's own conditions may use an index under RLS only when their functions are
    LEAKPROOF: ``?search=`` is ``UPPER(col) LIKE '%term%'``, ingestion finds hosts by
    ``LOWER(hostname)`` (msp.db.rls.LeakproofSearch)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT oid::regprocedure::text, proleakproof FROM pg_proc"
            " WHERE oid IN ('pg_catalog.textlike(text, text)'::regprocedure, 'pg_catalog.upper(text)'::regprocedure,"
            " 'pg_catalog.lower(text)'::regprocedure)"
        )
        assert dict(cursor.fetchall()) == {
            "textlike(text,text)": True,
            "upper(text)": True,
            "lower(text)": True,
        }


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_fence_and_the_scope_count_the_tenant_once(tenant, other_tenant):
    """The planner merges the policy's equality with the scope's own ``tenant_id = A`` (the
    policy's form, msp.db.rls.READ, is chosen for this): inside A's scope it expects as many of
    A's rows as without the fence, not the tenant's share squared (which made it prefer the
    tenant index to a search's trigram index: a search two to three times slower), and it
    checks the setting against A once per scan (a one-time filter), not row by row."""
    with unscoped():
        Client.unscoped.bulk_create(
            [Client(tenant=tenant, name=f"a{n}") for n in range(60)]
            + [Client(tenant=other_tenant, name=f"b{n}") for n in range(140)]
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE msp_client")
    with tenant_scope(tenant):
        sql = str(Client.objects.only("pk").query)  # the scope's own condition: tenant_id = A
        fenced = _plan(sql)
        rows = str(Client.objects.count())
    with unscoped():
        owner = _plan(sql)
    estimate = re.compile(r"Scan on msp_client .*rows=(\d+)")
    assert estimate.search(fenced).group(1) == estimate.search(owner).group(1) == rows, (fenced, owner)
    checks = [line.strip() for line in fenced.splitlines() if "current_setting" in line]
    assert len(checks) == 1 and checks[0].startswith("One-Time Filter:"), fenced


def test_no_many_to_many_table_joins_tenant_owned_rows_without_a_tenant():
    """An automatic M2M table has no tenant_id for a policy to read: between tenant-owned
    models, use an explicit through model that is itself tenant-owned (and fenced)."""
    for model in apps.get_models(include_auto_created=True):
        if model._meta.auto_created:
            ends = [field.related_model for field in model._meta.fields if field.is_relation]
            assert not any(issubclass(end, TenantOwnedModel) for end in ends), model


def test_a_raw_query_in_a_tenants_scope_sees_only_that_tenants_rows(both):
    a, b = both
    with unscoped():  # the named bypass sees both
        assert {table: raw_tenants(table) for table in TABLES} == dict.fromkeys(TABLES, {a.pk, b.pk})
    with tenant_scope(a):
        assert {table: raw_tenants(table) for table in TABLES} == dict.fromkeys(TABLES, {a.pk})
        # A forgotten escape is fenced too.
        assert set(Client.unscoped.values_list("tenant_id", flat=True)) == {a.pk}
        assert set(TimeEntry.unscoped.values_list("tenant_id", flat=True)) == {a.pk}
    with tenant_scope(b):
        assert raw_client_names() == {"bravo client"}
    # No scope at all: the login role; the ORM's managers answer nothing there anyway.
    assert raw_tenants("msp_client") == {a.pk, b.pk}
    assert Client.objects.count() == 0


def test_a_tenants_scope_cannot_write_another_tenants_rows(both):
    a, b = both
    b_client = Client.unscoped.get(tenant=b)
    with tenant_scope(a), connection.cursor() as cursor:
        cursor.execute("UPDATE msp_client SET name = 'pwned' WHERE id = %s", [b_client.pk])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM tickets_ticket WHERE tenant_id = %s", [b.pk])
        assert cursor.rowcount == 0
        # Moving an own row to B, or inserting one for B, breaks the policy's check.
        a_client = Client.unscoped.get(tenant=a)
        rest = [f.column for f in Client._meta.concrete_fields if f.column not in {"id", "tenant_id", "name"}]
        columns, others = ", ".join(["tenant_id", "name", *rest]), ", ".join(rest)
        for statement, params in [
            ("UPDATE msp_client SET tenant_id = %s WHERE id = %s", [b.pk, a_client.pk]),
            (
                f"INSERT INTO msp_client ({columns}) SELECT %s, 'planted', {others} FROM msp_client WHERE id = %s",
                [b.pk, a_client.pk],
            ),
        ]:
            with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
                cursor.execute(statement, params)
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Client.unscoped.create(tenant=b, name="planted")
    with unscoped():
        assert Client.objects.get(pk=b_client.pk).name == "bravo client"
        assert not Client.objects.filter(name__in=["pwned", "planted"]).exists()
        assert Client.objects.filter(tenant=b).count() == 1


def test_rollbacks_leave_the_connection_in_the_scope_that_follows(both):
    a, b = both
    with transaction.atomic():
        with tenant_scope(a):
            assert raw_tenants("msp_client") == {a.pk}
            with pytest.raises(ZeroDivisionError), transaction.atomic():  # a savepoint rolled back
                with tenant_scope(b):
                    assert raw_tenants("msp_client") == {b.pk}
                    1 / 0  # noqa: B018
            assert raw_tenants("msp_client") == {a.pk}
        assert raw_tenants("msp_client") == {a.pk, b.pk}
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            with tenant_scope(b):
                raw_tenants("msp_client")
            1 / 0  # noqa: B018 - rolls back to before B's SET, while the connection is the login role's
        with tenant_scope(b):
            assert raw_tenants("msp_client") == {b.pk}
        with unscoped():
            assert raw_tenants("msp_client") == {a.pk, b.pk}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_does_not_leave_its_scope_behind(tenant, other_tenant):
    ClientFactory(tenant=tenant)
    ClientFactory(tenant=other_tenant)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        with unscoped():
            raw_tenants("msp_client")
        with tenant_scope(tenant):
            raw_tenants("msp_client")  # SET inside the transaction, undone by its rollback
        1 / 0  # noqa: B018
    with tenant_scope(other_tenant):
        assert raw_tenants("msp_client") == {other_tenant.pk}
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        with tenant_scope(tenant):
            raw_tenants("msp_client")
        1 / 0  # noqa: B018 - undoes the RESET back to B's fence
    assert raw_tenants("msp_client") == {tenant.pk, other_tenant.pk}
    with tenant_scope(tenant):
        assert raw_tenants("msp_client") == {tenant.pk}


@pytest.mark.django_db(transaction=True)
def test_server_side_cursors_are_fenced(settings, tenant, other_tenant):
    ClientFactory(tenant=tenant)
    ClientFactory(tenant=other_tenant)
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
    try:
        with tenant_scope(tenant), transaction.atomic():
            assert {c.tenant_id for c in Client.unscoped.iterator(chunk_size=1)} == {tenant.pk}
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True


@tenant_task()
def raw_client_tenants_task(tenant_id: int) -> list[int]:
    return sorted(raw_tenants("msp_client"))


def test_a_tenants_celery_task_is_fenced(both):
    a, b = both
    assert raw_client_tenants_task.apply(args=(a.pk,)).get() == [a.pk]
    assert raw_client_tenants_task.apply(args=(b.pk,)).get() == [b.pk]


def test_a_tenants_api_request_is_fenced(both):
    """A raw query run in the middle of A's request (as a view's would) sees only A's rows."""
    a, b = both
    seen = []

    def raw_query_alongside(execute, sql, params, many, context):
        result = execute(sql, params, many, context)  # the switch rides with the view's query
        if "msp_client" in sql:
            with connection.connection.cursor() as cursor:
                cursor.execute("SELECT DISTINCT tenant_id FROM msp_client")
                seen.append({row[0] for row in cursor.fetchall()})
        return result

    _token, key = ApiToken.issue(MembershipFactory(tenant=a, role=Role.OWNER))
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with connection.execute_wrapper(raw_query_alongside):
        response = http.get("/api/v1/clients/")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["alpha client"]
    assert seen and all(tenants == {a.pk} for tenants in seen)


@pytest.mark.urls("tests.leaky_urls")
def test_a_view_with_a_forgotten_escape_shows_only_its_tenants_rows(client, both):
    """``Client.unscoped.all()`` in a view (tests/leaky_urls.py): on SQLite it would list every
    tenant's clients (the isolation harness catches it); on PostgreSQL the fence holds."""
    a, _b = both
    client.force_login(MembershipFactory(tenant=a, role=Role.TECHNICIAN).user)
    response = client.get("/forgotten/")
    assert response.status_code == 200
    assert response.content.decode() == "alpha client"
