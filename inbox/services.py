"""Writes of the inbox: a received e-mail filed exactly once (work in progress)."""

from __future__ import annotations

import hashlib
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inbox.choices import ImapSecurity, InboundStatus
from inbox.imap import ImapFailure, ImapSession, ImapSettings
from inbox.models import InboundMessage, Mailbox
from msp.scoping import scoped_by
from msp.secrets import conceal

logger = logging.getLogger("inbox")


@scoped_by("mailbox")
def message_receive(*, mailbox: Mailbox, raw: bytes, source: str) -> InboundMessage:
    """File one received e-mail of ``mailbox`` (its tenant's scope): a new ticket, a reply on
    the ticket it answers, left for review, or dropped. Never raises on a bad message; a
    second call with the same message returns the first one's row and files nothing."""
    key = hashlib.sha256(raw).hexdigest()
    existing = InboundMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return InboundMessage.objects.create(
                tenant_id=mailbox.tenant_id,
                mailbox=mailbox,
                source=source,
                key=key,
                size=len(raw),
                status=InboundStatus.REVIEW,
            )
    except IntegrityError:
        return InboundMessage.objects.get(key=key)


# --- Mailboxes: their settings, a poll on demand, the connection test (IMAP: inbox.polling) ---

# What decides which folder the poller reads: a change starts it again from the folder's first
# message (the Message-ID key still files each once).
FOLDER_FIELDS = ("imap_host", "imap_username", "imap_folder")
MAILBOX_FIELDS = (
    "name",
    "address",
    "is_active",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_folder",
    "imap_mark_seen",
)
CONNECTION_FIELDS = ("is_active", "imap_host", "imap_port", "imap_security", "imap_username", "imap_folder")
# How long the "Test connection" button waits on each step (the worker's polls wait longer).
TEST_TIMEOUT = 10


def _mailbox_check(mailbox: Mailbox) -> None:
    mailbox.full_clean(exclude=["tenant", "imap_password"], validate_unique=False)
    if Mailbox.objects.filter(address__iexact=mailbox.address).exclude(pk=mailbox.pk).exists():
        raise ValidationError({"address": [_("Another mailbox has this address.")]})
    if mailbox.imap_host:
        errors = {}
        if not 1 <= mailbox.imap_port <= 65535:
            errors["imap_port"] = [_("A port is a number from 1 to 65535.")]
        if not mailbox.imap_username:
            errors["imap_username"] = [_("Give the user name the server signs in.")]
        if not mailbox.imap_password:
            errors["password"] = [_("Give the password of this user.")]
        if not mailbox.imap_folder.strip():
            errors["imap_folder"] = [_("Name the folder to read (usually INBOX).")]
        if errors:
            raise ValidationError(errors)


@scoped_by("tenant")
@transaction.atomic
def mailbox_create(*, tenant, password: str = "", **fields) -> Mailbox:
    """A support mailbox; its IMAP password stored encrypted, never shown back."""
    unknown = set(fields) - set(MAILBOX_FIELDS)
    if unknown:
        raise TypeError(f"not a mailbox setting: {sorted(unknown)}")
    mailbox = Mailbox(tenant=tenant, imap_password=conceal(password or ""), **fields)
    _mailbox_check(mailbox)
    mailbox.save()
    return mailbox


@scoped_by("mailbox")
@transaction.atomic
def mailbox_update(*, mailbox: Mailbox, password: str | None = None, **fields) -> Mailbox:
    """Change a mailbox's settings. An empty ``password`` keeps the stored one. A change of
    server, user or folder reads the new folder from its start; any change of how it is reached
    clears the back-off and takes over a poll under way, so the next beat polls it afresh."""
    unknown = set(fields) - set(MAILBOX_FIELDS)
    if unknown:
        raise TypeError(f"not a mailbox setting: {sorted(unknown)}")
    mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    before = {name: getattr(mailbox, name) for name in MAILBOX_FIELDS}
    for name, value in fields.items():
        setattr(mailbox, name, value)
    if password:
        mailbox.imap_password = conceal(password)
    _mailbox_check(mailbox)
    changed = {name for name in MAILBOX_FIELDS if getattr(mailbox, name) != before[name]}
    if changed & set(FOLDER_FIELDS):
        mailbox.uid_validity, mailbox.last_uid = None, 0
    if password or changed & set(CONNECTION_FIELDS):
        mailbox.failures, mailbox.last_error = 0, ""
        mailbox.next_poll_at = mailbox.claimed_until = None
    mailbox.save()
    return mailbox


@scoped_by("mailbox")
def mailbox_delete(*, mailbox: Mailbox) -> None:
    """The messages it received stay, with their tickets (their mailbox is emptied)."""
    mailbox.delete()


@scoped_by("mailbox")
def mailbox_poll_now(*, mailbox: Mailbox) -> None:
    """Poll at once (on the worker), back-off or not; a failure counts as usual."""
    from inbox.tasks import mailbox_poll_task

    if not mailbox.polls:
        raise ValidationError(_("This mailbox is not polled: it is inactive, or has no IMAP server."))
    Mailbox.objects.filter(pk=mailbox.pk).update(next_poll_at=timezone.now())
    transaction.on_commit(lambda: mailbox_poll_task.delay(mailbox.tenant_id, mailbox.pk))


def mailbox_test_connection(
    *, mailbox: Mailbox | None = None, imap: ImapSettings | None = None, timeout: float = TEST_TIMEOUT
) -> tuple[bool, str]:
    """Sign in, open the folder and count its messages, with a saved mailbox's settings or with
    settings not saved yet (``imap``): whether it worked, and the server's answer to show."""
    try:
        config = imap if imap is not None else ImapSettings.of(mailbox)
        with ImapSession(config, timeout=timeout) as session:
            folder = session.select(readonly=True)
    except ImapFailure as failure:
        return False, failure.message()
    security = {ImapSecurity.SSL: "TLS", ImapSecurity.STARTTLS: "STARTTLS"}.get(
        config.security, _("not encrypted")
    )
    answer = ngettext(
        "Signed in to %(where)s as %(user)s (%(security)s). The folder %(folder)s holds %(count)s message.",
        "Signed in to %(where)s as %(user)s (%(security)s). The folder %(folder)s holds %(count)s messages.",
        folder.count,
    ) % {
        "where": f"{config.host}:{config.port}",
        "user": config.username,
        "security": security,
        "folder": config.folder,
        "count": folder.count,
    }
    if session.greeting:
        answer += " " + _("The server said: %(greeting)s") % {"greeting": session.greeting}
    return True, answer
