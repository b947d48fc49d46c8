"""A ticket's e-mails thread back to it (issue 13, the outgoing side), against real SMTP servers
on loopback (tests/mailsink.py): the acknowledgement, a technician's public reply and a status
notice carry "[#id]" in the subject, a recorded Message-ID, In-Reply-To/References to the
ticket's earlier e-mails (sent or received), Reply-To the support mailbox and X-PSA-Loop; an
internal note sends nothing. A tenant's own SMTP server gets that tenant's mail, the global one
the others'; a send that fails is on the ticket page (staff only) and is sent again from there;
the "Send test e-mail" button says what the server answered."""

import hashlib

import pytest
from django.core import mail
from django.urls import reverse

from inbox.choices import InboundSource, InboundStatus
from inbox.models import InboundMessage, Mailbox
from msp.mail import REPLY_MARKER, email_queue, email_send
from msp.models import OutboundEmail, OutboundEmailStatus, Tenant
from msp.roles import Role
from msp.scoping import tenant_scope
from msp.secrets import conceal, reveal
from msp.tasks import email_send_task
from tests.factories import TicketFactory
from tests.mailsink import Inbox, password, sink
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SUPPORT = "support@alpha-it.example"


@pytest.fixture
def mailbox(seeded):
    return Mailbox.unscoped.create(tenant=seeded, name="Support", address=SUPPORT)


@pytest.fixture
def portal_http(client, make_member, acme, contact):
    member = make_member(acme.tenant, Role.CLIENT, client=acme, email=contact.email)
    client.force_login(member.user)
    return client


@pytest.fixture
def private_ok(settings):
    settings.TENANT_SERVERS_ALLOW_PRIVATE = True  # the tests' servers are on loopback


@pytest.fixture
def broker(monkeypatch):
    """Send tasks hold the ids they were given instead of running: the worker is later."""
    ids = []
    monkeypatch.setattr(
        email_send_task, "apply_async", lambda args=(), kwargs=None, **options: ids.append(args[1])
    )
    return ids


def _open_in_portal(http, capture, subject="Printer on fire") -> Ticket:
    with capture(execute=True):
        response = http.post(
            reverse("portal:ticket-create"), {"subject": subject, "description": "Smoke", "priority": "P2"}
        )
    assert response.status_code == 302
    return Ticket.unscoped.get(subject=subject)


def _thread(ticket) -> list[OutboundEmail]:
    return list(
        OutboundEmail.unscoped.filter(thread=f"tickets.ticket:{ticket.pk}").order_by("created_at", "pk")
    )


def _to(inbox: Inbox, address: str):
    return [m for (rcpt, _data), m in zip(inbox.received, inbox.messages(), strict=True) if rcpt == [address]]


def test_a_public_reply_reaches_the_contact_threaded_and_a_note_sends_nothing(
    seeded, contact, tech, mailbox, portal_http, smtp, django_capture_on_commit_callbacks
):
    inbox = Inbox()
    smtp.up(inbox)
    ticket = _open_in_portal(portal_http, django_capture_on_commit_callbacks)
    [ack] = _to(inbox, contact.email)

    portal_http.force_login(tech.user)
    with django_capture_on_commit_callbacks(execute=True):
        answer = portal_http.post(
            reverse("tickets:reply", args=[ticket.pk]),
            {"body": "Restart the printer, please.", "public": "1"},
        )
        portal_http.post(
            reverse("tickets:reply", args=[ticket.pk]), {"body": "Firmware is from 2019.", "public": "0"}
        )
    assert answer.status_code == 302
    [_ack, reply] = _to(inbox, contact.email)  # the internal note sent nothing
    ack_row, reply_row = _thread(ticket)
    assert {ack_row.status, reply_row.status} == {OutboundEmailStatus.SENT}

    # Both recorded with the Message-ID they carried, on the mailbox's domain.
    assert (
        ack["Message-ID"] == f"<{ack_row.message_id}>" and reply["Message-ID"] == f"<{reply_row.message_id}>"
    )
    assert reply_row.message_id.endswith("@alpha-it.example") and reply_row.message_id != ack_row.message_id
    # The reply answers the acknowledgement; the acknowledgement, the first, answers nothing.
    assert reply["In-Reply-To"] == f"<{ack_row.message_id}>"
    assert reply["References"] == f"<{ack_row.message_id}>"
    assert ack["In-Reply-To"] is None and ack["References"] is None
    for message in (ack, reply):
        assert f"[#{ticket.pk}]" in message["Subject"]
        assert message["Reply-To"] == SUPPORT
        assert message["X-PSA-Loop"] == "alpha"
    assert ack["Auto-Submitted"] == "auto-generated"  # the app wrote it
    assert reply["Auto-Submitted"] is None  # a technician wrote it
    assert reply["Subject"] == f"New reply on [#{ticket.pk}] Printer on fire"
    text = reply.get_body(("plain",)).get_content()
    assert text.splitlines()[0] == REPLY_MARKER
    assert "Restart the printer, please." in text and "Firmware" not in text
    assert f"/portal/tickets/{ticket.pk}/" in text


def test_a_notice_answers_the_clients_latest_email(
    seeded, contact, tech, mailbox, portal_http, smtp, django_capture_on_commit_callbacks
):
    """What the client wrote (inbox/ files it on the ticket) is the latest of the thread: the
    next e-mail answers it, and still names the first."""
    inbox = Inbox()
    smtp.up(inbox)
    ticket = _open_in_portal(portal_http, django_capture_on_commit_callbacks)
    [ack_row] = _thread(ticket)
    InboundMessage.unscoped.create(
        tenant=seeded,
        mailbox=mailbox,
        source=InboundSource.IMAP,
        key=hashlib.sha256(b"client-1@acme.example").hexdigest(),
        message_id="<client-1@acme.example>",
        from_address=contact.email,
        subject=f"Re: [#{ticket.pk}] Printer on fire",
        status=InboundStatus.REPLY,
        ticket=ticket,
    )
    portal_http.force_login(tech.user)
    with django_capture_on_commit_callbacks(execute=True):
        portal_http.post(reverse("tickets:status", args=[ticket.pk]), {"status": "resolved"})
    notice = _to(inbox, contact.email)[-1]
    assert notice["Subject"] == f"[#{ticket.pk}] Printer on fire is now Resolved"
    assert notice["In-Reply-To"] == "<client-1@acme.example>"
    assert notice["References"] == f"<{ack_row.message_id}> <client-1@acme.example>"
    assert notice["Auto-Submitted"] == "auto-generated" and notice["Reply-To"] == SUPPORT

    # The ticket page lists the thread, out and in, for staff.
    page = portal_http.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "We received your ticket" in page and "is now Resolved" in page
    assert f"Re: [#{ticket.pk}] Printer on fire" in page and "Reply to a ticket" in page


def test_without_a_mailbox_mail_has_no_reply_to_and_ids_on_the_sites_host(
    tenant, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://psa.example.net"
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        row = email_queue(
            mail.EmailMessage("Hi", "Hello", to=["jane@client.example"]), tenant_id=tenant.pk, thread="x.y:1"
        )
    assert row.message_id.endswith("@psa.example.net") and row.thread == "x.y:1"
    [sent] = mail.outbox
    wire = sent.message()
    assert wire["Message-ID"] == f"<{row.message_id}>" and wire["X-PSA-Loop"] == "alpha"
    assert wire["Reply-To"] is None


# --- a tenant's own SMTP server ----------------------------------------------------------------


def _settings_form(tenant, **changes):
    return {
        "name": tenant.name,
        "default_currency": tenant.default_currency,
        "timezone": tenant.timezone,
        "language": tenant.language,
        "tax_rate": "22.00",
        "invoice_prefix": "",
        "attachment_max_mb": "10",
        "tax_regime": "RF01",
        "email_from_address": "support@alpha-it.example",
        **changes,
    }


def test_a_tenants_own_server_gets_its_mail_and_the_global_one_the_others(
    tenant, other_tenant, owner_client, smtp, settings, django_capture_on_commit_callbacks
):
    global_inbox, own_inbox = Inbox(), Inbox()
    smtp.up(global_inbox)
    with sink(own_inbox, authenticator=password("mario", "s3cret"), auth_require_tls=False) as port:
        form = _settings_form(
            tenant,
            smtp_host="127.0.0.1",
            smtp_port=str(port),
            smtp_security="none",
            smtp_username="mario",
            smtp_password="s3cret",
        )
        settings.TENANT_SERVERS_ALLOW_PRIVATE = False  # production: a loopback server is refused
        refused = owner_client.post(reverse("tenant_settings"), form)
        assert refused.status_code == 200 and "private, loopback or link-local" in refused.content.decode()
        assert Tenant.objects.get(pk=tenant.pk).smtp_host == ""
        settings.TENANT_SERVERS_ALLOW_PRIVATE = True
        assert owner_client.post(reverse("tenant_settings"), form).status_code == 302

        saved = Tenant.objects.get(pk=tenant.pk)
        assert saved.smtp_host == "127.0.0.1" and saved.smtp_port == port
        assert saved.smtp_password.startswith("fernet:") and "s3cret" not in saved.smtp_password
        assert reveal(saved.smtp_password) == "s3cret"
        page = owner_client.get(reverse("tenant_settings")).content.decode()
        assert "s3cret" not in page and "fernet:" not in page
        # Saved again without a password: the stored one stays.
        assert owner_client.post(reverse("tenant_settings"), {**form, "smtp_password": ""}).status_code == 302
        assert reveal(Tenant.objects.get(pk=tenant.pk).smtp_password) == "s3cret"

        with django_capture_on_commit_callbacks(execute=True):
            email_queue(mail.EmailMessage("Alpha's", "A", to=["a@client.example"]), tenant_id=tenant.pk)
            email_queue(mail.EmailMessage("Bravo's", "B", to=["b@client.example"]), tenant_id=other_tenant.pk)

    assert [m["Subject"] for m in own_inbox.messages()] == ["Alpha's"]
    assert [m["Subject"] for m in global_inbox.messages()] == ["Bravo's"]
    assert own_inbox.messages()[0]["From"] == "Alpha MSP <support@alpha-it.example>"
    assert set(OutboundEmail.unscoped.values_list("status", flat=True)) == {OutboundEmailStatus.SENT}


def test_own_server_needs_own_sender_address(tenant, owner_client):
    form = _settings_form(tenant, email_from_address="", smtp_host="smtp.alpha-it.example")
    refused = owner_client.post(reverse("tenant_settings"), form)
    assert refused.status_code == 200 and "email_from_address" in refused.context["form"].errors


# --- a failed send, on the ticket ----------------------------------------------------------------


def test_a_wrong_password_is_retried_then_failed_on_the_ticket_and_sent_again_from_there(
    seeded, acme, contact, tech, make_member, client, broker, private_ok, django_capture_on_commit_callbacks
):
    owner = make_member(seeded, Role.OWNER)
    ticket = TicketFactory(tenant=seeded, client=acme, contact=contact, subject="VPN drops")
    own_inbox = Inbox()
    with sink(own_inbox, authenticator=password("mario", "s3cret"), auth_require_tls=False) as port:
        Tenant.objects.filter(pk=seeded.pk).update(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            smtp_username="mario",
            smtp_password=conceal("wrong"),
            email_from_address="support@alpha-it.example",
        )
        client.force_login(tech.user)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("tickets:reply", args=[ticket.pk]), {"body": "On my way.", "public": "1"})
        [row] = _thread(ticket)
        assert broker == [row.pk]

        # The first attempt (the worker's): refused login, retried later, and shown meanwhile.
        with tenant_scope(seeded):
            assert email_send(email_id=row.pk).outcome == "retry"
        page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
        assert "SMTPAuthenticationError" in page and "next attempt" in page and "On my way." in page

        with tenant_scope(seeded):  # the back-off's retries, all refused
            outcomes = [email_send(email_id=row.pk).outcome for _ in range(8)]
        assert outcomes == ["retry"] * 7 + ["failed"]
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboundEmailStatus.FAILED, 9) and own_inbox.received == []

        # Staff see it failed, with its error; a technician may not send it again (as on
        # Outgoing mail), an owner may, from the ticket.
        retry = reverse("mail:retry", args=[row.pk])
        page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
        assert "SMTPAuthenticationError" in page and "badge-danger" in page and retry not in page
        client.force_login(owner.user)
        back = reverse("tickets:detail", args=[ticket.pk])
        page = client.get(back).content.decode()
        assert retry in page and "Send again" in page and f'name="next" value="{back}#emails"' in page

        # A client contact never sees delivery errors.
        portal = make_member(seeded, Role.CLIENT, client=acme, email=contact.email)
        client.force_login(portal.user)
        page = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
        assert "On my way." in page and "SMTPAuthenticationError" not in page and retry not in page

        Tenant.objects.filter(pk=seeded.pk).update(smtp_password=conceal("s3cret"))  # the owner fixed it
        client.force_login(owner.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(retry, {"next": f"{back}#emails"})
        assert response.status_code == 302 and response["Location"] == f"{back}#emails"
        assert broker == [row.pk, row.pk]
        with tenant_scope(seeded):
            assert email_send(email_id=row.pk).outcome == "sent"
        [message] = own_inbox.messages()
        assert message["Message-ID"] == f"<{row.message_id}>" and "On my way." in message.get_content()
    row.refresh_from_db()
    assert row.status == OutboundEmailStatus.SENT and row.last_error == ""
    # A foreign "next" is ignored: back to Outgoing mail.
    assert client.post(retry, {"next": "https://evil.example/"})["Location"] == reverse("mail:list")


# --- the "Send test e-mail" button ------------------------------------------------------------------


def test_the_test_button_shows_the_servers_answer(tenant, owner, owner_client, settings, private_ok):
    url = reverse("tenant_smtp_test")
    answer = owner_client.post(url, follow=True).content.decode()  # no server of its own: the app's
    assert "No SMTP server is set" in answer and len(mail.outbox) == 1

    inbox = Inbox()
    with sink(inbox, authenticator=password("mario", "s3cret"), auth_require_tls=False) as port:
        Tenant.objects.filter(pk=tenant.pk).update(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            smtp_username="mario",
            smtp_password=conceal("s3cret"),
            email_from_address="support@alpha-it.example",
        )
        answer = owner_client.post(url, follow=True).content.decode()
        assert f"Test e-mail sent to {owner.user.email}. The server answered: 250 OK" in answer
        [(rcpt, _data)] = inbox.received
        assert rcpt == [owner.user.email] and inbox.messages()[0]["X-PSA-Loop"] == "alpha"

        Tenant.objects.filter(pk=tenant.pk).update(smtp_password=conceal("wrong"))
        answer = owner_client.post(url, follow=True).content.decode()
        assert "was not sent" in answer and "SMTPAuthenticationError" in answer and "535" in answer
    answer = owner_client.post(url, follow=True).content.decode()  # the server is gone
    assert "was not sent" in answer and "ConnectionRefusedError" in answer

    settings.TENANT_SERVERS_ALLOW_PRIVATE = False
    answer = owner_client.post(url, follow=True).content.decode()
    assert "private, loopback or link-local" in answer and len(inbox.received) == 1


def test_only_owners_and_admins_send_test_emails(tenant, client, make_member):
    tech = make_member(tenant, Role.TECHNICIAN)
    client.force_login(tech.user)
    assert client.post(reverse("tenant_smtp_test")).status_code == 403
    assert mail.outbox == []


def test_a_tenants_mail_ids_are_its_own(tenant, other_tenant, django_capture_on_commit_callbacks):
    """The same client address, two MSPs: each message carries its own tenant's slug and id."""
    Mailbox.unscoped.create(tenant=other_tenant, name="Support", address="help@bravo.example")
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        mine = email_queue(mail.EmailMessage("A", "a", to=["x@client.example"]), tenant_id=tenant.pk)
    with tenant_scope(other_tenant), django_capture_on_commit_callbacks(execute=True):
        theirs = email_queue(mail.EmailMessage("B", "b", to=["x@client.example"]), tenant_id=other_tenant.pk)
    assert mine.message_id != theirs.message_id and theirs.message_id.endswith("@bravo.example")
    assert not mine.message_id.endswith("@bravo.example")  # another tenant's mailbox is not ours
    assert [m.message()["X-PSA-Loop"] for m in mail.outbox] == ["alpha", "bravo"]
