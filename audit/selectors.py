"""Reading the audit trail: a contract's or an invoice's history, newest first.

Each list is one index range, (tenant, contract, invoice or tier, id descending), read through
the scoped manager: another tenant's rows are not there to filter out.
"""

from __future__ import annotations

from audit.models import AuditEntry

PANEL_ROWS = 20


def contract_history(contract_id: int):
    return AuditEntry.objects.filter(contract_id=contract_id).order_by("-id")


def invoice_history(invoice_id: int):
    return AuditEntry.objects.filter(invoice_id=invoice_id).order_by("-id")


def tier_history(tier_id: int):
    return AuditEntry.objects.filter(tier_id=tier_id).order_by("-id")


def history_page(queryset, before: str | None, size: int = PANEL_ROWS) -> tuple[list[AuditEntry], int | None]:
    """The `size` entries older than entry `before` (keyset: constant cost on any page), and
    the id to ask for the next older page with (None on the last page). A bad `before`
    starts from the newest."""
    if before and before.isdigit():
        queryset = queryset.filter(id__lt=int(before))
    rows = list(queryset[: size + 1])
    older = rows[size - 1].pk if len(rows) > size else None
    return rows[:size], older


def history_context(request, queryset) -> dict:
    """What templates/audit/_history.html needs: a page of rows, the link to older ones."""
    from audit.display import describe

    rows, older = history_page(queryset, request.GET.get("history_before"))
    return {"history_rows": describe(rows), "history_older": older, "show_history": True}
