"""An invoice's life, to the cent: drafted, issued with a gap-free number, paid, voided,
credited; and every refusal changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from djmoney.money import Money

from billing.models import BilledItem, ClientBillingTerms, Invoice, InvoiceStatus, LineKind, Payment
from billing.services import (
    Claim,
    LineDraft,
    credit_note_create,
    invoice_draft_create,
    invoice_draft_delete,
    invoice_issue,
    invoice_pay,
    invoice_void,
    line_amounts,
)
from msp.scoping import scope_of
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

EUR = "EUR"
TODAY = datetime.date(2026, 11, 30)


def eur(amount: str) -> Money:
    return Money(Decimal(amount), EUR)


@pytest.fixture
def acme(tenant):
    tenant.tax_rate = Decimal("22.00")
    tenant.save()
    return ClientFactory(tenant=tenant, name="Acme", currency=EUR)


def lines(*claims):
    return [
        LineDraft(
            kind=LineKind.RECURRING_FEE,
            description="Gold: 2 servers",
            quantity=Decimal("2"),
            unit_price=eur("350.00"),
        ),
        LineDraft(
            kind=LineKind.LABOUR,
            description="Labour 1 h 20 min",
            quantity=Decimal("1.33"),
            unit_price=eur("85.00"),
            claims=tuple(claims),
        ),
    ]


def test_line_amounts_round_half_up_per_line():
    # 1.33 h x 85.00 = 113.05; 22 % of it = 24.871 -> 24.87
    assert line_amounts(Decimal("1.33"), eur("85.00"), Decimal("22")) == (eur("113.05"), eur("24.87"))
    # 0.5 cent rounds up: 0.125 x 1 -> 0.13; tax 10 % of 0.13 = 0.013 -> 0.01
    assert line_amounts(Decimal("1"), Money("0.125", EUR), Decimal("10")) == (eur("0.13"), eur("0.01"))


def test_a_draft_sums_its_rounded_lines_and_issuing_numbers_it_in_sequence(acme, tenant):
    first = invoice_draft_create(client=acme, lines=lines(Claim("time_entry", 1)))
    assert (first.status, first.number) == (InvoiceStatus.DRAFT, "")
    assert first.subtotal == eur("813.05")  # 700.00 + 113.05
    assert first.tax == eur("178.87")  # 154.00 + 24.87, per line
    assert first.total == eur("991.92")

    second = invoice_draft_create(client=acme, lines=lines(Claim("time_entry", 2)))
    # Numbers follow issuing, not drafting.
    assert invoice_issue(invoice=second, on=TODAY).number == "INV-2026-0001"
    issued = invoice_issue(invoice=first, on=TODAY)
    assert issued.number == "INV-2026-0002"
    assert issued.due_date == TODAY + datetime.timedelta(days=30)
    # A new year starts its series again; the tenant's own prefix is used.
    tenant.invoice_prefix = "ACME"
    tenant.save()
    third = invoice_draft_create(client=acme, lines=lines(Claim("time_entry", 3)))
    assert invoice_issue(invoice=third, on=datetime.date(2027, 1, 2)).number == "ACME-2027-0001"


def test_client_terms_set_due_date_and_tax_exemption(acme):
    with scope_of(acme.tenant_id):
        ClientBillingTerms.objects.create(
            tenant=acme.tenant,
            client=acme,
            payment_terms_days=60,
            tax_rate=Decimal("0"),
            tax_note="Art. 8 DPR 633/72",
        )
    invoice = invoice_issue(invoice=invoice_draft_create(client=acme, lines=lines()), on=TODAY)
    assert invoice.tax == eur("0.00") and invoice.total == eur("813.05")
    assert invoice.tax_note == "Art. 8 DPR 633/72"
    assert invoice.due_date == datetime.date(2027, 1, 29)


def test_each_thing_is_invoiced_once_and_voiding_releases_it(acme):
    invoice = invoice_draft_create(client=acme, lines=lines(Claim("time_entry", 7)))
    with pytest.raises(ValidationError, match="already been invoiced"):
        invoice_draft_create(client=acme, lines=lines(Claim("time_entry", 7)))
    with scope_of(acme.tenant_id):
        assert Invoice.objects.count() == 1  # the refused draft left nothing behind

    issued = invoice_issue(invoice=invoice, on=TODAY)
    voided = invoice_void(invoice=issued, reason="Wrong client")
    assert (voided.status, voided.number) == (InvoiceStatus.VOID, "INV-2026-0001")  # keeps its number
    with scope_of(acme.tenant_id):
        assert not BilledItem.objects.exists()
    again = invoice_issue(
        invoice=invoice_draft_create(client=acme, lines=lines(Claim("time_entry", 7))), on=TODAY
    )
    assert again.number == "INV-2026-0002"  # never reused


def test_payments_settle_an_invoice_and_bad_payments_change_nothing(acme):
    invoice = invoice_issue(invoice=invoice_draft_create(client=acme, lines=lines()), on=TODAY)
    with pytest.raises(ValidationError, match="more than"):
        invoice_pay(invoice=invoice, amount=eur("991.93"), paid_at=TODAY, method="bank_transfer")
    with pytest.raises(ValidationError, match="must be in EUR"):
        invoice_pay(invoice=invoice, amount=Money("10", "USD"), paid_at=TODAY, method="bank_transfer")
    with pytest.raises(ValidationError, match="future"):
        invoice_pay(invoice=invoice, amount=eur("10"), paid_at=datetime.date(2099, 1, 1), method="card")
    with scope_of(acme.tenant_id):
        assert not Payment.objects.exists()

    invoice_pay(invoice=invoice, amount=eur("500.00"), paid_at=TODAY, method="bank_transfer")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.outstanding == eur("491.92")
    invoice_pay(invoice=invoice, amount=eur("491.92"), paid_at=TODAY, method="card")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.outstanding == eur("0.00")
    with pytest.raises(ValidationError, match="already paid"):
        invoice_pay(invoice=invoice, amount=eur("1"), paid_at=TODAY, method="card")
    with pytest.raises(ValidationError, match="credit note"):
        invoice_void(invoice=invoice, reason="Paid by mistake")


def test_refusals_leave_everything_as_it_was(acme):
    with pytest.raises(ValidationError, match="USD cannot go on an invoice in EUR"):
        invoice_draft_create(
            client=acme,
            lines=[LineDraft(kind=LineKind.ADJUSTMENT, description="x", unit_price=Money("1", "USD"))],
        )
    empty = invoice_draft_create(client=acme, lines=[])
    with pytest.raises(ValidationError, match="without lines"):
        invoice_issue(invoice=empty, on=TODAY)
    empty.refresh_from_db()
    assert (empty.status, empty.number) == (InvoiceStatus.DRAFT, "")
    with pytest.raises(ValidationError, match="cannot be paid"):
        invoice_pay(invoice=empty, amount=eur("1"), paid_at=TODAY, method="card")
    with pytest.raises(ValidationError, match="Say why"):
        invoice_void(invoice=empty, reason=" ")
    invoice_draft_delete(invoice=empty)
    issued = invoice_issue(invoice=invoice_draft_create(client=acme, lines=lines()), on=TODAY)
    with pytest.raises(ValidationError, match="never deleted"):
        invoice_draft_delete(invoice=issued)
    with pytest.raises(ValidationError, match="already been issued"):
        invoice_issue(invoice=issued, on=TODAY)
    voided = invoice_void(invoice=issued, reason="Duplicate")
    with pytest.raises(ValidationError, match="void"):
        invoice_pay(invoice=voided, amount=eur("1"), paid_at=TODAY, method="card")


def test_a_credit_note_has_its_own_series_and_reduces_what_is_owed(acme):
    invoice = invoice_issue(invoice=invoice_draft_create(client=acme, lines=lines()), on=TODAY)
    partial = credit_note_create(
        invoice=invoice,
        reason="One server was decommissioned",
        lines=[
            LineDraft(kind=LineKind.RECURRING_FEE, description="Gold: 1 server", unit_price=eur("350.00"))
        ],
    )
    partial = invoice_issue(invoice=partial, on=TODAY)
    assert partial.number == "CN-2026-0001" and partial.total == eur("427.00")
    invoice.refresh_from_db()
    assert invoice.outstanding == eur("564.92") and invoice.status == InvoiceStatus.ISSUED
    with pytest.raises(ValidationError, match="exceed"):
        credit_note_create(invoice=invoice, reason="Everything")
    with pytest.raises(ValidationError, match="Say what"):
        credit_note_create(invoice=invoice, reason="")


def test_another_tenants_invoice_is_not_found(acme, other_tenant):
    invoice = invoice_draft_create(client=acme, lines=lines())
    with scope_of(other_tenant.pk), pytest.raises(ValidationError, match="not found"):
        invoice_issue(invoice=invoice, on=TODAY)


def test_issuing_mails_the_pdf_to_the_clients_billing_address_only(
    acme, django_capture_on_commit_callbacks, mailoutbox
):
    acme.billing_email = "accounts@acme.example"
    acme.save()
    draft = invoice_draft_create(client=acme, lines=lines())
    with django_capture_on_commit_callbacks(execute=True):
        issued = invoice_issue(invoice=draft, on=TODAY)
    (mail,) = mailoutbox
    assert mail.recipients() == ["accounts@acme.example"]
    assert issued.number in mail.subject
    parts = [(part.get_content_type(), part.get_filename()) for part in mail.message().walk()]
    assert ("application/pdf", f"invoice-{issued.number.lower()}-acme.pdf") in parts


def test_an_issued_invoice_keeps_the_parties_it_was_issued_to(acme, tenant):
    from billing.pdf import render_invoice_html
    from tests.factories import SiteFactory

    tenant.legal_name, tenant.address, tenant.vat_number = (
        "Alpha Servizi S.r.l.",
        "Via Roma 1\nMilano",
        "IT01234567890",
    )
    tenant.save()
    SiteFactory(tenant=tenant, client=acme, name="HQ", address="Corso Italia 5, Torino")
    invoice = invoice_issue(invoice=invoice_draft_create(client=acme, lines=lines()), on=TODAY)
    html = render_invoice_html(invoice)
    for expected in ("Alpha Servizi S.r.l.", "Via Roma 1", "IT01234567890", "Corso Italia 5, Torino"):
        assert expected in html
    tenant.legal_name, tenant.address = "New Name S.p.A.", "Elsewhere"
    tenant.save()
    acme.name = "Renamed"
    acme.save()
    invoice.refresh_from_db()
    html = render_invoice_html(invoice)
    assert "Alpha Servizi S.r.l." in html and "Via Roma 1" in html and "New Name" not in html


def test_issuing_renders_and_stores_the_pdf_in_the_worker(acme, django_capture_on_commit_callbacks):
    draft = invoice_draft_create(client=acme, lines=lines())  # no billing address: no mail
    with django_capture_on_commit_callbacks(execute=True):
        issued = invoice_issue(invoice=draft, on=TODAY)
    issued.refresh_from_db()
    # The archive (billing.einvoice.archive): the PDF as issued, with the SHA-256 of its bytes.
    assert issued.issued_pdf.name.endswith(".pdf") and issued.issued_pdf_sha256
    stored = issued.issued_pdf.name
    from billing.pdf import invoice_pdf

    invoice_pdf(issued)  # the stored file is served, never rendered again
    issued.refresh_from_db()
    assert issued.issued_pdf.name == stored
