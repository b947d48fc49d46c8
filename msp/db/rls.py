"""Row-level security on tenant-owned tables: the database's own tenant fence.

``TenantRowSecurity("ticket")`` in a migration enables RLS on the model's table with one
policy: a session running as ``msp_tenant`` (``msp.db.postgresql.base``, inside a tenant's
scope) reads and writes only the rows of the tenant in its ``msp.tenant_id`` setting; with
no setting it reaches none. The tables' owner (the login role) is not subject to it. A new
tenant-owned model's migration adds one such line; ``tests/msp/test_row_security.py`` fails
for a model without it. On SQLite it does nothing.

``TenantRole()`` (msp's migration, first of them) creates the role and grants it the tables;
``LeakproofSearch()`` keeps the searches on their indexes under the policies.
"""

from __future__ import annotations

import warnings

from django.db import migrations

ROLE = "msp_tenant"
POLICY = "tenant_fence"
# NULLIF: an empty setting (the bypass state, or never set) matches no row rather than failing.
TENANT = "NULLIF(current_setting('msp.tenant_id', true), '')::bigint"
# The read policy is the equality spelled as a range: the ORM's own `tenant_id = 7` and a
# `tenant_id = <setting>` would be merged by the planner into a one-time check on top of the
# scan, through which every row then passes (a count over 100,000 tickets: 3.8 -> 15.6 ms);
# as a range both are index conditions of the same scan (3.7 ms).
READ = f"tenant_id >= {TENANT} AND tenant_id <= {TENANT}"


class _PostgresOnly(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def state_forwards(self, app_label, state):
        pass  # no model state: the database's own objects

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            for statement in self.forwards_sql(app_label, to_state):
                schema_editor.execute(statement, params=None)  # no params: %I is format()'s

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            for statement in self.backwards_sql(app_label, from_state):
                schema_editor.execute(statement, params=None)  # no params: %I is format()'s


class TenantRowSecurity(_PostgresOnly):
    """RLS and the tenant policy on one tenant-owned model's table."""

    def __init__(self, model_name: str):
        self.model_name = model_name

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name], {}

    def describe(self):
        return f"Row-level security on {self.model_name}'s table"

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def forwards_sql(self, app_label, state):
        table = self._table(app_label, state)
        return [
            f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
            f'CREATE POLICY {POLICY} ON "{table}" USING ({READ}) WITH CHECK (tenant_id = {TENANT})',
        ]

    def backwards_sql(self, app_label, state):
        table = self._table(app_label, state)
        return [
            f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
            f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
        ]


class TenantRole(_PostgresOnly):
    """The role ``msp_tenant`` (cluster-wide: created once, reused by every database), made
    switchable to by the login role and granted every table and sequence of the schema, now
    and later (default privileges of the login role, who creates them in migrations)."""

    def deconstruct(self):
        return self.__class__.__qualname__, [], {}

    def describe(self):
        return f"The role {ROLE} that row-level security fences"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper OR rolcreaterole OR EXISTS (SELECT 1 FROM pg_auth_members m"
                " JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = %s AND m.member = r.oid)"
                " FROM pg_roles r WHERE rolname = current_user",
                [ROLE],
            )
            able = cursor.fetchone()[0]
        if not able:
            raise RuntimeError(
                f"Row-level security needs the role {ROLE}, and the database user can neither create "
                f"it nor switch to it. As a superuser run: CREATE ROLE {ROLE} NOLOGIN; (if it does not "
                f"exist) GRANT {ROLE} TO <the database user>; then migrate again (README, PostgreSQL)."
            )
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def forwards_sql(self, app_label, state):
        grants = "SELECT, INSERT, UPDATE, DELETE ON TABLES", "USAGE, SELECT ON SEQUENCES"
        return [
            # IF NOT EXISTS semantics: another database of the cluster may have created it.
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN "
            f"CREATE ROLE {ROLE} NOLOGIN; END IF; END $$",
            f"DO $$ BEGIN IF NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') THEN "
            f"EXECUTE format('GRANT {ROLE} TO %I', current_user); END IF; END $$",
            *(
                _in_schema(f"GRANT {rights.replace(' ON ', ' ON ALL ')} IN SCHEMA %I TO {ROLE}")
                for rights in grants
            ),
            *(
                _in_schema(f"ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT {rights} TO {ROLE}")
                for rights in grants
            ),
        ]

    def backwards_sql(self, app_label, state):
        # The role stays: other databases of the cluster may use it.
        return [
            _in_schema(f"ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM {ROLE}"),
            _in_schema(f"ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM {ROLE}"),
            _in_schema(f"REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM {ROLE}"),
            _in_schema(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM {ROLE}"),
        ]


class LeakproofSearch(_PostgresOnly):
    """Lets the planner use the search indexes under row-level security.

    With a policy on a table, PostgreSQL evaluates a query's own conditions after the
    policy's unless their functions are LEAKPROOF (one could otherwise leak another tenant's
    row through an error or a side effect before the policy drops the row). ``LIKE``
    (``textlike``), ``UPPER`` and ``LOWER`` are not marked so, though none looks at anything but its
    arguments, so inside a tenant's scope a ``?search=`` (``UPPER(col) LIKE '%TERM%'``, and
    the assets' search column) could not read its trigram index: it read the tenant's every
    row instead (the asset search 3 -> 9 ms at 10,000 assets, growing with the tenant); and
    monitoring ingestion's ``LOWER(hostname) IN (...)`` filtered the tenant's every asset (a
    batch of 100: 1 -> 9.6 ms).
    Marking them is what PostgreSQL's documentation leaves to the administrator. The one
    thing ``textlike`` can tell beyond its answer is an error for a *pattern* that ends in the
    escape character; our patterns are parameters, never a column. Needs a superuser: without
    one it only warns (the fence holds either way; searches are then slower), and the README
    says what to run."""

    FUNCTIONS = ("pg_catalog.textlike(text, text)", "pg_catalog.upper(text)", "pg_catalog.lower(text)")

    def deconstruct(self):
        return self.__class__.__qualname__, [], {}

    def describe(self):
        return "LIKE, UPPER and LOWER marked LEAKPROOF, so lookups read their indexes under RLS"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = cursor.fetchone()[0]
            cursor.execute(
                "SELECT bool_and(proleakproof) FROM pg_proc WHERE oid = ANY(%s::regprocedure[])",
                [list(self.FUNCTIONS)],
            )
            done = cursor.fetchone()[0]
        if done:
            return  # a superuser did it already (in this database, or in its template)
        if not superuser:
            warnings.warn(
                "Not a superuser: searches will not use their indexes inside a tenant's scope. As a "
                "superuser run, in this database: "
                + " ".join(f"ALTER FUNCTION {f} LEAKPROOF;" for f in self.FUNCTIONS),
                stacklevel=1,
            )
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def forwards_sql(self, app_label, state):
        return [f"ALTER FUNCTION {function} LEAKPROOF" for function in self.FUNCTIONS]

    def backwards_sql(self, app_label, state):
        return [f"ALTER FUNCTION {function} NOT LEAKPROOF" for function in self.FUNCTIONS]


def _in_schema(statement: str) -> str:
    """The statement run for the schema the tables are in (the connection's current one)."""
    return f"DO $$ BEGIN EXECUTE format('{statement}', current_schema()); END $$"
