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
# The read policy is an equality. The planner merges it with the ORM's own `tenant_id = 7` into
# one index condition on the constant and a one-time check that the setting is 7 (a `Result`
# above the scan): the two fences agree once per scan, and the tenant's selectivity is counted
# once. Spelled as a range (`>= setting AND <= setting`, until 2026-12) it stayed a second
# condition beside the ORM's: the planner multiplied the two selectivities, so thought the
# tenant's rows a few times rarer than they are and preferred the tenant index to a search's
# trigram index (a count of 12,000 tickets holding a common word: 28 -> 87 ms), and wherever
# the tenant was not part of the index it read, evaluated the setting twice per row (a
# contract's 768 ledger rows: 0.37 -> 0.70 ms). As an equality those read 21 and 0.38 ms. What
# the one-time check costs is its node, some 13 ns per row the scan returns: a count of a
# tenant's 100,000 tickets, 6.7 -> 8.0 ms (bench/fence_ab.py; BENCHMARKS.md has the lines).
READ = f"tenant_id = {TENANT}"


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
            f'CREATE POLICY {POLICY} ON "{table}" USING ({READ}) WITH CHECK ({READ})',
        ]

    def backwards_sql(self, app_label, state):
        table = self._table(app_label, state)
        return [
            f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
            f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
        ]


class TenantPolicyRefresh(_PostgresOnly):
    """Every tenant table's policy rewritten to today's ``READ`` and check, for databases
    whose policies an older ``TenantRowSecurity`` created (a new one creates them so)."""

    def deconstruct(self):
        return self.__class__.__qualname__, [], {}

    def describe(self):
        return "The tenant policy of every fenced table brought up to date"

    def forwards_sql(self, app_label, state):
        policy = READ.replace("'", "''")  # quoted inside format()'s string
        return [
            "DO $$ DECLARE fenced record; BEGIN FOR fenced IN SELECT tablename FROM pg_policies"
            f" WHERE policyname = '{POLICY}' AND schemaname = current_schema() LOOP"
            f" EXECUTE format('ALTER POLICY {POLICY} ON %I USING ({policy}) WITH CHECK ({policy})',"
            " fenced.tablename); END LOOP; END $$"
        ]

    def backwards_sql(self, app_label, state):
        return []  # the newer policy reads the same rows


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
