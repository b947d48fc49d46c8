"""Billing in the browser (Django's test client): run a month, issue, pay, void, export."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assets.choices import AssetKind
from billing.models import Invoice, InvoiceStatus, Payment
from msp.roles import Role
from msp.scoping import scope_of
from tests.billing.test_invoices_api import pdf_text
from tests.factories import AssetFactory, ClientFactory, ContractFactory, ServiceTierFactory, issued_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def gold_client(tenant):
    tenant.tax_rate = Decimal("22.00")
    tenant.save()
    gold = ServiceTierFactory(tenant=tenant, name="Gold", currency="EUR", prices={"server": "350.00"})
    acme = ClientFactory(tenant=tenant, name="Acme", currency="EUR")
    ContractFactory(tenant=tenant, client=acme, tier=gold)
    AssetFactory(tenant=tenant, client=acme, kind=AssetKind.SERVER)
    return acme


def test_the_owner_runs_the_month_issues_pays_and_exports(owner_client, gold_client, tenant):
    page = owner_client.get(reverse("billing:run"))
    assert page.status_code == 200
    bad = owner_client.post(reverse("billing:run"), {"period": "2026-13"})
    assert bad.status_code == 400 and "YYYY-MM" in bad.content.decode()
    ran = owner_client.post(reverse("billing:run"), {"period": "2026-12"})
    assert ran.status_code == 302
    with scope_of(tenant.pk):
        invoice = Invoice.objects.get(client=gold_client)
    assert invoice.status == InvoiceStatus.DRAFT and invoice.total.amount == Decimal("427.00")

    listed = owner_client.get(reverse("billing:list"), {"status": "draft"}).content.decode()
    assert "Acme" in listed
    owner_client.post(reverse("billing:issue", args=[invoice.pk]))
    invoice.refresh_from_db()
    assert invoice.number == f"INV-{invoice.issue_date.year}-0001"

    too_much = owner_client.post(
        reverse("billing:pay", args=[invoice.pk]),
        {"amount": "500.00", "paid_at": invoice.issue_date.isoformat(), "method": "bank_transfer"},
    )
    assert too_much.status_code == 400
    assert "more than" in too_much.content.decode() and 'value="500.00"' in too_much.content.decode()
    with scope_of(tenant.pk):
        assert not Payment.objects.exists()
    owner_client.post(
        reverse("billing:pay", args=[invoice.pk]),
        {"amount": "427.00", "paid_at": invoice.issue_date.isoformat(), "method": "bank_transfer"},
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID

    pdf = owner_client.get(reverse("billing:pdf", args=[invoice.pk]))
    text = pdf_text(pdf.content)
    assert invoice.number in text and "427" in text and "Gold" in text
    csv_text = owner_client.get(reverse("billing:export")).content.decode()
    assert invoice.number in csv_text and "Gold" in csv_text


def test_voiding_needs_a_reason_and_keeps_the_number(owner_client, gold_client):
    invoice = issued_invoice(gold_client, "Setup")
    refused = owner_client.post(reverse("billing:void", args=[invoice.pk]), {"void-reason": ""})
    assert refused.status_code == 400
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    owner_client.post(reverse("billing:void", args=[invoice.pk]), {"void-reason": "Sent twice"})
    invoice.refresh_from_db()
    assert (invoice.status, invoice.void_reason) == (InvoiceStatus.VOID, "Sent twice") and invoice.number


def test_the_portal_lists_the_companys_invoices_and_serves_their_pdfs(
    client, tenant, gold_client, make_member
):
    mine = issued_invoice(gold_client, "Our setup")
    other = issued_invoice(ClientFactory(tenant=tenant, name="Other"), "Their setup")
    contact = make_member(tenant, Role.CLIENT, client=gold_client)
    client.force_login(contact.user)
    page = client.get(reverse("portal:invoices")).content.decode()
    assert mine.number in page and other.number not in page
    assert "Our setup" in pdf_text(client.get(reverse("portal:invoice-pdf", args=[mine.pk])).content)
    assert client.get(reverse("portal:invoice-pdf", args=[other.pk])).status_code == 404
