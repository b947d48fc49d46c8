"""Helpers of the monthly report tests: the month before, work done in it, a PDF's text."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

from django.utils import timezone
from pypdf import PdfReader

from billing.periods import Period
from msp.scoping import scope_of
from tests.factories import tenant_today
from timetracking.services import time_entry_create


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def last_month(tenant) -> Period:
    return Period.of(tenant_today(tenant)).previous()


def worked_in(period: Period, day: int, hour: int = 10) -> datetime:
    """A moment of `period` (in the active time zone)."""
    return timezone.make_aware(datetime.combine(period.start + timedelta(days=day - 1), time(hour)))


def work(ticket, technician, period: Period, day: int, minutes: int):
    """A time entry of `minutes` on `day` of the month (a start and an end, as a timer's)."""
    start = worked_in(period, day)
    with scope_of(ticket.tenant_id):
        return time_entry_create(
            ticket=ticket,
            technician=technician,
            started_at=start,
            ended_at=start + timedelta(minutes=minutes),
        )
