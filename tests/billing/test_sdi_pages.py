"""SdI receipts in the browser: the receipts page and the invoice page's e-invoice panel."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing.models import EInvoiceState, SdiReceipt
from msp.roles import Role
from msp.scoping import scope_of
from tests.billing.sdi_files import einvoice_for, receipt_xml
from tests.factories import ClientFactory, issued_invoice

pytestmark = pytest.mark.django_db
S = EInvoiceState
PAGE = "billing:sdi-receipts"


@pytest.fixture
def invoice(tenant):
    return issued_invoice(ClientFactory(tenant=tenant, name="Rossi Srl"), "Managed services")


def _upload(name, content):
    return SimpleUploadedFile(name, content, content_type="text/xml")


def test_receipts_are_uploaded_together_and_each_refusal_is_listed(owner_client, tenant, invoice):
    good = einvoice_for(invoice, "00001", S.SENT)
    answer = owner_client.post(
        reverse(PAGE),
        {
            "files": [
                _upload("IT01234567890_00001_RC_001.xml", receipt_xml("RC", good.filename, "11")),
                _upload("broken.xml", b"<RicevutaConsegna>"),
                _upload("unknown.xml", receipt_xml("RC", "IT01234567890_QQQQQ.xml", "12")),
            ]
        },
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "1 receipt imported." in page
    assert "broken.xml: The file is not well-formed XML" in page
    assert "unknown.xml: No e-invoice of yours is named IT01234567890_QQQQQ.xml" in page
    good.refresh_from_db()
    assert good.state == S.DELIVERED
    listed = owner_client.get(reverse(PAGE)).content.decode()
    assert "IT01234567890_00001_RC_001.xml" in listed and "Sent → Delivered" in listed
    again = owner_client.post(
        reverse(PAGE), {"files": [_upload("again.xml", receipt_xml("RC", good.filename, "11"))]}
    )
    assert again.status_code == 400 and "already imported" in again.content.decode()
    with scope_of(tenant.pk):
        receipt = SdiReceipt.objects.get()
    download = owner_client.get(reverse("billing:sdi-receipt-file", args=[receipt.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == receipt_xml(
        "RC", good.filename, "11"
    )


def test_a_rejection_shows_its_codes_and_text_on_the_invoice(owner_client, tenant, invoice):
    file = einvoice_for(invoice, "00001", S.SENT)
    answer = owner_client.post(
        reverse("billing:einvoice-receipt", args=[invoice.pk]),
        {
            "receipt-files": _upload(
                "ns.xml",
                receipt_xml(
                    "NS", file.filename, "9", errors=[("00311", "1.1.4 <CodiceDestinatario> non valido")]
                ),
            )
        },
    )
    assert answer.status_code == 302
    page = owner_client.get(invoice.get_absolute_url()).content.decode()
    assert "The SdI rejected the file:" in page
    assert "<code>00311</code> 1.1.4 &lt;CodiceDestinatario&gt; non valido" in page
    assert "Correct and send again" in page
    rejected = owner_client.get(reverse(PAGE)).content.decode()
    assert "Rejected or refused: correct and send again" in rejected and file.filename in rejected


def test_the_invoice_page_takes_only_its_own_files_receipt(owner_client, tenant, invoice):
    mine = einvoice_for(invoice, "00001", S.SENT)
    other = einvoice_for(issued_invoice(invoice.client), "00002", S.SENT)
    answer = owner_client.post(
        reverse("billing:einvoice-receipt", args=[invoice.pk]),
        {"receipt-files": _upload("rc.xml", receipt_xml("RC", other.filename))},
    )
    assert answer.status_code == 400
    assert (
        f"This receipt is for {other.filename}, not for this invoice&#x27;s file {mine.filename}"
        in answer.content.decode()
    )
    other.refresh_from_db()
    assert other.state == S.SENT


def test_files_are_marked_sent_from_the_invoice_and_in_a_batch(owner_client, tenant, invoice):
    one = einvoice_for(invoice, "00001")
    page = owner_client.get(invoice.get_absolute_url()).content.decode()
    assert "Mark as sent" in page and "Ready to send" in page
    owner_client.post(
        reverse("billing:einvoices-sent"), {"einvoice": one.pk, "next": invoice.get_absolute_url()}
    )
    one.refresh_from_db()
    assert one.state == S.SENT
    two = einvoice_for(issued_invoice(invoice.client), "00002")
    three = einvoice_for(issued_invoice(invoice.client), "00003")
    listed = owner_client.get(reverse(PAGE)).content.decode()
    assert "2 files ready to send" in listed
    done = owner_client.post(
        reverse("billing:einvoices-sent"), {"einvoice": [two.pk, three.pk, one.pk]}, follow=True
    )
    page = done.content.decode()
    assert "2 files marked as sent." in page and f"{one.filename}: It is sent already." in page


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.CLIENT])
def test_technicians_and_client_contacts_see_no_receipts(client, make_member, tenant, invoice, role):
    member = make_member(tenant, role, client=invoice.client if role == Role.CLIENT else None)
    client.force_login(member.user)
    assert client.get(reverse(PAGE)).status_code == 403
    einvoice_for(invoice, "00001")
    if role == Role.CLIENT:
        page = client.get(invoice.get_absolute_url()).content.decode()
        assert "E-invoice at the SdI" not in page and "Upload receipt" not in page


def test_the_owner_corrects_a_rejected_invoice_and_sends_it_again(owner_client, tenant):
    from billing.models import EInvoice
    from tests.billing.italy import italian_buyer, italian_seller

    italian_seller(tenant)
    client = italian_buyer(ClientFactory(tenant=tenant, name="Rossi"))
    invoice = issued_invoice(client, "Managed services")
    with scope_of(tenant.pk):
        first = EInvoice.objects.get(invoice=invoice)
    owner_client.post(
        reverse("billing:einvoices-sent"), {"einvoice": first.pk, "next": invoice.get_absolute_url()}
    )
    owner_client.post(
        reverse("billing:einvoice-receipt", args=[invoice.pk]),
        {
            "receipt-files": _upload(
                "ns.xml", receipt_xml("NS", first.filename, "5", errors=[("00305", "IdCodice non valido")])
            )
        },
    )
    page = owner_client.get(invoice.get_absolute_url()).content.decode()
    assert "<code>00305</code> IdCodice non valido" in page
    sent_again = owner_client.post(reverse("billing:einvoice-resend", args=[invoice.pk]), follow=True)
    page = sent_again.content.decode()
    assert "A new file IT01234560017_00002.xml was made from the corrected data" in page
    assert "Mark as sent" in page and "replaced" in page
    invoice.refresh_from_db()
    assert invoice.number.endswith("0001")
    again = owner_client.post(reverse("billing:einvoice-resend", args=[invoice.pk]))
    assert (
        again.status_code == 400 and "only a rejected or refused file is sent again" in again.content.decode()
    )
