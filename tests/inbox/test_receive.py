"""What each real e-mail becomes (tests/inbox/mail/): a reply, a new ticket, left for review or
dropped, each exactly once, with a note and a log line."""

import logging
from email.message import EmailMessage

import pytest
from django.core.exceptions import ValidationError

from inbox.choices import DropReason, InboundSource, InboundStatus
from inbox.models import InboundMessage
from inbox.services import message_receive
from msp.models import OutboundEmail
from msp.scoping import unscoped
from tests.factories import ClientFactory, ContactFactory, MailboxFactory, TenantFactory
from tests.inbox.conftest import REPLY_ID, contacts_of, sample
from tickets.choices import Source, TicketStatus
from tickets.models import Attachment, Ticket, TicketComment

pytestmark = pytest.mark.django_db


def receive(mailbox, raw, source=InboundSource.IMAP):
    return message_receive(mailbox=mailbox, raw=raw, source=source)


def counts(tenant):
    with unscoped():
        return (
            Ticket.objects.filter(tenant=tenant).count(),
            TicketComment.objects.filter(tenant=tenant).count(),
            Attachment.objects.filter(tenant=tenant).count(),
            InboundMessage.objects.filter(tenant=tenant).count(),
        )


def assert_never_both(message):
    """A new ticket has no reply; a reply names its ticket and its comment; the others none."""
    if message.status == InboundStatus.NEW_TICKET:
        assert message.ticket_id and message.comment_id is None
    elif message.status == InboundStatus.REPLY:
        assert message.ticket_id and message.comment_id
        with unscoped():
            assert TicketComment.objects.get(pk=message.comment_id).ticket_id == message.ticket_id
    else:
        assert message.ticket_id is None and message.comment_id is None


def mail(*, sender="Anna Rossi <anna.rossi@acme-corp.example>", subject="Hello", body="Hi there.", **headers):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@alpha-msp.example"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


# --- the samples ------------------------------------------------------------------------------


def test_an_outlook_reply_is_a_public_reply_by_the_contacts_portal_login_without_the_quoted_history(
    shop, caplog
):
    caplog.set_level(logging.INFO, logger="inbox")
    message = receive(shop.mailbox, sample("outlook_reply.eml"))

    assert message.status == InboundStatus.REPLY and message.ticket_id == shop.ticket.pk
    assert message.client_id == shop.acme.pk and message.duplicate is False
    comment = TicketComment.unscoped.get(pk=message.comment_id)
    assert comment.public and comment.author == shop.anna_user and comment.sender == ""
    assert comment.body == (
        "Hi, the printer is still jammed after the restart. I tried the tray twice – no luck.\n\n"
        "Thanks,\nAnna Rossi\nAcme Corp · Office manager"
    )
    files = list(Attachment.unscoped.filter(comment=comment))
    assert [(f.original_name, f.content_type) for f in files] == [("paper jam.png", "image/png")]
    shop.ticket.refresh_from_db()
    assert shop.ticket.status == TicketStatus.OPEN  # was waiting on the client: her answer reopens it
    assert (
        message.note
        == f"Filed as a reply on ticket #{shop.ticket.pk}. The ticket went from “Waiting on client” to “Open”."
    )
    assert message.subject == "RE: Printer on floor 2 is down"
    assert message.message_id == "DB9PR01MB1234ABCD5678@DB9PR01MB1234.eurprd01.prod.outlook.com"
    assert message.raw and message.raw.read().startswith(b"Received: from mail.acme-corp.example")
    assert f"reply on ticket {shop.ticket.pk}" in caplog.text
    assert_never_both(message)


def test_an_italian_gmail_answer_to_a_received_reply_threads_on_the_same_ticket(shop):
    first = receive(shop.mailbox, sample("outlook_reply.eml"))
    second = receive(shop.mailbox, sample("italian_reply.eml"))
    assert second.status == InboundStatus.REPLY and second.ticket_id == first.ticket_id == shop.ticket.pk
    assert TicketComment.unscoped.get(pk=second.comment_id).body == (
        "Ora funziona, grazie mille! Potete chiudere il ticket.\n\nAnna"
    )


def test_a_latin1_message_from_a_known_contact_opens_a_ticket_with_its_accents_and_euro_sign(
    shop, mailoutbox
):
    message = receive(shop.mailbox, sample("latin1.eml"))

    assert message.status == InboundStatus.NEW_TICKET and message.client_id == shop.bianchi.pk
    ticket = Ticket.unscoped.get(pk=message.ticket_id)
    assert ticket.source == Source.EMAIL and ticket.contact == shop.nicolo
    assert ticket.subject == "La stampante non funziona più"
    assert "non funziona più: è accesa" in ticket.description and "50 € (così" in ticket.description
    assert message.from_name == "Nicolò Bianchi" and message.from_address == "nicolo@bianchi-srl.example"
    assert message.note == f"Opened ticket #{ticket.pk} for Bianchi Srl."
    assert_never_both(message)


def test_an_html_only_message_from_a_clients_domain_opens_a_ticket_and_adds_the_contact(shop):
    message = receive(shop.mailbox, sample("html_only.eml"))

    assert message.status == InboundStatus.NEW_TICKET and message.client_id == shop.globex.pk
    ticket = Ticket.unscoped.get(pk=message.ticket_id)
    assert ticket.subject == "VPN guasta – urgente"
    assert ticket.description == (
        "Hello support,\n\nOur VPN stopped working this morning & nobody can connect.\nThe error says:\n\n"
        "- Connection timed out\n- Code 809\n\nOffice Milan\n\n"
        "Could you have a look? our status page (https://example.com/x)\n\n"
        "Best regards,\nMarco Verdi\nGlobex S.p.A."
    )
    marco = contacts_of(shop.globex)[-1]
    assert (marco.name, marco.email) == ("Verdi, Marco", "marco.verdi@globex.example")
    assert ticket.contact == marco
    assert "Contact “Verdi, Marco” was added to the client." in message.note


@pytest.mark.parametrize(
    ("name", "reason", "evidence"),
    [
        ("out_of_office.eml", DropReason.AUTO_REPLY, "Auto-Submitted: auto-replied"),
        ("dsn_bounce.eml", DropReason.BOUNCE, "multipart/report; report-type=delivery-status"),
        ("loop.eml", DropReason.LOOP, "X-PSA-Loop: alpha"),
        ("malformed.eml", DropReason.MALFORMED, "no sender address"),
    ],
)
def test_auto_replies_bounces_loops_and_malformed_messages_are_dropped_with_a_log_line_and_kept(
    shop, caplog, name, reason, evidence
):
    caplog.set_level(logging.INFO, logger="inbox")
    before = counts(shop.tenant)
    message = receive(shop.mailbox, sample(name))

    assert (message.status, message.reason) == (InboundStatus.DROPPED, reason)
    assert evidence in message.note and evidence in caplog.text and f"dropped ({reason})" in caplog.text
    assert message.raw.read() == sample(name)  # nothing lost
    after = counts(shop.tenant)
    assert after[:3] == before[:3] and after[3] == before[3] + 1
    shop.ticket.refresh_from_db()
    assert shop.ticket.status == TicketStatus.WAITING  # the out-of-office did not reopen it
    assert_never_both(message)


def test_a_20_mb_attachment_over_the_tenants_limit_is_left_out_with_a_note_and_the_reply_still_filed(shop):
    big = mail(subject=f"Re: [#{shop.ticket.pk}] Printer on floor 2 is down", body="Here is the disk image.")
    big.add_attachment(
        b"PK\x03\x04" + bytes(20 * 1024 * 1024), maintype="application", subtype="zip", filename="disk.zip"
    )
    big.add_attachment(
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, maintype="image", subtype="png", filename="photo.png"
    )
    raw = big.as_bytes()
    assert len(raw) > 27 * 1024 * 1024

    message = receive(shop.mailbox, raw)

    assert message.status == InboundStatus.REPLY and message.ticket_id == shop.ticket.pk
    assert "“disk.zip” is 20 MB; files of up to 10 MB are accepted." in message.note
    stored = Attachment.unscoped.filter(ticket=shop.ticket)
    assert [a.original_name for a in stored] == ["photo.png"]
    note = TicketComment.unscoped.filter(ticket=shop.ticket, public=False).get()
    assert "disk.zip" in note.body and note.author is None
    assert message.raw.size == len(raw)  # the attachment is not lost: the e-mail is kept whole


def test_a_message_over_the_size_cap_is_dropped_without_its_body_and_once(shop, settings, caplog):
    settings.INBOX_MAX_BYTES = 1024
    raw = mail(subject="Huge", body="x" * 5000, Message_ID="<huge-1@acme-corp.example>").as_bytes()
    message = receive(shop.mailbox, raw)
    assert (message.status, message.reason) == (InboundStatus.DROPPED, DropReason.TOO_LARGE)
    assert message.body == "" and not message.raw and message.size == len(raw)
    assert message.subject == "Huge" and message.from_address == "anna.rossi@acme-corp.example"
    assert "MB accepted; it was not kept." in message.note
    assert receive(shop.mailbox, raw).pk == message.pk
    assert "dropped (too_large)" in caplog.text


def test_own_address_and_too_many_hops_are_loops(shop):
    own = receive(shop.mailbox, mail(sender="Support <SUPPORT@alpha-msp.example>").as_bytes())
    assert (own.status, own.reason) == (InboundStatus.DROPPED, DropReason.OWN)
    hops = mail(subject="Round and round")
    for n in range(31):
        hops["Received"] = f"from relay{n}.example by relay{n + 1}.example"
    looped = receive(shop.mailbox, hops.as_bytes())
    assert (looped.status, looped.reason) == (InboundStatus.DROPPED, DropReason.LOOP)
    assert "Received × 31 > 30" in looped.note


def test_mail_from_another_tenant_of_the_platform_is_not_a_loop(shop):
    """Acme's IT runs on this platform too (tenant "acme"): its technician's mail carries its own
    loop header, and reaches this MSP's mailbox like any client's mail."""
    theirs = receive(shop.mailbox, mail(subject="Our VPN is down", X_PSA_Loop="acme").as_bytes())
    assert theirs.status == InboundStatus.NEW_TICKET and theirs.reason == ""
    ours = receive(shop.mailbox, mail(subject="Came back", X_PSA_Loop="ALPHA").as_bytes())
    assert (ours.status, ours.reason) == (InboundStatus.DROPPED, DropReason.LOOP)


@pytest.mark.parametrize(
    "headers",
    [
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Subject": "Risposta automatica: Stampante"},
        {"Subject": "Out of Office"},
        {"Return-Path": "<>"},
    ],
)
def test_other_automatic_mail_is_dropped(shop, headers):
    message = mail(subject=headers.pop("Subject", "Hello"))
    for name, value in headers.items():
        message[name] = value
    assert receive(shop.mailbox, message.as_bytes()).status == InboundStatus.DROPPED


def test_a_subject_that_only_mentions_an_office_is_not_an_auto_reply(shop):
    filed = receive(shop.mailbox, mail(subject="Out of office laptops need updates").as_bytes())
    assert filed.status == InboundStatus.NEW_TICKET


# --- exactly once -------------------------------------------------------------------------------


def test_every_sample_received_again_is_the_same_row_and_files_nothing(shop):
    names = ["outlook_reply.eml", "italian_reply.eml", "latin1.eml", "html_only.eml", "out_of_office.eml",
             "dsn_bounce.eml", "malformed.eml", "loop.eml"]  # fmt: skip
    first = {name: receive(shop.mailbox, sample(name)) for name in names}
    before = counts(shop.tenant)
    for _round in range(2):
        for name in names:
            again = receive(shop.mailbox, sample(name), source=InboundSource.WEBHOOK)
            assert again.pk == first[name].pk and again.duplicate is True
    assert counts(shop.tenant) == before


def test_a_message_without_message_id_is_known_by_its_bytes(shop):
    message = mail(subject="No id")
    del message["Message-ID"]
    raw = message.as_bytes()
    first = receive(shop.mailbox, raw)
    assert first.message_id == "" and first.status == InboundStatus.NEW_TICKET
    assert receive(shop.mailbox, raw).pk == first.pk
    assert receive(shop.mailbox, raw + b"\n").pk != first.pk  # other bytes: another message


def test_the_same_message_id_with_other_bytes_is_still_the_same_message(shop):
    raw = sample("latin1.eml")
    first = receive(shop.mailbox, raw)
    relayed = b"Received: from backup-mx.example by mx.alpha-msp.example\r\n" + raw
    assert receive(shop.mailbox, relayed).pk == first.pk
    assert Ticket.unscoped.filter(client=shop.bianchi).count() == 1


# --- threading and who may answer what --------------------------------------------------------


def test_a_ticket_tag_in_the_subject_files_a_reply_by_a_contact_without_login(shop):
    other = ContactFactory(
        tenant=shop.tenant, client=shop.acme, name="Piero", email="piero@acme-corp.example"
    )
    message = receive(
        shop.mailbox,
        mail(
            sender="Piero Gialli <piero@acme-corp.example>", subject=f"Re: [#{shop.ticket.pk}] printer"
        ).as_bytes(),
    )
    assert message.status == InboundStatus.REPLY and message.ticket_id == shop.ticket.pk
    comment = TicketComment.unscoped.get(pk=message.comment_id)
    assert comment.author is None and comment.sender == "Piero Gialli <piero@acme-corp.example>"
    assert other.pk  # known as Acme's contact


def test_a_tag_of_another_clients_ticket_opens_a_ticket_for_the_senders_own_client(shop):
    message = receive(
        shop.mailbox,
        mail(sender="nicolo@bianchi-srl.example", subject=f"[#{shop.ticket.pk}] me too").as_bytes(),
    )
    assert message.status == InboundStatus.NEW_TICKET and message.client_id == shop.bianchi.pk
    assert message.ticket_id != shop.ticket.pk
    assert (
        f"It names #{shop.ticket.pk}, whose client does not know the sender: not filed there." in message.note
    )
    assert not TicketComment.unscoped.filter(ticket=shop.ticket).exists()


def test_an_unknown_sender_naming_a_ticket_waits_for_review(shop):
    message = receive(
        shop.mailbox, mail(sender="vendor@hp.example", subject=f"[#{shop.ticket.pk}] parts").as_bytes()
    )
    assert message.status == InboundStatus.REVIEW and message.ticket_id is None
    assert "No client is known by the sender's address or domain." in message.note
    assert f"It names #{shop.ticket.pk}" in message.note


def test_free_mail_domains_never_name_a_client(shop):
    ContactFactory(tenant=shop.tenant, client=shop.globex, name="Gmail user", email="boss.globex@gmail.com")
    message = receive(shop.mailbox, mail(sender="someone.else@gmail.com").as_bytes())
    assert message.status == InboundStatus.REVIEW


def test_a_domain_shared_by_two_clients_names_neither(shop):
    ContactFactory(tenant=shop.tenant, client=shop.bianchi, name="Consultant", email="x@globex.example")
    assert (
        receive(shop.mailbox, mail(sender="new.person@globex.example").as_bytes()).status
        == InboundStatus.REVIEW
    )


def test_a_contact_of_two_clients_waits_for_review_unless_answering_one_of_their_tickets(shop):
    ContactFactory(
        tenant=shop.tenant, client=shop.bianchi, name="Anna at Bianchi", email="anna.rossi@acme-corp.example"
    )
    new = receive(shop.mailbox, mail(subject="New problem").as_bytes())
    assert new.status == InboundStatus.REVIEW and "several clients: Acme Corp, Bianchi Srl" in new.note
    reply = receive(shop.mailbox, mail(subject=f"[#{shop.ticket.pk}] printer").as_bytes())
    assert reply.status == InboundStatus.REPLY


def test_a_reply_to_a_closed_ticket_is_added_and_the_ticket_stays_closed(shop):
    Ticket.unscoped.filter(pk=shop.ticket.pk).update(status=TicketStatus.CLOSED)
    message = receive(shop.mailbox, sample("outlook_reply.eml"))
    shop.ticket.refresh_from_db()
    assert message.status == InboundStatus.REPLY and shop.ticket.status == TicketStatus.CLOSED
    assert "The ticket is closed and stays closed." in message.note


def test_a_reply_to_a_resolved_ticket_reopens_it(shop):
    Ticket.unscoped.filter(pk=shop.ticket.pk).update(status=TicketStatus.RESOLVED)
    receive(shop.mailbox, sample("outlook_reply.eml"))
    shop.ticket.refresh_from_db()
    assert shop.ticket.status == TicketStatus.OPEN


def test_a_new_email_ticket_tells_the_msp_and_acknowledges_to_the_client(shop, mailoutbox, make_member):
    make_member(shop.tenant)  # a technician
    message = receive(shop.mailbox, sample("latin1.eml"))
    with unscoped():
        sent = list(OutboundEmail.objects.filter(tenant=shop.tenant).exclude(message_id=REPLY_ID))
    assert any(email.to == ["Nicolo@Bianchi-SRL.example"] for email in sent), [e.to for e in sent]
    assert message.ticket_id


# --- tenants ------------------------------------------------------------------------------------


def test_the_same_message_received_by_two_tenants_is_filed_once_in_each(shop):
    other = TenantFactory(name="Bravo", slug="bravo")
    bravo_box = MailboxFactory(tenant=other, address="help@bravo.example")
    bravo_client = ClientFactory(tenant=other, name="Bianchi at Bravo", billing_email="")
    ContactFactory(tenant=other, client=bravo_client, name="Nicolò", email="nicolo@bianchi-srl.example")

    mine = receive(shop.mailbox, sample("latin1.eml"))
    theirs = receive(bravo_box, sample("latin1.eml"))

    assert mine.pk != theirs.pk and (mine.tenant_id, theirs.tenant_id) == (shop.tenant.pk, other.pk)
    assert Ticket.unscoped.get(pk=mine.ticket_id).client_id == shop.bianchi.pk
    assert Ticket.unscoped.get(pk=theirs.ticket_id).client_id == bravo_client.pk
    assert receive(bravo_box, sample("latin1.eml")).pk == theirs.pk


def test_a_tag_or_thread_of_another_tenants_ticket_never_files_there(shop):
    other = TenantFactory(name="Bravo", slug="bravo")
    bravo_box = MailboxFactory(tenant=other, address="help@bravo.example")
    # Bravo happens to know Anna too; its own mailbox receives her reply to Alpha's e-mail.
    bravo_acme = ClientFactory(tenant=other, name="Acme at Bravo", billing_email="")
    ContactFactory(tenant=other, client=bravo_acme, name="Anna", email="anna.rossi@acme-corp.example")
    raw = sample("outlook_reply.eml").replace(
        b"Subject: RE: Printer", f"Subject: RE: [#{shop.ticket.pk}] Printer".encode()
    )

    message = receive(bravo_box, raw)

    assert message.tenant_id == other.pk and message.status == InboundStatus.NEW_TICKET
    assert Ticket.unscoped.get(pk=message.ticket_id).tenant_id == other.pk
    assert not TicketComment.unscoped.filter(ticket=shop.ticket).exists()
    unknown = receive(bravo_box, mail(sender="x@nowhere.example", subject=f"[#{shop.ticket.pk}]").as_bytes())
    assert unknown.status == InboundStatus.REVIEW and "It names" not in unknown.note


def test_a_mailbox_of_another_tenant_cannot_be_handed_in_another_scope(shop):
    from msp.scoping import tenant_scope

    other = TenantFactory(name="Bravo", slug="bravo")
    bravo_box = MailboxFactory(tenant=other, address="help@bravo.example")
    with tenant_scope(shop.tenant), pytest.raises(ValidationError):
        receive(bravo_box, sample("latin1.eml"))
    assert not InboundMessage.unscoped.filter(tenant=other).exists()


# --- never raises -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00" * 50,
        b"From: \r\n\r\n",
        b"garbage without headers",
        "Subject: ünïcode\n\nbody".encode("utf-16"),
    ],
)
def test_garbage_never_raises(shop, raw):
    message = receive(shop.mailbox, raw)
    assert message.status == InboundStatus.DROPPED and message.reason == DropReason.MALFORMED


def test_a_filing_failure_leaves_the_message_for_review_with_the_reason(shop, monkeypatch, caplog):
    from inbox import filing

    def broken(**kwargs):
        raise ValidationError("the ticket service refused it")

    monkeypatch.setattr(filing, "file_new_ticket", broken)
    message = receive(shop.mailbox, sample("latin1.eml"))
    assert message.status == InboundStatus.REVIEW and message.ticket_id is None
    assert "Could not be filed (the ticket service refused it): left for review." == message.note
    assert not Ticket.unscoped.filter(client=shop.bianchi).exists()


def test_bytes_postgresql_refuses_are_cleaned_before_they_are_stored(shop):
    raw = (
        b"From: Nicol\xf2 <nicolo@bianchi-srl.example>\r\nSubject: Gi\xe0 \x00rotto\r\n"
        b"Message-ID: <nul\x00@bianchi-srl.example>\r\n\r\nLa stampante\x00 \xe8 rotta"
    )
    message = receive(shop.mailbox, raw)
    assert message.status == InboundStatus.NEW_TICKET
    ticket = Ticket.unscoped.get(pk=message.ticket_id)
    assert ticket.subject == "Già rotto" and ticket.description == "La stampante è rotta"
    assert receive(shop.mailbox, raw).pk == message.pk
