"""Draw-down allocation and renewal arithmetic (the ledger service builds on these)."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts.allocation import BlockBalance, allocate, blocks_needed

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def block(block_id, minutes, *, bought_days_ago=10, expires_in_days=None):
    return BlockBalance(
        block_id=block_id,
        available_minutes=minutes,
        purchased_at=NOW - timedelta(days=bought_days_ago),
        expires_at=None if expires_in_days is None else NOW + timedelta(days=expires_in_days),
    )


def test_oldest_expiring_block_is_drawn_first_and_the_split_is_exact():
    blocks = [block(1, 600), block(2, 100, expires_in_days=30), block(3, 50, expires_in_days=5)]
    result = allocate(blocks, 200, NOW)
    assert result.draws == [(3, 50), (2, 100), (1, 50)]
    assert result.drawn_minutes == 200 and result.shortfall_minutes == 0


def test_expired_and_empty_blocks_are_never_drawn():
    blocks = [block(1, 100, expires_in_days=-1), block(2, 0), block(3, 30)]
    result = allocate(blocks, 45, NOW)
    assert result.draws == [(3, 30)] and result.shortfall_minutes == 15


def test_blocks_without_expiry_are_drawn_oldest_purchase_first():
    blocks = [block(1, 60, bought_days_ago=1), block(2, 60, bought_days_ago=40)]
    assert allocate(blocks, 90, NOW).draws == [(2, 60), (1, 30)]


def test_nothing_to_draw_from_is_all_shortfall():
    assert allocate([], 15, NOW).shortfall_minutes == 15
    with pytest.raises(ValueError):
        allocate([], -1, NOW)


@pytest.mark.parametrize(
    ("before", "after", "shortfall", "expected"),
    [
        (600, 585, 0, 0),  # a 15-minute call from a fresh 10 h block: no renewal
        (300, 299, 0, 1),  # the seeds: crossing under 5 h buys one 10 h block
        (299, 280, 0, 0),  # already under (renewal smaller than threshold): once per crossing
        (100, 0, 500, 2),  # 600 min entry on 100 left: one block covers 500 but leaves 100 < 300 -> +1
        (100, 0, 200, 1),  # one block covers 200 and leaves 400 >= 300
        (100, 0, 1500, 3),  # larger than balance plus one block: as many as needed, said so
    ],
)
def test_how_many_blocks_a_draw_renews(before, after, shortfall, expected):
    assert (
        blocks_needed(
            balance_before_minutes=before,
            balance_after_minutes=after,
            shortfall_minutes=shortfall,
            threshold_minutes=300,
            block_minutes=600,
        )
        == expected
    )
