"""Celery tasks of one tenant run in that tenant's scope, like a request of its members.

    @tenant_task(acks_late=True)
    def balance_check_task(tenant_id: int, contract_id: int): ...
    transaction.on_commit(lambda: balance_check_task.delay(contract.tenant_id, contract.pk))

The first argument is the tenant's id; the task body queries through the default managers,
which the scope filters, so a task can no more read another tenant's rows than a view can.
Jobs over all tenants (beat) find the tenants with work and dispatch one task per tenant.
"""

from __future__ import annotations

from celery import Task, shared_task
from django.utils import timezone, translation

from msp.actors import Actor, Channel, acting
from msp.scoping import scope_of


def _tenant_locale(tenant_id: int):
    """The tenant's zone and language (None, None when the tenant is gone: UTC, the default)."""
    from msp.models import Tenant
    from msp.selectors import time_zone_for

    tenant = Tenant.objects.filter(pk=tenant_id).only("timezone", "language").first()
    return time_zone_for(tenant=tenant), tenant.language if tenant is not None else None


class TenantTask(Task):
    """Runs in its tenant's scope, time zone and language, as its members' requests do: the
    e-mails, PDFs and ledger notes it writes show the MSP's local times in its language (a
    task writing to one person overrides the language with theirs)."""

    abstract = True

    def __call__(self, tenant_id: int, *args, **kwargs):
        zone, language = _tenant_locale(int(tenant_id))
        # The audit trail says a task did it, and which (msp.actors).
        with scope_of(int(tenant_id)), timezone.override(zone), translation.override(language):
            with acting(Actor(channel=Channel.TASK, via=self.name[:100])):
                return super().__call__(tenant_id, *args, **kwargs)


def tenant_task(*args, **options):
    """`shared_task` whose first argument is a tenant id, run inside that tenant's scope."""
    return shared_task(*args, base=TenantTask, **options)
