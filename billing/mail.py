"""The e-mail that carries an issued invoice to the client."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from billing.models import Invoice, InvoiceKind
from billing.pdf import invoice_pdf, invoice_pdf_filename
from msp.selectors import document_language


def invoice_email_message(invoice: Invoice, *, base_url: str = "") -> EmailMessage | None:
    client = invoice.client
    if not client.billing_email:
        return None
    tenant = client.tenant
    language = document_language(client)
    pdf = invoice_pdf(invoice)
    link = f"{base_url.rstrip('/')}{reverse('portal:invoices')}"
    with translation.override(language):
        is_credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
        subject = (
            _("Credit note %(number)s from %(msp)s")
            if is_credit_note
            else _("Invoice %(number)s from %(msp)s")
        ) % {"number": invoice.number, "msp": tenant.name}
        body = render_to_string(
            "billing/email/invoice.txt",
            {
                "invoice": invoice,
                "client": client,
                "tenant": tenant,
                "link": link,
                "is_credit_note": is_credit_note,
            },
        )
        filename = invoice_pdf_filename(invoice)
    message = EmailMessage(subject, body, to=[client.billing_email])
    message.attach(filename, pdf, "application/pdf")
    return message
