"""Outgoing e-mail: one way out, and never inside a request.

``email_queue`` records the message (an ``OutboundEmail`` row holding its MIME bytes and its
envelope) and, on commit, hands its id to ``msp.tasks.email_send_task``. The worker claims the
row, sends it through Django's mail connection and marks it sent. When the server is down or
answers "try later", the row keeps the error and the task retries with exponential backoff
(1, 2, 4 ... 128 minutes: nine attempts over about four hours). A refusal for good (every
recipient refused, 5xx to the sender or the data) or the last attempt marks it failed and
logs an ERROR; the tenant's owners and admins see it on the "Outgoing mail" page and may
send it again. A task that never reached the worker (the broker was down at commit, a retry
was lost) is handed over again by the beat job ``email_requeue_stale``: nothing stays queued
for ever. Delivery is at least once: only a worker dying between the server's "250 OK" and
the row's update sends a message twice.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from msp.models import OutboundEmail, OutboundEmailStatus, Tenant
from msp.scoping import scoped_by

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 9  # the first and eight retries
FIRST_RETRY_SECONDS = 60
# How long a worker holds a row it is sending; past that a redelivered task may take it
# (the worker died). Well above the SMTP timeout.
CLAIM = timedelta(minutes=10)
# A queued e-mail this late for its attempt has lost its task: the beat job enqueues it again.
STALE = timedelta(minutes=15)


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: 1, 2, 4 ... minutes."""
    return FIRST_RETRY_SECONDS * 2 ** (attempts - 1)


def tenant_from_email(tenant: Tenant) -> str:
    """The From header of the tenant's mail: "Acme IT <support@acme.example>"; its name and
    the server's address (DEFAULT_FROM_EMAIL's) where it set none."""
    address = tenant.email_from_address or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return formataddr((tenant.email_from_name or tenant.name, address))


def compose(
    *, tenant: Tenant, to: list[str], subject: str, body: str, name: str = "", link: str = "", **kwargs
) -> EmailMessage:
    """A mail from the MSP to one recipient group: "Hello <name>," the body, the link, and the
    MSP's signature, sent in its name (in the active language)."""
    text = render_to_string(
        "msp/email/message.txt",
        {"name": name, "body": body, "link": link, "signature": tenant_signature(tenant)},
    )
    subject = " ".join(str(subject).split())  # one line: a header never takes a line break
    return EmailMessage(subject, text, tenant_from_email(tenant), to, **kwargs)


def tenant_signature(tenant: Tenant) -> str:
    return tenant.email_from_name or tenant.name


def email_queue(message: EmailMessage, *, tenant_id: int) -> OutboundEmail | None:
    """Record `message` for the worker to send once the current transaction commits. A message
    without a sender of its own goes out in the tenant's name (tenant_from_email)."""
    if not message.recipients():
        return None
    if message.from_email == settings.DEFAULT_FROM_EMAIL:
        tenant = Tenant.objects.only("name", "email_from_name", "email_from_address").get(pk=tenant_id)
        message.from_email = tenant_from_email(tenant)
    row = OutboundEmail.objects.create(
        tenant_id=tenant_id,
        subject=str(message.subject),
        from_email=message.from_email,
        to=list(message.to),
        cc=list(message.cc),
        recipients=message.recipients(),
        mime=message.message().as_bytes(),
    )
    _enqueue(tenant_id, row.pk)
    return row


@scoped_by("email")
def email_retry(*, email: OutboundEmail) -> bool:
    """Send a failed e-mail again, with a fresh set of attempts; False if it had not failed."""
    again = OutboundEmail.objects.filter(pk=email.pk, status=OutboundEmailStatus.FAILED).update(
        status=OutboundEmailStatus.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    if again:
        _enqueue(email.tenant_id, email.pk)
    return bool(again)


def _enqueue(tenant_id: int, email_id: int) -> None:
    from msp.tasks import email_send_task

    # Robust: with the broker down the request still succeeds (the error is logged); the row
    # is committed, and email_requeue_stale hands it over later.
    transaction.on_commit(lambda: email_send_task.delay(tenant_id, email_id), robust=True)


def email_requeue_stale(*, now=None, batch: int = 500) -> int:
    """Enqueue again the queued e-mails whose task was lost; returns how many."""
    now = now or timezone.now()
    late = now - STALE
    stale = (  # every tenant's: the beat job dispatches each e-mail to a task of its tenant
        OutboundEmail.unscoped.filter(status=OutboundEmailStatus.QUEUED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(next_attempt_at__lt=late) | Q(next_attempt_at__isnull=True, created_at__lt=late))
    )
    rows = list(stale.order_by("pk").values_list("tenant_id", "pk")[:batch])
    for tenant_id, email_id in rows:
        _enqueue(tenant_id, email_id)
    return len(rows)


class StoredEmail(EmailMessage):
    """A queued row as Django's mail backends expect a message: the bytes as queued, sent as is."""

    def __init__(self, row: OutboundEmail):
        self._mime = bytes(row.mime)
        self._envelope = list(row.recipients)
        body = self.message().get_body(("plain", "html"))
        super().__init__(
            subject=row.subject,
            body=body.get_content() if body is not None else "",
            from_email=row.from_email,
            to=row.to,
            cc=row.cc,
        )

    def message(self, *, policy=email.policy.default):
        return message_from_bytes(self._mime, policy=policy)

    def recipients(self):
        return self._envelope


@dataclass(frozen=True)
class Attempt:
    outcome: str  # "sent", "failed", "retry" or "skipped"
    retry_in: int | None = None  # seconds, for "retry"


def _refused_for_good(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):  # raised when every recipient was
        return all(code >= 500 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return isinstance(error, ValueError)  # an address that cannot be written: never sendable


def email_send(*, email_id: int) -> Attempt:
    """One attempt at sending a queued e-mail, in its tenant's scope (the task's). A row that
    is sent, failed, gone or being sent by another worker is left alone, so a redelivered task
    sends nothing."""
    now = timezone.now()
    claimed = (
        OutboundEmail.objects.filter(pk=email_id, status=OutboundEmailStatus.QUEUED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CLAIM, attempts=F("attempts") + 1)
    )
    if not claimed:
        return Attempt("skipped")
    row = OutboundEmail.objects.get(pk=email_id)
    try:
        get_connection().send_messages([StoredEmail(row)])
    except Exception as error:  # whatever it is, it is recorded on the row: retried, or failed and shown
        return _failed_attempt(row, error)
    OutboundEmail.objects.filter(pk=row.pk).update(
        status=OutboundEmailStatus.SENT,
        sent_at=timezone.now(),
        claimed_until=None,
        next_attempt_at=None,
        last_error="",
        mime=b"",
    )
    return Attempt("sent")


def _failed_attempt(row: OutboundEmail, error: Exception) -> Attempt:
    text = f"{type(error).__name__}: {error}"[:2000]
    queryset = OutboundEmail.objects.filter(pk=row.pk)
    if _refused_for_good(error) or row.attempts >= MAX_ATTEMPTS:
        queryset.update(
            status=OutboundEmailStatus.FAILED, last_error=text, claimed_until=None, next_attempt_at=None
        )
        logger.error(
            "E-mail %s (tenant %s, %r to %s) failed after %d attempt(s): %s",
            row.pk,
            row.tenant_id,
            row.subject,
            ", ".join(row.recipients),
            row.attempts,
            text,
        )
        return Attempt("failed")
    delay = retry_delay(row.attempts)
    queryset.update(
        last_error=text, claimed_until=None, next_attempt_at=timezone.now() + timedelta(seconds=delay)
    )
    logger.warning("E-mail %s: attempt %d failed (%s); retrying in %d s", row.pk, row.attempts, text, delay)
    return Attempt("retry", retry_in=delay)
