"""Tenant scoping by construction.

Every tenant-owned model's default manager filters by the *active scope*: the tenant
(and, for a client contact, the client) of the membership behind the current request,
token, task or command. Outside a scope it answers nothing at all (deny by default, as
NetBox's ``restrict`` does), so a view, serializer or form cannot forget the filter: it
never had to write it.

A queryset is scoped when it is *built*. Querysets built at import time (a ModelForm's
choice fields) are therefore rebuilt per request by ``msp.forms.base.TenantFormMixin``.

Background work is scoped the same way: a Celery task of one tenant takes the tenant's id
and runs in its scope (``msp.tenant_tasks.tenant_task``), a signal about a tenant runs its
receivers in that tenant's scope (``msp.signals.TenantSignal``), and a service handed a
tenant or one of its rows works in that tenant's scope (``@scoped_by``, ``scope_of``). So none
of them adds ``tenant_id=`` by hand. A service that widens a client contact's scope to the
tenant's returns only what its arguments (read in the contact's scope) lead to. Code that crosses tenants by nature (login, the per-tenant dispatch of beat jobs,
tenant creation) says so explicitly with ``Model.unscoped`` or ``with unscoped():``, and
``tests/test_scope_escapes.py`` keeps the list of those places from growing.

On PostgreSQL the database enforces the same scope a second time (row-level security,
``msp.db.postgresql.base``): inside a tenant's scope every query runs as the role
``msp_tenant`` fenced to that tenant, raw SQL and ``Model.unscoped`` included; ``unscoped()``
and no scope at all run as the login role, which bypasses it. That module names both.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from msp.choice_labels import ChoiceLabelsMixin


@dataclass(frozen=True)
class Scope:
    tenant_id: int
    # Set for client contacts: they see only their own company's rows.
    client_id: int | None = None

    @classmethod
    def for_membership(cls, membership) -> Scope:
        return cls(
            tenant_id=membership.tenant_id, client_id=membership.client_id if membership.is_client else None
        )


_ALL = object()  # explicit cross-tenant access
_current: ContextVar[Scope | object | None] = ContextVar("msp_scope", default=None)


def activate(scope: Scope | None) -> Token:
    return _current.set(scope)


def restore(token: Token) -> None:
    _current.reset(token)


def current_scope() -> Scope | None:
    scope = _current.get()
    return scope if isinstance(scope, Scope) else None


@contextmanager
def tenant_scope(tenant, client=None) -> Iterator[Scope]:
    scope = Scope(tenant_id=tenant.pk, client_id=client.pk if client is not None else None)
    token = activate(scope)
    try:
        yield scope
    finally:
        restore(token)


@contextmanager
def membership_scope(membership) -> Iterator[Scope]:
    token = activate(Scope.for_membership(membership))
    try:
        yield current_scope()
    finally:
        restore(token)


@contextmanager
def scope_of(tenant_id: int) -> Iterator[Scope]:
    """Work in one tenant's whole scope: what a service handed a tenant, a signal about a
    tenant, or a task of a tenant does. Inside a client contact's scope of the same tenant it
    widens to the tenant (the work is the MSP's, not the contact's view); inside another
    tenant's scope it refuses: that is a bug, never a switch."""
    active = _current.get()
    if isinstance(active, Scope) and active.tenant_id != tenant_id:
        raise RuntimeError(f"tenant {tenant_id}'s work asked for inside tenant {active.tenant_id}'s scope")
    if isinstance(active, Scope) and active.client_id is None:
        yield active
        return
    token = activate(Scope(tenant_id=tenant_id))
    try:
        yield current_scope()
    finally:
        restore(token)


def _tenant_id_of(obj) -> int:
    return obj.pk if obj._meta.label == "msp.Tenant" else obj.tenant_id


def scoped_by(argument: str) -> Callable:
    """A service that runs in the scope of the tenant its keyword `argument` is, or belongs
    to (``@scoped_by("ticket")``): called from a view, a task, a command or a test alike."""

    def decorate(service: Callable) -> Callable:
        @functools.wraps(service)
        def wrapper(*args, **kwargs):
            obj = kwargs[argument]
            active = current_scope()
            if active is not None and active.tenant_id != _tenant_id_of(obj):
                # Another tenant's row handed in: to this scope it does not exist (bad input).
                raise ValidationError(
                    {argument: _("%(thing)s not found.") % {"thing": capfirst(obj._meta.verbose_name)}}
                )
            with scope_of(_tenant_id_of(obj)):
                return service(*args, **kwargs)

        return wrapper

    return decorate


@contextmanager
def unscoped() -> Iterator[None]:
    token = _current.set(_ALL)
    try:
        yield
    finally:
        restore(token)


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant):
        return self.filter(tenant=tenant)

    def tenant_on(self, *relations: str):
        """Repeat the active tenant on joined tables (``client`` -> ``client__tenant_id``).

        Always true, but it tells PostgreSQL it may walk the joined table's ``(tenant, ...)``
        index in order: the asset list sorted by client name reads 25 rows instead of
        sorting the tenant's 10,000 (0.5 ms instead of 30 ms at that size)."""
        scope = current_scope()
        if scope is None:
            return self
        return self.filter(**{f"{relation}__tenant_id": scope.tenant_id for relation in relations})


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """The default manager of tenant-owned models: scoped to the active tenant, or refusing."""

    def get_queryset(self):
        queryset = super().get_queryset()
        scope = _current.get()
        if scope is _ALL:
            return queryset
        if scope is None:
            return queryset.none()
        queryset = queryset.filter(tenant_id=scope.tenant_id)
        if scope.client_id is not None:
            path = self.model.CLIENT_PATH
            if path is None:
                return queryset.none()
            queryset = queryset.filter(**{path: scope.client_id})
        return queryset


class TenantOwnedModel(ChoiceLabelsMixin, models.Model):
    """Base of every row that belongs to one MSP."""

    # How a row reaches its Client, for client contacts; None = client contacts never see it.
    CLIENT_PATH: str | None = None
    # The column ``str(row)`` shows, when it is one; dropdowns then read (pk, label) rows
    # instead of building instances (msp.forms.widgets.choice_rows).
    CHOICE_LABEL: str | None = None

    tenant = models.ForeignKey("msp.Tenant", on_delete=models.CASCADE, related_name="+", editable=False)

    objects = TenantManager()
    unscoped = models.Manager.from_queryset(TenantQuerySet)()

    class Meta:
        abstract = True
