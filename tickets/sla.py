"""The SLA clock: business time, exact across time zones, DST and holidays.

Pure functions over aware datetimes; no database. A calendar says when the clock runs
(opening hours per weekday in a time zone, minus holidays, or always); the ticket model
feeds it the ticket's start, its target and the intervals it spent waiting on the client.

Time is counted in real elapsed seconds between UTC instants, so an opening interval that
spans a DST change counts what a wall clock in that zone would have shown go by.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3 * 366  # a target that needs more business days than this is a misconfiguration

Interval = tuple[time, time]


class CalendarError(ValueError):
    pass


@dataclass(frozen=True)
class Calendar:
    timezone: str = "UTC"
    # weekday (0 = Monday) -> opening intervals that day, e.g. ((09:00, 13:00), (14:00, 18:00))
    hours: dict[int, tuple[Interval, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    @classmethod
    def twenty_four_seven(cls, timezone: str = "UTC") -> Calendar:
        return cls(timezone=timezone, always_open=True)

    @classmethod
    def office_hours(
        cls,
        timezone: str,
        start: time = time(9),
        end: time = time(18),
        weekdays: Iterable[int] = range(5),
        holidays: Iterable[date] = (),
    ) -> Calendar:
        return cls(
            timezone=timezone, hours={d: ((start, end),) for d in weekdays}, holidays=frozenset(holidays)
        )

    def __post_init__(self):
        ZoneInfo(self.timezone)  # unknown zones fail here, not at 3 a.m. in the sweep
        if not self.always_open and not any(self.hours.values()):
            raise CalendarError("a calendar needs opening hours, or to be always open")
        for intervals in self.hours.values():
            for start, end in intervals:
                if end <= start and end != time(0):
                    raise CalendarError(f"opening interval {start}-{end} ends before it starts")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def open_intervals(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Opening intervals as UTC instants, in order, from the local day of `since` on."""
        zone = self.zone
        day = since.astimezone(zone).date()
        for _ in range(MAX_DAYS):
            if day not in self.holidays:
                for start, end in self.hours.get(day.weekday(), ()):
                    local_start = datetime.combine(day, start, tzinfo=zone)
                    # An interval ending at 00:00 runs to the end of the day.
                    end_day = day + timedelta(days=1) if end == time(0) else day
                    local_end = datetime.combine(end_day, end, tzinfo=zone)
                    yield _utc(local_start), _utc(local_end)
            day += timedelta(days=1)
        raise CalendarError(f"no opening hours within {MAX_DAYS} days")


def _utc(moment: datetime) -> datetime:
    # Round-tripping through UTC normalises wall times that DST skips (02:30 on a spring-forward day).
    return moment.astimezone(UTC)


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("SLA times must be timezone-aware")
    return moment.astimezone(UTC)


def add_business_seconds(start: datetime, seconds: int, calendar: Calendar) -> datetime:
    """The instant when `seconds` of business time have passed since `start`."""
    start = _require_aware(start)
    if seconds < 0:
        raise ValueError("cannot add negative business time")
    if calendar.always_open or seconds == 0:
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    for open_at, close_at in calendar.open_intervals(start):
        if close_at <= start:
            continue
        begin = max(open_at, start)
        available = close_at - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise CalendarError("unreachable")  # open_intervals raises first


def add_business_minutes(start: datetime, minutes: int, calendar: Calendar) -> datetime:
    return add_business_seconds(start, minutes * 60, calendar)


def business_seconds_between(start: datetime, end: datetime, calendar: Calendar) -> int:
    """Business time from `start` to `end` (0 if end is not after start)."""
    start, end = _require_aware(start), _require_aware(end)
    if end <= start:
        return 0
    if calendar.always_open:
        return int((end - start).total_seconds())
    total = timedelta(0)
    for open_at, close_at in calendar.open_intervals(start):
        if open_at >= end:
            break
        begin, finish = max(open_at, start), min(close_at, end)
        if finish > begin:
            total += finish - begin
    return int(total.total_seconds())


def due_at(
    start: datetime,
    target_minutes: int,
    calendar: Calendar,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
) -> datetime | None:
    """When a clock started at `start` with this target runs out, given its pauses.

    `pauses` are (paused at, resumed at or None while still paused). While paused there is
    no due time (None): the clock is not running.
    """
    remaining = target_minutes * 60
    cursor = _require_aware(start)
    for paused_at, resumed_at in sorted(pauses, key=lambda p: p[0]):
        paused_at = _require_aware(paused_at)
        if paused_at < cursor:
            paused_at = cursor
        candidate = add_business_seconds(cursor, remaining, calendar)
        if candidate <= paused_at:
            return candidate
        remaining -= business_seconds_between(cursor, paused_at, calendar)
        if resumed_at is None:
            return None
        cursor = max(cursor, _require_aware(resumed_at))
    return add_business_seconds(cursor, remaining, calendar)


def elapsed_seconds(
    start: datetime,
    now: datetime,
    calendar: Calendar,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
) -> int:
    """Business time the clock has run from `start` to `now`, pauses excluded."""
    total = business_seconds_between(start, now, calendar)
    for paused_at, resumed_at in pauses:
        end = min(_require_aware(resumed_at), _require_aware(now)) if resumed_at else _require_aware(now)
        total -= business_seconds_between(
            max(_require_aware(paused_at), _require_aware(start)), end, calendar
        )
    return max(total, 0)
