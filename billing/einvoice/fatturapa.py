"""FatturaPA 1.2.2: the XML an Italian MSP sends its Italian clients through the SdI.

`fatturapa_einvoice(invoice)` builds the file of an issued invoice (TD01) or credit note (TD04,
with DatiFattureCollegate naming the invoice it corrects), checks it against the official
schema vendored in `schemas/` (nothing is downloaded, ever), and stores it with its SHA-256 under
the name the SdI expects, `IT<VAT>_<progressive>.xml`. The progressive is the tenant's own
gap-free counter (five base-36 characters), taken under a row lock in the caller's
transaction: a file that fails is never stored and gives its progressive back. A file sent again
after a rejection gets a new progressive; the earlier one is kept, marked superseded.

What the SdI reads is checked first, with messages that say what to fix (the seller's VAT
number, the client's Codice Destinatario or PEC, an address, a 0 % line without its exemption
nature); anything else the schema refuses is reported with the schema's own message.

Amounts are the stored ones, never recomputed: each line's PrezzoTotale is its amount, each
DatiRiepilogo adds up the amounts and taxes of its lines (per rate and nature), and
ImportoTotaleDocumento is the invoice's total, so the file equals the invoice to the cent.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from billing.models import EInvoice, EInvoiceFormat, Invoice, InvoiceKind
from billing.services.numbering import counter_take
from msp import fiscal
from msp.scoping import scope_of

SCHEMA_FILE = Path(__file__).with_name("schemas") / "Schema_del_file_xml_FatturaPA_v1.2.2.xsd"
NAMESPACE = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
# The tenant's counter of files sent (billing.services.numbering.counter_take).
PROGRESSIVE_COUNTER = "SDI"
PROGRESSIVE_LENGTH = 5
BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
B2B, PA = "FPR12", "FPA12"
INVOICE_TYPE = {InvoiceKind.INVOICE: "TD01", InvoiceKind.CREDIT_NOTE: "TD04"}
BANK_TRANSFER, FULL_PAYMENT = "MP05", "TP02"
SCHEMA_ERRORS_SHOWN = 3

_local = threading.local()  # an lxml schema is used by one thread at a time


def schema() -> etree.XMLSchema:
    cached = getattr(_local, "schema", None)
    if cached is None:
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        cached = _local.schema = etree.XMLSchema(etree.parse(str(SCHEMA_FILE), parser))
    return cached


def progressive_text(number: int) -> str:
    """1 -> "00001": base 36, five characters (over 60 million files per tenant)."""
    if not 0 < number < 36**PROGRESSIVE_LENGTH:
        raise ValueError(f"progressive {number} out of range")
    digits = []
    while number:
        number, digit = divmod(number, 36)
        digits.append(BASE36[digit])
    return "".join(reversed(digits)).rjust(PROGRESSIVE_LENGTH, "0")


def fatturapa_applies(invoice: Invoice) -> bool:
    """FatturaPA when the seller and the buyer are both in Italy (EN 16931 otherwise)."""
    return invoice.client.tenant.country_code == "IT" and invoice.client.country_code == "IT"


def fatturapa_filename(tenant, progressive: str) -> str:
    country, code = fiscal.vat_parts(fiscal.vat_normalise(tenant.country_code, tenant.vat_number))
    return f"{country}{code}_{progressive}.xml"


# --- What the SdI needs, checked with messages that say what to fix --------------------------


def fatturapa_missing(invoice: Invoice, lines=None) -> list[str]:
    """What keeps the invoice from being a valid FatturaPA file, one sentence each ([]: none)."""
    tenant, client = invoice.client.tenant, invoice.client
    lines = list(invoice.lines.all()) if lines is None else lines
    problems = _seller_missing(tenant) + _buyer_missing(client)
    if len(invoice.number) > 20:
        problems.append(
            _(
                "The number %(number)s is longer than the 20 characters FatturaPA allows: shorten the invoice prefix."
            )
            % {"number": invoice.number}
        )
    for line in lines:
        if Decimal(line.tax_rate) == 0 and not line.tax_nature:
            problems.append(
                _(
                    "Line %(position)s (%(description)s) is at 0 %% VAT without an exemption nature: bill it "
                    "at a 0 %% rate of your catalogue that names its nature (N1–N7)."
                )
                % {"position": line.position, "description": line.description[:60]}
            )
    return problems


def _seller_missing(tenant) -> list[str]:
    problems = []
    if not tenant.vat_number:
        problems.append(
            _("Your organisation has no VAT number: add its partita IVA in the organisation's settings.")
        )
    else:
        try:
            fiscal.vat_normalise(tenant.country_code, tenant.vat_number)
        except ValidationError as error:
            problems.append(
                _("Your organisation's VAT number: %(error)s") % {"error": " ".join(error.messages)}
            )
    if tenant.fiscal_code:
        try:
            fiscal.fiscal_code_normalise(tenant.country_code, tenant.fiscal_code)
        except ValidationError as error:
            problems.append(
                _("Your organisation's fiscal code: %(error)s") % {"error": " ".join(error.messages)}
            )
    if not _address_complete(tenant):
        problems.append(
            _(
                "Your organisation's address is incomplete: FatturaPA needs the street, the postcode "
                "(5 digits), the city and the province."
            )
        )
    return problems


def _buyer_missing(client) -> list[str]:
    problems, name = [], client.document_name
    if not client.vat_number and not client.fiscal_code:
        problems.append(
            _("%(client)s has neither a VAT number nor a fiscal code: FatturaPA needs one of them.")
            % {"client": name}
        )
    for message, value, normalise in (
        (_("%(client)s's VAT number: %(error)s"), client.vat_number, fiscal.vat_normalise),
        (_("%(client)s's fiscal code: %(error)s"), client.fiscal_code, fiscal.fiscal_code_normalise),
    ):
        if value:
            try:
                normalise(client.country_code, value)
            except ValidationError as error:
                problems.append(message % {"client": name, "error": " ".join(error.messages)})
    if not _address_complete(client):
        problems.append(
            _(
                "%(client)s's address is incomplete: FatturaPA needs the street, the postcode (5 digits), "
                "the city and the province."
            )
            % {"client": name}
        )
    code = (client.sdi_code or "").strip().upper()
    if client.public_administration:
        if not fiscal.SDI_CODE_PA.fullmatch(code):
            problems.append(
                _(
                    "%(client)s is a public administration without its office code (Codice Univoco "
                    "Ufficio, 6 characters): add it to the client."
                )
                % {"client": name}
            )
    elif (
        (not code or code == fiscal.SDI_NO_CODE)
        and not client.pec
        and not (code == fiscal.SDI_NO_CODE and client.fiscal_code and not client.vat_number)
    ):
        problems.append(
            _(
                "%(client)s has no Codice Destinatario and no PEC address: the SdI needs one of them to "
                "deliver the invoice (0000000 with a fiscal code for a private person)."
            )
            % {"client": name}
        )
    elif code and code != fiscal.SDI_NO_CODE and not fiscal.SDI_CODE_B2B.fullmatch(code):
        problems.append(
            _("%(client)s's Codice Destinatario %(code)s is not 7 letters or digits.")
            % {"client": name, "code": code}
        )
    return problems


def _address_complete(identity) -> bool:
    return bool(
        identity.street
        and identity.city
        and fiscal.ITALIAN_POSTCODE.fullmatch(identity.postcode or "")
        and fiscal.PROVINCE.fullmatch((identity.province or "").upper())
    )


# --- The XML ----------------------------------------------------------------------------------

# What the schema's Latin strings cannot carry, said in what they can.
_PLAIN = {
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "...", "\u20ac": "EUR", "\u2022": "-", "\u2192": "->", "\u00a0": " ",
}  # fmt: skip


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _text(value: str, limit: int, *, ascii_only: bool = False) -> str:
    """Text as the schema's StringNNLatinType (Basic Latin and Latin-1) or, `ascii_only`, its
    StringNNType (Basic Latin): other characters spelt without accents or dropped, whitespace
    collapsed, cut to `limit`."""
    value = value or ""
    top = 0x80 if ascii_only else 0x100
    if not _CONTROL.search(value) and (not value or ord(max(value)) < top):
        return " ".join(value.split())[:limit].strip()  # the common case, at C speed
    out = []
    for char in value or "":
        char = _PLAIN.get(char, char)
        if len(char) == 1 and ord(char) >= top:
            char = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < top)
        out.extend(" " if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 else c for c in char)
    return " ".join("".join(out).split())[:limit].strip()


def _decimal(value, *, places: int = 2, most: int = 2) -> str:
    """A decimal with at least `places` and at most `most` decimals, as the schema writes them."""
    value = Decimal(value)
    exponent = -value.as_tuple().exponent if value.as_tuple().exponent < 0 else 0
    return f"{value:.{min(max(exponent, places), most)}f}"


def _amount(value) -> str:
    return _decimal(value)


def _el(parent, tag: str, text: str | None = None):
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _id_fiscale(parent, tag: str, vat_number: str, country: str) -> None:
    country, code = fiscal.vat_parts(fiscal.vat_normalise(country, vat_number))
    node = _el(parent, tag)
    _el(node, "IdPaese", country)
    _el(node, "IdCodice", code)


def _sede(parent, identity) -> None:
    sede = _el(parent, "Sede")
    _el(sede, "Indirizzo", _text(identity.street, 60))
    _el(sede, "CAP", identity.postcode)
    _el(sede, "Comune", _text(identity.city, 60))
    if identity.province:
        _el(sede, "Provincia", identity.province.upper())
    _el(sede, "Nazione", identity.country_code)


def fatturapa_tree(invoice: Invoice, lines: list, progressive: str) -> etree._Element:
    """The FatturaElettronica element of an issued invoice (checked by `fatturapa_missing`)."""
    tenant, client = invoice.client.tenant, invoice.client
    formato = PA if client.public_administration else B2B
    root = etree.Element(f"{{{NAMESPACE}}}FatturaElettronica", nsmap={"p": NAMESPACE, "ds": DSIG})
    root.set("versione", formato)

    header = _el(root, "FatturaElettronicaHeader")
    transmission = _el(header, "DatiTrasmissione")
    _id_fiscale(transmission, "IdTrasmittente", tenant.vat_number, tenant.country_code)
    _el(transmission, "ProgressivoInvio", progressive)
    _el(transmission, "FormatoTrasmissione", formato)
    code = (client.sdi_code or "").strip().upper()
    _el(transmission, "CodiceDestinatario", code or fiscal.SDI_NO_CODE)
    if client.pec and (not code or code == fiscal.SDI_NO_CODE):
        _el(transmission, "PECDestinatario", client.pec)

    seller = _el(header, "CedentePrestatore")
    data = _el(seller, "DatiAnagrafici")
    _id_fiscale(data, "IdFiscaleIVA", tenant.vat_number, tenant.country_code)
    if tenant.fiscal_code:
        _el(data, "CodiceFiscale", fiscal.fiscal_code_normalise(tenant.country_code, tenant.fiscal_code))
    _el(_el(data, "Anagrafica"), "Denominazione", _text(tenant.document_name, 80))
    _el(data, "RegimeFiscale", tenant.tax_regime or "RF01")
    _sede(seller, tenant)

    buyer = _el(header, "CessionarioCommittente")
    data = _el(buyer, "DatiAnagrafici")
    if client.vat_number:
        _id_fiscale(data, "IdFiscaleIVA", client.vat_number, client.country_code)
    if client.fiscal_code:
        _el(data, "CodiceFiscale", fiscal.fiscal_code_normalise(client.country_code, client.fiscal_code))
    _el(_el(data, "Anagrafica"), "Denominazione", _text(client.document_name, 80))
    _sede(buyer, client)

    body = _el(root, "FatturaElettronicaBody")
    general = _el(body, "DatiGenerali")
    document = _el(general, "DatiGeneraliDocumento")
    _el(document, "TipoDocumento", INVOICE_TYPE[invoice.kind])
    _el(document, "Divisa", invoice.currency)
    _el(document, "Data", invoice.issue_date.isoformat())
    _el(document, "Numero", _text(invoice.number, 20, ascii_only=True))
    _el(document, "ImportoTotaleDocumento", _amount(invoice.total.amount))
    note = _text(invoice.note, 200 * 5)
    for start in range(0, len(note), 200):
        _el(document, "Causale", note[start : start + 200].strip() or "-")
    if invoice.kind == InvoiceKind.CREDIT_NOTE and invoice.corrects is not None:
        linked = _el(general, "DatiFattureCollegate")
        _el(linked, "IdDocumento", _text(invoice.corrects.number, 20, ascii_only=True))
        if invoice.corrects.issue_date:
            _el(linked, "Data", invoice.corrects.issue_date.isoformat())

    goods = _el(body, "DatiBeniServizi")
    summary: dict[tuple[Decimal, str], list] = defaultdict(lambda: [Decimal(0), Decimal(0), ""])
    for number, line in enumerate(lines, start=1):
        row = _el(goods, "DettaglioLinee")
        _el(row, "NumeroLinea", str(number))
        description = line.description + (f" - {line.detail}" if line.detail else "")
        _el(row, "Descrizione", _text(description, 1000) or "-")
        _el(row, "Quantita", _decimal(line.quantity, most=8))
        if unit := _text(line.unit, 10, ascii_only=True):
            _el(row, "UnitaMisura", unit)
        start, end = line.period_start or invoice.period_start, line.period_end or invoice.period_end
        if start and end:
            _el(row, "DataInizioPeriodo", start.isoformat())
            _el(row, "DataFinePeriodo", end.isoformat())
        _el(row, "PrezzoUnitario", _decimal(line.unit_price.amount, most=8))
        _el(row, "PrezzoTotale", _amount(line.amount.amount))
        rate = Decimal(line.tax_rate)
        _el(row, "AliquotaIVA", _decimal(rate))
        nature = line.tax_nature if rate == 0 else ""
        if nature:
            _el(row, "Natura", nature)
        totals = summary[(rate, nature)]
        totals[0] += line.amount.amount
        totals[1] += line.tax.amount
        totals[2] = totals[2] or line.tax_reference
    for (rate, nature), (taxable, tax, reference) in sorted(
        summary.items(), key=lambda item: (-item[0][0], item[0][1])
    ):
        row = _el(goods, "DatiRiepilogo")
        _el(row, "AliquotaIVA", _decimal(rate))
        if nature:
            _el(row, "Natura", nature)
        _el(row, "ImponibileImporto", _amount(taxable))
        _el(row, "Imposta", _amount(tax))
        if not nature:
            _el(row, "EsigibilitaIVA", "I")
        if nature and (reference := _text(reference, 100)):
            _el(row, "RiferimentoNormativo", reference)

    if invoice.kind == InvoiceKind.INVOICE:
        payment = _el(body, "DatiPagamento")
        _el(payment, "CondizioniPagamento", FULL_PAYMENT)
        detail = _el(payment, "DettaglioPagamento")
        _el(detail, "Beneficiario", _text(tenant.document_name, 200))
        _el(detail, "ModalitaPagamento", BANK_TRANSFER)
        if invoice.due_date:
            _el(detail, "DataScadenzaPagamento", invoice.due_date.isoformat())
        _el(detail, "ImportoPagamento", _amount(invoice.total.amount))
        if tenant.iban:
            _el(detail, "IBAN", tenant.iban.replace(" ", "").upper())
        if tenant.bic:
            _el(detail, "BIC", tenant.bic)
    return root


def fatturapa_check(xml: bytes) -> None:
    """Raises ValidationError with the schema's own messages when the file fails FatturaPA 1.2.2."""
    validator = schema()
    if validator.validate(etree.fromstring(xml)):
        return
    errors = [
        f"{error.message} (line {error.line})" for error in list(validator.error_log)[:SCHEMA_ERRORS_SHOWN]
    ]
    raise ValidationError(
        _("The FatturaPA file does not pass the official schema (version 1.2.2): %(errors)s")
        % {"errors": "; ".join(errors)}
    )


def fatturapa_xml(invoice: Invoice, progressive: str, lines=None) -> bytes:
    """The file's bytes, checked (what the SdI needs, then the schema); nothing stored."""
    lines = list(invoice.lines.order_by("position", "pk")) if lines is None else lines
    if problems := fatturapa_missing(invoice, lines):
        raise ValidationError(problems)
    return _checked_xml(invoice, lines, progressive)


def _checked_xml(invoice: Invoice, lines: list, progressive: str) -> bytes:
    xml = etree.tostring(fatturapa_tree(invoice, lines, progressive), xml_declaration=True, encoding="UTF-8")
    fatturapa_check(xml)
    return xml


def fatturapa_einvoice(invoice: Invoice) -> EInvoice:
    """Build, check and store the FatturaPA file of an issued invoice or credit note, with a new
    progressive; an earlier current FatturaPA file of the invoice is kept, superseded. Raises
    ValidationError (what to fix, or the schema's message) and then stores nothing and takes no
    progressive."""
    with scope_of(invoice.tenant_id), transaction.atomic():
        if invoice.is_draft:
            raise ValidationError(_("A draft has no e-invoice: issue it first."))
        tenant = invoice.client.tenant  # as the caller read it (issuing: locked, in this transaction)
        lines = list(invoice.lines.order_by("position", "pk"))
        if problems := fatturapa_missing(invoice, lines):
            raise ValidationError(problems)
        progressive = progressive_text(counter_take(tenant=tenant, name=PROGRESSIVE_COUNTER))
        xml = _checked_xml(invoice, lines, progressive)
        EInvoice.objects.filter(invoice=invoice, format=EInvoiceFormat.FATTURAPA, superseded=False).update(
            superseded=True
        )
        einvoice = EInvoice(
            tenant_id=invoice.tenant_id,
            invoice=invoice,
            format=EInvoiceFormat.FATTURAPA,
            progressive=progressive,
            filename=fatturapa_filename(tenant, progressive),
            sha256=hashlib.sha256(xml).hexdigest(),
            state_at=timezone.now(),
        )
        einvoice.xml.save(einvoice.filename, ContentFile(xml), save=False)
        einvoice.save()
    return einvoice
