"""EN 16931: what an invoice says in the European standard's terms, shared by its two syntaxes
(UBL 2.1 for Peppol BIS 3, `billing.einvoice.ubl`; CII for Factur-X, `billing.einvoice.cii`).

`en16931_document(invoice)` reads the invoice once into plain values: the parties, the lines
with their VAT category (UNCL 5305, from the line's rate and exemption nature), the VAT
breakdown per category and rate, and the totals. Every amount is a sum of the *stored* line
amounts and taxes (rounded per line when the invoice was drafted), so the XML's totals are the
invoice's to the cent; nothing is recomputed.

`en16931_missing(invoice)` says what the seller or the buyer lacks for a valid EN 16931
invoice; while it says anything, no e-invoice is made and the PDF stays a plain PDF/A.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceKind, InvoiceLine, vat_category
from msp.scoping import scope_of

# The categories whose lines the buyer's VAT number must accompany (BR-AE-02, BR-IC-02).
BUYER_VAT_CATEGORIES = {"AE", "K"}

# Why a line carries no VAT, when its rate names no legal reference (BT-120), and the VATEX
# code of the category where one category means one reason (BT-121).
EXEMPTION_TEXT = {
    "E": "Exempt from VAT",
    "AE": "Reverse charge",
    "K": "Intra-community supply",
    "G": "Export outside the EU",
    "O": "Not subject to VAT",
}
EXEMPTION_CODE = {"AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "G": "VATEX-EU-G", "O": "VATEX-EU-O"}

# UN/ECE Recommendation 20 units for the units our lines carry; anything else is "one".
UNIT_CODES = {"h": "HUR", "hour": "HUR", "hours": "HUR", "ore": "HUR", "min": "MIN", "month": "MON"}
UNIT_ONE = "C62"

# Invoice type codes (UNCL 1001).
TYPE_INVOICE, TYPE_CREDIT_NOTE = "380", "381"


@dataclass(frozen=True)
class Party:
    name: str
    vat: str
    fiscal_code: str
    street: str
    postcode: str
    city: str
    province: str
    country: str
    email: str = ""


@dataclass(frozen=True)
class Line:
    position: int
    name: str
    description: str
    quantity: Decimal
    unit_code: str
    price: Decimal
    amount: Decimal
    tax: Decimal
    category: str
    rate: Decimal
    exemption: str
    period_start: datetime.date | None
    period_end: datetime.date | None


@dataclass(frozen=True)
class VatGroup:
    category: str
    rate: Decimal
    basis: Decimal
    tax: Decimal
    exemption: str
    exemption_code: str


@dataclass(frozen=True)
class Document:
    number: str
    type_code: str
    issue_date: datetime.date
    due_date: datetime.date | None
    currency: str
    note: str
    seller: Party
    buyer: Party
    iban: str
    bic: str
    period_start: datetime.date | None
    period_end: datetime.date | None
    corrects_number: str
    corrects_date: datetime.date | None
    lines: list[Line] = field(default_factory=list)
    groups: list[VatGroup] = field(default_factory=list)
    line_total: Decimal = Decimal("0")
    tax_total: Decimal = Decimal("0")
    grand_total: Decimal = Decimal("0")

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == TYPE_CREDIT_NOTE


def _party(identity, name: str, email: str = "") -> Party:
    return Party(
        name=name,
        vat=identity.vat_number,
        fiscal_code=identity.fiscal_code,
        street=identity.street,
        postcode=identity.postcode,
        city=identity.city,
        province=identity.province,
        country=identity.country_code,
        email=email,
    )


def line_category(line: InvoiceLine) -> str:
    return vat_category(line.tax_rate, line.tax_nature)


def en16931_expected(invoice: Invoice) -> bool:
    """Whether the invoice goes out under EN 16931: every pair but an Italian seller and an
    Italian buyer (those exchange FatturaPA through the SdI)."""
    return not (invoice.client.tenant.country_code == "IT" and invoice.client.country_code == "IT")


def en16931_missing(invoice: Invoice, lines: list[InvoiceLine] | None = None) -> list[str]:
    """What the seller (the MSP) and the buyer (the client) lack for an EN 16931 invoice, as
    sentences for the invoice page; empty when an e-invoice can be made. `lines`: the
    invoice's lines when the caller has them (else one query)."""
    tenant, client = invoice.client.tenant, invoice.client
    missing = []
    if not tenant.vat_number:
        missing.append(_("Your organisation's VAT number"))
    if not tenant.has_fiscal_address:
        missing.append(_("Your organisation's address (street, postcode, city and country)"))
    if not client.has_fiscal_address:
        missing.append(_("The client's address (street, postcode, city and country)"))
    if not client.vat_number:
        if lines is None:
            with scope_of(invoice.tenant_id):
                lines = list(invoice.lines.only("tax_rate", "tax_nature"))
        if any(line_category(line) in BUYER_VAT_CATEGORIES for line in lines):
            missing.append(_("The client's VAT number (a reverse-charge or intra-community line needs it)"))
    return missing


def _unit_code(unit: str) -> str:
    return UNIT_CODES.get((unit or "").strip().lower().rstrip("."), UNIT_ONE)


def en16931_document(invoice: Invoice) -> Document:
    """The invoice (or credit note) in EN 16931's terms, from its stored figures."""
    with scope_of(invoice.tenant_id):
        return _document(invoice)


def _document(invoice: Invoice) -> Document:
    tenant, client = invoice.client.tenant, invoice.client
    corrects = invoice.corrects if invoice.kind == InvoiceKind.CREDIT_NOTE else None
    lines, groups = [], OrderedDict()
    for row in invoice.lines.order_by("position", "pk"):
        category = line_category(row)
        rate = Decimal(row.tax_rate)
        quantity, price = Decimal(row.quantity), row.unit_price.amount
        if price < 0:  # a discount: EN 16931 wants the price positive and the quantity negative
            quantity, price = -quantity, -price
        exemption = ""
        if category not in ("S", "Z"):
            exemption = row.tax_reference or EXEMPTION_TEXT.get(category, "")
        lines.append(
            Line(
                position=len(lines) + 1,
                name=row.description,
                description=row.detail,
                quantity=quantity,
                unit_code=_unit_code(row.unit),
                price=price,
                amount=row.amount.amount,
                tax=row.tax.amount,
                category=category,
                rate=rate,
                exemption=exemption,
                period_start=row.period_start,
                period_end=row.period_end,
            )
        )
        key = (category, rate)
        basis, tax, reasons = groups.get(key, (Decimal("0"), Decimal("0"), []))
        if exemption and exemption not in reasons:
            reasons.append(exemption)
        groups[key] = (basis + row.amount.amount, tax + row.tax.amount, reasons)
    vat_groups = [
        VatGroup(
            category=category,
            rate=rate,
            basis=basis,
            tax=tax,
            exemption="; ".join(reasons)[:1000],
            exemption_code=EXEMPTION_CODE.get(category, ""),
        )
        for (category, rate), (basis, tax, reasons) in groups.items()
    ]
    line_total = sum((line.amount for line in lines), Decimal("0"))
    tax_total = sum((line.tax for line in lines), Decimal("0"))
    return Document(
        number=invoice.number,
        type_code=TYPE_CREDIT_NOTE if invoice.kind == InvoiceKind.CREDIT_NOTE else TYPE_INVOICE,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        note=invoice.note,
        seller=_party(tenant, tenant.document_name, tenant.email_from_address),
        buyer=_party(client, client.document_name, client.billing_email),
        iban=tenant.iban,
        bic=tenant.bic,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        corrects_number=corrects.number if corrects is not None else "",
        corrects_date=corrects.issue_date if corrects is not None else None,
        lines=lines,
        groups=vat_groups,
        line_total=line_total,
        tax_total=tax_total,
        grand_total=line_total + tax_total,
    )


def amount_text(value: Decimal) -> str:
    """An amount as the XML writes it: two decimals, no exponent."""
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


def decimal_text(value: Decimal) -> str:
    """A quantity, price or rate: as many decimals as it has, none trailing."""
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
