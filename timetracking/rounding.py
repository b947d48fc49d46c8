"""Minutes arithmetic for time entries: integers only, rounding applied in one place."""

from decimal import ROUND_HALF_UP, Decimal

MAX_ENTRY_MINUTES = 24 * 60


def timer_minutes(seconds: int) -> int:
    """A timer records seconds; its entry is whole minutes, rounded up, at least one."""
    if seconds < 0:
        raise ValueError("a timer cannot run backwards")
    return max(1, -(-seconds // 60))


def billed_minutes(minutes: int, *, rounding_minutes: int = 1, minimum_minutes: int = 0) -> int:
    """The contract's rounding rule: up to the next increment, never under the minimum."""
    if minutes <= 0:
        raise ValueError("an entry has a positive number of minutes")
    if rounding_minutes < 1 or minimum_minutes < 0:
        raise ValueError("rounding is at least 1 minute and the minimum is not negative")
    rounded = -(-minutes // rounding_minutes) * rounding_minutes
    return max(rounded, minimum_minutes)


def weighted_minutes(minutes: int, factor: Decimal) -> int:
    """Minutes times a work type's rate factor (1.5 for after hours), half up to a minute."""
    if factor <= 0:
        raise ValueError("a rate factor is positive")
    return int((Decimal(minutes) * Decimal(factor)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
