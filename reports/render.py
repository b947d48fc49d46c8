"""The monthly client report as a document: standalone HTML (inline CSS and SVG charts, no
URL to fetch) and its PDF (WeasyPrint).

``report_html(figures)`` needs nothing but the figures: it reads no database, so the HTML
made from a stored report's figures is the same whenever it is made. It is written in the
client's document language and the MSP's time zone (both carried by the figures).
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assets.choices import AssetKind, PatchStatus
from contracts.templatetags.contract_terms import hm
from monitoring.choices import Severity
from reports.figures import ContractHours, MonthFigures
from reports.selectors import Bar
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
.chart-line { fill: none; stroke: #0f766e; stroke-width: 2.5; }
.chart-grid { stroke: #e4e7ec; stroke-width: 1; }
"""

_SVG_OPEN = re.compile(r"(<svg\b[^>]*>)")


def _label(choices, key: str) -> str:
    return str(choices(key).label) if key in choices.values else key


def _contract_context(contract: ContractHours) -> dict:
    history = [
        Bar(
            label=f"{point.period[5:]}/{point.period[2:4]}",
            value=max(point.balance_minutes, 0),
            text=f"{hm(point.balance_minutes)} h",
            tone="danger" if point.balance_minutes < contract.threshold_minutes else "",
        )
        for point in contract.month_ends
    ]
    return {
        "hours": contract,
        "name": contract.name or _("Prepaid hours"),
        "history": history,
        "history_title": _("%(name)s: balance at each month's end")
        % {"name": contract.name or _("Prepaid hours")},
    }


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
    opened_bars = [Bar(label, row.opened) for label, row in by_priority]
    return {
        "f": f,
        "for_pdf": for_pdf,
        "chart_css": CHART_CSS,
        "contracts": [_contract_context(c) for c in f.contracts],
        "by_priority": by_priority,
        "by_source": by_source,
        "opened_bars": opened_bars,
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
        return render_to_string("reports/monthly/report.html", report_context(figures, for_pdf=for_pdf))


def report_pdf(html: str) -> bytes:
    """The report's PDF, rendered by WeasyPrint from ``report_html(figures, for_pdf=True)``."""
    from weasyprint import HTML  # heavy: imported when a PDF is made

    styled = _SVG_OPEN.sub(lambda match: f"{match.group(1)}<style>{CHART_CSS}</style>", html)
    return HTML(string=styled, base_url=str(settings.BASE_DIR)).write_pdf()
