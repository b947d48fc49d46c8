"""Polling a real Dovecot on loopback (tests/inbox/dovecot.py): each message filed exactly once
across polls, new ones picked up, a renumbered folder read again without duplicates, failures
recorded with the server's answer and retried with back-off, never raised."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.choices import DropReason, ImapSecurity, InboundSource, InboundStatus
from inbox.models import InboundMessage, Mailbox
from inbox.polling import BATCH, LEASE, backoff, mailbox_claim, mailbox_poll, mailboxes_dispatch
from inbox.services import mailbox_update
from inbox.tasks import mailbox_poll_dispatch_task, mailbox_poll_task
from msp.scoping import scope_of, unscoped
from tests.inbox.conftest import imap_mailbox
from tests.inbox.dovecot import free_port, message
from tickets.choices import Source
from tickets.models import Ticket, TicketComment

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]


def filed(mailbox) -> list[InboundMessage]:
    with unscoped():
        return list(InboundMessage.unscoped.filter(mailbox=mailbox).order_by("pk"))


def fresh(mailbox) -> Mailbox:
    with unscoped():
        return Mailbox.unscoped.get(pk=mailbox.pk)


def test_each_message_is_filed_once_however_often_the_mailbox_is_polled(tenant, imap_account):
    imap_account.deliver([message("Printer offline"), message("Re: VPN"), message("Out of office")])
    mailbox = imap_mailbox(tenant, imap_account)

    first = mailbox_poll(mailbox=mailbox)
    second = mailbox_poll(mailbox=mailbox)

    assert (first.filed, first.error) == (3, "")
    assert (second.filed, second.error) == (0, "")
    rows = filed(mailbox)
    assert len(rows) == 3
    assert {row.source for row in rows} == {InboundSource.IMAP}
    mailbox = fresh(mailbox)
    assert mailbox.last_uid == 3 and mailbox.uid_validity
    assert mailbox.failures == 0 and mailbox.last_error == ""
    assert mailbox.last_success_at == mailbox.last_polled_at
    assert mailbox.next_poll_at > timezone.now()


def test_a_new_ticket_a_reply_and_an_out_of_office_are_each_filed_once_across_polls(shop, imap_account):
    """The issue's scenario: a client writes (a new ticket), answers our e-mail about a ticket
    ([#id] in the subject: a public reply on it), and her autoresponder answers too (dropped)."""
    anna = "Anna Rossi <anna.rossi@acme-corp.example>"
    imap_account.deliver(
        [
            message("Outlook keeps crashing", sender=anna, to=shop.mailbox.address),
            message(
                f"Re: [#{shop.ticket.pk}] Printer on floor 2 is down",
                sender=anna,
                to=shop.mailbox.address,
                body="It prints again, thank you.",
            ),
            message(
                "Out of office: Printer on floor 2 is down",
                sender=anna,
                to=shop.mailbox.address,
                headers={"Auto-Submitted": "auto-replied"},
                body="I am away until Monday.",
            ),
        ]
    )
    mailbox = mailbox_update(
        mailbox=shop.mailbox,
        imap_host="127.0.0.1",
        imap_port=imap_account.server.port,
        imap_security=ImapSecurity.NONE,
        imap_username=imap_account.username,
        password=imap_account.password,
    )
    with unscoped():
        tickets_before = Ticket.unscoped.filter(tenant=shop.tenant).count()

    for _poll in range(3):
        mailbox_poll(mailbox=mailbox)

    rows = {row.subject: row for row in filed(mailbox)}
    assert len(rows) == 3
    new = rows["Outlook keeps crashing"]
    reply = rows[f"Re: [#{shop.ticket.pk}] Printer on floor 2 is down"]
    away = rows["Out of office: Printer on floor 2 is down"]
    assert (new.status, new.client_id) == (InboundStatus.NEW_TICKET, shop.acme.pk)
    assert (reply.status, reply.ticket_id) == (InboundStatus.REPLY, shop.ticket.pk)
    assert (away.status, away.reason) == (InboundStatus.DROPPED, DropReason.AUTO_REPLY)
    with unscoped():
        assert Ticket.unscoped.filter(tenant=shop.tenant).count() == tickets_before + 1
        assert Ticket.unscoped.get(pk=new.ticket_id).source == Source.EMAIL
        comments = TicketComment.unscoped.filter(ticket=shop.ticket, public=True)
        assert [c.body for c in comments] == ["It prints again, thank you."]


def test_messages_arriving_between_polls_are_picked_up(tenant, imap_account):
    imap_account.deliver([message("First")])
    mailbox = imap_mailbox(tenant, imap_account)
    assert mailbox_poll(mailbox=mailbox).filed == 1

    imap_account.deliver([message("Second"), message("Third")])
    imap_account.append([message("Fourth")])

    assert mailbox_poll(mailbox=mailbox).filed == 3
    assert mailbox_poll(mailbox=mailbox).filed == 0
    assert len(filed(mailbox)) == 4
    assert fresh(mailbox).last_uid == 4


def test_fetching_marks_nothing_as_read_unless_asked(tenant, other_tenant, dovecot):
    quiet, marking = dovecot.account(), dovecot.account()
    quiet.deliver([message("Unread stays unread")])
    marking.deliver([message("Read once filed")])
    mailbox_poll(mailbox=imap_mailbox(tenant, quiet))
    mailbox_poll(mailbox=imap_mailbox(other_tenant, marking, imap_mark_seen=True))

    assert "\\Seen" not in quiet.flags()[0]
    assert "\\Seen" in marking.flags()[0]


def test_a_renumbered_folder_is_read_again_and_files_only_what_is_new(tenant, imap_account):
    """UIDVALIDITY changed (the folder was recreated, the server restored): from UID 0 again,
    and the messages already filed are recognised, not filed twice."""
    old = [message("Old one"), message("Old two")]
    imap_account.append(old, folder="Support")
    mailbox = imap_mailbox(tenant, imap_account, imap_folder="Support")
    assert mailbox_poll(mailbox=mailbox).filed == 2
    before = fresh(mailbox).uid_validity

    assert imap_account.run("delete", "Support")[0] == "OK"
    imap_account.append([*old, message("New one")], folder="Support")
    result = mailbox_poll(mailbox=mailbox)

    mailbox = fresh(mailbox)
    assert result.uid_validity_changed and mailbox.uid_validity != before
    assert result.filed == 3  # all read again...
    assert len(filed(mailbox)) == 3  # ...and only the new one filed
    assert mailbox.last_uid == 3


def test_a_wrong_password_is_shown_with_the_servers_answer_and_retried_later_and_later(tenant, imap_account):
    mailbox = imap_mailbox(tenant, imap_account, password="not-the-password")

    outcome = mailbox_poll_task(tenant.pk, mailbox.pk)  # the worker's task: raises nothing
    mailbox = fresh(mailbox)
    assert "failed" in outcome
    assert "[AUTHENTICATIONFAILED] Authentication failed." in mailbox.last_error
    assert mailbox.failures == 1
    first_wait = mailbox.next_poll_at - mailbox.last_polled_at
    assert first_wait == backoff(1) == timedelta(minutes=2)

    mailbox_poll(mailbox=mailbox)
    mailbox = fresh(mailbox)
    assert mailbox.failures == 2
    assert mailbox.next_poll_at - mailbox.last_polled_at == timedelta(minutes=4)
    assert mailbox.last_success_at is None
    assert filed(mailbox) == []


def test_the_back_off_doubles_up_to_an_hour():
    assert [backoff(n).total_seconds() / 60 for n in range(1, 9)] == [2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff(1000) == timedelta(hours=1)


def test_a_success_after_failures_resets_them(tenant, imap_account):
    imap_account.deliver([message("Waiting")])
    mailbox = imap_mailbox(tenant, imap_account, password="wrong")
    mailbox_poll(mailbox=mailbox)
    mailbox_poll(mailbox=mailbox)
    assert fresh(mailbox).failures == 2

    mailbox = mailbox_update(mailbox=fresh(mailbox), password=imap_account.password)
    result = mailbox_poll(mailbox=mailbox)

    mailbox = fresh(mailbox)
    assert result.filed == 1
    assert (mailbox.failures, mailbox.last_error) == (0, "")
    assert mailbox.last_success_at is not None


def test_an_unreachable_server_is_recorded_not_raised(tenant, imap_account):
    mailbox = imap_mailbox(tenant, imap_account, imap_port=free_port())  # nobody listens

    mailbox_poll_task(tenant.pk, mailbox.pk)

    mailbox = fresh(mailbox)
    assert mailbox.last_error.startswith(f"Cannot reach 127.0.0.1:{mailbox.imap_port}: Connection refused")
    assert mailbox.failures == 1
    assert mailbox.next_poll_at > timezone.now() + timedelta(minutes=1)


def test_an_unknown_host_is_recorded(tenant, imap_account):
    mailbox = imap_mailbox(tenant, imap_account, imap_host="imap.invalid")
    result = mailbox_poll(mailbox=mailbox)
    assert result.error.startswith("Cannot reach imap.invalid:")
    assert "unknown host" in fresh(mailbox).last_error


def test_a_missing_folder_is_recorded_with_the_servers_answer(tenant, imap_account):
    mailbox = imap_mailbox(tenant, imap_account, imap_folder="Nowhere")
    mailbox_poll(mailbox=mailbox)
    mailbox = fresh(mailbox)
    assert mailbox.last_error.startswith("The folder Nowhere cannot be opened:")
    assert "Mailbox doesn't exist: Nowhere" in mailbox.last_error
    assert mailbox.failures == 1


def test_tls_verified_against_the_test_ca(tenant, imap_account, trust_test_ca):
    imap_account.deliver([message("Over TLS")])
    mailbox = imap_mailbox(
        tenant, imap_account, imap_security=ImapSecurity.SSL, imap_port=imap_account.server.ssl_port
    )
    assert mailbox_poll(mailbox=mailbox).filed == 1


def test_starttls_verified_against_the_test_ca(tenant, imap_account, trust_test_ca):
    imap_account.deliver([message("Upgraded to TLS")])
    mailbox = imap_mailbox(tenant, imap_account, imap_security=ImapSecurity.STARTTLS)
    assert mailbox_poll(mailbox=mailbox).filed == 1


def test_an_untrusted_certificate_is_refused_and_recorded(tenant, imap_account):
    imap_account.deliver([message("Never read")])
    mailbox = imap_mailbox(
        tenant, imap_account, imap_security=ImapSecurity.SSL, imap_port=imap_account.server.ssl_port
    )
    mailbox_poll(mailbox=mailbox)
    mailbox = fresh(mailbox)
    assert mailbox.last_error == (
        f"Secure connection to 127.0.0.1:{mailbox.imap_port} failed: "
        "certificate verify failed: unable to get local issuer certificate"
    )
    assert filed(mailbox) == []


def test_two_tenants_mailboxes_on_one_server_never_mix(tenant, other_tenant, dovecot):
    alpha, bravo = dovecot.account(), dovecot.account()
    shared = message("Both MSPs in copy", message_id="<cc-both@acme.example>")
    alpha.deliver([message("For Alpha"), shared])
    bravo.deliver([message("For Bravo one"), message("For Bravo two"), shared])
    alpha_box = imap_mailbox(tenant, alpha)
    bravo_box = imap_mailbox(other_tenant, bravo, address="support@bravo.example")

    assert mailbox_poll(mailbox=alpha_box).filed == 2
    assert mailbox_poll(mailbox=bravo_box).filed == 3

    with unscoped():
        assert InboundMessage.unscoped.filter(tenant=tenant).count() == 2
        assert InboundMessage.unscoped.filter(tenant=other_tenant).count() == 3
        assert set(InboundMessage.unscoped.filter(mailbox=alpha_box).values_list("tenant", flat=True)) == {
            tenant.pk
        }
    with scope_of(tenant.pk):  # each sees only its own
        assert InboundMessage.objects.count() == 2


def test_a_mailbox_being_polled_is_not_polled_again_at_once(tenant, imap_account):
    imap_account.deliver([message("Once")])
    mailbox = imap_mailbox(tenant, imap_account)
    with scope_of(tenant.pk):
        claim = mailbox_claim(mailbox)  # another worker's poll
    assert claim is not None

    assert mailbox_poll(mailbox=mailbox).skipped
    assert filed(mailbox) == []

    with scope_of(tenant.pk):
        assert claim.release()
    assert mailbox_poll(mailbox=mailbox).filed == 1


def test_a_dead_workers_claim_runs_out(tenant, imap_account):
    imap_account.deliver([message("After the lease")])
    mailbox = imap_mailbox(tenant, imap_account)
    Mailbox.unscoped.filter(pk=mailbox.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert mailbox_poll(mailbox=mailbox).filed == 1
    assert fresh(mailbox).claimed_until is None
    assert LEASE <= timedelta(minutes=15)


def test_editing_the_mailbox_mid_poll_stops_that_poll(tenant, imap_account):
    """The new settings win: the poll under way loses its lease at its next message."""
    imap_account.deliver([message(f"Message {i}") for i in range(3)])
    mailbox = imap_mailbox(tenant, imap_account)

    def edit_after_first(items, total):
        for index, item in enumerate(items):
            yield item
            if index == 0:
                mailbox_update(mailbox=fresh(mailbox), imap_folder="Elsewhere")

    result = mailbox_poll(mailbox=mailbox, each=edit_after_first)

    assert result.skipped and result.filed == 1  # the first; the second was handed over, then it stopped
    mailbox = fresh(mailbox)
    assert (mailbox.imap_folder, mailbox.last_uid, mailbox.uid_validity) == ("Elsewhere", 0, None)
    assert mailbox.claimed_until is None


def test_a_filing_failure_is_recorded_and_the_message_read_again(tenant, imap_account, monkeypatch):
    """The service never raises on a bad message; the database might. Nothing is skipped:
    the message's UID is not passed, so the next poll files it."""
    import inbox.services

    imap_account.deliver([message("Good"), message("Unlucky")])
    mailbox = imap_mailbox(tenant, imap_account)
    real = inbox.services.message_receive
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(inbox.services, "message_receive", flaky)
    result = mailbox_poll(mailbox=mailbox)
    assert result.filed == 1
    assert result.error == "Unexpected error: RuntimeError: database went away"
    assert fresh(mailbox).last_uid == 1

    monkeypatch.setattr(inbox.services, "message_receive", real)
    Mailbox.unscoped.filter(pk=mailbox.pk).update(next_poll_at=None)
    assert mailbox_poll(mailbox=mailbox).filed == 1
    assert len(filed(mailbox)) == 2


def test_a_poll_stops_at_its_limit_and_the_next_goes_on(tenant, imap_account):
    imap_account.deliver([message(f"Backlog {i}") for i in range(BATCH + 5)])
    mailbox = imap_mailbox(tenant, imap_account)

    first = mailbox_poll(mailbox=mailbox, limit=BATCH)
    assert (first.filed, first.remaining) == (BATCH, 5)
    assert fresh(mailbox).next_poll_at <= timezone.now()  # due again at once

    second = mailbox_poll(mailbox=mailbox, limit=BATCH)
    assert (second.filed, second.remaining) == (5, 0)
    assert len(filed(mailbox)) == BATCH + 5


def test_the_beat_dispatches_one_poll_per_due_mailbox(tenant, other_tenant, dovecot):
    due_a, due_b, later, idle = (dovecot.account() for _ in range(4))
    for account in (due_a, due_b, later, idle):
        account.deliver([message("Hello")])
    box_a = imap_mailbox(tenant, due_a)
    box_b = imap_mailbox(other_tenant, due_b, address="support@bravo.example")
    box_later = imap_mailbox(tenant, later, address="later@alpha.example")
    box_idle = imap_mailbox(tenant, idle, address="idle@alpha.example", is_active=False)
    Mailbox.unscoped.filter(pk=box_later.pk).update(next_poll_at=timezone.now() + timedelta(minutes=30))

    outcome = mailbox_poll_dispatch_task()  # eager in tests: each poll runs here

    assert outcome == "dispatched 2 mailbox(es)"
    assert [len(filed(box)) for box in (box_a, box_b, box_later, box_idle)] == [1, 1, 0, 0]
    assert mailboxes_dispatch() == []  # polled: not due for another minute


def test_an_italian_msps_mailbox_reads_its_failure_in_italian(tenant, imap_account):
    tenant.language = "it"
    tenant.save(update_fields=["language"])
    mailbox = imap_mailbox(tenant, imap_account, password="sbagliata")

    mailbox_poll_task(tenant.pk, mailbox.pk)  # the worker's task: in its tenant's language

    assert fresh(mailbox).last_error == (
        "Il server ha rifiutato l'accesso: [AUTHENTICATIONFAILED] Authentication failed."
    )


def test_a_server_that_is_not_imap_is_recorded_with_a_bounded_answer(tenant, imap_account):
    """Whatever answers on the port (here a web server's error page, or nothing sensible) is
    a failure with a short excerpt, never a crash or a page-long error."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def talk_nonsense():
        connection, _address = listener.accept()
        connection.sendall(b"HTTP/1.1 400 Bad Request " + b"x" * 5000 + b"\r\n")
        connection.close()

    threading.Thread(target=talk_nonsense, daemon=True).start()
    mailbox = imap_mailbox(tenant, imap_account, imap_port=listener.getsockname()[1])
    mailbox_poll(mailbox=mailbox)
    listener.close()

    mailbox = fresh(mailbox)
    assert mailbox.failures == 1
    assert mailbox.last_error.startswith(f"Cannot reach 127.0.0.1:{mailbox.imap_port}:")
    assert len(mailbox.last_error) < 600


def test_beat_dispatches_the_polls_every_minute(settings):
    from msp.celery import app

    app.loader.import_default_modules()  # what a worker does at start
    entry = settings.CELERY_BEAT_SCHEDULE["inbox-poll"]
    assert entry == {"task": "inbox.tasks.mailbox_poll_dispatch_task", "schedule": 60}
    assert entry["task"] in app.tasks and "inbox.tasks.mailbox_poll_task" in app.tasks
