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

Every message gets a Message-ID when queued (its domain the tenant's support address's, else
SITE_URL's host), recorded on the row with what the mail is about (``thread``,
"tickets.ticket:42"): a client's answer names it in In-Reply-To/References, and the ticket
page lists the e-mails of its thread with their delivery state. Every message also carries
``X-PSA-Loop: <tenant slug>``, so that the tenant's own mailbox drops it if it comes back
(a notification to a dispatch address that is the support mailbox itself).

A tenant may send through its own SMTP server (Settings: host, port, security, user, a
password stored with ``msp.secrets.conceal``); else the server's (``EMAIL_*``). A wrong
password or an unreachable server is a failed attempt like any other: retried with backoff,
the error on the row. ``smtp_test`` is the one exception to "never inside a request": an owner
pressing "Send test e-mail" waits (at most TEST_TIMEOUT seconds) for the server's answer.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from email.utils import formataddr, make_msgid, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.db.models import F, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from msp.hosts import host_check
from msp.models import OutboundEmail, OutboundEmailStatus, SmtpSecurity, Tenant
from msp.scoping import scope_of, scoped_by
from msp.secrets import reveal

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 9  # the first and eight retries
FIRST_RETRY_SECONDS = 60
# How long a worker holds a row it is sending; past that a redelivered task may take it
# (the worker died). Well above the SMTP timeout.
CLAIM = timedelta(minutes=10)
# A queued e-mail this late for its attempt has lost its task: the beat job enqueues it again.
STALE = timedelta(minutes=15)


# Headers of the tenant's mail. The inbound side (inbox/) drops a message carrying LOOP_HEADER
# with the tenant's own slug: one of ours that came back.
LOOP_HEADER = "X-PSA-Loop"
# Where a client answering a ticket's e-mail writes above; the inbound side cuts the reply
# there (and everything quoted below it). The same in every language, so it is never translated.
REPLY_MARKER = "-- Reply above this line / Rispondi sopra questa riga --"
TEST_TIMEOUT = 10  # seconds the "Send test e-mail" button waits on the server


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: 1, 2, 4 ... minutes."""
    return FIRST_RETRY_SECONDS * 2 ** (attempts - 1)


def tenant_from_email(tenant: Tenant) -> str:
    """The From header of the tenant's mail: "Acme IT <support@acme.example>"; its name and
    the server's address (DEFAULT_FROM_EMAIL's) where it set none."""
    address = tenant.email_from_address or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return formataddr((tenant.email_from_name or tenant.name, address))


def compose(
    *,
    tenant: Tenant,
    to: list[str],
    subject: str,
    body: str,
    name: str = "",
    link: str = "",
    reply_marker: bool = False,
    **kwargs,
) -> EmailMessage:
    """A mail from the MSP to one recipient group: "Hello <name>," the body, the link, and the
    MSP's signature, sent in its name (in the active language). With `reply_marker` it starts
    with REPLY_MARKER, for a mail the client may answer (a ticket's)."""
    text = render_to_string(
        "msp/email/message.txt",
        {
            "name": name,
            "body": body,
            "link": link,
            "signature": tenant_signature(tenant),
            "reply_marker": REPLY_MARKER if reply_marker else "",
        },
    )
    subject = " ".join(str(subject).split())  # one line: a header never takes a line break
    return EmailMessage(subject, text, tenant_from_email(tenant), to, **kwargs)


def tenant_signature(tenant: Tenant) -> str:
    return tenant.email_from_name or tenant.name


# --- the tenant's support address, which inbox/ (downstream) knows ---------------------------

_support_addresses: list[Callable[[], QuerySet]] = []


def register_support_address(fn: Callable[[], QuerySet]) -> Callable[[], QuerySet]:
    """``fn()`` returns the e-mail addresses clients write to (a ``values("address")``
    queryset, best first) of the tenant ``OuterRef("pk")``; called in that tenant's scope.
    inbox/ registers its active mailboxes' from its AppConfig.ready(): msp/ cannot import it,
    and the mailbox stays the one place the address is kept."""
    if fn not in _support_addresses:
        _support_addresses.append(fn)
    return fn


def _mail_tenant(tenant_id: int) -> Tenant:
    """What the tenant's mail needs of it (its name, slug and sender, and its support address
    as ``support_address``), in one query."""
    with scope_of(tenant_id):
        addresses = [Subquery(fn()[:1]) for fn in _support_addresses]
        support = Coalesce(*addresses, Value("")) if addresses else Value("")
        return (
            Tenant.objects.only("name", "slug", "email_from_name", "email_from_address")
            .annotate(support_address=support)
            .get(pk=tenant_id)
        )


def support_address(tenant_id: int) -> str:
    """Where the tenant's clients write (its active support mailbox), or ""."""
    return _mail_tenant(tenant_id).support_address or ""


def _message_id_domain(support: str) -> str:
    return parseaddr(support)[1].rpartition("@")[2] or urlsplit(settings.SITE_URL).hostname or str(DNS_NAME)


def bare_message_id(value: str) -> str:
    """A Message-ID as rows keep it: without its angle brackets and spaces."""
    return str(value).strip().strip("<>").strip()


def email_queue(message: EmailMessage, *, tenant_id: int, thread: str = "") -> OutboundEmail | None:
    """Record `message` for the worker to send once the current transaction commits. A message
    without a sender of its own goes out in the tenant's name (tenant_from_email); one without
    a Message-ID gets one. The Message-ID is recorded, with `thread`: what the mail is about,
    as "<app>.<model>:<id>" ("tickets.ticket:42")."""
    rows = email_queue_all([message], tenant_id=tenant_id, thread=thread)
    return rows[0] if rows else None


def email_queue_all(messages: list[EmailMessage], *, tenant_id: int, thread: str = "") -> list[OutboundEmail]:
    """email_queue for many messages of one tenant (a notification to many people): two queries
    for them all. Messages without recipients are left out."""
    messages = [message for message in messages if message.recipients()]
    if not messages:
        return []
    tenant = _mail_tenant(tenant_id)
    rows = []
    for message in messages:
        if message.from_email == settings.DEFAULT_FROM_EMAIL:
            message.from_email = tenant_from_email(tenant)
        headers = message.extra_headers
        names = {name.lower(): name for name in headers}
        if "message-id" not in names:
            names["message-id"] = "Message-ID"
            headers["Message-ID"] = make_msgid(domain=_message_id_domain(tenant.support_address))
        if LOOP_HEADER.lower() not in names:
            headers[LOOP_HEADER] = tenant.slug
        rows.append(
            OutboundEmail(
                tenant_id=tenant_id,
                subject=str(message.subject),
                from_email=message.from_email,
                to=list(message.to),
                cc=list(message.cc),
                recipients=message.recipients(),
                mime=message.message().as_bytes(),
                message_id=bare_message_id(headers[names["message-id"]])[:255],
                thread=thread,
            )
        )
    rows = OutboundEmail.objects.bulk_create(rows)
    for row in rows:
        _enqueue(tenant_id, row.pk)
    return rows


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
        tenant_connection(Tenant.objects.only(*SMTP_FIELDS).get(pk=row.tenant_id)).send_messages(
            [StoredEmail(row)]
        )
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


# --- the tenant's own SMTP server ------------------------------------------------------------

SMTP_FIELDS = ("smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password")


class SmtpPasswordUnreadable(Exception):
    """The stored SMTP password cannot be decrypted (the key changed): retried, and shown."""


def tenant_connection(tenant: Tenant, *, timeout: int | None = None):
    """The mail connection of the tenant's mail: its own SMTP server when it set one (the
    host checked by msp.hosts), else the server's (EMAIL_BACKEND and EMAIL_*)."""
    if not tenant.smtp_host:
        return get_connection(timeout=timeout) if timeout else get_connection()
    password = reveal(tenant.smtp_password)
    if password is None:
        raise SmtpPasswordUnreadable(
            _("The SMTP password cannot be read (the encryption key changed): enter it again in Settings.")
        )
    port = tenant.smtp_port_or_default
    host_check(tenant.smtp_host, port)
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=tenant.smtp_host,
        port=port,
        username=tenant.smtp_username,
        password=password,
        use_tls=tenant.smtp_security == SmtpSecurity.STARTTLS,
        use_ssl=tenant.smtp_security == SmtpSecurity.SSL,
        timeout=timeout or settings.EMAIL_TIMEOUT,
    )


@dataclass(frozen=True)
class SmtpTest:
    ok: bool
    answer: str  # the server's last answer ("250 2.0.0 Ok: queued as ..."), or the error


def smtp_test(*, tenant: Tenant, to: str) -> SmtpTest:
    """Send a test e-mail to `to` through the tenant's connection now, and say what the server
    answered: an owner checking the settings waits for it (TEST_TIMEOUT at most). Not queued
    and not recorded: it is a probe, not the tenant's mail."""
    subject = _("Test e-mail from %(tenant)s") % {"tenant": tenant.name}
    body = _("This is a test. If you can read it, the app can send e-mail in the name of %(tenant)s.") % {
        "tenant": tenant.name
    }
    message = compose(tenant=tenant, to=[to], subject=subject, body=body)
    message.extra_headers.update({LOOP_HEADER: tenant.slug, "Auto-Submitted": "auto-generated"})
    try:
        connection = tenant_connection(tenant, timeout=TEST_TIMEOUT)
        if not isinstance(connection, SmtpBackend):
            connection.send_messages([message])
            backend = f"{type(connection).__module__}.{type(connection).__name__}"
            return SmtpTest(
                True,
                _("No SMTP server is set: the e-mail went to the app's %(backend)s.") % {"backend": backend},
            )
        code, answer = _smtp_exchange(connection, message, to)
    except Exception as error:  # whatever went wrong is what the owner needs to read
        return SmtpTest(False, f"{type(error).__name__}: {error}"[:2000])
    return SmtpTest(True, f"{code} {answer.decode(errors='replace')}")


def _smtp_exchange(connection: SmtpBackend, message: EmailMessage, to: str) -> tuple[int, bytes]:
    """MAIL, RCPT and DATA on an opened connection, keeping the server's answer to DATA (which
    Django's backend and smtplib's sendmail drop)."""
    connection.open()  # connect, STARTTLS, log in: raises on any failure
    try:
        smtp = connection.connection
        sender = parseaddr(message.from_email)[1]
        code, answer = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, answer, sender)
        code, answer = smtp.rcpt(to)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({to: (code, answer)})
        code, answer = smtp.data(message.message().as_bytes())
        if code != 250:
            raise smtplib.SMTPDataError(code, answer)
        return code, answer
    finally:
        connection.close()
