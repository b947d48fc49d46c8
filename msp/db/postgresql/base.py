"""The PostgreSQL backend with the tenant fence: row-level security follows the active scope.

Every tenant-owned table has a policy (``msp.db.rls.TenantRowSecurity``) that lets a session
see and write only the rows whose ``tenant_id`` is the setting ``msp.tenant_id`` — but only
when the session runs as the role ``msp_tenant``. This backend switches a connection between
two roles, before each query and only when the active scope (``msp.scoping``) changed since
it last switched:

- **inside a tenant's scope** (a request, a ``TenantTask``, ``scope_of``/``@scoped_by``):
  ``SET ROLE msp_tenant`` and ``msp.tenant_id`` = the tenant. A raw query, or a forgotten
  ``Model.unscoped``, sees and writes that tenant's rows and no other's.
- **the bypass, the login role of DATABASES** (the tables' owner: RLS does not apply to it,
  as no policy is FORCEd): ``RESET ROLE``. It is used in exactly two situations:

  * ``with unscoped():`` — the explicit cross-tenant escapes (login, the per-tenant dispatch
    of beat jobs, the ingest key's authentication, tenant creation, the benchmark), each
    listed with its reason in ``tests/test_scope_escapes.py``;
  * **no scope at all** — migrations, ``manage.py`` commands outside a tenant, test
    factories, the login form. There the ORM's default managers already answer nothing
    (``msp.scoping.TenantManager``), so the fence has nothing to add; only code that says
    ``unscoped`` or writes raw SQL reaches rows, and it does so on purpose.

The switch rides in front of the first query after a change of scope, in the same round trip
(or, for what cannot share one, runs alone on the raw psycopg cursor), so it costs no round
trip and is invisible to query counting (``assertNumQueries``, ``CaptureQueriesContext``,
whose captured SQL is the query alone). ``SET`` is transactional: a rollback (or a savepoint's) may undo it, so
the connection's state is then *unknown* and the next query sets it again. It applies to
server-side cursors (``.iterator()``) too: they run through the same cursor wrapper.
"""

from __future__ import annotations

import re

from django.db.backends import utils
from django.db.backends.postgresql import base

from msp.db.rls import ROLE

_BYPASS = "bypass"  # the login role, no tenant
_UNKNOWN = object()  # after a rollback: whatever it was before the transaction


_scoping = None


def _wanted() -> int | str:
    global _scoping  # noqa: PLW0603 - msp.scoping defines models, which need this backend loaded first
    if _scoping is None:
        from msp import scoping as _scoping
    scope = _scoping._current.get()  # noqa: SLF001 - the fence reads the scope the managers read
    return scope.tenant_id if isinstance(scope, _scoping.Scope) else _BYPASS


# Statements the switch may ride along with, in the same round trip (psycopg2 sends a string
# of several statements as one and returns the last one's result): a plain query. Others
# (VACUUM, CREATE INDEX CONCURRENTLY, ...) may not run in the implicit transaction that a
# multi-statement string is, so they get a round trip of their own.
_RIDES = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "SAVEPOINT")
_SWITCH = re.compile(r"^(?:RESET ROLE|SET ROLE \w+); SELECT set_config\('msp\.tenant_id', '\d*', false\); ")


def _switch(wanted: int | str) -> str:
    if wanted == _BYPASS:
        return "RESET ROLE; SELECT set_config('msp.tenant_id', '', false)"
    return f"SET ROLE {ROLE}; SELECT set_config('msp.tenant_id', '{int(wanted)}', false)"


class DatabaseOperations(base.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # The logged and captured query is the one the code ran, without the switch before it.
        return _SWITCH.sub("", super().last_executed_query(cursor, sql, params), count=1)


class _Rides:
    """The cursor's last step before the driver: the switch the fence asked for, if any, goes
    in front of the query (once: a query run meanwhile by an inner wrapper takes it)."""

    def _execute(self, sql, params, *ignored_wrapper_args):
        ride, self.db._riding = self.db._riding, None
        if ride:
            sql = f"{ride}; {sql}"
        return super()._execute(sql, params, *ignored_wrapper_args)


class _Cursor(_Rides, utils.CursorWrapper):
    pass


class _DebugCursor(_Rides, base.CursorDebugWrapper):
    pass


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fence = _BYPASS  # a new session: the login role, no setting
        self._riding = None  # the switch the next query carries (_Rides)
        # First in the list = the outermost wrapper: the fence is up before anything runs.
        self.execute_wrappers.insert(0, self._fence_wrapper)

    def _fence_wrapper(self, execute, sql, params, many, context):
        wanted = _wanted()
        if wanted == self._fence or self.needs_rollback:
            return execute(sql, params, many, context)
        # A server-side cursor's DECLARE, executemany and other statements switch on their own.
        named = getattr(context["cursor"].cursor, "name", None)
        if many or named or not sql.lstrip()[:9].upper().startswith(_RIDES):
            self._set_fence(wanted)
            return execute(sql, params, many, context)
        # The switch rides with the query: no round trip of its own (a request's first query
        # in its scope, and the next request's first outside any). One string is one implicit
        # transaction: if the query fails, the switch is undone with it. It is put in front
        # by the cursor itself (_Rides), below every other wrapper: those see the query alone.
        self._fence = _UNKNOWN
        self._riding = _switch(wanted)
        try:
            result = execute(sql, params, many, context)
        finally:
            self._riding = None
        self._fence = wanted
        return result

    def _set_fence(self, wanted: int | str) -> None:
        self._fence = _UNKNOWN  # until the statement has run
        with self.wrap_database_errors, self.connection.cursor() as cursor:
            cursor.execute(_switch(wanted))
        self._fence = wanted

    def make_cursor(self, cursor):
        return _Cursor(cursor, self)

    def make_debug_cursor(self, cursor):
        return _DebugCursor(cursor, self)

    def get_new_connection(self, conn_params):
        self._fence = _BYPASS
        return super().get_new_connection(conn_params)

    def _commit(self):
        try:
            return super()._commit()
        except Exception:
            self._fence = _UNKNOWN  # a failed commit rolled the transaction back
            raise

    # After the rollback, not before: the ROLLBACK TO SAVEPOINT runs through the wrapper, and
    # an unknown state would try to set the fence inside the failed transaction first.
    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._fence = _UNKNOWN

    def _savepoint_rollback(self, sid):
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self._fence = _UNKNOWN

    def _close(self):
        self._fence = _UNKNOWN
        return super()._close()
