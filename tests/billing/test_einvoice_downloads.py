"""E-invoices downloaded as issued: one invoice's file and a period's ZIP, in the browser and
the API; the invoice page shows the file and its state."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from djmoney.money import Money

from billing.models import EInvoice, LineKind
from billing.services import LineDraft, invoice_draft_create, invoice_issue
from msp.scoping import scope_of
from tests.billing.italy import SELLER_VAT, italian_buyer, italian_seller
from tests.factories import ClientFactory
from tests.msp.test_api import api_for

pytestmark = pytest.mark.django_db

JANUARY = datetime.date(2027, 1, 4)
FEBRUARY = datetime.date(2027, 2, 1)


def _issued(client, on):
    draft = invoice_draft_create(
        client=client,
        lines=[
            LineDraft(
                kind=LineKind.LABOUR, description="Server migration", unit_price=Money(Decimal("85"), "EUR")
            )
        ],
    )
    return invoice_issue(invoice=draft, on=on)


@pytest.fixture
def issued(tenant):
    italian_seller(tenant)
    acme = italian_buyer(ClientFactory(tenant=tenant, name="Acme", currency="EUR"))
    german = ClientFactory(tenant=tenant, name="Berlin GmbH", currency="EUR", country="DE")
    invoices = [
        _issued(acme, JANUARY),
        _issued(acme, JANUARY),
        _issued(acme, FEBRUARY),
        _issued(german, JANUARY),
    ]
    with scope_of(tenant.pk):
        files = {row.invoice_id: row for row in EInvoice.objects.all()}
    return invoices, files


def stored(einvoice) -> bytes:
    with einvoice.xml.open("rb") as handle:
        return handle.read()


def unzip(response) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return {name: archive.read(name) for name in archive.namelist()}


def test_an_invoices_file_downloads_as_issued_in_the_browser_and_the_api(owner_client, owner, issued):
    (first, *_rest, german), files = issued
    page = owner_client.get(reverse("billing:invoice_detail", args=[first.pk])).content.decode()
    assert f"{SELLER_VAT}_00001.xml" in page and "Ready to send" in page and "Download e-invoice" in page

    response = owner_client.get(reverse("billing:einvoice", args=[first.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert f'filename="{SELLER_VAT}_00001.xml"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == stored(files[first.pk])

    api = api_for(owner)
    response = api.get(f"/api/v1/invoices/{first.pk}/einvoice/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == stored(files[first.pk])

    # A document with no e-invoice (a client outside Italy, no EN 16931 file yet): 404, said so.
    assert owner_client.get(reverse("billing:einvoice", args=[german.pk])).status_code == 404
    missing = api.get(f"/api/v1/invoices/{german.pk}/einvoice/")
    assert missing.status_code == 404 and "no e-invoice" in missing.json()["detail"]
    page = owner_client.get(reverse("billing:invoice_detail", args=[german.pk])).content.decode()
    assert "This document has no e-invoice." in page


def test_a_periods_files_download_as_one_zip(owner_client, owner, issued):
    (first, second, february, _german), files = issued
    january = {
        files[first.pk].filename: stored(files[first.pk]),
        files[second.pk].filename: stored(files[second.pk]),
    }

    api = api_for(owner)
    response = api.get("/api/v1/invoices/einvoices.zip", {"from": "2027-01-01", "to": "2027-01-31"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'filename="einvoices-2027-01-01-2027-01-31.zip"' in response["Content-Disposition"]
    assert unzip(response) == january

    response = owner_client.get(reverse("billing:einvoices-zip"), {"from": "2027-01-01", "to": "2027-02-28"})
    assert set(unzip(response)) == {*january, files[february.pk].filename}

    # Bad input: a clear 400 in the API, the message on the list in the browser.
    backwards = api.get("/api/v1/invoices/einvoices.zip", {"from": "2027-02-01", "to": "2027-01-01"})
    assert backwards.status_code == 400 and "ends before it starts" in str(backwards.json())
    garbled = api.get("/api/v1/invoices/einvoices.zip", {"from": "yesterday"})
    assert garbled.status_code == 400 and "from" in garbled.json()
    refused = owner_client.get(
        reverse("billing:einvoices-zip"), {"from": "2027-02-01", "to": "2027-01-01"}, follow=True
    )
    assert "ends before it starts" in refused.content.decode()


def test_the_zip_is_for_who_keeps_the_books(client, make_member, tenant, issued):
    from msp.roles import Role

    technician = make_member(tenant, Role.TECHNICIAN)
    client.force_login(technician.user)
    assert client.get(reverse("billing:einvoices-zip")).status_code == 403
    assert api_for(technician).get("/api/v1/invoices/einvoices.zip").status_code == 403
