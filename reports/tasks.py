"""Celery tasks of reports/: the monthly reports of every tenant, on the 1st."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from billing.periods import Period
from msp.models import Tenant
from msp.tenant_tasks import tenant_task
from reports.services import generate_month


def following(period: Period) -> Period:
    return Period(period.year + 1, 1) if period.month == 12 else Period(period.year, period.month + 1)


@tenant_task(acks_late=True)
def reports_month_task(tenant_id: int, period: str) -> dict:
    """The tenant's reports of `period`, once that month is over where the tenant is (the task
    runs in its time zone): a run that comes early does nothing, a later run of the same day
    does it. Idempotent: a report made before is kept, and only the reports this run makes are
    e-mailed (when the tenant sends automatically)."""
    month = Period.parse(period)
    if Period.of(timezone.localdate()) != following(month):
        return {"period": period, "skipped": "the month is not over here yet (or long past)"}
    run = generate_month(Tenant.objects.get(pk=tenant_id), month)
    return {
        "period": run.period,
        "clients": run.clients,
        "generated": len(run.generated),
        "sent": run.sent,
        "no_recipient": len(run.no_recipient),
        "failed": len(run.failed),
    }


@tenant_task(acks_late=True)
def reports_month_run_task(tenant_id: int, period: str) -> dict:
    """A member asked for the month (the reports page): drafts for every client, none sent."""
    run = generate_month(Tenant.objects.get(pk=tenant_id), Period.parse(period), send=False)
    return {"period": run.period, "clients": run.clients, "generated": len(run.generated)}


@shared_task
def reports_month_dispatch_task() -> int:
    """Beat, every hour of the 1st (UTC): last month's reports, one task per tenant. Each
    tenant's month ends at its own midnight: the task of a tenant still in last month's last
    day does nothing, and a later hour's run makes the reports; the runs after that find them
    made."""
    period = str(Period.of(timezone.now().date()).previous())
    tenant_ids = list(Tenant.objects.values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        reports_month_task.delay(tenant_id, period)
    return len(tenant_ids)
