"""The invoices API as an accounting integration and a client contact use it."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.models import Invoice, InvoiceStatus
from msp.roles import Role
from msp.scoping import scope_of
from tests.factories import ClientFactory, issued_invoice
from tests.msp.test_api import api_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/invoices/"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def acme(tenant):
    tenant.tax_rate = Decimal("22.00")
    tenant.save()
    return ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")


def test_a_draft_typed_through_the_api_is_issued_paid_and_downloaded(acme, owner):
    api = api_for(owner)
    created = api.post(
        URL,
        {
            "client": acme.pk,
            "lines": [
                {"description": "Server migration", "quantity": "3", "unit_price": "85.00"},
                {"description": "Exempt licence", "unit_price": "19.99", "tax_rate": "0"},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["number"], body["subtotal"], body["tax"], body["total"]) == (
        "draft",
        "",
        "274.99",
        "56.10",
        "331.09",
    )
    invoice_id = body["id"]
    issued = api.post(f"{URL}{invoice_id}/issue/").json()
    assert issued["number"].startswith("INV-") and issued["status"] == "issued"

    too_much = api.post(
        f"{URL}{invoice_id}/pay/", {"amount": "331.10", "paid_at": issued["issue_date"]}, format="json"
    )
    assert too_much.status_code == 400 and "more than" in str(too_much.json())
    paid = api.post(
        f"{URL}{invoice_id}/pay/",
        {"amount": "331.09", "paid_at": issued["issue_date"], "method": "card"},
        format="json",
    )
    assert paid.status_code == 201
    assert api.get(f"{URL}{invoice_id}/").json()["status"] == "paid"
    assert api.get(URL, {"status": "paid"}).json()["count"] == 1

    pdf = api.get(f"{URL}{invoice_id}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for expected in (issued["number"], "Acme Dental", "Server migration", "Exempt licence", "331.09"):
        assert expected in text


def test_bad_requests_are_refused_and_change_nothing(acme, owner):
    api = api_for(owner)
    draft = api.post(URL, {"client": acme.pk, "lines": []}, format="json").json()
    empty_issue = api.post(f"{URL}{draft['id']}/issue/")
    assert empty_issue.status_code == 400 and "without lines" in str(empty_issue.json())
    usd = api.post(
        URL,
        {"client": acme.pk, "lines": [{"description": "x", "unit_price": "1", "unit_price_currency": "USD"}]},
        format="json",
    )
    assert usd.status_code == 400
    invoice = issued_invoice(acme)
    assert api.post(f"{URL}{invoice.pk}/void/", {"reason": "Duplicate"}, format="json").status_code == 200
    void_pay = api.post(f"{URL}{invoice.pk}/pay/", {"amount": "1", "paid_at": "2026-12-01"}, format="json")
    assert void_pay.status_code == 400 and "void" in str(void_pay.json())
    assert api.delete(f"{URL}{invoice.pk}/").status_code == 400  # never deleted once issued
    with scope_of(acme.tenant_id):
        assert Invoice.objects.filter(status=InvoiceStatus.DRAFT).count() == 1  # the empty one only


def test_a_client_contact_sees_only_its_companys_issued_invoices(acme, tenant, make_member):
    other = ClientFactory(tenant=tenant, name="Other Co", currency="EUR")
    mine = issued_invoice(acme, "Our work")
    theirs = issued_invoice(other, "Their work")
    with scope_of(tenant.pk):
        from djmoney.money import Money

        from billing.services import LineDraft, invoice_draft_create

        draft = invoice_draft_create(
            client=acme,
            lines=[LineDraft(kind="adjustment", description="Not yet", unit_price=Money("5", "EUR"))],
        )
    contact = make_member(tenant, Role.CLIENT, client=acme)
    api = api_for(contact)
    listed = api.get(URL).json()
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert api.get(f"{URL}{theirs.pk}/pdf/").status_code == 404
    assert api.get(f"{URL}{draft.pk}/").status_code == 404
    assert "Our work" in pdf_text(api.get(f"{URL}{mine.pk}/pdf/").content)
    assert (
        api.post(f"{URL}{mine.pk}/pay/", {"amount": "1", "paid_at": "2026-12-01"}, format="json").status_code
        == 403
    )


def test_the_lean_line_representation_is_drfs_to_the_byte(acme):
    """InvoiceLineSerializer writes lines out directly; the generic DRF fields give the same."""
    from rest_framework import serializers

    from billing.api.serializers import InvoiceLineSerializer
    from billing.models import InvoiceLine

    invoice = issued_invoice(acme, "Work", amount="1234.50")
    with scope_of(acme.tenant_id):
        line = InvoiceLine.objects.get(invoice=invoice)

    class Generic(InvoiceLineSerializer):
        to_representation = serializers.ModelSerializer.to_representation

    assert InvoiceLineSerializer(line).data == Generic(line).data
