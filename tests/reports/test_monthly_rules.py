"""The monthly report's pure rules: the renewal forecast, break/fix pricing, lateness."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from djmoney.money import Money

from reports.figures import Forecast, break_fix_cost, late_minutes, threshold_forecast

END = date(2026, 10, 31)


def forecast(balance, used, threshold=300, days=31):
    return threshold_forecast(
        balance_minutes=balance, threshold_minutes=threshold, used_minutes=used, days=days, from_day=END
    )


def test_the_threshold_is_reached_on_the_first_day_it_is_crossed():
    # 487 minutes above the threshold at 533 per 31 days: 28.33 days, so during the 29th.
    assert forecast(787, 533) == Forecast("date", date(2026, 11, 29), 120)
    # Exactly 30 days of use at 10 a day: reached at the end of the 30th day.
    assert forecast(600, 310) == Forecast("date", END + timedelta(days=30), 70)
    # One minute above the threshold: tomorrow.
    assert forecast(301, 31) == Forecast("date", END + timedelta(days=1), 7)


def test_no_use_means_no_date_and_a_balance_under_the_threshold_says_so():
    assert forecast(900, 0) == Forecast("idle", None, 0)
    assert forecast(900, -30) == Forecast("idle", None, 0)  # reversals outweigh the use
    assert forecast(300, 200) == Forecast("below", None, 45)  # at the threshold is below it
    assert forecast(-60, 200) == Forecast("below", None, 45)  # overdrawn
    assert forecast(900, 100, days=0) == Forecast("idle", None, 0)


def test_the_weekly_pace_is_rounded_half_up():
    # 3 minutes in 14 days is 1.5 a week: 2; 1 in 14 days is 0.5: 1.
    assert forecast(900, 3, days=14).minutes_per_week == 2
    assert forecast(900, 1, days=14).minutes_per_week == 1


def test_break_fix_cost_prices_the_minutes_once_half_up():
    rate = Money("120.00", "EUR")
    assert break_fix_cost(rate, 533) == Money("1066.00", "EUR")
    assert break_fix_cost(rate, 0) == Money("0.00", "EUR")
    # 95.00 an hour for 1 minute is 1.58333...: 1.58; for 7 minutes 11.0833...: 11.08.
    assert break_fix_cost(Money("95.00", "EUR"), 1) == Money("1.58", "EUR")
    assert break_fix_cost(Money("95.00", "EUR"), 7) == Money("11.08", "EUR")
    # 0.50 an hour for 1 minute is 0.008333: 0.01; for 3 minutes exactly 0.025: half up, 0.03.
    assert break_fix_cost(Money("0.50", "EUR"), 1) == Money("0.01", "EUR")
    assert break_fix_cost(Money("0.50", "EUR"), 3) == Money("0.03", "EUR")
    # A currency without cents rounds to the unit.
    assert break_fix_cost(Money("1000", "JPY"), 1) == Money("17", "JPY")
    assert break_fix_cost(None, 533) is None


@pytest.mark.parametrize(
    ("done", "minutes"),
    [
        (datetime(2026, 10, 31, 12, 30, tzinfo=UTC), 90),  # answered 90 minutes late
        (datetime(2026, 10, 31, 11, 0, 59, tzinfo=UTC), 0),  # under a minute late: 0 whole minutes
        (None, 12 * 60),  # not answered: late up to the cutoff
        (datetime(2026, 11, 2, tzinfo=UTC), 12 * 60),  # answered after the cutoff: as if not yet
        (datetime(2026, 10, 31, 10, 0, tzinfo=UTC), 0),  # early is never negative
    ],
)
def test_lateness_runs_to_the_answer_or_to_the_cutoff(done, minutes):
    due, cutoff = datetime(2026, 10, 31, 11, 0, tzinfo=UTC), datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert late_minutes(due, done, cutoff) == minutes


def test_the_burn_down_forecast_runs_month_by_month_to_the_threshold():
    from reports.figures import ContractHours
    from reports.render import _forecast_points

    def contract(balance, used, days=31):
        read_to = date(2026, 10, days)
        return ContractHours(
            contract_id=1,
            name="",
            auto_renew=False,
            threshold_minutes=300,
            renew_block_minutes=600,
            balance_start_minutes=balance + used,
            bought_minutes=0,
            renewed_minutes=0,
            blocks_bought=0,
            renewals=0,
            used_minutes=used,
            expired_minutes=0,
            balance_end_minutes=balance,
            daily_balance=(balance,) * days,
            month_ends=(),
            forecast=threshold_forecast(
                balance_minutes=balance, threshold_minutes=300, used_minutes=used, days=days, from_day=read_to
            ),
        )

    october = date(2026, 10, 1)
    # 787 left at 533 a month: the threshold (5 h) is reached on 29 November.
    assert _forecast_points(contract(787, 533), october) == [Decimal("5.0")]
    # 3,000 left at 620 a month (20 a day): 2,400 on 30 November, 1,780 on 31 December,
    # 1,160 on 31 January, 600 at the end of February, the threshold in March.
    assert _forecast_points(contract(3000, 620), october) == [
        Decimal("40.0"),
        Decimal("29.7"),
        Decimal("19.3"),
        Decimal("10.0"),
        Decimal("5.0"),
    ]
    # Read on 10 October, 200 used so far (20 a day): 3,000 - 20 x 51 days on 30 November,
    # - 20 x 82 on 31 December, - 20 x 113 on 31 January; the threshold on 22 February.
    assert _forecast_points(contract(3000, 200, days=10), october) == [
        Decimal("33.0"),
        Decimal("22.7"),
        Decimal("12.3"),
        Decimal("5.0"),
    ]
    assert _forecast_points(contract(200, 100), october) == []  # already below: nothing to draw
