"""The accountant's files: invoices, credit notes and payments in the layouts accounting programs
import, and what keeps a document out of them.

Three formats (billing.models.ExportFormat), each file UTF-8 CSV with a header row:

* **Xero** (a ZIP): `xero-sales-invoices.csv` in the columns of Xero's sales invoice import
  template (`*ContactName, EmailAddress, POAddressLine1-4, POCity, PORegion, POPostalCode,
  POCountry, *InvoiceNumber, Reference, *InvoiceDate, *DueDate, InventoryItemCode, *Description,
  *Quantity, *UnitAmount, Discount, *AccountCode, *TaxType, TrackingName1, TrackingOption1,
  TrackingName2, TrackingOption2, Currency, BrandingTheme`), one row per line, unit amounts tax
  exclusive; a credit note is the same document with negative unit amounts, which Xero imports
  as a credit note (its total is negative), its Reference the invoice it corrects. Payments go
  in `xero-bank-<account>.csv`, Xero's bank statement import (`*Date, *Amount, Payee,
  Description, Reference, Cheque Number`), one file per bank account, to reconcile against the
  invoices.
* **QuickBooks Online** (a ZIP): `qbo-invoices.csv` in the columns QuickBooks Online's invoice
  import recognises by name (`InvoiceNo, Customer, InvoiceDate, DueDate, Terms, Location, Memo,
  Item(Product/Service), ItemDescription, ItemQuantity, ItemRate, ItemAmount, ItemTaxCode,
  ItemTaxAmount, Currency, Service Date`); `qbo-credit-memos.csv`, the same layout for credit
  memos with `CreditMemoNo`/`CreditMemoDate` (QuickBooks has no built-in credit memo import:
  the layout the usual import tools read), positive amounts; payments in `qbo-bank-<account>.csv`,
  QuickBooks' three-column bank upload (`Date, Description, Amount`), to match the deposits
  against the open invoices.
* **Journal** (one CSV): double-entry rows `entry, date, document, type, contact, account,
  description, debit, credit, vat_code, currency`; each entry (a document or a payment)
  balances: the receivable against sales per line and VAT per code, the bank against the
  receivable.

Amounts are the stored ones (each line's rounded amount and tax): nothing is recomputed, so
the totals an import arrives at are the documents' to the cent. Dates are DD/MM/YYYY, or
MM/DD/YYYY for an MSP in the United States (both programs read the organisation's style).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from billing.models import (
    DocumentKind,
    ExportFormat,
    Invoice,
    InvoiceKind,
    LineKind,
    MappingKind,
    Payment,
    PaymentMethod,
    vat_category,
)
from msp.money import quantize_money

XERO_SALES_HEADER = [
    "*ContactName", "EmailAddress", "POAddressLine1", "POAddressLine2", "POAddressLine3", "POAddressLine4",
    "POCity", "PORegion", "POPostalCode", "POCountry", "*InvoiceNumber", "Reference", "*InvoiceDate",
    "*DueDate", "InventoryItemCode", "*Description", "*Quantity", "*UnitAmount", "Discount", "*AccountCode",
    "*TaxType", "TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2", "Currency",
    "BrandingTheme",
]  # fmt: skip
XERO_BANK_HEADER = ["*Date", "*Amount", "Payee", "Description", "Reference", "Cheque Number"]
QBO_INVOICE_HEADER = [
    "InvoiceNo", "Customer", "InvoiceDate", "DueDate", "Terms", "Location", "Memo", "Item(Product/Service)",
    "ItemDescription", "ItemQuantity", "ItemRate", "ItemAmount", "ItemTaxCode", "ItemTaxAmount", "Currency",
    "Service Date",
]  # fmt: skip
QBO_CREDIT_MEMO_HEADER = ["CreditMemoNo", "Customer", "CreditMemoDate", *QBO_INVOICE_HEADER[4:]]
del QBO_CREDIT_MEMO_HEADER[QBO_CREDIT_MEMO_HEADER.index("Terms")]  # a credit memo has no terms
QBO_BANK_HEADER = ["Date", "Description", "Amount"]
JOURNAL_HEADER = [
    "entry", "date", "document", "type", "contact", "account", "description", "debit", "credit", "vat_code",
    "currency",
]  # fmt: skip

# A buyer in another country accounts for the VAT itself (reverse charge, intra-EU supply): the
# document must name its VAT number.
BUYER_VAT_CATEGORIES = frozenset({"AE", "K"})


# --- mappings --------------------------------------------------------------------------------


def vat_key(line) -> str:
    """The VAT code a line posts under: its rate's code, else its rate (and nature), e.g. "22%"."""
    if line.tax_code:
        return line.tax_code
    rate = f"{Decimal(line.tax_rate).normalize():f}"
    return f"{rate}% {line.tax_nature}" if line.tax_nature else f"{rate}%"


@dataclass(frozen=True)
class Need:
    """One mapping a format needs: its kind, key and field, and how the page names it."""

    kind: str
    key: str
    field: str


class Mappings:
    """The tenant's AccountMapping rows, read once."""

    def __init__(self, rows):
        self._rows = {(row.kind, row.key): row for row in rows}

    def value(self, need: Need) -> str:
        row = self._rows.get((need.kind, need.key))
        return (getattr(row, need.field) or "").strip() if row is not None else ""


FIELD_LABELS = {
    "account": lambda: _("account code"),
    "qbo_name": lambda: _("QuickBooks name"),
    "xero_tax_type": lambda: _("Xero tax type"),
}


def need_label(need: Need) -> str:
    """What is missing, in words: "the account code for sales of Labour"."""
    what = FIELD_LABELS[need.field]()
    if need.kind == MappingKind.SALES:
        subject = _("sales of %(kind)s") % {
            "kind": LineKind(need.key).label if need.key in LineKind.values else need.key
        }
    elif need.kind == MappingKind.BANK:
        method = PaymentMethod(need.key).label if need.key in PaymentMethod.values else need.key
        subject = _("payments by %(method)s") % {"method": method}
    elif need.kind == MappingKind.VAT:
        subject = _("VAT code %(code)s") % {"code": need.key}
    else:
        subject = _("receivables")
    return _("No %(what)s for %(subject)s.") % {"what": what, "subject": subject}


def line_needs(fmt: str, line) -> list[Need]:
    key = vat_key(line)
    if fmt == ExportFormat.QBO:
        return [Need(MappingKind.SALES, line.kind, "qbo_name"), Need(MappingKind.VAT, key, "qbo_name")]
    if fmt == ExportFormat.XERO:
        return [Need(MappingKind.SALES, line.kind, "account"), Need(MappingKind.VAT, key, "xero_tax_type")]
    needs = [Need(MappingKind.SALES, line.kind, "account")]
    if line.tax.amount:
        needs.append(Need(MappingKind.VAT, key, "account"))
    return needs


def document_needs(fmt: str) -> list[Need]:
    return [Need(MappingKind.RECEIVABLES, "", "account")] if fmt == ExportFormat.JOURNAL else []


def payment_needs(fmt: str, payment) -> list[Need]:
    needs = [Need(MappingKind.BANK, payment.method, "account")]
    return needs + document_needs(fmt)


# --- problems --------------------------------------------------------------------------------


def _problem(code: str, kind: str, pk: int, invoice: Invoice, reason: str, line: int | None = None) -> dict:
    return {
        "code": code,
        "kind": kind,
        "id": pk,
        "invoice": invoice.pk,
        "document": invoice.number,
        "line": line,
        "reason": reason,
    }


def buyer_vat(invoice: Invoice) -> str:
    return (invoice.parties.get("buyer", {}) or {}).get("vat") or invoice.client.vat_number or ""


def document_problems(fmt: str, invoice: Invoice, lines, mappings: Mappings) -> list[dict]:
    """Why this invoice or credit note cannot be exported in `fmt`: every missing mapping, per
    line, and a missing buyer VAT number where a line needs one. Empty: it can."""
    problems, seen = [], set()
    for need in document_needs(fmt):
        if not mappings.value(need):
            problems.append(_problem("mapping", invoice.kind, invoice.pk, invoice, need_label(need)))
    for line in lines:
        for need in line_needs(fmt, line):
            if not mappings.value(need) and (need, line.position) not in seen:
                seen.add((need, line.position))
                problems.append(
                    _problem("mapping", invoice.kind, invoice.pk, invoice, need_label(need), line.position)
                )
    reverse_lines = [
        line.position
        for line in lines
        if vat_category(line.tax_rate, line.tax_nature) in BUYER_VAT_CATEGORIES
    ]
    if reverse_lines and not buyer_vat(invoice):
        problems.append(
            _problem(
                "vat_number",
                invoice.kind,
                invoice.pk,
                invoice,
                _("%(client)s has no VAT number, which a reverse-charge or intra-EU line needs.")
                % {"client": invoice.client.name},
                reverse_lines[0],
            )
        )
    return problems


def payment_problems(fmt: str, payment: Payment, mappings: Mappings) -> list[dict]:
    return [
        _problem("mapping", DocumentKind.PAYMENT, payment.pk, payment.invoice, need_label(need))
        for need in payment_needs(fmt, payment)
        if not mappings.value(need)
    ]


# --- writing ---------------------------------------------------------------------------------


@dataclass
class Export:
    """What one batch writes: documents (with their lines) and payments that passed."""

    fmt: str
    date_format: str
    mappings: Mappings
    documents: list = field(default_factory=list)  # [(invoice, [lines])]
    payments: list = field(default_factory=list)

    def date(self, day) -> str:
        return day.strftime(self.date_format) if day else ""

    def files(self) -> dict[str, bytes]:
        if self.fmt == ExportFormat.XERO:
            return self._xero()
        if self.fmt == ExportFormat.QBO:
            return self._qbo()
        return {"journal.csv": self._journal()}

    # Xero

    def _xero(self) -> dict[str, bytes]:
        rows = []
        for invoice, lines in self.documents:
            client = invoice.client
            sign = -1 if invoice.kind == InvoiceKind.CREDIT_NOTE else 1
            reference = invoice.corrects.number if invoice.corrects_id else _period_label(invoice)
            for line in lines:
                quantity, unit = _quantity_and_unit(line)
                rows.append(
                    [
                        contact_name(invoice),
                        client.billing_email,
                        client.street,
                        "",
                        "",
                        "",
                        client.city,
                        client.province,
                        client.postcode,
                        client.country_code,
                        invoice.number,
                        reference,
                        self.date(invoice.issue_date),
                        self.date(invoice.due_date or invoice.issue_date),
                        "",
                        _one_line(line.description),
                        _plain(quantity),
                        _plain(unit * sign),
                        "",
                        self.mappings.value(Need(MappingKind.SALES, line.kind, "account")),
                        self.mappings.value(Need(MappingKind.VAT, vat_key(line), "xero_tax_type")),
                        "",
                        "",
                        "",
                        "",
                        invoice.currency,
                        "",
                    ]  # fmt: skip
                )
        files = {"xero-sales-invoices.csv": _csv(XERO_SALES_HEADER, rows)}
        for account, payments in self._payments_by_bank().items():
            files[f"xero-bank-{_slug(account)}.csv"] = _csv(
                XERO_BANK_HEADER,
                [
                    [
                        self.date(p.paid_at),
                        _plain(p.amount.amount),
                        contact_name(p.invoice),
                        _payment_description(p),
                        p.invoice.number,
                        "",
                    ]
                    for p in payments
                ],
            )
        return files

    # QuickBooks Online

    def _qbo(self) -> dict[str, bytes]:
        invoices, memos = [], []
        for invoice, lines in self.documents:
            is_memo = invoice.kind == InvoiceKind.CREDIT_NOTE
            memo = (
                _("Corrects %(number)s: %(reason)s")
                % {"number": invoice.corrects.number, "reason": invoice.note}
                if is_memo
                else _period_label(invoice)
            )
            for line in lines:
                quantity, unit = _quantity_and_unit(line)
                head = [invoice.number, contact_name(invoice), self.date(invoice.issue_date)]
                if not is_memo:
                    head += [self.date(invoice.due_date or invoice.issue_date), ""]
                (memos if is_memo else invoices).append(
                    [
                        *head,
                        "",
                        _one_line(memo),
                        self.mappings.value(Need(MappingKind.SALES, line.kind, "qbo_name")),
                        _one_line(line.description),
                        _plain(quantity),
                        _plain(unit),
                        _plain(line.amount.amount),
                        self.mappings.value(Need(MappingKind.VAT, vat_key(line), "qbo_name")),
                        _plain(line.tax.amount),
                        invoice.currency,
                        self.date(line.period_start),
                    ]
                )
        files = {
            "qbo-invoices.csv": _csv(QBO_INVOICE_HEADER, invoices),
            "qbo-credit-memos.csv": _csv(QBO_CREDIT_MEMO_HEADER, memos),
        }
        for account, payments in self._payments_by_bank().items():
            files[f"qbo-bank-{_slug(account)}.csv"] = _csv(
                QBO_BANK_HEADER,
                [[self.date(p.paid_at), _payment_description(p), _plain(p.amount.amount)] for p in payments],
            )
        return files

    # Journal

    def _journal(self) -> bytes:
        receivables = self.mappings.value(Need(MappingKind.RECEIVABLES, "", "account"))
        rows, entry = [], 0
        for invoice, lines in self.documents:
            entry += 1
            sign = -1 if invoice.kind == InvoiceKind.CREDIT_NOTE else 1
            postings = []  # (account, description, amount: + debit / - credit, vat code)
            vat = defaultdict(Decimal)
            for line in lines:
                key = vat_key(line)
                account = self.mappings.value(Need(MappingKind.SALES, line.kind, "account"))
                postings.append((account, line.description, -sign * line.amount.amount, key))
                if line.tax.amount:
                    vat[key] += line.tax.amount
            for key, amount in vat.items():
                account = self.mappings.value(Need(MappingKind.VAT, key, "account"))
                postings.append((account, _("VAT %(code)s") % {"code": key}, -sign * amount, key))
            owed = -sum((amount for _a, _d, amount, _k in postings), Decimal(0))
            postings.insert(0, (receivables, contact_name(invoice), owed, ""))
            for account, description, amount, key in postings:
                rows.append(
                    self._journal_row(entry, invoice.issue_date, invoice, account, description, amount, key)
                )
        for payment in self.payments:
            entry += 1
            bank = self.mappings.value(Need(MappingKind.BANK, payment.method, "account"))
            amount = payment.amount.amount
            description = _payment_description(payment)
            for account, signed in ((bank, amount), (receivables, -amount)):
                rows.append(
                    self._journal_row(
                        entry,
                        payment.paid_at,
                        payment.invoice,
                        account,
                        description,
                        signed,
                        "",
                        DocumentKind.PAYMENT,
                    )
                )
        return _csv(JOURNAL_HEADER, rows)

    def _journal_row(self, entry, day, invoice, account, description, amount, key, kind=None) -> list:
        amount = Decimal(amount)
        return [
            entry,
            day.isoformat(),
            invoice.number,
            kind or invoice.kind,
            contact_name(invoice),
            account,
            _one_line(description),
            _plain(amount) if amount > 0 else "",
            _plain(-amount) if amount < 0 else "",
            key,
            invoice.currency,
        ]

    def _payments_by_bank(self) -> dict[str, list]:
        grouped = defaultdict(list)
        for payment in self.payments:
            grouped[self.mappings.value(Need(MappingKind.BANK, payment.method, "account"))].append(payment)
        return grouped


def contact_name(invoice: Invoice) -> str:
    """The buyer as the document names it (as issued), else the client's name for documents."""
    return (invoice.parties.get("buyer", {}) or {}).get("name") or invoice.client.document_name


def _period_label(invoice: Invoice) -> str:
    if invoice.period_start and invoice.period_end:
        return f"{invoice.period_start.isoformat()} – {invoice.period_end.isoformat()}"
    return ""


def _payment_description(payment: Payment) -> str:
    text = _("Payment of %(number)s by %(client)s") % {
        "number": payment.invoice.number,
        "client": contact_name(payment.invoice),
    }
    return f"{text} ({payment.reference})" if payment.reference else text


def _quantity_and_unit(line) -> tuple[Decimal, Decimal]:
    """The line's quantity and unit price, or 1 × its amount when the two do not multiply to
    the stored amount (so an import's total is always the document's)."""
    amount = line.amount.amount
    if quantize_money(line.unit_price * Decimal(line.quantity)).amount == amount:
        return Decimal(line.quantity), Decimal(line.unit_price.amount)
    return Decimal(1), Decimal(amount)


def _plain(value) -> str:
    """A number as import files want it: a dot, no grouping, no exponent."""
    value = Decimal(value)
    text = f"{value:f}"
    return "0" if value == 0 else text


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "bank"


def _csv(header: list[str], rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def zip_files(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()
