"""Server-rendered SVG charts: horizontal bars and a gauge (a donut with one value).

No script, no CDN: the chart is drawn here, sized in the viewBox and scaled by CSS. Each one
is an accessible image (role="img", a <title> naming it and a <desc> with every value), and
every value is also written as text beside its bar or inside the gauge, so nobody has to
read a length.
"""

from __future__ import annotations

from decimal import Decimal

from django import template

from reports import charts

register = template.Library()

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, VALUE_WIDTH, WIDTH = 22, 8, 130, 70, 420
TONES = {"", "info", "success", "warning", "danger", "muted"}


@register.inclusion_tag("reports/charts/bars.html")
def bar_chart(bars, title: str, max_value=None):
    """`bars`: a list of reports.selectors.Bar. Lengths are relative to the largest value
    (or `max_value`, e.g. 100 for percentages)."""
    bars = list(bars)
    top = max_value if max_value is not None else max((b.value for b in bars), default=0)
    track = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    rows = []
    for i, bar in enumerate(bars):
        share = Decimal(bar.value) / Decimal(top) if top else Decimal(0)
        length = int(min(share, Decimal(1)) * track)
        rows.append(
            {
                "bar": bar,
                "y": i * (BAR_HEIGHT + BAR_GAP),
                "text_y": i * (BAR_HEIGHT + BAR_GAP) + BAR_HEIGHT // 2 + 5,
                "length": max(length, 2 if bar.value else 0),
                "tone": bar.tone if bar.tone in TONES else "",
            }
        )
    height = max(len(bars) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP, BAR_HEIGHT)
    return {
        "title": title,
        "rows": rows,
        "width": WIDTH,
        "height": height,
        "bar_height": BAR_HEIGHT,
        "label_width": LABEL_WIDTH,
        "track": track,
        "value_x": LABEL_WIDTH + track + 8,
    }


RADIUS = 40
CIRCUMFERENCE = Decimal("251.327")  # 2 * pi * RADIUS


@register.inclusion_tag("reports/charts/gauge.html")
def gauge(percent, title: str, caption: str = "", warn_below: int = 95, bad_below: int = 80):
    """A donut filled to `percent` (0-100, None for "no data"), its value written inside."""
    if percent is None:
        return {"title": title, "caption": caption, "percent": None, "circumference": CIRCUMFERENCE}
    value = max(0, min(100, int(percent)))
    filled = (CIRCUMFERENCE * value / 100).quantize(Decimal("0.001"))
    tone = "danger" if value < bad_below else "warning" if value < warn_below else "success"
    return {
        "title": title,
        "caption": caption,
        "percent": value,
        "filled": filled,
        "gap": CIRCUMFERENCE - filled,
        "circumference": CIRCUMFERENCE,
        "tone": tone,
    }


@register.simple_tag
def line_chart(series, title, x_labels, y_unit="", width=560, height=220):
    """`series`: a list of reports.charts.Series over `x_labels` (see reports.charts)."""
    return charts.line_chart(list(series), str(title), [str(x) for x in x_labels], str(y_unit), width, height)


@register.simple_tag
def column_chart(columns, title, stacked_names=(), tones=(), y_unit="", width=560, height=220):
    """`columns`: a list of reports.charts.Column (see reports.charts)."""
    return charts.column_chart(
        list(columns), str(title), [str(n) for n in stacked_names], list(tones), str(y_unit), width, height
    )


render_line_chart = charts.line_chart
render_column_chart = charts.column_chart
