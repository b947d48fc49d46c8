"""The archive: an issued invoice's PDF, rendered once and kept byte for byte.

After issue (on commit, in the worker: `archive_on_commit`), the PDF is rendered as PDF/A-3b by
WeasyPrint; when the invoice went out as an EN 16931 e-invoice (it has a current UBL file:
the client is outside Italy and the parties have what the standard needs), the `factur-x`
library embeds the CII XML as `factur-x.xml`, making it a Factur-X / ZUGFeRD EN 16931 PDF.
The bytes are stored in `Invoice.issued_pdf` with their SHA-256, and from then on every
download (staff page, API, client portal, the e-mail to the client) is those bytes: a later
payment, a renamed MSP or a changed template never changes an issued document.

Rendering is outside any lock; the first writer wins by a claiming UPDATE (the loser drops its
file and serves the winner's), so two workers, or a worker and a download, archive once.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from billing.models import EInvoice, EInvoiceFormat, Invoice, InvoiceKind
from msp.scoping import scope_of

logger = logging.getLogger(__name__)

PDF_VARIANT = "pdf/a-3b"


def archive_on_commit(invoice: Invoice) -> None:
    """Called inside the issue transaction: archive the PDF in the worker once it commits."""
    tenant_id, invoice_id = invoice.tenant_id, invoice.pk

    def enqueue():
        from billing.tasks import invoice_archive_task  # tasks import this module: imported late

        invoice_archive_task.delay(tenant_id, invoice_id)

    transaction.on_commit(enqueue)


def is_en16931(invoice: Invoice) -> bool:
    """Whether the invoice was issued as an EN 16931 e-invoice (it has a current UBL file)."""
    return EInvoice.objects.filter(invoice_id=invoice.pk, format=EInvoiceFormat.UBL, superseded=False).exists()


def archived_pdf(invoice: Invoice) -> bytes | None:
    """The archived bytes, or None while there are none."""
    if not invoice.issued_pdf:
        return None
    try:
        with invoice.issued_pdf.open("rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        logger.error("The archived PDF of invoice %s is missing: %s", invoice.pk, invoice.issued_pdf.name)
        raise
    if invoice.issued_pdf_sha256 and hashlib.sha256(data).hexdigest() != invoice.issued_pdf_sha256:
        logger.error("The archived PDF of invoice %s does not match its SHA-256", invoice.pk)
    return data


def render_archive_pdf(invoice: Invoice) -> bytes:
    """The issued invoice's PDF/A-3b, with its CII XML embedded for an EN 16931 e-invoice."""
    from weasyprint import HTML  # heavy: imported when a PDF is made

    from billing.pdf import render_invoice_html

    pdf = HTML(string=render_invoice_html(invoice), base_url=str(settings.BASE_DIR)).write_pdf(
        pdf_variant=PDF_VARIANT
    )
    if not is_en16931(invoice):
        return pdf
    from facturx import generate_from_binary

    from billing.einvoice.cii import cii_xml
    from msp.selectors import document_language

    kind = "Credit note" if invoice.kind == InvoiceKind.CREDIT_NOTE else "Invoice"
    seller = invoice.client.tenant.document_name
    return generate_from_binary(
        pdf,
        cii_xml(invoice),  # checked against the Factur-X EN 16931 XSD
        flavor="factur-x",
        level="en16931",
        check_xsd=False,
        pdf_metadata={
            "author": seller,
            "keywords": "Factur-X, EN 16931, " + kind,
            "title": f"{seller}: {kind} {invoice.number}",
            "subject": f"{kind} {invoice.number} dated {invoice.issue_date.isoformat()} issued by {seller}",
        },
        lang=document_language(invoice.client),
    )


def invoice_archive(invoice: Invoice) -> bytes:
    """The issued invoice's archived PDF: rendered and stored the first time, read after."""
    if invoice.is_draft:
        raise ValueError("A draft is not archived: it is rendered live.")
    with scope_of(invoice.tenant_id):
        return _archive(invoice)


def _archive(invoice: Invoice) -> bytes:
    data = archived_pdf(invoice)
    if data is not None:
        return data
    data = render_archive_pdf(invoice)
    digest = hashlib.sha256(data).hexdigest()
    from billing.pdf import invoice_pdf_filename

    field = invoice.issued_pdf
    field.save(invoice_pdf_filename(invoice), ContentFile(data), save=False)
    claimed = Invoice.objects.filter(pk=invoice.pk, issued_pdf="").update(
        issued_pdf=field.name, issued_pdf_sha256=digest
    )
    if claimed:
        invoice.issued_pdf_sha256 = digest
        return data
    # Another worker (or a download) archived it first: theirs is the document.
    field.storage.delete(field.name)
    winner = Invoice.objects.values_list("issued_pdf", "issued_pdf_sha256").get(pk=invoice.pk)
    invoice.issued_pdf, invoice.issued_pdf_sha256 = winner
    return archived_pdf(invoice)
