"""The accountant's export: a period's invoices, credit notes and payments, once per format.

`export_batch_create` picks the period's issued documents (by issue date) and payments (by
date paid), leaves out those an earlier batch of the format exported (unless `again`), lists
every document it cannot export with the reasons (billing.accounting), writes the others'
file and records them. The first export of a document in a format is a unique row
(ExportedItem): two exports at once cannot both take the same document.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _

from billing.accounting import (
    Export,
    Mappings,
    document_problems,
    payment_problems,
    vat_key,
    zip_files,
)
from billing.models import (
    AccountMapping,
    DocumentKind,
    ExportBatch,
    ExportedItem,
    ExportFormat,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    MappingKind,
    Payment,
    PaymentMethod,
    TaxRate,
)
from msp.scoping import scope_of, scoped_by

MAX_PERIOD_DAYS = 366


def date_format_of(tenant) -> str:
    return "%m/%d/%Y" if tenant.country_code == "US" else "%d/%m/%Y"


def period_check(period_start: datetime.date, period_end: datetime.date) -> None:
    if period_start > period_end:
        raise ValidationError({"period_end": _("The period ends before it starts.")})
    if (period_end - period_start).days >= MAX_PERIOD_DAYS:
        raise ValidationError({"period_end": _("Export at most a year at a time.")})


@scoped_by("tenant")
def export_batch_create(
    *,
    tenant,
    format: str,
    period_start: datetime.date,
    period_end: datetime.date,
    again: bool = False,
    by=None,
) -> ExportBatch:
    """Export the period in `format`; the batch records what it exported, skipped and refused."""
    if format not in ExportFormat.values:
        raise ValidationError({"format": _("Choose QuickBooks Online, Xero or the journal.")})
    period_check(period_start, period_end)
    mappings = Mappings(AccountMapping.objects.all())
    documents = list(
        Invoice.objects.filter(
            status__in=(InvoiceStatus.ISSUED, InvoiceStatus.PAID),
            issue_date__range=(period_start, period_end),
        )
        .select_related("client", "corrects")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "pk")))
        .order_by("issue_date", "number", "pk")
    )
    payments = list(
        Payment.objects.filter(paid_at__range=(period_start, period_end))
        .exclude(invoice__status=InvoiceStatus.VOID)
        .select_related("invoice__client")
        .order_by("paid_at", "pk")
    )
    voided = list(
        Invoice.objects.filter(status=InvoiceStatus.VOID, issue_date__range=(period_start, period_end))
        .filter(pk__in=ExportedItem.objects.filter(format=format, again=False).values("document_id"))
        .values_list("pk", "kind", "number")
    )
    done = _exported(format, documents, payments)

    export = Export(fmt=format, date_format=date_format_of(tenant), mappings=mappings)
    problems, skipped, items = [], 0, []
    for invoice in documents:
        previously = (invoice.kind, invoice.pk) in done
        if previously and not again:
            skipped += 1
            continue
        lines = list(invoice.lines.all())
        found = document_problems(format, invoice, lines, mappings)
        if found:
            problems += found
            continue
        export.documents.append((invoice, lines))
        items.append((invoice.kind, invoice.pk, previously))
    for payment in payments:
        previously = (DocumentKind.PAYMENT, payment.pk) in done
        if previously and not again:
            skipped += 1
            continue
        found = payment_problems(format, payment, mappings)
        if found:
            problems += found
            continue
        export.payments.append(payment)
        items.append((DocumentKind.PAYMENT, payment.pk, previously))
    for pk, kind, number in voided:
        problems.append(
            {
                "code": "voided",
                "kind": kind,
                "id": pk,
                "invoice": pk,
                "document": number,
                "line": None,
                "reason": _("Voided after it was exported: reverse it in your accounting program."),
            }
        )

    batch = ExportBatch(
        tenant=tenant,
        format=format,
        period_start=period_start,
        period_end=period_end,
        again=again,
        created_by=by,
        invoice_count=sum(1 for invoice, _lines in export.documents if invoice.kind == InvoiceKind.INVOICE),
        credit_note_count=sum(
            1 for invoice, _lines in export.documents if invoice.kind == InvoiceKind.CREDIT_NOTE
        ),
        payment_count=len(export.payments),
        skipped_count=skipped,
        problems=problems,
        problem_count=len(problems),
    )
    if items:
        files = export.files()
        stem = f"{format}-{period_start.isoformat()}-{period_end.isoformat()}"
        if format == ExportFormat.JOURNAL:  # one CSV; Xero and QuickBooks always a ZIP of theirs
            content, batch.filename = next(iter(files.values())), f"{stem}.csv"
        else:
            content, batch.filename = zip_files(files), f"{stem}.zip"
        batch.sha256 = hashlib.sha256(content).hexdigest()
        batch.file.save(batch.filename, ContentFile(content), save=False)
    try:
        with transaction.atomic():
            batch.save()
            ExportedItem.objects.bulk_create(
                ExportedItem(
                    tenant=tenant, batch=batch, format=format, kind=kind, document_id=pk, again=previously
                )
                for kind, pk, previously in items
            )
    except IntegrityError as error:
        if batch.file:
            batch.file.delete(save=False)
        raise ValidationError(
            _("Another export of these documents has just been made: look at the history and try again.")
        ) from error
    return batch


def _exported(format: str, documents, payments) -> set[tuple[str, int]]:
    """(kind, id) of the documents and payments given that a batch of the format exported."""
    ids = [invoice.pk for invoice in documents] + [payment.pk for payment in payments]
    if not ids:
        return set()
    return set(
        ExportedItem.objects.filter(format=format, again=False, document_id__in=ids).values_list(
            "kind", "document_id"
        )
    )


# --- mappings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingRow:
    """One row of the mappings page: what it maps and its current values."""

    kind: str
    key: str
    label: str
    account: str = ""
    qbo_name: str = ""
    xero_tax_type: str = ""


@scoped_by("tenant")
def mapping_rows(*, tenant) -> list[MappingRow]:
    """Every mapping the MSP may need, set or not: sales per line kind, receivables, the bank
    per payment method, VAT per code of the catalogue and per rate its issued lines carry."""
    current = {(row.kind, row.key): row for row in AccountMapping.objects.all()}
    vat_keys = {rate.code: rate.name for rate in TaxRate.objects.filter(is_active=True).only("code", "name")}
    for code, rate, nature, _count in (  # grouped: one row per VAT code and rate the lines carry
        InvoiceLine.objects.exclude(invoice__status=InvoiceStatus.DRAFT)
        .values_list("tax_code", "tax_rate", "tax_nature")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        key = vat_key(_LineKey(code, rate, nature))
        vat_keys.setdefault(key, key)
    for kind, key in current:
        if kind == MappingKind.VAT:
            vat_keys.setdefault(key, key)
    wanted = (
        [(MappingKind.SALES, value, label) for value, label in LineKind.choices]
        + [(MappingKind.RECEIVABLES, "", _("Receivables (trade debtors)"))]
        + [(MappingKind.BANK, value, label) for value, label in PaymentMethod.choices]
        + [
            (MappingKind.VAT, key, label if label == key else f"{key} · {label}")
            for key, label in sorted(vat_keys.items())
        ]
    )
    rows = []
    for kind, key, label in wanted:
        row = current.get((kind, key))
        rows.append(
            MappingRow(
                kind=kind,
                key=key,
                label=str(label),
                account=row.account if row else "",
                qbo_name=row.qbo_name if row else "",
                xero_tax_type=row.xero_tax_type if row else "",
            )
        )
    return rows


@dataclass(frozen=True)
class _LineKey:
    tax_code: str
    tax_rate: object
    tax_nature: str


MAPPING_FIELDS = {
    MappingKind.SALES: ("account", "qbo_name"),
    MappingKind.RECEIVABLES: ("account",),
    MappingKind.BANK: ("account",),
    MappingKind.VAT: ("account", "xero_tax_type", "qbo_name"),
}


def mapping_check(kind: str, key: str) -> None:
    if kind not in MappingKind.values:
        raise ValidationError({"kind": _("Choose sales, receivables, bank or VAT.")})
    if kind == MappingKind.SALES and key not in LineKind.values:
        raise ValidationError({"key": _("Sales are mapped per line kind.")})
    if kind == MappingKind.BANK and key not in PaymentMethod.values:
        raise ValidationError({"key": _("The bank is mapped per payment method.")})
    if kind == MappingKind.RECEIVABLES and key:
        raise ValidationError({"key": _("Receivables have one account: leave the key empty.")})
    if kind == MappingKind.VAT and not key.strip():
        raise ValidationError({"key": _("Name the VAT code.")})


@scoped_by("tenant")
def account_mappings_save(*, tenant, rows: list[dict]) -> int:
    """Set the mappings given ({kind, key, account, qbo_name, xero_tax_type}); a row left all
    empty is removed. Answers how many rows changed."""
    for row in rows:
        mapping_check(row["kind"], row.get("key", ""))
    current = {(row.kind, row.key): row for row in AccountMapping.objects.all()}
    changed = 0
    with transaction.atomic():
        for row in rows:
            kind, key = row["kind"], row.get("key", "").strip()
            values = {
                name: (row.get(name) or "").strip() for name in ("account", "qbo_name", "xero_tax_type")
            }
            for name in set(values) - set(MAPPING_FIELDS[kind]):
                values[name] = ""
            existing = current.get((kind, key))
            if not any(values.values()):
                if existing is not None:
                    existing.delete()
                    changed += 1
                continue
            if existing is None:
                AccountMapping.objects.create(tenant=tenant, kind=kind, key=key, **values)
                changed += 1
            elif any(getattr(existing, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(existing, name, value)
                existing.save(update_fields=list(values))
                changed += 1
    return changed


# The demo MSP's chart of accounts (msp load_demo): revenue by what is sold, one receivables
# account, the bank per way of paying, and each VAT code's account and Xero / QuickBooks names.
DEMO_SALES = {
    "recurring_fee": "58.01.01", "hour_block": "58.01.02", "labour": "58.01.03", "overage": "58.01.03",
    "onsite": "58.01.04", "service": "58.01.05", "discount": "58.01.09", "adjustment": "58.01.09",
}  # fmt: skip
DEMO_VAT = {
    "22": "OUTPUT",
    "10": "OUTPUT",
    "N4": "EXEMPTOUTPUT",
    "N6.7": "ZERORATEDOUTPUT",
    "N2.1": "ECZROUTPUTSERVICES",
}


def demo_account_mappings(*, tenant) -> int:
    """Map every account the demo MSP's export needs (idempotent: the same rows again change
    nothing)."""
    rows = [
        {"kind": MappingKind.SALES, "key": kind, "account": account, "qbo_name": f"Sales:{kind}"}
        for kind, account in DEMO_SALES.items()
    ]
    rows.append({"kind": MappingKind.RECEIVABLES, "key": "", "account": "14.01.01"})
    rows += [
        {"kind": MappingKind.BANK, "key": method, "account": "18.01.01"}
        for method, _label in PaymentMethod.choices
    ]
    rows += [
        {
            "kind": MappingKind.VAT,
            "key": code,
            "account": "25.05.01",
            "xero_tax_type": xero,
            "qbo_name": f"IVA {code}",
        }
        for code, xero in DEMO_VAT.items()
    ]
    with scope_of(tenant.pk):
        return account_mappings_save(tenant=tenant, rows=rows)
