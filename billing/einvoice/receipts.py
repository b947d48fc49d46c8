"""Reading the SdI's notification files (receipts) from their XML.

Two families reach an Italian sender, both read here by their root element:

* the SdI's messages, namespace ``http://www.fatturapa.gov.it/sdi/messaggi/v1.0``
  (``MessaggiTypes_v1.1.xsd``, vendored under schemas/sdi/): RicevutaConsegna (RC),
  NotificaMancataConsegna (MC), NotificaScarto (NS), NotificaEsito (NE),
  NotificaDecorrenzaTermini (DT), AttestazioneTrasmissioneFattura (AT). They are validated
  against the schema (their XAdES signature's structure included; the signature itself is
  not verified: the intermediary or the PEC mailbox they came through is trusted);
* the receipts of the Agenzia delle Entrate's B2B channel, namespace
  ``http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fattura/messaggi/v1.0``: RicevutaConsegna,
  RicevutaScarto (NS, whose errors carry a Suggerimento) and RicevutaImpossibilitaRecapito
  (MC). No public copy of their schema was found to vendor, so they are checked field by field
  (every field read here must be present and well formed).

Anything else (an invoice, a file for the recipient such as MetadatiInvioFile, a DOCTYPE, a
file that is not XML) is refused with a message that says what it is.
"""

from __future__ import annotations

import datetime
import functools
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from lxml import etree

SDI_NS = "http://www.fatturapa.gov.it/sdi/messaggi/v1.0"
ADE_NS = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fattura/messaggi/v1.0"
SCHEMA = Path(__file__).parent / "schemas" / "sdi" / "MessaggiTypes_v1.1.xsd"

# Root element -> receipt kind, per namespace.
ROOTS = {
    SDI_NS: {
        "RicevutaConsegna": "RC",
        "NotificaMancataConsegna": "MC",
        "NotificaScarto": "NS",
        "NotificaEsito": "NE",
        "NotificaDecorrenzaTermini": "DT",
        "AttestazioneTrasmissioneFattura": "AT",
    },
    ADE_NS: {
        "RicevutaConsegna": "RC",
        "RicevutaImpossibilitaRecapito": "MC",
        "RicevutaScarto": "NS",
    },
}
# Messages of the SdI that are not receipts for a file we sent.
NOT_OURS = {"MetadatiInvioFile", "FileMetadati", "NotificaEsitoCommittente", "ScartoEsitoCommittente"}
OUTCOMES = {"EC01", "EC02"}
SDI_ID = re.compile(r"^\d{1,12}$")
ERROR_CODE = re.compile(r"^[A-Z0-9]{5}$")


@dataclass(frozen=True)
class ParsedReceipt:
    kind: str
    sdi_id: str
    filename: str  # NomeFile: the e-invoice's file name, without a signed file's ".p7m"
    notified_at: datetime.datetime | None = None
    outcome: str = ""  # NE: EC01 (accepted) or EC02 (refused)
    errors: list[dict] = field(default_factory=list)  # NS: [{"code", "text", "hint"}]
    description: str = ""


@functools.cache
def _schema() -> etree.XMLSchema:
    # The schema imports xmldsig-core-schema.xsd from its own folder: nothing is fetched.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(SCHEMA), parser))


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_receipt")


def receipt_parse(content: bytes) -> ParsedReceipt:
    """The receipt in `content`, or ValidationError saying why it is not one we can read."""
    limit = settings.SDI_RECEIPT_MAX_BYTES
    if len(content) > limit:
        raise _refuse(
            _("The file is larger than %(size)d kB: an SdI receipt is a few kB.") % {"size": limit // 1024}
        )
    if not content.strip():
        raise _refuse(_("The file is empty."))
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        document = etree.fromstring(content, parser).getroottree()
    except etree.XMLSyntaxError as error:
        raise _refuse(_("The file is not well-formed XML: %(error)s") % {"error": error}) from error
    if document.docinfo.doctype:
        raise _refuse(_("The file declares a DOCTYPE: SdI receipts never do, so it is refused."))
    root = document.getroot()
    qname = etree.QName(root)
    kind = ROOTS.get(qname.namespace or "", {}).get(qname.localname)
    if kind is None:
        if qname.localname in NOT_OURS:
            raise _refuse(
                _(
                    "This is an SdI %(name)s message for the recipient of an invoice, not a receipt for a file you sent."
                )
                % {"name": qname.localname}
            )
        if qname.localname == "FatturaElettronica":
            raise _refuse(_("This is an invoice (FatturaPA), not an SdI receipt."))
        raise _refuse(
            _("This is not an SdI receipt: its root element is %(name)s.") % {"name": qname.localname}
        )
    if qname.namespace == SDI_NS:
        schema = _schema()
        if not schema.validate(document):
            error = schema.error_log.last_error
            raise _refuse(
                _(
                    "The receipt does not follow the SdI schema (MessaggiTypes 1.1): line %(line)s: %(message)s"
                )
                % {"line": error.line, "message": error.message}
            )
    return _read(root, kind)


def _text(root, path: str, *, required: bool = True, max_length: int = 500) -> str:
    node = root.find(path)
    value = (node.text or "").strip() if node is not None else ""
    if required and not value:
        raise _refuse(_("The receipt has no %(field)s.") % {"field": path.split("/")[-1]})
    return value[:max_length]


def _read(root, kind: str) -> ParsedReceipt:
    sdi_id = _text(root, "IdentificativoSdI")
    if not SDI_ID.match(sdi_id):
        raise _refuse(
            _("The receipt's IdentificativoSdI is not a number: %(value)s") % {"value": sdi_id[:30]}
        )
    filename = _text(root, "NomeFile", max_length=100)
    if filename.lower().endswith(".p7m"):
        filename = filename[: -len(".p7m")]
    notified_at = None
    if kind not in ("NE", "DT"):  # the only two without DataOraRicezione
        raw = _text(root, "DataOraRicezione")
        notified_at = parse_datetime(raw)
        if notified_at is None:
            raise _refuse(
                _("The receipt's DataOraRicezione is not a date and time: %(value)s") % {"value": raw[:40]}
            )
        if timezone.is_naive(notified_at):  # the SdI's clock is Italy's
            notified_at = timezone.make_aware(notified_at, zoneinfo.ZoneInfo("Europe/Rome"))
    outcome = ""
    errors: list[dict] = []
    description = _text(root, "Descrizione", required=False) or _text(root, "Note", required=False)
    if kind == "NS":
        for node in root.iterfind("ListaErrori/Errore"):
            code = _text(node, "Codice", max_length=10)
            if not ERROR_CODE.match(code):
                raise _refuse(_("The receipt's error code is not valid: %(value)s") % {"value": code})
            errors.append(
                {
                    "code": code,
                    "text": _text(node, "Descrizione"),
                    "hint": _text(node, "Suggerimento", required=False),
                }
            )
        if not errors:
            raise _refuse(_("The rejection (NS) lists no errors."))
    if kind == "NE":
        outcome = _text(root, "EsitoCommittente/Esito")
        if outcome not in OUTCOMES:
            raise _refuse(
                _("The outcome (Esito) is neither EC01 nor EC02: %(value)s") % {"value": outcome[:10]}
            )
        description = _text(root, "EsitoCommittente/Descrizione", required=False) or description
        if outcome == "EC02":
            errors.append({"code": outcome, "text": description, "hint": ""})
    return ParsedReceipt(
        kind=kind,
        sdi_id=sdi_id,
        filename=filename,
        notified_at=notified_at,
        outcome=outcome,
        errors=errors,
        description=description,
    )
