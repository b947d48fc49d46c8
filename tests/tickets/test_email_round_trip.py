"""The whole loop of issue 13, through real servers on loopback: a technician's public reply
leaves by SMTP (tests/mailsink.py), the contact answers it as a mail client does (Re: subject,
In-Reply-To and References to our Message-ID, our text quoted under "On ... wrote:" with the
reply marker), and the answer, received by the support mailbox, becomes a public reply on the
same ticket with the quoted history cut away: once, however often it is received."""

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.urls import reverse

from inbox.choices import InboundSource, InboundStatus
from inbox.models import Mailbox
from inbox.parsing import trim_quoted
from inbox.services import message_receive
from msp.mail import REPLY_MARKER
from msp.models import OutboundEmail
from msp.roles import Role
from tests.mailsink import Inbox
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db

SUPPORT = "support@alpha-it.example"


def _answer(original, *, sender: str, text: str) -> bytes:
    """What a mail client sends when its user answers `original` above the quote."""
    answer = EmailMessage()
    answer["From"] = sender
    answer["To"] = original["Reply-To"]
    answer["Subject"] = f"Re: {original['Subject']}"
    answer["Message-ID"] = make_msgid(domain="client.example")
    answer["In-Reply-To"] = original["Message-ID"]
    answer["References"] = original["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in original.get_body(("plain",)).get_content().splitlines())
    answer.set_content(f"{text}\n\nOn Sun, 6 Dec 2026 at 09:00, Alpha IT <{SUPPORT}> wrote:\n{quoted}\n")
    return answer.as_bytes()


def test_an_answer_to_our_reply_is_filed_on_its_ticket_once_and_trimmed(
    seeded, contact, tech, client, make_member, acme, smtp, django_capture_on_commit_callbacks
):
    mailbox = Mailbox.unscoped.create(tenant=seeded, name="Support", address=SUPPORT)
    inbox = Inbox()
    smtp.up(inbox)
    portal = make_member(acme.tenant, Role.CLIENT, client=acme, email=contact.email)
    client.force_login(portal.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("portal:ticket-create"),
            {"subject": "VPN drops", "description": "Every hour", "priority": "P3"},
        )
    ticket = Ticket.unscoped.get(subject="VPN drops")
    client.force_login(tech.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("tickets:reply", args=[ticket.pk]), {"body": "Update the client to 5.2.", "public": "1"}
        )
    ours = [m for m in inbox.messages() if "New reply" in m["Subject"]]
    assert len(ours) == 1 and ours[0]["Reply-To"] == SUPPORT

    # The subject keeps "[#id]", but the thread alone must find the ticket: take it out.
    raw = _answer(ours[0], sender=f"{contact.name} <{contact.email}>", text="Done, it holds now. Thanks!")
    raw = raw.replace(f"[#{ticket.pk}]".encode(), b"")
    comments_before = TicketComment.unscoped.filter(ticket=ticket).count()
    first = message_receive(mailbox=mailbox, raw=raw, source=InboundSource.IMAP)
    again = message_receive(mailbox=mailbox, raw=raw, source=InboundSource.IMAP)

    assert first.status == InboundStatus.REPLY and first.ticket_id == ticket.pk
    assert again.pk == first.pk  # received twice, filed once
    assert TicketComment.unscoped.filter(ticket=ticket).count() == comments_before + 1
    comment = TicketComment.unscoped.get(pk=first.comment_id)
    assert comment.public and comment.body == "Done, it holds now. Thanks!"
    assert not Ticket.unscoped.filter(subject__icontains="VPN drops").exclude(pk=ticket.pk).exists()
    # Our reply and the answer are on the ticket's thread: ours sent, the answer received.
    assert OutboundEmail.unscoped.filter(thread=f"tickets.ticket:{ticket.pk}", status="sent").count() >= 2


def test_the_reply_marker_cuts_an_answer_written_above_it_without_a_quote_header():
    text = f"Yes, Tuesday is fine.\n\n{REPLY_MARKER}\n\nHello Giulia,\nWe can come on Tuesday."
    assert trim_quoted(text) == "Yes, Tuesday is fine."
    assert trim_quoted(f"Yes.\n> {REPLY_MARKER}\n> Hello Giulia,") == "Yes."
