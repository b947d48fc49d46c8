"""The invoice as a PDF (WeasyPrint), in the client's document language.

An issued invoice's PDF is its archive (billing.einvoice.archive): PDF/A-3 rendered once after
issue, Factur-X for EN 16931 clients, and served byte for byte ever after. A draft's PDF is
stored with a digest of the HTML it came from; `invoice_pdf` renders it again only when the
digest changes (a line, the MSP's address...), so a stale draft is never served.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Sum
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceKind, TaxNature
from contracts.choices import ContractKind
from contracts.models import Contract
from msp import scoping
from msp.selectors import document_language


def prepaid_balances(invoice: Invoice) -> list[tuple[Contract, int]]:
    """The client's prepaid contracts with their balance in minutes, printed under the totals."""
    return [
        (contract, contract.balance_minutes)
        for contract in Contract.objects.filter(client_id=invoice.client_id, kind=ContractKind.PREPAID_HOURS)
        .exclude(status="ended")
        .order_by("pk")
    ]


def exemptions(lines) -> list[tuple[str, str, str]]:
    """(nature, its label, legal reference) of each exemption the lines carry, once each, in
    the order they first appear: what the printed invoice says about its 0 % lines."""
    labels = dict(TaxNature.choices)
    seen: dict[tuple[str, str], tuple[str, str, str]] = {}
    for line in lines:
        if line.tax_nature:
            label = str(labels.get(line.tax_nature, line.tax_nature))
            seen.setdefault(
                (line.tax_nature, line.tax_reference), (line.tax_nature, label, line.tax_reference)
            )
    return list(seen.values())


def render_invoice_html(invoice: Invoice) -> str:
    from billing.services.invoices import invoice_parties
    from msp.identity import logo_data_uri

    tenant = invoice.client.tenant
    token = scoping.activate(scoping.Scope(tenant_id=invoice.tenant_id, client_id=invoice.client_id))
    try:
        lines = list(invoice.lines.all())
        balances = prepaid_balances(invoice)
        payments = invoice.payments.aggregate(total=Sum("amount"))["total"]
        parties = invoice.parties or invoice_parties(invoice)
    finally:
        scoping.restore(token)
    language = document_language(invoice.client)
    with translation.override(language):
        return render_to_string(
            "billing/pdf/invoice.html",
            {
                "invoice": invoice,
                "tenant": tenant,
                "client": invoice.client,
                "seller": parties["seller"],
                "buyer": parties["buyer"],
                "logo": logo_data_uri(tenant),
                "lines": lines,
                "balances": balances,
                "payments": payments,
                "exemptions": exemptions(lines),
                "is_credit_note": invoice.kind == InvoiceKind.CREDIT_NOTE,
                "language": language,
            },
        )


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice's PDF. An issued document is its archive, the bytes as issued (rendered once,
    billing.einvoice.archive); a draft is rendered live, stored while what it shows is unchanged."""
    if not invoice.is_draft:
        from billing.einvoice.archive import invoice_archive

        return invoice_archive(invoice)
    html = render_invoice_html(invoice)
    digest = hashlib.sha256(html.encode()).hexdigest()
    if invoice.pdf and invoice.pdf_digest == digest:
        try:
            with invoice.pdf.open("rb") as stored:
                return stored.read()
        except FileNotFoundError:
            pass
    from weasyprint import HTML  # heavy: imported when a PDF is made

    data = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    old = invoice.pdf.name if invoice.pdf else ""
    invoice.pdf.save(invoice_pdf_filename(invoice), ContentFile(data), save=False)
    invoice.pdf_digest = digest
    Invoice.objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name, pdf_digest=digest)
    if old and old != invoice.pdf.name:
        invoice.pdf.storage.delete(old)
    return data


def invoice_pdf_filename(invoice: Invoice) -> str:
    with translation.override(document_language(invoice.client)):
        kind = _("credit-note") if invoice.kind == InvoiceKind.CREDIT_NOTE else _("invoice")
    number = invoice.number or f"draft-{invoice.pk}"
    return f"{slugify(kind)}-{slugify(number)}-{slugify(invoice.client.name) or 'client'}.pdf"


def invoice_pdf_response(invoice: Invoice, *, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{invoice_pdf_filename(invoice)}"'
    return response
