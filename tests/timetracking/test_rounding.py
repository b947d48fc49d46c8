from decimal import Decimal

import pytest

from timetracking.rounding import billed_minutes, timer_minutes, weighted_minutes


@pytest.mark.parametrize(
    ("seconds", "minutes"), [(0, 1), (1, 1), (59, 1), (60, 1), (61, 2), (900, 15), (901, 16)]
)
def test_a_timer_rounds_seconds_up_to_whole_minutes(seconds, minutes):
    assert timer_minutes(seconds) == minutes


@pytest.mark.parametrize(
    ("minutes", "rounding", "minimum", "billed"),
    [
        (15, 1, 0, 15),  # per minute by default: a 15-minute call is 15 minutes
        (16, 15, 0, 30),  # round up to the quarter hour
        (30, 15, 0, 30),
        (5, 15, 30, 30),  # a minimum per entry
        (45, 15, 30, 45),
        (1, 1, 0, 1),
    ],
)
def test_the_contracts_rounding_rule(minutes, rounding, minimum, billed):
    assert billed_minutes(minutes, rounding_minutes=rounding, minimum_minutes=minimum) == billed


def test_bad_minutes_and_rules_are_refused():
    for bad in (0, -5):
        with pytest.raises(ValueError):
            billed_minutes(bad)
    with pytest.raises(ValueError):
        billed_minutes(10, rounding_minutes=0)
    with pytest.raises(ValueError):
        timer_minutes(-1)


@pytest.mark.parametrize(
    ("minutes", "factor", "weighted"), [(60, "1.5", 90), (15, "1.5", 23), (10, "1", 10), (7, "2", 14)]
)
def test_rate_factors_weigh_minutes_exactly(minutes, factor, weighted):
    assert weighted_minutes(minutes, Decimal(factor)) == weighted
