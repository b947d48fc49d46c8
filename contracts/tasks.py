"""Celery tasks of contracts/: the low-balance check after a draw, out of the request."""

from __future__ import annotations

from celery import shared_task

from contracts.notifications import balance_check
from contracts.trials import trial_reminders
from msp.models import Tenant
from msp.tenant_tasks import tenant_task


@tenant_task(acks_late=True)
def balance_check_task(tenant_id: int, contract_id: int) -> list[int]:
    """Warn once per level crossed (BalanceWarning is unique per block and level, so a
    redelivered task never warns twice)."""
    return balance_check(contract_id)


@tenant_task(acks_late=True)
def trial_reminders_task(tenant_id: int) -> list[int]:
    """Once per contract (`trial_reminded_at` under the row lock): redelivery is harmless."""
    return trial_reminders()


@shared_task
def trial_reminders_dispatch_task() -> int:
    """Beat, daily: one reminder task per tenant, each in its own scope."""
    tenant_ids = list(Tenant.objects.values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        trial_reminders_task.delay(tenant_id)
    return len(tenant_ids)
