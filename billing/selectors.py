"""Reads of billing: what a member may see, the accounts-receivable summary."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from djmoney.money import Money

from billing.models import Invoice, InvoiceKind, InvoiceStatus


def invoices_visible(membership):
    """The invoices a member may open: a client contact never sees a draft (the scope
    already limits it to its own company)."""
    invoices = Invoice.objects.select_related("client")
    if membership is not None and membership.is_client:
        invoices = invoices.exclude(status=InvoiceStatus.DRAFT)
    return invoices


AGE_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))


@dataclass(frozen=True)
class ReceivableRow:
    currency: str
    outstanding: object
    overdue: object
    count: int
    by_age: list  # [(label, amount)]


def receivables(today: datetime.date | None = None) -> list[ReceivableRow]:
    """Outstanding and overdue per currency, overdue split by days past due: one query."""
    today = today or timezone.localdate()
    open_invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
    due = F("total") - F("paid") - F("credited")
    aggregates = {
        "outstanding": Sum(due),
        "count": Count("pk"),
        "overdue": Sum(due, filter=Q(due_date__lt=today)),
    }
    for low, high in AGE_BUCKETS:
        upper = today - datetime.timedelta(days=low)
        window = Q(due_date__lt=upper) if low == 0 else Q(due_date__lte=upper)
        if high is not None:
            window &= Q(due_date__gte=today - datetime.timedelta(days=high))
        aggregates[f"age_{low}"] = Sum(due, filter=window)
    rows = []
    for row in open_invoices.values("currency").annotate(**aggregates).order_by("currency"):

        def money(value, currency=row["currency"]):
            return Money(value or 0, currency)

        rows.append(
            ReceivableRow(
                currency=row["currency"],
                outstanding=money(row["outstanding"]),
                overdue=money(row["overdue"]),
                count=row["count"],
                by_age=[
                    (f"{low}–{high}" if high else f"{low}+", money(row[f"age_{low}"]))
                    for low, high in AGE_BUCKETS
                ],
            )
        )
    return rows
