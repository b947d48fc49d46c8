"""The monthly client report as a document: standalone HTML (inline CSS and SVG charts, no
URL to fetch) and its PDF (WeasyPrint).

``report_html(figures)`` needs nothing but the figures: it reads no database, so the HTML
made from a stored report's figures is the same whenever it is made. It is written in the
client's document language and the MSP's time zone (both carried by the figures).
"""

from __future__ import annotations

import functools
import re
import ssl
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assets.choices import AssetKind, PatchStatus
from billing.periods import Period
from contracts.templatetags.contract_terms import hm
from monitoring.choices import Severity
from reports.charts import Column, Series
from reports.figures import ContractHours, MonthFigures
from reports.selectors import Bar
from reports.templatetags.charts import render_column_chart, render_line_chart
from tickets.choices import Priority, Source

# The charts' look (reports/templatetags/charts.py draws them with these classes). WeasyPrint
# styles an inline SVG only from a <style> inside it, so report_pdf puts a copy in each.
CHART_CSS = """
.chart-label, .chart-value, .chart-axis { fill: #17202b; font-family: "DejaVu Sans", sans-serif; font-size: 12px; }
.chart-value { font-weight: bold; }
.chart-track { fill: #eef1f4; stroke: #eef1f4; }
.chart-bar { fill: #0f766e; }
.chart-info { fill: #0086c9; stroke: #0086c9; }
.chart-success { fill: #079455; stroke: #079455; }
.chart-warning { fill: #dc6803; stroke: #dc6803; }
.chart-danger { fill: #d92d20; stroke: #d92d20; }
.chart-muted { fill: #98a2b3; stroke: #98a2b3; }
.chart-gauge .chart-arc, .chart-arc { fill: none; }
.chart-gauge .chart-track { fill: none; stroke: #eaecf0; }
.chart-gauge-value { font-size: 20px; font-weight: bold; fill: #17202b; font-family: "DejaVu Sans", sans-serif; }
"""

# The <svg> of the bar and gauge templates (styled by class); reports.charts' own charts carry
# their colours as attributes and need no copy.
_CLASS_STYLED_SVG = re.compile(r'(<svg\b(?![^>]*class="chart-(?:line|columns)")[^>]*>)')
FORECAST_MONTHS = 6  # how far the burn-down's dashed forecast reaches


def _label(choices, key: str) -> str:
    return str(choices(key).label) if key in choices.values else key


def hours(minutes: int) -> Decimal:
    """Minutes as hours to a tenth, for a chart's axis (the tables write h:mm)."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _month_label(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return date_format(date(year, month, 1), "M y")


def _forecast_points(contract: ContractHours, start: date, months: int = FORECAST_MONTHS) -> list[Decimal]:
    """The balance at the end of each month after this one, at this month's pace (its days
    read so far), until it reaches the renewal threshold (that month's point is the
    threshold) or `months` pass."""
    forecast = contract.forecast
    days = len(contract.daily_balance)
    if forecast.state != "date" or not days:
        return []
    per_day = Decimal(contract.used_minutes) / days
    last_day = start + timedelta(days=days - 1)
    points, period = [], Period.of(start)
    for _n in range(months):
        period = Period.of(period.end + timedelta(days=1))
        if period.end >= forecast.on:
            points.append(hours(contract.threshold_minutes))
            break
        points.append(hours(int(contract.balance_end_minutes - per_day * (period.end - last_day).days)))
    return points


def _contract_context(contract: ContractHours, figures: MonthFigures) -> dict:
    name = contract.name or _("Prepaid hours")
    days = [str(day) for day in range(1, len(contract.daily_balance) + 1)]
    month = render_line_chart(
        [
            Series(_("Balance"), [hours(m) for m in contract.daily_balance], tone="success"),
            Series(
                _("Renewal threshold"),
                [hours(contract.threshold_minutes)] * len(days),
                tone="warning",
                dashed=True,
            ),
        ],
        _("%(name)s: balance each day of the month") % {"name": name},
        days,
        y_unit=" h",
        height=180,
    )
    ahead = _forecast_points(contract, figures.start)
    labels = [_month_label(point.period) for point in contract.month_ends]
    period = Period.parse(figures.period)
    for _n in ahead:
        period = Period.of(period.end + timedelta(days=1))
        labels.append(_month_label(str(period)))
    actual = [hours(point.balance_minutes) for point in contract.month_ends]
    series = [Series(_("Balance at the month's end"), actual + [None] * len(ahead), tone="success")]
    if ahead:
        series.append(
            Series(
                _("Forecast"), [None] * (len(actual) - 1) + [actual[-1]] + ahead, tone="muted", dashed=True
            )
        )
    series.append(
        Series(
            _("Renewal threshold"),
            [hours(contract.threshold_minutes)] * len(labels),
            tone="warning",
            dashed=True,
        )
    )
    history = render_line_chart(
        series,
        _("%(name)s: balance over the last months") % {"name": name},
        labels,
        y_unit=" h",
        height=180,
    )
    return {"hours": contract, "name": name, "month_chart": month, "history_chart": history}


def _weeks_chart(figures: MonthFigures) -> str:
    columns = [
        Column(
            f"{date_format(week.first_day, 'j')}–{date_format(week.last_day, 'j M')}",
            week.counts,
        )
        for week in figures.by_week
    ]
    return render_column_chart(
        columns,
        _("Tickets opened each week, by priority"),
        stacked_names=[value for value in Priority.values],
        tones=["danger", "warning", "", "muted"],
        height=180,
    )


def report_context(figures: MonthFigures, *, for_pdf: bool = False) -> dict:
    """What the report's template shows, in the active language."""
    f = figures
    by_priority = [(_label(Priority, row.key), row) for row in f.by_priority]
    by_source = [(_label(Source, row.key), row) for row in f.by_source if row.opened or row.closed]
    minutes_bars = [
        Bar(_("Proactive"), f.proactive.minutes, f"{hm(f.proactive.minutes)} h", tone="success"),
        Bar(_("Reactive"), f.reactive.minutes, f"{hm(f.reactive.minutes)} h", tone="info"),
    ]
    ticket_bars = [
        Bar(_("Proactive"), f.proactive.tickets, tone="success"),
        Bar(_("Reactive"), f.reactive.tickets, tone="info"),
    ]
    work_bars = [
        Bar(row.name or _("Unspecified"), row.minutes, f"{hm(row.minutes)} h") for row in f.work_types
    ]
    return {
        "f": f,
        "for_pdf": for_pdf,
        "chart_css": CHART_CSS,
        "contracts": [_contract_context(c, f) for c in f.contracts],
        "weeks_chart": _weeks_chart(f),
        "by_priority": by_priority,
        "by_source": by_source,
        "minutes_bars": minutes_bars,
        "ticket_bars": ticket_bars,
        "work_bars": work_bars,
        "breaches": [
            {
                "breach": breach,
                "target": _("First response") if breach.target == "response" else _("Resolution"),
                "priority": breach.priority,
            }
            for breach in f.breaches
        ],
        "severities": [(_label(Severity, row.key), row) for row in f.alerts_by_severity],
        "checks": list(f.alerts_by_check[:10]),
        "patches": [(_label(PatchStatus, row.status), row) for row in f.patches],
        "missing_patch_assets": sum(row.assets for row in f.patches if row.status == PatchStatus.MISSING),
        "warranties": [
            {"warranty": w, "kind": _label(AssetKind, w.kind), "days": (w.expires - f.end).days}
            for w in f.warranties
        ],
        "used_minutes": f.hours_used_minutes,
        "balance_minutes": sum(c.balance_end_minutes for c in f.contracts),
    }


def report_html(figures: MonthFigures, *, for_pdf: bool = False) -> str:
    """The whole report as one standalone HTML document (``for_pdf``: laid out for A4 pages)."""
    with translation.override(figures.language), timezone.override(ZoneInfo(figures.timezone)):
        html = render_to_string("reports/monthly/report.html", report_context(figures, for_pdf=for_pdf))
    return _renumber_charts(html)


_CHART_ID = re.compile(r"\bchart(\d+)-([td])\b")


def _renumber_charts(html: str) -> str:
    """reports.charts numbers its charts' ids from a process-wide counter: number them from 1
    in each document, so the same figures always give the same HTML (a stored snapshot can
    be compared with the report made again)."""
    numbers: dict[str, int] = {}

    def renumber(match: re.Match) -> str:
        number = numbers.setdefault(match.group(1), len(numbers) + 1)
        return f"chart{number}-{match.group(2)}"

    return _CHART_ID.sub(renumber, html)


def report_pdf(html: str) -> bytes:
    """The report's PDF, rendered by WeasyPrint from ``report_html(figures, for_pdf=True)``.

    Only data: URLs are fetched (the logo): a stored snapshot never makes the server read a
    file or call a URL."""
    from weasyprint import HTML  # heavy: imported when a PDF is made
    from weasyprint.urls import URLFetcher

    styled = _CLASS_STYLED_SVG.sub(lambda match: f"{match.group(1)}<style>{CHART_CSS}</style>", html)
    fetcher = URLFetcher(ssl_context=_ssl_context(), allowed_protocols=("data",))
    return HTML(string=styled, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf()


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One context for every PDF (WeasyPrint's fetcher would build one per document, 30 ms),
    though nothing is fetched over HTTPS."""
    return ssl.create_default_context()
