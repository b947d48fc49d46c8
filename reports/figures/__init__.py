"""The monthly client report's figures: what was bought, done, prevented, and what it cost.

``month_figures(client, period)`` reads one client's month in a fixed number of queries,
whatever the size of its history (every count and sum is an aggregate in the database; the
two lists are capped), inside that client's scope, so nothing of another client or tenant
can reach it. The result is a frozen ``MonthFigures`` of plain values (integer minutes,
Money, dates): ``to_json()`` / ``MonthFigures.from_json()`` round-trip it exactly, so a sent
report keeps the figures it was made from whatever later changes.

The month is the calendar month in the MSP's time zone. Every figure is read as at the end
of the month (or now, for the month still running), so generating a past month again gives
the same figures: hours from the ledger rows written in the month; tickets by when they were
opened and resolved; an SLA target counts in the month it was decided (met when answered in
time, breached when its due time passed unanswered). Two things are only known as they are
now: the assets' patch status, and the names of things.
"""

from reports.figures.queries import month_figures
from reports.figures.values import (
    AlertCount,
    BreakFix,
    ContractHours,
    Forecast,
    InvoiceRef,
    KeyCount,
    MonthBalance,
    MonthFigures,
    Party,
    PatchCount,
    Share,
    SlaBreach,
    SlaTarget,
    Warranty,
    WeekTickets,
    WorkTypeMinutes,
    break_fix_cost,
    late_minutes,
    threshold_forecast,
)

__all__ = [
    "AlertCount",
    "BreakFix",
    "ContractHours",
    "Forecast",
    "InvoiceRef",
    "KeyCount",
    "MonthBalance",
    "MonthFigures",
    "Party",
    "PatchCount",
    "Share",
    "SlaBreach",
    "SlaTarget",
    "Warranty",
    "WeekTickets",
    "WorkTypeMinutes",
    "break_fix_cost",
    "late_minutes",
    "month_figures",
    "threshold_forecast",
]
