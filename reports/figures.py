"""PLACEHOLDER (branch report-pipeline): helper B writes the real module on branch
report-content; at merge theirs replaces this file whole. Only the signatures of the plan are
kept: ``month_figures(client, period) -> MonthFigures`` with ``to_json``/``from_json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from billing.periods import Period
from tickets.models import Ticket
from timetracking.models import TimeEntry


@dataclass(frozen=True)
class MonthFigures:
    client_id: int
    client_name: str
    period: str
    minutes_used: int
    tickets_opened: int

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> MonthFigures:
        return cls(**data)


def month_figures(client, period: Period) -> MonthFigures:
    """PLACEHOLDER: two aggregate queries, in the active (client's tenant) scope."""
    from reports.selectors import local_midnight

    start, end = local_midnight(period.start), local_midnight(period.end) + timedelta(days=1)
    used = (
        TimeEntry.objects.annotate(worked=Coalesce("started_at", "created_at"))
        .filter(ticket__client=client, worked__gte=start, worked__lt=end)
        .aggregate(total=Sum("minutes"))["total"]
    )
    opened = Ticket.objects.filter(client=client).aggregate(
        n=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end))
    )["n"]
    return MonthFigures(
        client_id=client.pk,
        client_name=client.name,
        period=str(period),
        minutes_used=used or 0,
        tickets_opened=opened or 0,
    )
