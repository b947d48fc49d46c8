"""SdI receipts for tests, made from the official sample receipts (tests/billing/sdi_samples/,
from fatturapa.gov.it: signed, valid against MessaggiTypes 1.1) with our file's name, SdI id,
errors or outcome put in; and e-invoice rows as the FatturaPA builder leaves them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils.html import escape

from billing.models import EInvoice, EInvoiceFormat, EInvoiceState

SAMPLES = Path(__file__).parent / "sdi_samples"


def sample(kind: str) -> bytes:
    return (SAMPLES / f"IT01234567890_11111_{kind}_001.xml").read_bytes()


def receipt_xml(
    kind: str,
    filename: str,
    sdi_id: str = "111",
    *,
    errors: list[tuple[str, str]] | None = None,
    outcome: str = "EC01",
    note: str = "",
) -> bytes:
    """The official sample of `kind`, for our `filename` (sent signed: `.p7m`)."""
    text = sample(kind).decode()
    text = text.replace("IT01234567890_11111.xml.p7m", f"{filename}.p7m")
    text = re.sub(
        r"<IdentificativoSdI>111</IdentificativoSdI>",
        f"<IdentificativoSdI>{sdi_id}</IdentificativoSdI>",
        text,
    )
    if errors is not None:
        listed = "".join(
            f"<Errore><Codice>{code}</Codice><Descrizione>{escape(text_)}</Descrizione></Errore>"
            for code, text_ in errors
        )
        text = re.sub(
            r"<ListaErrori>.*</ListaErrori>", f"<ListaErrori>{listed}</ListaErrori>", text, flags=re.S
        )
    if kind == "NE":
        text = text.replace("<Esito>EC01</Esito>", f"<Esito>{outcome}</Esito>")
    if note:
        text = text.replace("<Note>", f"<Note>{escape(note)} ", 1)
    return text.encode()


def ade_receipt_xml(kind: str, filename: str, sdi_id: str = "222", errors=None) -> bytes:
    """A receipt of the Agenzia delle Entrate's B2B channel (namespace .../fattura/messaggi/v1.0)."""
    root = {"RC": "RicevutaConsegna", "NS": "RicevutaScarto", "MC": "RicevutaImpossibilitaRecapito"}[kind]
    body = ""
    if kind == "NS":
        body = (
            "<ListaErrori>"
            + "".join(
                f"<Errore><Codice>{code}</Codice><Descrizione>{escape(text)}</Descrizione>"
                f"<Suggerimento>{escape(hint)}</Suggerimento></Errore>"
                for code, text, hint in errors or []
            )
            + "</ListaErrori>"
        )
    if kind == "MC":
        body = "<Descrizione>Il file è a disposizione nell'area riservata</Descrizione>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<ns3:{root} xmlns:ns3="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fattura/messaggi/v1.0" versione="1.0">'
        f"<IdentificativoSdI>{sdi_id}</IdentificativoSdI><NomeFile>{filename}</NomeFile>"
        f"<Hash>{'0' * 64}</Hash><DataOraRicezione>2026-11-03T10:00:00.000+01:00</DataOraRicezione>"
        f"{body}<MessageId>987654</MessageId></ns3:{root}>"
    ).encode()


def einvoice_for(invoice, progressive: str = "00001", state: str = EInvoiceState.READY, **fields) -> EInvoice:
    """A FatturaPA row of the invoice as billing.einvoice.fatturapa leaves it (its XML is a stub)."""
    filename = f"IT01234567890_{progressive}.xml"
    content = f"<FatturaElettronica>{invoice.pk}</FatturaElettronica>".encode()
    row = EInvoice(
        tenant_id=invoice.tenant_id,
        invoice=invoice,
        format=EInvoiceFormat.FATTURAPA,
        progressive=progressive,
        filename=filename,
        sha256=hashlib.sha256(content).hexdigest(),
        state=state,
        **fields,
    )
    row.xml.save(filename, ContentFile(content), save=False)
    row.save()
    return row


def sdi_world(invoice, others, n: int):
    """The harness's world (tests/world.py): the invoice's FatturaPA file sent n times, each
    earlier one rejected (receipt `receipt-{i}_NS.xml`) and replaced, the current one delivered;
    a file ready to send for each of `others`. Returns the delivery receipt."""
    from billing.einvoice.sdi import sdi_receipt_import

    tenant = invoice.tenant
    # The file issuing made (an Italian invoice) is the first of those replaced.
    EInvoice.objects.filter(invoice=invoice, superseded=False).update(superseded=True)
    for i in range(n):
        old = einvoice_for(invoice, f"S{i}", EInvoiceState.SENT)
        sdi_receipt_import(
            tenant=tenant,
            content=receipt_xml("NS", old.filename, str(1000 + i), errors=[("00311", f"Rejected {i}")]),
            filename=f"receipt-{i}_NS.xml",
            source="api",
        )
        EInvoice.objects.filter(pk=old.pk).update(superseded=True)
    current = einvoice_for(invoice, "C0", EInvoiceState.SENT)
    delivered = sdi_receipt_import(
        tenant=tenant,
        content=receipt_xml("RC", current.filename, "2000"),
        filename="delivered_RC.xml",
        source="api",
    )
    for i, other in enumerate(others):
        einvoice_for(other, f"R{i}")
    return delivered
