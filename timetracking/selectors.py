"""Reads of time entries: a technician's week, a ticket's entries."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from djmoney.money import Money

from contracts.ledger import LedgerSource
from timetracking.models import TimeEntry, labour_amount, worked_at, worked_between


@dataclass(frozen=True)
class EntryRow:
    """One line of the timesheet: plain values, read in one query (a busy week is a few
    hundred entries; five model instances each cost more than the rest of the page)."""

    pk: int
    worked_at: datetime
    ticket_id: int
    ticket_subject: str
    client_name: str
    work_type_name: str | None
    rate_factor: Decimal
    minutes: int
    billable: bool
    covered: bool
    drawn_minutes: int
    overage_minutes: int
    note: str
    invoiced_at: datetime | None
    updated_at: datetime
    labour_amount: Money | None
    day: date

    @property
    def ticket_label(self) -> str:
        return f"#{self.ticket_id} {self.ticket_subject}"


ROW_FIELDS = (
    "pk", "worked_at", "ticket_id", "ticket__subject", "ticket__client__name", "work_type__name",
    "rate_factor", "minutes", "billable", "covered", "drawn_minutes", "overage_minutes", "note",
    "invoiced_at", "updated_at", "contract__hourly_rate", "contract__hourly_rate_currency",
    "hourly_rate", "hourly_rate_currency",
)  # fmt: skip


@dataclass
class Timesheet:
    start: date
    days: list[date]
    entries: list[EntryRow]
    per_day: dict[date, int] = field(default_factory=dict)
    per_client: dict[str, int] = field(default_factory=dict)
    total: int = 0
    billable: int = 0
    fingerprint: str = ""  # of every value the entry table shows: its cache key

    @property
    def day_rows(self):
        return [(day, [e for e in self.entries if e.day == day], self.per_day[day]) for day in self.days]


def timesheet_week(*, technician, day: date, days: int = 7) -> Timesheet:
    """The entries of `technician` in the week (Monday first) around `day`, or that day alone."""
    start = day - timedelta(days=day.weekday()) if days == 7 else day
    tz = timezone.get_current_timezone()
    lower = timezone.make_aware(datetime.combine(start, time.min), tz)
    upper = lower + timedelta(days=days)
    values = (
        TimeEntry.objects.annotate(worked_at=worked_at())
        .filter(worked_between(lower, upper), technician=technician)
        .order_by("worked_at", "pk")
        .values_list(*ROW_FIELDS)
    )
    entries = []
    for *shown, contract_rate, contract_currency, own_rate, own_currency in values:
        # The contract's rate, else the break/fix rate an entry without a contract carries.
        rate, currency = (
            (contract_rate, contract_currency) if contract_rate is not None else (own_rate, own_currency)
        )
        row = EntryRow(*shown, labour_amount=None, day=timezone.localtime(shown[1], tz).date())
        if rate is not None and row.overage_minutes:
            row = replace(row, labour_amount=labour_amount(Money(rate, currency), row.overage_minutes))
        entries.append(row)
    sheet = Timesheet(start=start, days=[start + timedelta(days=n) for n in range(days)], entries=entries)
    sheet.per_day = OrderedDict((d, 0) for d in sheet.days)
    per_client: dict[str, int] = {}
    for entry in entries:
        sheet.per_day[entry.day] = sheet.per_day.get(entry.day, 0) + entry.minutes
        per_client[entry.client_name] = per_client.get(entry.client_name, 0) + entry.minutes
        sheet.total += entry.minutes
        if entry.billable:
            sheet.billable += entry.minutes
    sheet.per_client = dict(sorted(per_client.items()))
    sheet.fingerprint = hashlib.md5(repr(entries).encode(), usedforsecurity=False).hexdigest()
    return sheet


def ticket_entries(ticket):
    """A ticket's entries, newest first (the ticket itself is not joined again)."""
    return (
        TimeEntry.objects.select_related("work_type", "contract", "technician")
        .annotate(worked_at=worked_at())
        .filter(ticket=ticket)
        .order_by("-worked_at", "-pk")
    )


def time_entry_ledger_sources(ids: list[int]) -> dict[int, LedgerSource]:
    """The hour ledger's view of these time entries (registered with contracts.ledger): the
    ticket, the technician's name and the work note, in one query, in the active scope."""
    rows = (
        TimeEntry.objects.filter(pk__in=ids)
        .annotate(worked_at=worked_at())
        .values_list(
            "pk",
            "ticket_id",
            "ticket__subject",
            "technician__first_name",
            "technician__last_name",
            "technician__username",
            "note",
            "worked_at",
        )
    )
    return {
        pk: LedgerSource(
            ticket_id=ticket_id,
            ticket_subject=subject,
            person=f"{first} {last}".strip() or username,
            note=note,
            worked_at=worked,
        )
        for pk, ticket_id, subject, first, last, username, note, worked in rows
    }
