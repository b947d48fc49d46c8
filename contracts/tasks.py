"""Celery tasks of contracts/: the low-balance check after a draw, out of the request."""

from __future__ import annotations

from contracts.notifications import balance_check
from msp.tenant_tasks import tenant_task


@tenant_task(acks_late=True)
def balance_check_task(tenant_id: int, contract_id: int) -> list[int]:
    """Warn once per level crossed (BalanceWarning is unique per block and level, so a
    redelivered task never warns twice)."""
    return balance_check(contract_id)
