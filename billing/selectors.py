"""Reads of billing: what a member may see, the accounts-receivable summary."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, DecimalField, F, Q, Sum, When
from django.utils import timezone
from djmoney.money import Money

from billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment


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
    credited: object = None  # credit notes already taken off the open invoices
    owed_to_clients: object = None  # credit notes on invoices paid before: to refund


def receivables(today: datetime.date | None = None) -> list[ReceivableRow]:
    """Outstanding and overdue per currency, overdue split by days past due: one query."""
    today = today or timezone.localdate()
    open_invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
    due = F("total") - F("paid") - F("credited")
    aggregates = {
        "outstanding": Sum(due),
        "credited_sum": Sum("credited"),
        "count": Count("pk"),
        "overdue": Sum(due, filter=Q(due_date__lt=today)),
    }
    for low, high in AGE_BUCKETS:
        upper = today - datetime.timedelta(days=low)
        window = Q(due_date__lt=upper) if low == 0 else Q(due_date__lte=upper)
        if high is not None:
            window &= Q(due_date__gte=today - datetime.timedelta(days=high))
        aggregates[f"age_{low}"] = Sum(due, filter=window)
    # A credit note on an invoice already paid leaves the client in credit: what is owed back.
    refunds = {
        row["currency"]: -row["owed"]
        for row in Invoice.objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.PAID, credited__gt=0)
        .alias(left=F("total") - F("paid") - F("credited"))
        .filter(left__lt=0)
        .values("currency")
        .annotate(owed=Sum(F("total") - F("paid") - F("credited")))
        .order_by("currency")
    }
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
                credited=money(row["credited_sum"]),
                owed_to_clients=money(refunds.pop(row["currency"], 0)),
                by_age=[
                    (f"{low}–{high}" if high else f"{low}+", money(row[f"age_{low}"]))
                    for low, high in AGE_BUCKETS
                ],
            )
        )
    for currency, owed in sorted(refunds.items()):  # in credit, with nothing open
        nothing = Money(0, currency)
        rows.append(
            ReceivableRow(
                currency, nothing, nothing, 0, [], credited=nothing, owed_to_clients=Money(owed, currency)
            )
        )
    return rows


@dataclass(frozen=True)
class StatementRow:
    date: datetime.date
    kind: str  # "invoice", "credit_note", "payment"
    label: str
    document: Invoice
    debit: object  # Money or None
    credit: object
    balance: object


@dataclass(frozen=True)
class Statement:
    currency: str
    opening: object
    rows: list
    closing: object


def client_statement(client, *, start: datetime.date, end: datetime.date) -> list[Statement]:
    """What a client was billed, credited and paid between two days, per currency, with the
    balance before, after each movement, and at the end: invoices are debits, credit notes and
    payments credits (void documents count for nothing). Three queries, whatever the history."""
    documents = Invoice.objects.filter(client=client).exclude(
        status__in=(InvoiceStatus.DRAFT, InvoiceStatus.VOID)
    )
    payments = Payment.objects.filter(invoice__in=documents)
    signed = Case(
        When(kind=InvoiceKind.CREDIT_NOTE, then=-F("total")), default=F("total"), output_field=DecimalField()
    )
    opening = {}
    for row in documents.filter(issue_date__lt=start).values("currency").annotate(sum=Sum(signed)).order_by():
        opening[row["currency"]] = opening.get(row["currency"], 0) + row["sum"]
    for row in (
        payments.filter(paid_at__lt=start).values("invoice__currency").annotate(sum=Sum("amount")).order_by()
    ):
        opening[row["invoice__currency"]] = opening.get(row["invoice__currency"], 0) - row["sum"]
    moves = []  # (date, order, kind, document, amount signed)
    for doc in documents.filter(issue_date__range=(start, end)).select_related("corrects"):
        kind = InvoiceKind.CREDIT_NOTE if doc.kind == InvoiceKind.CREDIT_NOTE else InvoiceKind.INVOICE
        moves.append(
            (doc.issue_date, 0, doc.pk, kind, doc, doc.total if kind == InvoiceKind.INVOICE else -doc.total)
        )
    for payment in payments.filter(paid_at__range=(start, end)).select_related("invoice"):
        moves.append((payment.paid_at, 1, payment.pk, "payment", payment.invoice, -payment.amount))
    moves.sort(key=lambda move: move[:3])
    statements = {}
    for currency in sorted({m[4].currency for m in moves} | set(opening)):
        statements[currency] = (Money(opening.get(currency, 0), currency), [])
    balances = {currency: start_balance for currency, (start_balance, _rows) in statements.items()}
    for day, _order, _pk, kind, doc, amount in moves:
        balances[doc.currency] += amount
        positive = amount.amount > 0
        statements[doc.currency][1].append(
            StatementRow(
                date=day,
                kind=kind,
                label=doc.number,
                document=doc,
                debit=amount if positive else None,
                credit=None if positive else -amount,
                balance=balances[doc.currency],
            )
        )
    return [
        Statement(currency=currency, opening=start_balance, rows=rows, closing=balances[currency])
        for currency, (start_balance, rows) in statements.items()
    ]
