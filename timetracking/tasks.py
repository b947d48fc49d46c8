"""Celery tasks of timetracking/: the low-balance check after a draw, out of the request."""

from __future__ import annotations

from celery import shared_task

from timetracking.notifications import balance_check


@shared_task(acks_late=True)
def balance_check_task(contract_id: int) -> list[int]:
    """Warn once per level crossed (BalanceWarning is unique per block and level, so a
    redelivered task never warns twice)."""
    return balance_check(contract_id)
