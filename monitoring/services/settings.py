"""A tenant's monitoring settings: how long a silent asset may stay silent, and patches."""

from __future__ import annotations

from django.db import transaction

from monitoring.models import MonitoringSettings
from msp.scoping import scoped_by


@scoped_by("tenant")
@transaction.atomic
def monitoring_settings_update(
    *, tenant, offline_after_minutes: int, patch_age_days: int
) -> MonitoringSettings:
    """Save the tenant's settings (its one row, created the first time)."""
    row, _created = MonitoringSettings.objects.select_for_update().get_or_create(
        tenant=tenant,
        defaults={"offline_after_minutes": offline_after_minutes, "patch_age_days": patch_age_days},
    )
    row.offline_after_minutes = offline_after_minutes
    row.patch_age_days = patch_age_days
    row.full_clean(exclude=["tenant"])
    row.save()
    return row
