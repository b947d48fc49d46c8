"""The SLA clock's arithmetic: business hours, weekends, holidays, DST, pauses, 24x7."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from tickets.sla import (
    Calendar,
    CalendarError,
    add_business_minutes,
    business_seconds_between,
    due_at,
    elapsed_seconds,
)

ROME = ZoneInfo("Europe/Rome")
NEW_YORK = ZoneInfo("America/New_York")


def rome(*args):
    return datetime(*args, tzinfo=ROME)


def ny(*args):
    return datetime(*args, tzinfo=NEW_YORK)


OFFICE_ROME = Calendar.office_hours("Europe/Rome")  # Mon-Fri 09:00-18:00


def test_within_one_business_day():
    assert add_business_minutes(rome(2026, 11, 23, 10, 0), 120, OFFICE_ROME) == rome(2026, 11, 23, 12, 0)


def test_a_ticket_opened_at_night_starts_counting_at_opening():
    assert add_business_minutes(rome(2026, 11, 23, 22, 30), 60, OFFICE_ROME) == rome(2026, 11, 24, 10, 0)


def test_friday_evening_rolls_over_the_weekend():
    # Friday 17:00 + 2 h: one hour on Friday, one on Monday morning.
    assert add_business_minutes(rome(2026, 11, 27, 17, 0), 120, OFFICE_ROME) == rome(2026, 11, 30, 10, 0)


def test_holidays_are_skipped():
    calendar = Calendar.office_hours("Europe/Rome", holidays=[date(2026, 12, 8)])  # Immacolata, a Tuesday
    assert add_business_minutes(rome(2026, 12, 7, 17, 0), 120, calendar) == rome(2026, 12, 9, 10, 0)


def test_split_opening_hours_skip_lunch():
    calendar = Calendar(
        timezone="Europe/Rome", hours={d: ((time(9), time(13)), (time(14), time(18))) for d in range(5)}
    )
    assert add_business_minutes(rome(2026, 11, 23, 12, 30), 60, calendar) == rome(2026, 11, 23, 14, 30)


def test_europe_rome_spring_forward_keeps_business_hours_in_local_time():
    # 2026-03-29 is the Sunday clocks go 02:00 -> 03:00; Monday's 09:00 is now UTC+2.
    due = add_business_minutes(rome(2026, 3, 27, 17, 0), 120, OFFICE_ROME)
    assert due == rome(2026, 3, 30, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_europe_rome_fall_back():
    # 2026-10-25: clocks go 03:00 -> 02:00. Friday 17:00 (UTC+2) + 2 h -> Monday 10:00 (UTC+1).
    due = add_business_minutes(rome(2026, 10, 23, 17, 0), 120, OFFICE_ROME)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_a_24x7_calendar_counts_real_time_across_dst():
    calendar = Calendar.twenty_four_seven("Europe/Rome")
    # 01:30 + 60 min on spring-forward night is 03:30 local (02:xx never happens).
    assert add_business_minutes(rome(2026, 3, 29, 1, 30), 60, calendar) == rome(2026, 3, 29, 3, 30)
    # Saturday and Sunday count too.
    assert add_business_minutes(rome(2026, 11, 28, 23, 0), 120, calendar) == rome(2026, 11, 29, 1, 0)


def test_america_new_york_spring_forward_and_fall_back():
    calendar = Calendar.office_hours("America/New_York")
    # 2026-03-08 DST starts: Friday 17:00 EST + 2 h -> Monday 10:00 EDT (14:00 UTC).
    due = add_business_minutes(ny(2026, 3, 6, 17, 0), 120, calendar)
    assert due.astimezone(UTC) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    # 2026-11-01 DST ends: Friday 17:00 EDT + 2 h -> Monday 10:00 EST (15:00 UTC).
    due = add_business_minutes(ny(2026, 10, 30, 17, 0), 120, calendar)
    assert due.astimezone(UTC) == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def test_a_calendar_in_one_zone_serves_a_ticket_opened_in_another():
    # 08:30 in New York is 14:30 in Rome: 3.5 h left today in Rome, so a 4 h target ends at 09:30 tomorrow.
    assert add_business_minutes(ny(2026, 11, 23, 8, 30), 240, OFFICE_ROME) == rome(2026, 11, 24, 9, 30)


def test_business_time_between_two_instants():
    # Friday 16:00 -> Monday 11:00 = 2 h Friday + 2 h Monday.
    assert (
        business_seconds_between(rome(2026, 11, 27, 16, 0), rome(2026, 11, 30, 11, 0), OFFICE_ROME)
        == 4 * 3600
    )
    assert business_seconds_between(rome(2026, 11, 30, 11, 0), rome(2026, 11, 27, 16, 0), OFFICE_ROME) == 0


def test_waiting_on_the_client_pauses_the_clock():
    start = rome(2026, 11, 23, 9, 0)
    pauses = [(rome(2026, 11, 23, 10, 0), rome(2026, 11, 23, 15, 0))]  # waited 5 business hours
    assert due_at(start, 4 * 60, OFFICE_ROME, pauses) == rome(2026, 11, 23, 18, 0)
    # While still paused there is no due time.
    assert due_at(start, 4 * 60, OFFICE_ROME, [(rome(2026, 11, 23, 10, 0), None)]) is None
    # A pause after the target ran out does not move the due time.
    assert due_at(start, 60, OFFICE_ROME, [(rome(2026, 11, 23, 11, 0), rome(2026, 11, 23, 12, 0))]) == rome(
        2026, 11, 23, 10, 0
    )
    assert elapsed_seconds(start, rome(2026, 11, 23, 16, 0), OFFICE_ROME, pauses) == 2 * 3600


def test_a_pause_over_the_weekend():
    start = rome(2026, 11, 27, 16, 0)  # Friday
    pauses = [(rome(2026, 11, 27, 17, 0), rome(2026, 11, 30, 12, 0))]  # until Monday noon
    # 1 h used on Friday, 3 h left from Monday 12:00 -> 15:00.
    assert due_at(start, 4 * 60, OFFICE_ROME, pauses) == rome(2026, 11, 30, 15, 0)


def test_a_server_gets_its_faster_target():
    # The seeds' Platinum: first response 2 h, 1 h for servers — the policy picks the
    # target, the clock only counts; both from Monday 17:30.
    start = rome(2026, 11, 23, 17, 30)
    assert add_business_minutes(start, 60, OFFICE_ROME) == rome(2026, 11, 24, 9, 30)
    assert add_business_minutes(start, 120, OFFICE_ROME) == rome(2026, 11, 24, 10, 30)


def test_bad_calendars_and_naive_times_are_refused():
    with pytest.raises(CalendarError):
        Calendar(timezone="Europe/Rome", hours={})
    with pytest.raises(CalendarError):
        Calendar(timezone="Europe/Rome", hours={0: ((time(18), time(9)),)})
    with pytest.raises(ZoneInfoNotFoundError):
        Calendar.office_hours("Mars/Olympus_Mons")
    with pytest.raises(ValueError):
        add_business_minutes(datetime(2026, 11, 23, 9, 0), 60, OFFICE_ROME)
    everything_holiday = Calendar(timezone="UTC", hours={0: ((time(9), time(10)),)}, holidays=frozenset())
    assert add_business_minutes(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), 30, everything_holiday) == datetime(
        2026, 11, 23, 9, 30, tzinfo=UTC
    )
