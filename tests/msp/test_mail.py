"""Outgoing mail (msp.mail): queued with the transaction, sent by the worker, retried with
backoff while the server is down, failed for good where the owners can see it. Tested
against a real SMTP server on loopback (aiosmtpd, in a thread of this process: tests/mailsink.py)."""

import logging
import smtplib
from datetime import timedelta

import pytest
from celery.signals import task_retry
from django.core import mail
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from msp.mail import MAX_ATTEMPTS, email_queue, email_requeue_stale, email_send
from msp.models import OutboundEmail, OutboundEmailStatus
from msp.roles import Role
from msp.scoping import tenant_scope
from msp.tasks import email_send_task
from tests.factories import ClientFactory, ContactFactory, OutboundEmailFactory, UserFactory
from tests.mailsink import Inbox, NoSuchUser
from tests.timetracking.helpers import prepaid, ticket_on

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 not really a PDF \x00\xff"


def _message(**kwargs) -> EmailMessage:
    message = EmailMessage(
        "Your offer",
        "Ciao, here it is: àèì.",
        to=["jane@client.example"],
        cc=["boss@client.example"],
        bcc=["archive@msp.example"],
        reply_to=["sales@msp.example"],
        headers={"X-Tenant": "alpha"},
        **kwargs,
    )
    message.attach("offer.pdf", PDF, "application/pdf")
    return message


@pytest.fixture
def retries(monkeypatch):
    """Celery's retries of the send task, as (countdown, row as it was then), and a hook.

    Tasks run eagerly in tests, and a retry then runs again at once (the countdown is only
    recorded); errors are kept in the task's result as a worker would, not raised into the
    test, so that the retries really go through Celery's retry."""
    monkeypatch.setattr(email_send_task.app.conf, "task_eager_propagates", False)
    seen, hooks = [], []

    def on_retry(sender=None, request=None, reason=None, **kwargs):
        row = OutboundEmail.unscoped.get(pk=request.args[1])  # (tenant_id, email_id)
        seen.append((reason.when, row))
        for hook in hooks:
            hook()

    task_retry.connect(on_retry, sender=email_send_task, weak=False)
    yield seen, hooks
    task_retry.disconnect(on_retry, sender=email_send_task)


def test_queued_with_the_transaction_and_sent_once_with_everything(
    tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = email_queue(_message(), tenant_id=tenant.pk)
        assert mail.outbox == []  # nothing goes out before the commit
    [sent] = mail.outbox
    assert (sent.subject, sent.to, sent.cc) == (
        "Your offer",
        ["jane@client.example"],
        ["boss@client.example"],
    )
    assert "àèì" in sent.body
    assert sent.recipients() == ["jane@client.example", "boss@client.example", "archive@msp.example"]
    wire = sent.message()
    assert wire["Reply-To"] == "sales@msp.example" and wire["X-Tenant"] == "alpha"
    [attachment] = wire.iter_attachments()
    assert (attachment.get_filename(), attachment.get_content()) == ("offer.pdf", PDF)

    row = OutboundEmail.unscoped.get(pk=row.pk)
    assert (row.status, row.attempts, row.tenant_id) == (OutboundEmailStatus.SENT, 1, tenant.pk)
    assert row.sent_at is not None and bytes(row.mime) == b""  # the content is not kept
    # A redelivered task finds the row sent and sends nothing.
    assert email_send_task.delay(row.tenant_id, row.pk).get() == "skipped"
    assert len(mail.outbox) == 1


def test_a_rolled_back_transaction_sends_nothing(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            email_queue(_message(), tenant_id=tenant.pk)
            raise RuntimeError
    assert mail.outbox == [] and not OutboundEmail.unscoped.exists()


def test_server_down_then_up_the_mail_arrives_once(tenant, smtp, retries, django_capture_on_commit_callbacks):
    inbox = Inbox()
    seen, hooks = retries
    hooks.append(lambda: smtp.controller or smtp.up(inbox))  # the server comes back before the retry

    with django_capture_on_commit_callbacks(execute=True):
        row = email_queue(_message(), tenant_id=tenant.pk)

    # The first attempt met a closed port: the row stayed queued with the error, and Celery
    # was asked to retry in a minute.
    [(countdown, then)] = seen
    assert countdown == 60
    assert (then.status, then.attempts) == (OutboundEmailStatus.QUEUED, 1)
    assert "ConnectionRefusedError" in then.last_error and then.next_attempt_at is not None
    # The retry delivered it, once, to every envelope recipient, attachment included.
    [(rcpt_tos, data)] = inbox.received
    assert rcpt_tos == ["jane@client.example", "boss@client.example", "archive@msp.example"]
    assert b"Subject: Your offer" in data and b"offer.pdf" in data and b"archive@" not in data
    row = OutboundEmail.unscoped.get(pk=row.pk)
    assert (row.status, row.attempts, row.last_error) == (OutboundEmailStatus.SENT, 2, "")
    # Redelivered (acks_late after a lost ack, or a duplicate on the broker): nothing more.
    assert email_send_task.delay(row.tenant_id, row.pk).get() == "skipped"
    assert len(inbox.received) == 1


def test_retries_exhausted_the_owner_sees_it_and_sends_it_again(
    tenant, owner_client, make_member, smtp, retries, caplog, settings, django_capture_on_commit_callbacks
):
    seen, _hooks = retries
    with (
        caplog.at_level(logging.WARNING, logger="msp.mail"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        row = email_queue(_message(), tenant_id=tenant.pk)  # the server never comes up

    assert [countdown for countdown, _row in seen] == [60 * 2**n for n in range(MAX_ATTEMPTS - 1)]
    row = OutboundEmail.unscoped.get(pk=row.pk)
    assert (row.status, row.attempts) == (OutboundEmailStatus.FAILED, MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in row.last_error
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"E-mail {row.pk}" in error.getMessage() and "jane@client.example" in error.getMessage()

    dashboard = owner_client.get(reverse("dashboard")).content.decode()
    assert "1 e-mail could not be sent." in dashboard
    page = owner_client.get(reverse("mail:list") + "?status=failed").content.decode()
    assert "Your offer" in page and "ConnectionRefusedError" in page
    assert reverse("mail:retry", args=[row.pk]) in page

    technician = make_member(tenant, Role.TECHNICIAN)
    owner_client.force_login(technician.user)
    assert owner_client.get(reverse("mail:list")).status_code == 403
    assert owner_client.post(reverse("mail:retry", args=[row.pk])).status_code == 403
    assert "could not be sent" not in owner_client.get(reverse("dashboard")).content.decode()

    admin = make_member(tenant, Role.ADMIN)
    owner_client.force_login(admin.user)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the cause is fixed
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("mail:retry", args=[row.pk]))
    assert response.status_code == 302
    assert OutboundEmail.unscoped.get(pk=row.pk).status == OutboundEmailStatus.SENT
    assert [m.subject for m in mail.outbox] == ["Your offer"]


def test_every_recipient_refused_fails_at_once(
    tenant, smtp, retries, caplog, django_capture_on_commit_callbacks
):
    smtp.up(NoSuchUser())
    seen, _hooks = retries
    with caplog.at_level(logging.ERROR, logger="msp.mail"), django_capture_on_commit_callbacks(execute=True):
        row = email_queue(EmailMessage("Hi", "Hello", to=["ghost@client.example"]), tenant_id=tenant.pk)
    row = OutboundEmail.unscoped.get(pk=row.pk)
    assert seen == []
    assert (row.status, row.attempts) == (OutboundEmailStatus.FAILED, 1)
    assert "SMTPRecipientsRefused" in row.last_error and "No such user" in row.last_error
    assert any(r.levelno == logging.ERROR for r in caplog.records)


# --- nothing waits on SMTP in a request ------------------------------------------------------


@pytest.fixture
def connections(monkeypatch):
    """Every SMTP connection opened, by anyone."""
    opened = []
    connect = smtplib.SMTP.connect

    def spy(self, *args, **kwargs):
        opened.append(args)
        return connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", spy)
    return opened


@pytest.fixture
def broker(monkeypatch):
    """Send tasks hold the ids they were given instead of running: a broker nobody consumes yet."""
    ids = []
    monkeypatch.setattr(
        email_send_task, "apply_async", lambda args=(), kwargs=None, **options: ids.append(args[1])
    )
    return ids


@pytest.mark.django_db(transaction=True)  # on-commit hooks run inside the request, as in production
@pytest.mark.parametrize(
    ("auto_renew", "minutes", "subject"),
    [(False, 490, "80 % of the block used"), (True, 301, "a new block was added")],
)
def test_a_time_entry_never_waits_on_smtp(
    client, tenant, make_member, smtp, connections, broker, auto_renew, minutes, subject
):
    contract = prepaid(
        client=ClientFactory(tenant=tenant, currency="EUR"), currency="EUR", auto_renew=auto_renew
    )
    ContactFactory(tenant=tenant, client=contract.client, email="boss@client.example", portal_access=True)
    tech = make_member(tenant, Role.TECHNICIAN)
    client.force_login(tech.user)

    response = client.post(
        reverse("timesheet:entry-create"),
        {"ticket": ticket_on(contract).pk, "minutes": minutes, "billable": "on"},
    )

    assert response.status_code == 302
    assert connections == []  # the mail server (down, here) was never dialled in the request
    [row] = OutboundEmail.unscoped.filter(tenant=tenant)
    assert subject in row.subject and row.status == OutboundEmailStatus.QUEUED and broker == [row.pk]
    # The worker, later, is the one that dials it (and will retry).
    with tenant_scope(tenant):  # the task's scope
        assert email_send(email_id=row.pk).outcome == "retry"
    assert len(connections) == 1


def test_password_reset_is_queued_under_the_users_organisation(
    client, owner, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": owner.user.email})
    [row] = OutboundEmail.unscoped.all()
    assert row.tenant_id == owner.tenant_id and row.to == [owner.user.email]
    assert row.status == OutboundEmailStatus.SENT and len(mail.outbox) == 1

    loner = UserFactory(email="loner@example.com")  # in no organisation: nothing to sign in to
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": loner.email})
    assert response.status_code == 302  # the same answer as for anyone (no account probing)
    assert OutboundEmail.unscoped.count() == 1 and len(mail.outbox) == 1
    assert f"user {loner.pk}, who belongs to no organisation" in caplog.text


# --- a task that never reached the worker --------------------------------------------------


def test_the_broker_down_at_commit_fails_no_request_and_the_beat_job_sends_it_later(
    owner_client, tenant, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(email_send_task, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("members:invite"), {"email": "tina@example.com", "role": Role.TECHNICIAN}
        )
    assert response.status_code == 302  # the person is invited; the e-mail waits on its row
    [row] = OutboundEmail.unscoped.all()
    assert row.status == OutboundEmailStatus.QUEUED and mail.outbox == []

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert email_requeue_stale() == 0  # not late yet: its task may still be on its way
    with django_capture_on_commit_callbacks(execute=True):
        assert email_requeue_stale(now=timezone.now() + timedelta(minutes=16)) == 1
    assert [m.to for m in mail.outbox] == [["tina@example.com"]]


def test_the_beat_job_takes_only_the_lost_ones(tenant, django_capture_on_commit_callbacks):
    now = timezone.now()
    OutboundEmailFactory(
        tenant=tenant, subject="Lost retry", attempts=1, next_attempt_at=now - timedelta(minutes=20)
    )
    OutboundEmailFactory(
        tenant=tenant, subject="Retry soon", attempts=1, next_attempt_at=now + timedelta(minutes=5)
    )
    OutboundEmailFactory(tenant=tenant, subject="Being sent", claimed_until=now + timedelta(minutes=5))
    OutboundEmailFactory(
        tenant=tenant, subject="Gave up", failed=True, next_attempt_at=now - timedelta(hours=1)
    )
    OutboundEmailFactory(tenant=tenant, subject="Just queued")
    OutboundEmail.unscoped.update(created_at=now - timedelta(hours=1))
    OutboundEmail.unscoped.filter(subject="Just queued").update(created_at=now)
    with django_capture_on_commit_callbacks(execute=True):
        assert email_requeue_stale() == 1
    assert [m.subject for m in mail.outbox] == ["Lost retry"]
