"""Celery tasks of sales/: emailing an offer with its PDF."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from msp.mail import email_queue
from msp.models import Contact
from msp.scoping import tenant_scope
from msp.selectors import document_language
from msp.tenant_tasks import tenant_task
from sales.models import Offer
from sales.pdf import offer_pdf_filename, render_offer_pdf


def portal_url(offer: Offer, base_url: str = "") -> str:
    path = reverse("portal:offer", args=[offer.pk])
    return f"{base_url.rstrip('/')}{path}" if base_url else path


def offer_email_messages(
    *, offer: Offer, contacts, base_url: str = "", message: str = ""
) -> list[EmailMessage]:
    """One email per contact, in the client's document language, with the offer's PDF attached."""
    tenant = offer.tenant
    pdf = render_offer_pdf(offer)
    with translation.override(document_language(offer.client)):
        filename = offer_pdf_filename(offer)
        subject = _("Your offer from %(msp)s: %(title)s") % {"msp": tenant.name, "title": offer}
        options = list(offer.options.all())
        emails = []
        for contact in contacts:
            body = render_to_string(
                "sales/email/offer.txt",
                {
                    "offer": offer,
                    "tenant": tenant,
                    "contact": contact,
                    "message": message,
                    "link": portal_url(offer, base_url),
                    "options": options,
                    "hours": offer.hour_block_minutes // 60,
                },
            )
            reply_to = [offer.created_by.email] if offer.created_by and offer.created_by.email else []
            email = EmailMessage(subject, body, to=[contact.email], reply_to=reply_to)
            email.attach(filename, pdf, "application/pdf")
            emails.append(email)
    return emails


@tenant_task(acks_late=True)
def offer_send_task(
    tenant_id: int, offer_id: int, contact_ids: list[int], base_url: str = "", message: str = ""
) -> str:
    """Write the offer's e-mails (PDF rendered here, in the worker, attached; a link to the
    portal) to these contacts of its client, and queue them: msp.mail sends and retries."""
    offer = Offer.objects.select_related("tenant", "client", "created_by").filter(pk=offer_id).first()
    if offer is None:
        return "offer deleted"
    with tenant_scope(offer.tenant, client=offer.client):
        contacts = list(Contact.objects.filter(pk__in=contact_ids).exclude(email="").order_by("pk"))
        if not contacts:
            return "no recipients"
        emails = offer_email_messages(offer=offer, contacts=contacts, base_url=base_url, message=message)
    with transaction.atomic():
        for email in emails:
            email_queue(email, tenant_id=tenant_id)
    return f"queued for {len(emails)}"
