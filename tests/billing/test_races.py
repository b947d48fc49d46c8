"""On PostgreSQL, through the API: two requests on one invoice at once (a double click, two
people) answer 2xx or 4xx, never 500, and leave one issue, gap-free numbers, and a paid status
that matches the payments (issue 20)."""

from decimal import Decimal

import pytest
from djmoney.money import Money

from billing.models import Invoice, InvoiceSequence, InvoiceStatus, LineKind, Payment
from billing.services import LineDraft, invoice_draft_create
from msp.roles import Role
from tests.concurrency import answers_at_once
from tests.factories import ClientFactory, issued_invoice, tenant_today
from tests.timetracking.helpers import api_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 5


@pytest.fixture
def acme(tenant):
    return ClientFactory(tenant=tenant, currency="EUR")


@pytest.fixture
def two(tenant, make_member):
    """Two API clients of the tenant's owner (two tabs, or an owner and an admin)."""
    member = make_member(tenant, Role.OWNER)
    return api_for(member), api_for(member)


def _draft(client):
    line = LineDraft(kind=LineKind.ADJUSTMENT, description="Work", unit_price=Money(Decimal("100.00"), "EUR"))
    return invoice_draft_create(client=client, lines=[line])


def _numbers(tenant):
    return sorted(Invoice.unscoped.filter(tenant=tenant).exclude(number="").values_list("number", flat=True))


def test_issuing_one_draft_twice_at_once_numbers_it_once(tenant, acme, two):
    first, second = two
    year = tenant_today(tenant).year
    for n in range(1, ROUNDS + 1):
        url = f"/api/v1/invoices/{_draft(acme).pk}/issue/"
        codes = answers_at_once([lambda u=url: first.post(u), lambda u=url: second.post(u)])
        assert sorted(codes) == [200, 400], codes
        assert _numbers(tenant) == [f"INV-{year}-{i:04d}" for i in range(1, n + 1)]
    assert InvoiceSequence.unscoped.get(tenant=tenant).last_number == ROUNDS


def test_issuing_and_deleting_one_draft_at_once_leaves_no_gap(tenant, acme, two):
    issuer, deleter = two
    year = tenant_today(tenant).year
    issued = 0
    for _round in range(ROUNDS):
        draft = _draft(acme)
        codes = answers_at_once(
            [
                lambda pk=draft.pk: issuer.post(f"/api/v1/invoices/{pk}/issue/"),
                lambda pk=draft.pk: deleter.delete(f"/api/v1/invoices/{pk}/"),
            ]
        )
        # Issued first (the delete is refused: an issued invoice is never deleted), or deleted
        # first (the issue finds it gone).
        assert codes in ([200, 400], [404, 204]), codes
        issued += codes[0] == 200
        assert Invoice.unscoped.filter(pk=draft.pk).exists() == (codes[0] == 200)
    assert _numbers(tenant) == [f"INV-{year}-{i:04d}" for i in range(1, issued + 1)]


def _pay(http, invoice, amount):
    body = {
        "amount": str(amount),
        "paid_at": tenant_today(invoice.tenant).isoformat(),
        "method": "bank_transfer",
    }
    return lambda: http.post(f"/api/v1/invoices/{invoice.pk}/pay/", body, format="json")


def test_two_payments_at_once_that_together_exceed_what_is_due_accept_one(acme, two):
    first, second = two
    for _round in range(ROUNDS):
        invoice = issued_invoice(acme)
        total = invoice.total.amount
        part = (total * Decimal("0.6")).quantize(Decimal("0.01"))
        codes = answers_at_once([_pay(first, invoice, part), _pay(second, invoice, part)])
        assert sorted(codes) == [201, 400], codes
        invoice.refresh_from_db()
        assert invoice.paid.amount == part and invoice.status == InvoiceStatus.ISSUED
        rest = total - part
        codes = answers_at_once([_pay(first, invoice, rest), _pay(second, invoice, rest)])
        assert sorted(codes) == [201, 400], codes
        invoice.refresh_from_db()
        assert invoice.paid.amount == total and invoice.status == InvoiceStatus.PAID
        assert Payment.unscoped.filter(invoice=invoice).count() == 2


def test_a_payment_and_a_void_at_once_do_one_of_the_two(acme, two):
    payer, voider = two
    for _round in range(ROUNDS):
        invoice = issued_invoice(acme)
        codes = answers_at_once(
            [
                _pay(payer, invoice, invoice.total.amount),
                lambda pk=invoice.pk: voider.post(f"/api/v1/invoices/{pk}/void/", {"reason": "wrong client"}),
            ]
        )
        assert codes in ([201, 400], [400, 200]), codes
        invoice.refresh_from_db()
        payments = Payment.unscoped.filter(invoice=invoice).count()
        if codes[0] == 201:
            assert invoice.status == InvoiceStatus.PAID and payments == 1
        else:
            assert invoice.status == InvoiceStatus.VOID and payments == 0 and invoice.paid.amount == 0


def test_two_credit_notes_for_all_of_one_invoice_at_once_make_one(acme, two):
    first, second = two
    for _round in range(ROUNDS):
        invoice = issued_invoice(acme)
        url = f"/api/v1/invoices/{invoice.pk}/credit-note/"
        codes = answers_at_once(
            [
                lambda u=url: first.post(u, {"reason": "refund"}),
                lambda u=url: second.post(u, {"reason": "refund"}),
            ]
        )
        assert sorted(codes) == [201, 400], codes
        assert Invoice.unscoped.filter(corrects=invoice).count() == 1
