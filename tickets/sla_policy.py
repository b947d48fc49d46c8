"""From the stored policies of contracts/ to the pure SLA clock of tickets/sla.py."""

from __future__ import annotations

import math
from datetime import date, datetime, time

from contracts.choices import ContractKind, ContractStatus
from contracts.models import BusinessCalendar, Contract, SlaPolicy
from msp.scoping import scope_of
from tickets import sla

WARN_RATIO = 0.8  # "at risk" once 80 % of a target is used


def _time(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":")[:2])
    return time(0) if hours == 24 else time(hours, minutes)


def calendar_of(calendar: BusinessCalendar) -> sla.Calendar:
    if calendar.always_open:
        return sla.Calendar.twenty_four_seven(calendar.timezone)
    hours = {
        int(day): tuple((_time(start), _time(end)) for start, end in intervals)
        for day, intervals in (calendar.hours or {}).items()
        if intervals
    }
    holidays = frozenset(date.fromisoformat(day) for day in calendar.holidays or ())
    return sla.Calendar(timezone=calendar.timezone, hours=hours, holidays=holidays)


def policy_for(*, tenant_id: int, client_id: int) -> SlaPolicy | None:
    """The client's active managed contract's tier's policy, else the tenant's default."""
    with scope_of(tenant_id):
        contract = (
            Contract.objects.filter(
                client_id=client_id,
                kind=ContractKind.MANAGED,
                status=ContractStatus.ACTIVE,
                tier__sla_policy__isnull=False,
            )
            .select_related("tier__sla_policy__calendar")
            .first()
        )
        if contract is not None:
            return contract.tier.sla_policy
        return SlaPolicy.objects.select_related("calendar").filter(is_default=True).first()


def parse_pauses(raw) -> list[tuple[datetime, datetime | None]]:
    return [
        (datetime.fromisoformat(paused), datetime.fromisoformat(resumed) if resumed else None)
        for paused, resumed in raw or ()
    ]


def warn_minutes(target: int) -> int:
    return max(1, math.floor(target * WARN_RATIO))
