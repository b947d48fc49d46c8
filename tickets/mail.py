"""E-mails about a ticket to its client, threaded back to the ticket.

Each one (the acknowledgement of a new ticket, a technician's public reply, a status change)
is recorded on the ticket's thread ("tickets.ticket:<id>", msp.mail) and carries:

* the ticket's reference "[#<id>]" in its subject;
* a Message-ID (recorded on its OutboundEmail row), and ``In-Reply-To`` the latest e-mail of
  the ticket, sent or received, with ``References`` the first and that latest one, so the
  client's mail program shows one conversation and the client's answer names the ticket;
* ``Reply-To`` the tenant's support address (its active mailbox, which inbox/ polls);
* ``X-PSA-Loop: <tenant slug>`` (every mail of the tenant: msp.mail), and
  ``Auto-Submitted: auto-generated`` when nobody wrote it (not on a technician's reply);
* ``msp.mail.REPLY_MARKER`` on its first line, where the inbound side cuts the answer.
"""

from __future__ import annotations

from msp.mail import bare_message_id, compose, email_queue, support_address
from msp.models import OutboundEmail
from tickets.hooks import incoming_emails
from tickets.models import Ticket


def ticket_thread(ticket_id: int) -> str:
    """The thread of a ticket's e-mails, as OutboundEmail.thread records it."""
    return f"tickets.ticket:{ticket_id}"


def ticket_tag(ticket_id: int) -> str:
    """The reference a ticket's e-mails carry in their subject, and an answer by it is filed."""
    return f"[#{ticket_id}]"


def thread_message_ids(ticket: Ticket) -> list[str]:
    """The Message-IDs of the ticket's e-mails, sent and received, oldest first."""
    sent = list(
        OutboundEmail.objects.filter(thread=ticket_thread(ticket.pk))
        .exclude(message_id="")
        .order_by("created_at", "pk")
        .values_list("created_at", "message_id")
    )
    received = [(email.at, bare_message_id(email.message_id)) for email in incoming_emails(ticket)]
    return [message_id for _at, message_id in sorted(sent + received, key=lambda item: item[0]) if message_id]


def thread_headers(ticket: Ticket, *, automatic: bool) -> dict[str, str]:
    headers = {}
    ids = thread_message_ids(ticket)
    if ids:
        headers["In-Reply-To"] = f"<{ids[-1]}>"
        headers["References"] = " ".join(f"<{message_id}>" for message_id in dict.fromkeys([ids[0], ids[-1]]))
    if automatic:
        headers["Auto-Submitted"] = "auto-generated"
    return headers


def ticket_email_queue(
    ticket: Ticket, *, to: str, name: str, subject: str, body: str, link: str, automatic: bool
) -> OutboundEmail | None:
    """Queue an e-mail about `ticket` to one client address, threaded (see the module). Call
    it in the reader's language: the text is written as it is called."""
    tag = ticket_tag(ticket.pk)
    if tag not in subject:
        subject = f"{tag} {subject}"
    reply_to = support_address(ticket.tenant_id)
    message = compose(
        tenant=ticket.tenant,
        to=[to],
        subject=subject,
        body=body,
        name=name,
        link=link,
        reply_marker=True,
        headers=thread_headers(ticket, automatic=automatic),
        reply_to=[reply_to] if reply_to else None,
    )
    return email_queue(message, tenant_id=ticket.tenant_id, thread=ticket_thread(ticket.pk))
