"""An invoice's life: drafted with lines, issued (numbered), paid, voided or credited.

Amounts are exact: a line's amount is quantity times unit price and its tax is the amount
times the rate, each rounded half up to the currency's minor unit *per line*; the invoice's
subtotal, tax and total are the sums of its lines' rounded figures (so the printed lines
always add up to the printed total).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from audit.services import changes_record
from billing.einvoice.issue import einvoices_on_issue
from billing.models import (
    BilledItem,
    ClientBillingTerms,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)
from billing.services.numbering import number_take
from msp.locking import lock_row
from msp.money import MONEY_LIMIT, money_fits, quantize_money, zero
from msp.scoping import scoped_by
from msp.selectors import client_address

HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Claim:
    """The billable thing a line invoices: ("time_entry", 42), ("contract_fee", 7, "2026-11")."""

    source_kind: str
    source_id: int
    period: str = ""


@dataclass(frozen=True)
class LineDraft:
    kind: str
    description: str
    unit_price: Money
    quantity: Decimal = Decimal("1")
    tax_rate: Decimal | None = None  # None: the client's rate
    unit: str = ""
    detail: str = ""
    contract: object | None = None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    claims: tuple[Claim, ...] = field(default=())


def line_amounts(quantity: Decimal, unit_price: Money, tax_rate: Decimal) -> tuple[Money, Money]:
    """(amount, tax) of one line, each rounded half up to the currency's minor unit."""
    amount = quantize_money(unit_price * Decimal(quantity))
    tax = quantize_money(amount * (Decimal(tax_rate) / HUNDRED))
    return amount, tax


def client_tax(client) -> tuple[Decimal, str]:
    """The rate a client's lines are taxed at (its override, else the tenant's) and the note."""
    terms = ClientBillingTerms.objects.filter(client=client).first()
    if terms is not None and terms.tax_rate is not None:
        return terms.tax_rate, terms.tax_note
    return client.tenant.tax_rate, terms.tax_note if terms is not None else ""


def payment_terms_days(client) -> int:
    terms = ClientBillingTerms.objects.filter(client=client).first()
    return terms.payment_terms_days if terms is not None else 30


def tenant_today(tenant) -> datetime.date:
    return timezone.now().astimezone(ZoneInfo(tenant.timezone)).date()


@scoped_by("client")
def invoice_draft_create(
    *,
    client,
    lines: Sequence[LineDraft],
    currency: str | None = None,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    note: str = "",
    comparison: dict | None = None,
) -> Invoice:
    """A draft invoice with its lines; refuses a line in another currency or a thing already
    invoiced (the whole draft is then not created)."""
    currency = currency or client.currency
    rate, tax_note = client_tax(client)
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                tenant_id=client.tenant_id,
                client=client,
                currency=currency,
                period_start=period_start,
                period_end=period_end,
                tax_note=tax_note,
                note=note,
                comparison=comparison or {},
                subtotal=zero(currency),
                tax=zero(currency),
                total=zero(currency),
                paid=zero(currency),
                credited=zero(currency),
            )
            rows = _lines_add(invoice, lines, default_rate=rate, first=True)
            _totals_update(invoice, rows)
    except IntegrityError as error:
        if "billeditem" in str(error).lower():
            raise ValidationError(_("Something on this invoice has already been invoiced.")) from error
        raise
    return invoice


@scoped_by("invoice")
def invoice_lines_add(*, invoice: Invoice, lines: Sequence[LineDraft]) -> Invoice:
    if not invoice.is_draft:
        raise ValidationError(_("Only a draft can be changed; correct an issued invoice with a credit note."))
    rate, _note = client_tax(invoice.client)
    try:
        with transaction.atomic():
            _lines_add(invoice, lines, default_rate=rate)
            _totals_update(invoice)
    except IntegrityError as error:
        raise ValidationError(_("Something on this invoice has already been invoiced.")) from error
    return invoice


def _lines_add(
    invoice: Invoice, lines: Iterable[LineDraft], *, default_rate: Decimal, first: bool = False
) -> list[InvoiceLine]:
    """Add the lines and their claims in two INSERTs, whatever their number (the monthly run
    makes thousands of lines: its queries grow per invoice, not per line)."""
    position = 0 if first else invoice.lines.count()
    rows, claims = [], []
    for draft in lines:
        if draft.unit_price.currency.code != invoice.currency:
            raise ValidationError(
                _("A line in %(line)s cannot go on an invoice in %(invoice)s.")
                % {"line": draft.unit_price.currency.code, "invoice": invoice.currency}
            )
        if draft.quantity <= 0:
            raise ValidationError(_("A line's quantity is positive."))
        rate = default_rate if draft.tax_rate is None else draft.tax_rate
        amount, tax = line_amounts(draft.quantity, draft.unit_price, rate)
        if not (money_fits(amount) and money_fits(amount + tax)):
            raise ValidationError(_too_large(_("A line")))
        position += 1
        rows.append(
            InvoiceLine(
                tenant_id=invoice.tenant_id,
                invoice=invoice,
                position=position,
                kind=draft.kind,
                description=draft.description[:500],
                detail=draft.detail,
                quantity=draft.quantity,
                unit=draft.unit,
                unit_price=draft.unit_price,
                tax_rate=rate,
                amount=amount,
                tax=tax,
                contract=draft.contract,
                period_start=draft.period_start,
                period_end=draft.period_end,
            )
        )
        claims.append(draft.claims)
    InvoiceLine.objects.bulk_create(rows)  # primary keys come back (PostgreSQL, SQLite >= 3.35)
    BilledItem.objects.bulk_create(
        BilledItem(
            tenant_id=invoice.tenant_id,
            line=line,
            source_kind=claim.source_kind,
            source_id=claim.source_id,
            period=claim.period,
        )
        for line, line_claims in zip(rows, claims, strict=True)
        for claim in line_claims
    )
    return rows


def _totals_update(invoice: Invoice, lines: Iterable[InvoiceLine] | None = None) -> None:
    subtotal, tax = zero(invoice.currency), zero(invoice.currency)
    pairs = (
        ((line.amount.amount, line.tax.amount) for line in lines)
        if lines is not None
        else invoice.lines.values_list("amount", "tax")
    )
    for amount, line_tax in pairs:
        subtotal += Money(amount, invoice.currency)
        tax += Money(line_tax, invoice.currency)
    if not money_fits(subtotal + tax):
        raise ValidationError(_too_large(_("The invoice's total")))
    invoice.subtotal, invoice.tax, invoice.total = subtotal, tax, subtotal + tax
    invoice.save(update_fields=["subtotal", "tax", "total"])


def _too_large(what: str) -> str:
    return _("%(what)s would come to %(limit)s or more, more than an amount can hold.") % {
        "what": what,
        "limit": f"{MONEY_LIMIT:,.0f}",
    }


def _locked(invoice: Invoice) -> Invoice:
    return lock_row(
        Invoice.objects.select_for_update(of=("self",)).select_related("client__tenant"), pk=invoice.pk
    )


@scoped_by("invoice")
def invoice_issue(*, invoice: Invoice, on: datetime.date | None = None) -> Invoice:
    """Number the draft (gap-free, in its series and year) and fix its dates."""
    with transaction.atomic():
        locked = _locked(invoice)
        if locked.status != InvoiceStatus.DRAFT:
            raise ValidationError(
                _("Invoice %(number)s has already been issued.") % {"number": locked.number}
            )
        if not locked.lines.exists():
            raise ValidationError(_("An invoice without lines cannot be issued."))
        tenant = locked.client.tenant
        issue_date = on or tenant_today(tenant)
        locked.issue_date = issue_date
        locked.due_date = issue_date + datetime.timedelta(days=payment_terms_days(locked.client))
        locked.number = number_take(tenant=tenant, kind=locked.kind, year=issue_date.year)
        locked.status = InvoiceStatus.ISSUED
        locked.issued_at = timezone.now()
        locked.parties = invoice_parties(locked)
        locked.save(update_fields=["issue_date", "due_date", "number", "status", "issued_at", "parties"])
        if locked.kind == InvoiceKind.CREDIT_NOTE:
            _credit_apply(locked)
        else:
            _sources_mark(locked, at=locked.issued_at, ref=locked.number)
        einvoices_on_issue(locked)  # FatturaPA or EN 16931; a refused file leaves the draft a draft
        transaction.on_commit(lambda: _email_on_issue(locked))
    return locked


def _email_on_issue(invoice: Invoice) -> None:
    from billing.tasks import invoice_email_task  # tasks import services: imported late

    invoice_email_task.delay(invoice.tenant_id, invoice.pk)


def _sources_mark(invoice: Invoice, *, at, ref: str) -> None:
    """Upstream rows say where they were invoiced (the contract page and timesheet show it)."""
    from contracts.models import HourBlock
    from timetracking.models import TimeEntry

    claims = BilledItem.objects.filter(line__invoice=invoice)
    blocks = HourBlock.objects.filter(pk__in=claims.filter(source_kind="hour_block").values("source_id"))
    entries = TimeEntry.objects.filter(pk__in=claims.filter(source_kind="time_entry").values("source_id"))
    # Read what changes first, for the audit trail: one query each, whatever their number.
    block_rows = list(blocks.values_list("pk", "tenant_id", "contract_id", "invoiced_at", "invoice_ref"))
    entry_rows = list(entries.values_list("pk", "tenant_id", "contract_id", "invoiced_at"))
    HourBlock.objects.filter(pk__in=[row[0] for row in block_rows]).update(invoiced_at=at, invoice_ref=ref)
    TimeEntry.objects.filter(pk__in=[row[0] for row in entry_rows]).update(invoiced_at=at)
    stamp = at.astimezone(datetime.UTC).isoformat() if at is not None else None  # as audit.registry writes it
    changes_record(
        HourBlock,
        (
            (
                tenant_id,
                pk,
                _changed(invoiced_at=(was_at, stamp), invoice_ref=(was_ref, ref)),
                {"contract_id": c},
            )
            for pk, tenant_id, c, was_at, was_ref in block_rows
        ),
    )
    changes_record(
        TimeEntry,
        (
            (tenant_id, pk, _changed(invoiced_at=(was_at, stamp)), {"contract_id": c})
            for pk, tenant_id, c, was_at in entry_rows
        ),
    )


def _changed(**pairs) -> dict:
    """{field: [before, after]} of the pairs that differ (datetimes as ISO text)."""
    found = {}
    for name, (before, after) in pairs.items():
        before = before.astimezone(datetime.UTC).isoformat() if hasattr(before, "astimezone") else before
        if before != after:
            found[name] = [before, after]
    return found


def _blocks_mark_paid(invoice: Invoice) -> None:
    """A paid invoice makes its hour blocks usable (contracts that wait for payment)."""
    from contracts.models import HourBlock

    block_ids = BilledItem.objects.filter(line__invoice=invoice, source_kind="hour_block").values("source_id")
    rows = list(
        HourBlock.objects.filter(pk__in=block_ids, paid_at__isnull=True).values_list(
            "pk", "tenant_id", "contract_id"
        )
    )
    now = timezone.now()  # UTC: its isoformat is what audit.registry writes
    HourBlock.objects.filter(pk__in=[row[0] for row in rows]).update(paid_at=now)
    changes_record(
        HourBlock,
        (
            (tenant_id, pk, {"paid_at": [None, now.isoformat()]}, {"contract_id": c})
            for pk, tenant_id, c in rows
        ),
    )


def invoice_parties(invoice: Invoice) -> dict:
    """The seller (the MSP's legal identity) and the buyer (the client, its first site's
    address, its billing e-mail) as they are now: frozen on the invoice when it is issued."""
    tenant, client = invoice.client.tenant, invoice.client
    address = client_address(client.pk)
    return {
        "seller": {"name": tenant.document_name, "address": tenant.address, "vat": tenant.vat_number},
        "buyer": {"name": client.name, "address": address, "email": client.billing_email},
    }


def _credit_apply(credit_note: Invoice) -> None:
    original = lock_row(Invoice.objects, pk=credit_note.corrects_id)
    original.credited += credit_note.total
    if original.outstanding.amount <= 0 and original.status == InvoiceStatus.ISSUED:
        original.status = InvoiceStatus.PAID  # settled: nothing left to collect
    original.save(update_fields=["credited", "status"])


@scoped_by("invoice")
def invoice_draft_delete(*, invoice: Invoice) -> None:
    """A draft may be thrown away (it has no number); its claims go with it."""
    with transaction.atomic():
        locked = _locked(invoice)
        if locked.status != InvoiceStatus.DRAFT:
            raise ValidationError(_("An issued invoice is never deleted: void it or credit it."))
        locked.delete()


@scoped_by("invoice")
def invoice_void(*, invoice: Invoice, reason: str) -> Invoice:
    """Void an issued, unpaid invoice: it keeps its number, and what it billed may be
    invoiced again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the invoice is voided.")})
    with transaction.atomic():
        locked = _locked(invoice)
        if locked.status == InvoiceStatus.DRAFT:
            raise ValidationError(_("A draft is deleted, not voided."))
        if locked.status == InvoiceStatus.VOID:
            raise ValidationError(_("Invoice %(number)s is already void.") % {"number": locked.number})
        if locked.paid.amount > 0 or locked.credited.amount > 0:
            raise ValidationError(
                _("Payments or credit notes have been recorded: correct it with a credit note.")
            )
        locked.status = InvoiceStatus.VOID
        locked.void_reason = reason[:255]
        locked.save(update_fields=["status", "void_reason"])
        _sources_mark(locked, at=None, ref="")
        BilledItem.objects.filter(line__invoice=locked).delete()
    return locked


@scoped_by("invoice")
def invoice_pay(
    *,
    invoice: Invoice,
    amount: Money,
    paid_at: datetime.date,
    method: str,
    reference: str = "",
) -> Payment:
    """Record a payment; the invoice is paid once nothing is outstanding."""
    with transaction.atomic():
        locked = _locked(invoice)
        if locked.status == InvoiceStatus.DRAFT:
            raise ValidationError(_("A draft cannot be paid: issue it first."))
        if locked.status == InvoiceStatus.VOID:
            raise ValidationError(_("Invoice %(number)s is void.") % {"number": locked.number})
        if locked.kind == InvoiceKind.CREDIT_NOTE:
            raise ValidationError(_("A credit note is not paid."))
        if locked.status == InvoiceStatus.PAID:
            raise ValidationError(_("Invoice %(number)s is already paid.") % {"number": locked.number})
        if amount.currency.code != locked.currency:
            raise ValidationError(
                {"amount": _("The payment must be in %(currency)s.") % {"currency": locked.currency}}
            )
        if amount.amount <= 0:
            raise ValidationError({"amount": _("A payment is a positive amount.")})
        if amount > locked.outstanding:
            raise ValidationError(
                {
                    "amount": _("%(amount)s is more than the %(due)s due.")
                    % {"amount": amount, "due": locked.outstanding}
                }
            )
        if paid_at > tenant_today(locked.client.tenant):
            raise ValidationError({"paid_at": _("A payment cannot be dated in the future.")})
        payment = Payment.objects.create(
            tenant_id=locked.tenant_id,
            invoice=locked,
            amount=amount,
            paid_at=paid_at,
            method=method,
            reference=reference[:100],
        )
        locked.paid += amount
        if locked.outstanding.amount <= 0:
            locked.status = InvoiceStatus.PAID
            _blocks_mark_paid(locked)
        locked.save(update_fields=["paid", "status"])
    return payment


@scoped_by("invoice")
def credit_note_create(*, invoice: Invoice, reason: str, lines: Sequence[LineDraft] | None = None) -> Invoice:
    """A draft credit note correcting an issued invoice: all its lines by default. It is
    numbered in its own series when issued, and reduces what the client owes."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what the credit note corrects.")})
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in (
        InvoiceStatus.ISSUED,
        InvoiceStatus.PAID,
    ):
        raise ValidationError(_("Only an issued invoice can be credited."))
    if lines is None:
        lines = [
            LineDraft(
                kind=line.kind,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
            )
            for line in invoice.lines.all()
        ]
    with transaction.atomic():
        # Two credit notes at once must see each other: the sum check below reads the
        # invoice's notes under its lock (the one pay, void and issue take).
        invoice = _locked(invoice)
        if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
            raise ValidationError(_("Only an issued invoice can be credited."))
        note = Invoice.objects.create(
            tenant_id=invoice.tenant_id,
            client=invoice.client,
            kind=InvoiceKind.CREDIT_NOTE,
            corrects=invoice,
            currency=invoice.currency,
            tax_note=invoice.tax_note,
            note=reason,
            subtotal=zero(invoice.currency),
            tax=zero(invoice.currency),
            total=zero(invoice.currency),
            paid=zero(invoice.currency),
            credited=zero(invoice.currency),
        )
        rate, _note = client_tax(invoice.client)
        _lines_add(note, lines, default_rate=rate, first=True)
        _totals_update(note)
        already = sum(
            (cn.total for cn in invoice.credit_notes.exclude(status=InvoiceStatus.VOID).exclude(pk=note.pk)),
            zero(invoice.currency),
        )
        if note.total + already > invoice.total:
            raise ValidationError(_("The credit notes would exceed the invoice's total."))
    return note
