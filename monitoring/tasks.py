"""Celery tasks of monitoring/: the proactive sweeps (beat dispatches one task per tenant)."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from monitoring.sweeps import sweep, sweep_tenants
from msp.models import Tenant
from msp.tenant_tasks import tenant_task

SWEEP_LOCK = "monitoring:sweep"


@shared_task(acks_late=True)
def monitoring_sweep_dispatch_task() -> str:
    """Every 5 minutes (beat): one sweep task per tenant with something to sweep. A cache
    lock keeps two dispatches from overlapping; were two sweeps of a tenant to run at once,
    the one-open-alert constraint still keeps one alert and one ticket per crossing."""
    if not cache.add(SWEEP_LOCK, "1", timeout=240):
        return "another sweep is being dispatched"
    try:
        tenant_ids = sweep_tenants()
        for tenant_id in tenant_ids:
            monitoring_sweep_task.delay(tenant_id)
    finally:
        cache.delete(SWEEP_LOCK)
    return f"swept {len(tenant_ids)} tenant(s)"


@tenant_task(acks_late=True)
def monitoring_sweep_task(tenant_id: int) -> str:
    """Idempotent: a crossing already raised is skipped, so a redelivery raises nothing twice."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return "tenant gone"
    return str(sweep(tenant=tenant))
