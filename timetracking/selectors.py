"""Reads of time entries: a technician's week, a ticket's entries."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from timetracking.models import TimeEntry, worked_at


def entries_with_day():
    return TimeEntry.objects.select_related("ticket__client", "work_type", "contract", "technician").annotate(
        worked_at=worked_at()
    )


TIMESHEET_FIELDS = (
    "started_at", "created_at", "minutes", "rate_factor", "drawn_minutes", "overage_minutes", "covered",
    "billable", "note", "invoiced_at", "updated_at", "technician_id",
    "ticket__subject", "ticket__client__name", "work_type__name",
    "contract__hourly_rate", "contract__hourly_rate_currency",
)  # fmt: skip


@dataclass
class Timesheet:
    start: date
    days: list[date]
    entries: list[TimeEntry]
    per_day: dict[date, int] = field(default_factory=dict)
    per_client: dict[str, int] = field(default_factory=dict)
    total: int = 0
    billable: int = 0

    @property
    def day_rows(self):
        return [(day, [e for e in self.entries if e.day == day], self.per_day[day]) for day in self.days]


def timesheet_week(*, technician, day: date, days: int = 7) -> Timesheet:
    """The entries of `technician` in the week (Monday first) around `day`, or that day alone."""
    start = day - timedelta(days=day.weekday()) if days == 7 else day
    tz = timezone.get_current_timezone()
    lower = timezone.make_aware(datetime.combine(start, time.min), tz)
    upper = lower + timedelta(days=days)
    entries = list(
        TimeEntry.objects.select_related("ticket__client", "work_type", "contract")
        .annotate(worked_at=worked_at())
        .filter(technician=technician, worked_at__gte=lower, worked_at__lt=upper)
        # Only what the week shows: a busy week is a few hundred rows of five models each.
        .only(*TIMESHEET_FIELDS)
        .order_by("worked_at", "pk")
    )
    sheet = Timesheet(start=start, days=[start + timedelta(days=n) for n in range(days)], entries=entries)
    sheet.per_day = OrderedDict((d, 0) for d in sheet.days)
    per_client: dict[str, int] = {}
    for entry in entries:
        entry.day = timezone.localtime(entry.worked_at, tz).date()
        sheet.per_day[entry.day] = sheet.per_day.get(entry.day, 0) + entry.minutes
        name = entry.ticket.client.name
        per_client[name] = per_client.get(name, 0) + entry.minutes
        sheet.total += entry.minutes
        if entry.billable:
            sheet.billable += entry.minutes
    sheet.per_client = dict(sorted(per_client.items()))
    return sheet


def ticket_entries(ticket):
    return entries_with_day().filter(ticket=ticket).order_by("-worked_at", "-pk")
