"""SLA calendars and policies as owners and admins edit them: business hours per weekday,
holidays (the country's national ones preloaded), targets per priority and asset kind.

A change that moves due times (hours, holidays, zone, targets) is announced on commit with
`sla_terms_changed`, naming the policies it touches: tickets/ recomputes the SLA clock of
their open tickets in a task (contracts/ never imports tickets/).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.calendars import country_for_timezone, national_holidays
from contracts.models import BusinessCalendar, ServiceTier, SlaPolicy
from contracts.signals import sla_terms_changed
from msp.scoping import scoped_by

CLOCK_FIELDS = ("timezone", "always_open", "hours", "holidays")  # what moves a due time


def preload_years(today=None) -> list[int]:
    year = (today or timezone.localdate()).year
    return [year, year + 1]


def holidays_merge(existing: Iterable[str], country: str, years: Iterable[int]) -> list[str]:
    """The ISO dates of `existing` plus the country's national holidays in `years`, sorted."""
    days = {day.isoformat() for day in national_holidays(country, list(years))}
    return sorted(days | set(existing or ()))


def _announce(calendar_or_policy) -> None:
    if isinstance(calendar_or_policy, BusinessCalendar):
        policy_ids = list(calendar_or_policy.policies.values_list("pk", flat=True))
    else:
        policy_ids = [calendar_or_policy.pk]
    if not policy_ids:
        return
    tenant_id = calendar_or_policy.tenant_id
    transaction.on_commit(
        lambda: sla_terms_changed.send(sender=None, tenant_id=tenant_id, policy_ids=policy_ids)
    )


@scoped_by("calendar")
@transaction.atomic
def business_calendar_save(*, calendar: BusinessCalendar, preload: bool = False) -> BusinessCalendar:
    """Create or change a calendar. A new one with a country (its time zone's, unless one
    was chosen) gets that country's national holidays for this year and the next when
    `preload` is set. Open tickets under it are recomputed when its clock changed."""
    creating = calendar.pk is None
    if creating and not calendar.country:
        calendar.country = country_for_timezone(calendar.timezone)
    if preload and calendar.country:
        calendar.holidays = holidays_merge(calendar.holidays, calendar.country, preload_years())
    changed = creating
    if not creating:
        before = BusinessCalendar.objects.filter(pk=calendar.pk).values(*CLOCK_FIELDS).first() or {}
        changed = any(before.get(field) != getattr(calendar, field) for field in CLOCK_FIELDS)
    calendar.save()
    if changed and not creating:
        _announce(calendar)
    return calendar


@scoped_by("calendar")
@transaction.atomic
def business_calendar_load_holidays(*, calendar: BusinessCalendar, country: str, year: int) -> int:
    """Add the country's national holidays of `year`; returns how many were new."""
    if not country:
        raise ValidationError({"country": _("Choose a country.")})
    before = set(calendar.holidays or ())
    calendar.holidays = holidays_merge(before, country, [year])
    calendar.country = country
    calendar.save(update_fields=["holidays", "country"])
    added = len(set(calendar.holidays) - before)
    if added:
        _announce(calendar)
    return added


@scoped_by("policy")
@transaction.atomic
def sla_policy_save(*, policy: SlaPolicy, tiers: Iterable[ServiceTier] | None = None) -> SlaPolicy:
    """Create or change a policy (its targets, calendar, default flag) and, when given, the
    tiers that use it. Open tickets under it are recomputed when its clock changed."""
    creating = policy.pk is None
    changed = False
    if not creating:
        before = (
            SlaPolicy.objects.filter(pk=policy.pk).values("calendar_id", "targets", "kind_overrides").first()
        )
        changed = before != {
            "calendar_id": policy.calendar_id,
            "targets": policy.targets,
            "kind_overrides": policy.kind_overrides,
        }
    try:
        with transaction.atomic():
            if policy.is_default:
                SlaPolicy.objects.filter(is_default=True).exclude(pk=policy.pk).update(is_default=False)
            policy.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"name": _("This policy could not be saved: %(error)s") % {"error": exc}}
        ) from exc
    if tiers is not None:
        chosen = [tier.pk for tier in tiers]
        ServiceTier.objects.filter(sla_policy=policy).exclude(pk__in=chosen).update(sla_policy=None)
        ServiceTier.objects.filter(pk__in=chosen).update(sla_policy=policy)
    if changed:
        _announce(policy)
    return policy
