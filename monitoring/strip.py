"""The heartbeat strip of an asset page: one column per day, a bar from the first to the last
heartbeat of the day (the time of day upwards), a red mark for a day it was not heard.

Drawn on the server as SVG geometry (no script, no CDN), like reports' charts; every value
is also in the table under the chart and in each column's tooltip, so nobody has to read a
length.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

COLUMN, GAP, PLOT_HEIGHT, LEFT, TOP, BOTTOM = 12, 4, 96, 40, 8, 18
DAY_MINUTES = 24 * 60


@dataclass
class Column:
    x: int
    y: int
    height: int
    tone: str  # success: heard; danger: a gap while monitored; muted: before it was monitored
    label: str
    tick: str = ""  # the date written under some columns


def _minutes(moment, zone) -> int:
    local = timezone.localtime(moment, zone)
    return local.hour * 60 + local.minute


def _y(minutes: int) -> int:
    return TOP + round(PLOT_HEIGHT - minutes * PLOT_HEIGHT / DAY_MINUTES)


def heartbeat_strip(days, *, zone) -> dict:
    """Geometry of the strip for ``days`` (selectors.heartbeat_history, oldest first)."""
    first_heard = next((i for i, day in enumerate(days) if day.heard), len(days))
    columns = []
    for i, day in enumerate(days):
        x = LEFT + i * (COLUMN + GAP)
        when = date_format(day.day, "SHORT_DATE_FORMAT")
        tick = date_format(day.day, "j M") if (len(days) - 1 - i) % 7 == 0 else ""  # weekly, to today
        if day.heard:
            top = _y(_minutes(day.last_at, zone))
            bottom = _y(_minutes(day.first_at, zone))
            label = _("%(day)s: heard from %(first)s to %(last)s") % {
                "day": when,
                "first": time_format(timezone.localtime(day.first_at, zone), "TIME_FORMAT"),
                "last": time_format(timezone.localtime(day.last_at, zone), "TIME_FORMAT"),
            }
            columns.append(Column(x, top, max(bottom - top, 3), "success", label, tick))
        elif i < first_heard:
            columns.append(
                Column(
                    x,
                    TOP + PLOT_HEIGHT - 3,
                    3,
                    "muted",
                    _("%(day)s: not monitored yet") % {"day": when},
                    tick,
                )
            )
        else:
            columns.append(
                Column(x, TOP + PLOT_HEIGHT - 6, 6, "danger", _("%(day)s: not heard") % {"day": when}, tick)
            )
    width = LEFT + len(days) * (COLUMN + GAP) + 28  # room for the last date under today
    return {
        "columns": columns,
        "width": width,
        "height": TOP + PLOT_HEIGHT + BOTTOM,
        "plot_height": PLOT_HEIGHT,
        "left": LEFT,
        "column": COLUMN,
        "tick_y": TOP + PLOT_HEIGHT + 14,
        "grid": [(_y(m), f"{m // 60:02d}:00") for m in (0, 6 * 60, 12 * 60, 18 * 60, DAY_MINUTES)],
        "gaps": sum(1 for c in columns if c.tone == "danger"),
    }
