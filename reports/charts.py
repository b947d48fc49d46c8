"""Line and column charts drawn on the server as SVG: for pages, the portal and the PDF report.

No script and no stylesheet needed: colours are presentation attributes, so a chart looks the
same in a page, in a stored HTML snapshot and in WeasyPrint's PDF. Each chart is an accessible
image (role="img", a <title>, and a <desc> with every value), and the numbers a reader needs
are written on it (the axis, each series' last value, each column's total), so nobody has to
read a length. Values are plain numbers in the unit the caller chose (hours, tickets, %).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

TONES = {
    "": "#2563eb",
    "info": "#0086c9",
    "success": "#079455",
    "warning": "#dc6803",
    "danger": "#d92d20",
    "muted": "#98a2b3",
}
PALETTE = ("#2563eb", "#079455", "#dc6803", "#d92d20", "#7a5af8", "#0086c9", "#98a2b3")
INK, GRID, AXIS = "#101828", "#eaecf0", "#98a2b3"

Number = int | Decimal


@dataclass(frozen=True)
class Series:
    """One line over the chart's x labels; a None point leaves a gap (e.g. a forecast that
    starts where the actual balance ends)."""

    name: str
    points: tuple[Number | None, ...] | list[Number | None]
    tone: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class Column:
    """One column: a single value, or several stacked from the bottom up."""

    label: str
    values: tuple[Number, ...] | list[Number]
    href: str = ""

    @property
    def total(self) -> Number:
        return sum(self.values, 0)


def number(value: Number) -> str:
    """A value as the reader's language writes it, without trailing zeros."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return formats.number_format(int(value), use_l10n=True)
    return formats.number_format(value.normalize(), use_l10n=True)


def nice_ceiling(value: Decimal) -> Decimal:
    """The axis top: the smallest 1, 2, 2.5 or 5 × 10^k not below `value`."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        top = step.scaleb(exponent)
        if top >= value:
            return top
    return Decimal(10).scaleb(exponent)  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class _Frame:
    """The plot area and the y scale shared by both kinds of chart."""

    width: int
    height: int
    low: Decimal
    high: Decimal
    left: int = 48
    right: int = 16
    top: int = 12
    bottom: int = 30

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    def y(self, value: Number) -> Decimal:
        span = self.high - self.low
        share = (Decimal(value) - self.low) / span if span else Decimal(0)
        return (Decimal(self.top) + Decimal(self.plot_height) * (1 - share)).quantize(Decimal("0.1"))

    def _fits(self, step: Decimal, whole: bool) -> bool:
        """A step keeps zero on a gridline, and counts on whole numbers."""
        on_zero = (self.low / step) == (self.low / step).to_integral_value()
        return on_zero and (not whole or step == step.to_integral_value())

    def grid(self, unit: str, whole: bool = False) -> list[str]:
        """Gridlines with their values; counts (`whole`) get whole-numbered lines only."""
        span = self.high - self.low
        ticks = next((t for t in (4, 5, 2, 1) if self._fits(span / t, whole)), 1)
        step = span / ticks
        parts = []
        for i in range(ticks + 1):
            value = self.low + step * i
            y = self.y(value)
            parts.append(
                f'<line x1="{self.left}" x2="{self.width - self.right}" y1="{y}" y2="{y}" '
                f'stroke="{AXIS if value == 0 else GRID}" stroke-width="1"/>'
                f'<text x="{self.left - 6}" y="{y + 4}" text-anchor="end" font-size="11" fill="{INK}">'
                f"{escape(number(value))}{escape(unit)}</text>"
            )
        return parts


def _scale(values: list[Decimal], with_zero: bool = True) -> tuple[Decimal, Decimal]:
    high = max(values, default=Decimal(0))
    low = min(values, default=Decimal(0))
    if with_zero:
        high, low = max(high, Decimal(0)), min(low, Decimal(0))
    top = nice_ceiling(high) if high > 0 else Decimal(0)
    bottom = -nice_ceiling(-low) if low < 0 else Decimal(0)
    if top == bottom:
        top = Decimal(1)
    return bottom, top


def _x_labels(labels: list[str], xs: list[Decimal], frame: _Frame, most: int = 12) -> list[str]:
    every = max(1, -(-len(labels) // most))
    y = frame.height - frame.bottom + 16
    return [
        f'<text x="{x}" y="{y}" text-anchor="middle" font-size="11" fill="{INK}">{escape(label)}</text>'
        for i, (label, x) in enumerate(zip(labels, xs, strict=False))
        if i % every == 0 or (i == len(labels) - 1 and i % every > every // 2)
    ]


def _legend(names: list[tuple[str, str, bool]], frame: _Frame) -> tuple[list[str], int]:
    """Legend entries above the plot: (name, colour, dashed). Returns the parts and the height used."""
    if len(names) < 2:
        return [], 0
    parts, x = [], frame.left
    for name, colour, dashed in names:
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        parts.append(
            f'<line x1="{x}" x2="{x + 18}" y1="8" y2="8" stroke="{colour}" stroke-width="3"{dash}/>'
            f'<text x="{x + 23}" y="12" font-size="11" fill="{INK}">{escape(name)}</text>'
        )
        x += 34 + 7 * len(name)
    return parts, 18


def _svg(
    title: str, description: str, width: int, height: int, body: list[str], css_class: str
) -> SafeString:
    # The id comes from what the chart shows, so the same figures make the same HTML (a stored
    # report regenerated is byte-for-byte the same).
    uid = hashlib.blake2s(f"{title}|{description}|{''.join(body)}".encode(), digest_size=5).hexdigest()
    return mark_safe(
        f'<figure class="chart"><svg class="{css_class}" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="chart{uid}-t chart{uid}-d" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">'
        f'<title id="chart{uid}-t">{escape(title)}</title><desc id="chart{uid}-d">{escape(description)}</desc>'
        + "".join(body)
        + "</svg></figure>"
    )


def line_chart(
    series: list[Series],
    title: str,
    x_labels: list[str],
    y_unit: str = "",
    width: int = 560,
    height: int = 220,
) -> SafeString:
    """Several lines over the same x labels, each with its last value written at its end."""
    values = [Decimal(p) for s in series for p in s.points if p is not None]
    colours = [TONES.get(s.tone) or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)]
    legend_names = [(s.name, colours[i], s.dashed) for i, s in enumerate(series)]
    low, high = _scale(values)
    probe = _Frame(width, height, low, high)
    legend, legend_height = _legend(legend_names, probe)
    frame = _Frame(width, height, low, high, top=12 + legend_height, right=56)
    count = max(len(x_labels), 1)
    step = Decimal(frame.plot_width) / (count - 1) if count > 1 else Decimal(0)
    xs = [(Decimal(frame.left) + step * i).quantize(Decimal("0.1")) for i in range(count)]
    if count == 1:
        xs = [Decimal(frame.left + frame.plot_width // 2)]
    whole = all(Decimal(v) == Decimal(v).to_integral_value() for v in values)
    body = frame.grid(y_unit, whole) + _x_labels(list(x_labels), xs, frame) + legend
    described = []
    for s, colour in zip(series, colours, strict=True):
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        runs, run = [], []
        for x, point in zip(xs, s.points, strict=False):
            if point is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append((x, frame.y(point)))
        if run:
            runs.append(run)
        for run in runs:
            coords = " ".join(f"{x},{y}" for x, y in run)
            if len(run) == 1:
                x, y = run[0]
                body.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>')
            else:
                body.append(
                    f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5" '
                    f'stroke-linejoin="round"{dash}/>'
                )
        last = next(
            ((x, p) for x, p in reversed(list(zip(xs, s.points, strict=False))) if p is not None), None
        )
        if last:
            x, point = last
            body.append(
                f'<text x="{x + 5}" y="{frame.y(point) + 4}" font-size="11" font-weight="600" fill="{colour}">'
                f"{escape(number(point))}{escape(y_unit)}</text>"
            )
        shown = ", ".join(
            f"{label} {number(p)}{y_unit}"
            for label, p in zip(x_labels, s.points, strict=False)
            if p is not None
        )
        described.append(f"{s.name}: {shown}")
    return _svg(title, "; ".join(described), width, height, body, "chart-line")


def column_chart(
    columns: list[Column],
    title: str,
    stacked_names: list[str] | tuple[str, ...] = (),
    tones: list[str] | tuple[str, ...] = (),
    y_unit: str = "",
    width: int = 560,
    height: int = 220,
) -> SafeString:
    """Vertical columns, one value each or several stacked (named by `stacked_names`), each
    column's total written above it."""
    layers = max((len(c.values) for c in columns), default=1)
    colours = [TONES.get(tones[i]) if i < len(tones) else PALETTE[i % len(PALETTE)] for i in range(layers)]
    colours = [c or PALETTE[i % len(PALETTE)] for i, c in enumerate(colours)]
    low, high = _scale([Decimal(c.total) for c in columns])
    probe = _Frame(width, height, low, high)
    names = list(stacked_names)[:layers]
    legend, legend_height = _legend([(n, colours[i], False) for i, n in enumerate(names)], probe)
    frame = _Frame(width, height, low, high, top=16 + legend_height)
    slot = Decimal(frame.plot_width) / max(len(columns), 1)
    bar = max(min(slot * Decimal("0.7"), Decimal(48)), Decimal(2))
    xs = [(Decimal(frame.left) + slot * i + slot / 2).quantize(Decimal("0.1")) for i in range(len(columns))]
    whole = all(Decimal(v) == Decimal(v).to_integral_value() for c in columns for v in c.values)
    body = frame.grid(y_unit, whole) + _x_labels([c.label for c in columns], xs, frame) + legend
    described = []
    for column, x in zip(columns, xs, strict=True):
        base = Decimal(0)
        left = (x - bar / 2).quantize(Decimal("0.1"))
        rects = []
        for i, value in enumerate(column.values):
            value = Decimal(value)
            if value:
                y_top, y_bottom = frame.y(base + value), frame.y(base)
                rects.append(
                    f'<rect x="{left}" y="{min(y_top, y_bottom)}" width="{bar.quantize(Decimal("0.1"))}" '
                    f'height="{abs(y_bottom - y_top)}" fill="{colours[i]}"/>'
                )
            base += value
        total = column.total
        label = (
            f'<text x="{x}" y="{frame.y(max(total, 0)) - 4}" text-anchor="middle" font-size="11" '
            f'font-weight="600" fill="{INK}">{escape(number(total))}</text>'
        )
        group = "".join(rects) + label
        if column.href:
            group = f'<a href="{escape(column.href)}">{group}</a>'
        body.append(f"<g>{group}</g>")
        parts = (
            ", ".join(f"{n} {number(v)}" for n, v in zip(names, column.values, strict=False))
            if names
            else number(total)
        )
        described.append(f"{column.label}: {parts}{y_unit}")
    return _svg(title, "; ".join(described), width, height, body, "chart-columns")
