"""Draw-down allocation: which hour blocks a number of minutes is taken from.

Oldest-expiring first (blocks that never expire last, then oldest purchase first), so the
client never loses minutes that could have been used; expired blocks are never drawn.
Pure functions over integers: the ledger service locks the contract and calls them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class BlockBalance:
    block_id: int
    available_minutes: int
    purchased_at: datetime
    expires_at: datetime | None = None

    def usable_at(self, moment: datetime) -> bool:
        return self.available_minutes > 0 and (self.expires_at is None or self.expires_at > moment)


@dataclass(frozen=True)
class Allocation:
    draws: list[tuple[int, int]]  # (block id, minutes), in drawing order
    shortfall_minutes: int  # what no block could cover: overage, or a reason to renew

    @property
    def drawn_minutes(self) -> int:
        return sum(minutes for _, minutes in self.draws)


def drawing_order(blocks: list[BlockBalance], moment: datetime) -> list[BlockBalance]:
    usable = [block for block in blocks if block.usable_at(moment)]
    return sorted(
        usable,
        key=lambda b: (b.expires_at is None, b.expires_at or b.purchased_at, b.purchased_at, b.block_id),
    )


def allocate(blocks: list[BlockBalance], minutes: int, moment: datetime) -> Allocation:
    if minutes < 0:
        raise ValueError("allocate a positive number of minutes")
    remaining, draws = minutes, []
    for block in drawing_order(blocks, moment):
        if remaining == 0:
            break
        take = min(block.available_minutes, remaining)
        draws.append((block.block_id, take))
        remaining -= take
    return Allocation(draws=draws, shortfall_minutes=remaining)


def blocks_needed(
    *,
    balance_before_minutes: int,
    balance_after_minutes: int,
    shortfall_minutes: int,
    threshold_minutes: int,
    block_minutes: int,
) -> int:
    """How many renewal blocks a draw calls for (auto-renew on).

    One when the draw takes the balance from at or above the threshold to below it (once per
    crossing). When the entry is larger than the balance, as many as cover the shortfall,
    plus one if what is left of them would still be under the threshold.
    """
    if block_minutes <= 0:
        raise ValueError("a renewal block has minutes")
    if shortfall_minutes > 0:
        count = -(-shortfall_minutes // block_minutes)
        if count * block_minutes - shortfall_minutes < threshold_minutes:
            count += 1
        return count
    return 1 if balance_before_minutes >= threshold_minutes > balance_after_minutes else 0
