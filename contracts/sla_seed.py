"""Seed a tenant's default business calendar and SLA policies (one per seeded tier + a default).

Idempotent: running it twice changes nothing; tiers that already have a policy keep it.
"""

from __future__ import annotations

from django.db import transaction

from contracts.models import BusinessCalendar, ServiceTier, SlaPolicy

DEFAULT_HOURS = {str(day): [["09:00", "18:00"]] for day in range(5)}  # Mon-Fri 09:00-18:00

# Business minutes: (response, resolution) per priority; server overrides of the response.
SEED_POLICIES = {
    "Silver": {
        "targets": {"P1": (240, 960), "P2": (480, 1440), "P3": (960, 2880), "P4": (1440, 4320)},
        "server": {"P1": 120, "P2": 240},
    },
    "Gold": {
        "targets": {"P1": (120, 480), "P2": (240, 960), "P3": (480, 1920), "P4": (960, 2880)},
        "server": {"P1": 60, "P2": 120},
    },
    # SPEC's Platinum: first response within 2 h, 1 h for servers.
    "Platinum": {
        "targets": {"P1": (120, 240), "P2": (120, 480), "P3": (120, 960), "P4": (120, 1920)},
        "server": {"P1": 60, "P2": 60, "P3": 60, "P4": 60},
    },
}
DEFAULT_POLICY = {
    "targets": {"P1": (240, 960), "P2": (480, 1440), "P3": (960, 2880), "P4": (1440, 4320)},
    "server": {},
}


def _targets(seed) -> dict:
    return {p: {"response": r, "resolution": s} for p, (r, s) in seed["targets"].items()}


def _overrides(seed) -> dict:
    if not seed["server"]:
        return {}
    return {"server": {p: {"response": minutes} for p, minutes in seed["server"].items()}}


@transaction.atomic
def sla_seed(*, tenant) -> SlaPolicy:
    """Give a tenant a Mon-Fri 09:00-18:00 calendar in its time zone, policies per tier, a default."""
    calendar = BusinessCalendar.unscoped.filter(tenant=tenant).order_by("pk").first()
    if calendar is None:
        calendar = BusinessCalendar.unscoped.create(
            tenant=tenant, name="Office hours", timezone=tenant.timezone, hours=DEFAULT_HOURS
        )
    default = SlaPolicy.unscoped.filter(tenant=tenant, is_default=True).first()
    if default is None:
        default = SlaPolicy.unscoped.create(
            tenant=tenant,
            name="Standard",
            calendar=calendar,
            targets=_targets(DEFAULT_POLICY),
            kind_overrides=_overrides(DEFAULT_POLICY),
            is_default=True,
        )
    for tier in ServiceTier.unscoped.filter(tenant=tenant, sla_policy__isnull=True, name__in=SEED_POLICIES):
        seed = SEED_POLICIES[tier.name]
        policy, _created = SlaPolicy.unscoped.get_or_create(
            tenant=tenant,
            name=f"{tier.name} SLA",
            defaults={"calendar": calendar, "targets": _targets(seed), "kind_overrides": _overrides(seed)},
        )
        tier.sla_policy = policy
        tier.save(update_fields=["sla_policy"])
    return default
