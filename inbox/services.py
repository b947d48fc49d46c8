"""Writes of the inbox: every received e-mail filed exactly once, and the review of the others.

``message_receive`` is the one way in (the IMAP poller and the provider's webhook both call
it): in the mailbox's tenant's scope, it reads the message (``inbox.parsing``), claims its key
(sha256 of the Message-ID, else of the bytes: unique per tenant, so the same message received
twice, or by two workers at once, is filed once), then files it (``inbox.filing``):

* dropped with its reason: too large, malformed, a loop (our own header, our own address,
  too many hops), a bounce, an automatic reply;
* a public reply on the ticket it answers, when the sender is one of that ticket's client's;
* a new ticket (source ``email``) for the client the sender is known by;
* else left for review (``review_assign`` files it for a client, ``review_discard`` drops it).

It never raises on a bad message: whatever filing refuses is left for review with the reason,
and the message as received is kept (``InboundMessage.raw``). Each outcome is one line of the
``inbox`` logger and the row's ``note``.

The mailboxes' own settings are written here too (``mailbox_create``, ``mailbox_update``: the
IMAP password stored encrypted), with the poll on demand and the connection test; the polling
itself is ``inbox.polling``.
"""

from __future__ import annotations

import logging
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inbox import filing, parsing
from inbox.choices import DropReason, ImapSecurity, InboundSource, InboundStatus
from inbox.imap import ImapFailure, ImapSession, ImapSettings
from inbox.models import InboundMessage, Mailbox, token_digest
from msp.hosts import literal_host_refused
from msp.locking import lock_row
from msp.models import Client, Contact, Tenant
from msp.scoping import scoped_by
from msp.secrets import conceal

logger = logging.getLogger("inbox")

EXCERPT = 300


def _own_addresses(tenant: Tenant) -> set[str]:
    """The tenant's own addresses: its mailboxes' and the sender of its mail."""
    addresses = {address.lower() for address in Mailbox.objects.values_list("address", flat=True)}
    if tenant.email_from_address:
        addresses.add(tenant.email_from_address.lower())
    return addresses


def _fields(raw: bytes, parsed: parsing.ParsedMessage | None) -> dict:
    """The row's copy of the headers (from the header section alone when it was not parsed),
    as text the database takes."""
    fields = _header_fields(raw, parsed)
    return {name: parsing.clean(value) if isinstance(value, str) else value for name, value in fields.items()}


def _header_fields(raw: bytes, parsed: parsing.ParsedMessage | None) -> dict:
    if parsed is None:
        name, address, subject = parsing.sender_of_raw(raw)
        return {
            "message_id": parsing.message_id_of(raw)[:2000],
            "from_name": name,
            "from_address": address,
            "subject": subject,
        }
    return {
        "message_id": parsed.message_id[:2000],
        "in_reply_to": " ".join(parsed.in_reply_to)[:10000],
        "references": " ".join(parsed.references)[:10000],
        "from_name": parsed.from_name,
        "from_address": parsed.from_address,
        "subject": parsed.subject,
        "sent_at": parsed.sent_at,
        "body": parsed.text,
    }


def _log_outcome(row: InboundMessage, outcome: str, *, level=logging.INFO) -> None:
    logger.log(
        level,
        "inbox: message %s (%s, key %s) from %s to mailbox %s of tenant %s: %s",
        row.pk,
        row.source,
        row.key[:12],
        row.from_address or "?",
        row.mailbox_id,
        row.tenant_id,
        outcome,
    )


@scoped_by("mailbox")
def message_receive(*, mailbox: Mailbox, raw: bytes, source: str) -> InboundMessage:
    """File one e-mail received by ``mailbox``; the row saying what became of it.

    Exactly once: a message already received (the same Message-ID, or the same bytes) returns
    that row and files nothing; its ``duplicate`` attribute is then True. Never raises on the
    message's content; database failures propagate (the caller retries later)."""
    raw = bytes(raw or b"")
    source = source if source in InboundSource.values else InboundSource.WEBHOOK
    tenant = mailbox.tenant
    parsed, malformed = None, ""
    if len(raw) <= parsing.max_bytes():
        try:
            parsed = parsing.parse(raw)
        except parsing.Malformed as exc:
            malformed = str(exc)
        except Exception as exc:  # noqa: BLE001 - a parser crash is a malformed message, not ours
            malformed = f"{type(exc).__name__}: {exc}"
    message_id = parsed.message_id if parsed is not None else parsing.message_id_of(raw)
    key = parsing.message_key(raw, message_id)

    existing = InboundMessage.objects.filter(key=key).first()
    if existing is not None:
        existing.duplicate = True
        _log_outcome(existing, "already received, nothing filed")
        return existing

    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                tenant_id=mailbox.tenant_id,
                mailbox=mailbox,
                source=source,
                key=key,
                size=len(raw),
                status=InboundStatus.REVIEW,
                **_fields(raw, parsed),
            )
            with translation.override(tenant.language):
                if len(raw) > parsing.max_bytes():
                    _drop_too_large(row)
                elif parsed is None:
                    _drop_malformed(row, malformed)
                else:
                    _file_safely(row, parsed, tenant=tenant, mailbox=mailbox)
                if len(raw) <= parsing.max_bytes():
                    row.raw.save(f"{row.pk}.eml", ContentFile(raw), save=False)
                    row.save(update_fields=["raw"])
    except IntegrityError:
        # Received at the same moment by another worker: its row (committed) is the one.
        found = InboundMessage.objects.filter(key=key).first()
        if found is None:
            raise
        found.duplicate = True
        _log_outcome(found, "received at the same time by another worker, nothing filed")
        return found
    row.duplicate = False
    return row


def _drop(row: InboundMessage, reason: str, note: str, *, level=logging.INFO) -> None:
    row.status, row.reason, row.note = InboundStatus.DROPPED, reason, note
    row.save(update_fields=["status", "reason", "note"])
    _log_outcome(row, f"dropped ({reason}): {note}", level=level)


def _drop_too_large(row: InboundMessage) -> None:
    _drop(
        row,
        DropReason.TOO_LARGE,
        _("Dropped: the message is %(size)s MB, larger than the %(max)s MB accepted; it was not kept.")
        % {"size": _mb(row.size), "max": _mb(parsing.max_bytes())},
        level=logging.WARNING,
    )


def _drop_malformed(row: InboundMessage, why: str) -> None:
    _drop(
        row,
        DropReason.MALFORMED,
        _("Dropped: the message cannot be read as an e-mail (%(why)s). It is kept as received.")
        % {"why": why},
        level=logging.WARNING,
    )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


DROP_NOTES = {
    DropReason.AUTO_REPLY: lambda: _("Dropped as an automatic reply (%(why)s)."),
    DropReason.BOUNCE: lambda: _("Dropped as a delivery failure report (%(why)s)."),
    DropReason.LOOP: lambda: _("Dropped as a mail loop (%(why)s)."),
    DropReason.OWN: lambda: _("Dropped: sent by this tenant's own address (%(why)s)."),
}


def _file_safely(row: InboundMessage, parsed: parsing.ParsedMessage, *, tenant, mailbox) -> None:
    """File the message; whatever the filing refuses (or a bug) leaves it for review with the
    reason instead: the message is never lost, and never half filed (a savepoint)."""
    try:
        with transaction.atomic():
            _file(row, parsed, tenant=tenant, mailbox=mailbox)
    except DatabaseError as exc:
        if isinstance(exc, IntegrityError):
            _left_for_review(row, exc)
            return
        raise
    except Exception as exc:  # noqa: BLE001 - a message must never crash the poller
        _left_for_review(row, exc)


def _left_for_review(row: InboundMessage, exc: Exception) -> None:
    logger.exception("inbox: message %s could not be filed", row.pk)
    why = " ".join(exc.messages) if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
    row.status, row.reason, row.client, row.ticket, row.comment = InboundStatus.REVIEW, "", None, None, None
    row.note = _("Could not be filed (%(why)s): left for review.") % {"why": why}
    row.save(update_fields=["status", "reason", "client", "ticket", "comment", "note"])
    _log_outcome(row, f"left for review: could not be filed ({why})", level=logging.WARNING)


def _file(row: InboundMessage, parsed: parsing.ParsedMessage, *, tenant, mailbox) -> None:
    own = _own_addresses(tenant)
    verdict = parsing.classify(parsed, own_addresses=own, own_slug=tenant.slug)
    if verdict is not None:
        _drop(row, verdict.reason, DROP_NOTES[verdict.reason]() % {"why": verdict.why})
        return
    own_domains = {address.rsplit("@", 1)[-1] for address in own}
    sender = filing.sender_identify(
        address=parsed.from_address, name=parsed.from_name, own_domains=own_domains
    )
    referred = filing.tickets_referred(parsed)
    answered = next((ticket for ticket in referred if sender.may_answer(ticket)), None)
    if answered is not None:
        _file_as_reply(row, parsed, ticket=answered, sender=sender)
        return
    refused = (
        _("It names %(tickets)s, whose client does not know the sender: not filed there.")
        % {"tickets": ", ".join(f"#{ticket.pk}" for ticket in referred)}
        if referred
        else ""
    )
    client = sender.client
    if client is not None:
        contact = sender.contact_at(client.pk)
        created = False
        if contact is None:
            contact, created = filing.contact_for_sender(client=client, sender=sender)
        _file_as_ticket(
            row, parsed, tenant=tenant, client=client, contact=contact, sender=sender, created=created
        )
        if refused:
            row.note = f"{row.note} {refused}"
            row.save(update_fields=["note"])
        return
    if sender.contacts:
        why = _("The sender is a contact of several clients: %(clients)s.") % {
            "clients": ", ".join(sorted({contact.client.name for contact in sender.contacts}))
        }
    else:
        why = _("No client is known by the sender's address or domain.")
    row.status = InboundStatus.REVIEW
    row.note = " ".join(part for part in (_("Left for review."), why, refused) if part)
    row.save(update_fields=["status", "note"])
    _log_outcome(
        row,
        f"left for review: {'several clients' if sender.contacts else 'unknown sender'}"
        f"{' (names tickets of another client)' if referred else ''}",
    )


def _file_as_reply(row: InboundMessage, parsed, *, ticket, sender, reviewed: str = "") -> None:
    status_before = ticket.status
    filed = filing.file_reply(ticket=ticket, parsed=parsed, sender=sender)
    ticket.refresh_from_db(fields=["status"])
    row.status, row.reason = InboundStatus.REPLY, ""
    row.client_id, row.ticket, row.comment = ticket.client_id, ticket, filed.comment
    row.body = filed.comment.body
    parts = [_("Filed as a reply on ticket #%(id)s.") % {"id": ticket.pk}]
    if ticket.status != status_before:
        parts.append(
            _("The ticket went from “%(old)s” to “%(new)s”.")
            % {"old": _status_label(status_before), "new": _status_label(ticket.status)}
        )
    elif ticket.status == "closed":
        parts.append(_("The ticket is closed and stays closed."))
    parts += _left_out_note(filed.left_out)
    row.note = " ".join([reviewed, *parts]).strip()
    row.save(update_fields=["status", "reason", "client", "ticket", "comment", "body", "note", "reviewed_by"])
    _log_outcome(
        row,
        f"reply on ticket {ticket.pk} (status {status_before} -> {ticket.status})"
        f"{f', {len(filed.left_out)} attachment(s) left out' if filed.left_out else ''}",
    )


def _file_as_ticket(
    row: InboundMessage, parsed, *, tenant, client, contact, sender, created, reviewed: str = ""
) -> None:
    filed = filing.file_new_ticket(
        tenant=tenant, client=client, contact=contact, parsed=parsed, sender=sender
    )
    row.status, row.reason = InboundStatus.NEW_TICKET, ""
    row.client, row.ticket, row.comment = client, filed.ticket, None
    parts = [_("Opened ticket #%(id)s for %(client)s.") % {"id": filed.ticket.pk, "client": client.name}]
    if created:
        parts.append(_("Contact “%(name)s” was added to the client.") % {"name": contact.name})
    parts += _left_out_note(filed.left_out)
    row.note = " ".join([reviewed, *parts]).strip()
    row.save(update_fields=["status", "reason", "client", "ticket", "comment", "note", "reviewed_by"])
    _log_outcome(
        row,
        f"new ticket {filed.ticket.pk} for client {client.pk}"
        f"{' (contact created)' if created else ''}"
        f"{f', {len(filed.left_out)} attachment(s) left out' if filed.left_out else ''}",
    )


def _left_out_note(left_out: list[str]) -> list[str]:
    if not left_out:
        return []
    return [_("Attachments left out: %(files)s") % {"files": " ".join(left_out)}]


def _status_label(status: str) -> str:
    from tickets.choices import TicketStatus

    return str(TicketStatus(status).label) if status in TicketStatus.values else status


# --- review -----------------------------------------------------------------------------------

REVIEWABLE = (InboundStatus.REVIEW, InboundStatus.DROPPED)


def _locked(message: InboundMessage) -> InboundMessage:
    """The message, locked and read again: two members acting on it at once file it once."""
    return lock_row(
        InboundMessage.objects.select_for_update(of=("self",)).select_related("tenant"), pk=message.pk
    )


def _reparse(message: InboundMessage) -> parsing.ParsedMessage:
    """The message as received (its attachments included), read again; its stored text when
    the bytes are not kept."""
    if message.raw:
        try:
            with message.raw.open("rb") as handle:
                return parsing.parse(handle.read())
        except (OSError, parsing.Malformed):
            pass
    name, address = message.from_name, message.from_address
    return parsing.ParsedMessage(
        message_id=message.message_id,
        in_reply_to=message.in_reply_to.split(),
        references=message.references.split(),
        from_name=name,
        from_address=address,
        subject=message.subject,
        sent_at=message.sent_at,
        text=message.body,
    )


@scoped_by("message")
@transaction.atomic
def review_assign(
    *,
    message: InboundMessage,
    client: Client,
    contact: Contact | None = None,
    create_contact: bool = False,
    by,
) -> InboundMessage:
    """File a message left for review (or dropped) for ``client``: as a reply when it answers
    one of that client's tickets, else as a new ticket. ``contact`` (the client's) is who wrote;
    without it, the client's contact with the sender's address, created if ``create_contact``."""
    message = _locked(message)
    if message.status not in REVIEWABLE:
        raise ValidationError(_("This e-mail was already filed or discarded."))
    if message.reason in (DropReason.TOO_LARGE, DropReason.MALFORMED) or not message.from_address:
        raise ValidationError(_("This e-mail cannot be filed: it was not kept or cannot be read."))
    if (
        client is None
        or client.tenant_id != message.tenant_id
        or not Client.objects.filter(pk=client.pk).exists()
    ):
        raise ValidationError({"client": _("Choose a client of yours.")})
    if contact is not None and (contact.tenant_id != message.tenant_id or contact.client_id != client.pk):
        raise ValidationError({"contact": _("This contact is not one of the client's.")})
    parsed = _reparse(message)
    sender = filing.Sender(address=message.from_address, name=message.from_name)
    created = False
    if contact is None:
        contact = (
            Contact.objects.filter(client_id=client.pk, email__iexact=message.from_address)
            .order_by("pk")
            .first()
        )
    if contact is None and create_contact:
        contact, created = filing.contact_for_sender(client=client, sender=sender)
    if contact is not None:
        sender.contacts = [contact]
    else:
        sender.domain_client = client  # speaks for the client without being one of its contacts
    message.reviewed_by = by
    with translation.override(message.tenant.language):
        reviewed = _("Assigned to %(client)s by %(who)s.") % {"client": client.name, "who": _who(by)}
        answered = next(
            (ticket for ticket in filing.tickets_referred(parsed) if ticket.client_id == client.pk), None
        )
        if answered is not None:
            _file_as_reply(message, parsed, ticket=answered, sender=sender, reviewed=reviewed)
        else:
            _file_as_ticket(
                message,
                parsed,
                tenant=message.tenant,
                client=client,
                contact=contact,
                sender=sender,
                created=created,
                reviewed=reviewed,
            )
    return message


@scoped_by("message")
@transaction.atomic
def review_discard(*, message: InboundMessage, by) -> InboundMessage:
    """Discard a message left for review: it stays on the log, filed nowhere."""
    message = _locked(message)
    if message.status != InboundStatus.REVIEW:
        raise ValidationError(_("Only an e-mail waiting for review can be discarded."))
    message.status = InboundStatus.DISCARDED
    message.reviewed_by = by
    with translation.override(message.tenant.language):
        discarded = _("Discarded by %(who)s.") % {"who": _who(by)}
        message.note = f"{message.note} {discarded}".strip()
    message.save(update_fields=["status", "reviewed_by", "note"])
    _log_outcome(message, f"discarded by user {getattr(by, 'pk', None)}")
    return message


def _who(user) -> str:
    from msp.people import display_name

    return display_name(user) or "?"


# --- the provider's webhook -------------------------------------------------------------------

TOKEN_PREFIX = "mbx_"


@scoped_by("mailbox")
@transaction.atomic
def mailbox_webhook_token_rotate(*, mailbox: Mailbox) -> str:
    """A new webhook token for the mailbox, returned once (only its digest is kept); the
    previous one stops working."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    mailbox.webhook_digest = token_digest(token)
    mailbox.webhook_prefix = token[:12]
    mailbox.save(update_fields=["webhook_digest", "webhook_prefix"])
    logger.info("inbox: webhook token of mailbox %s rotated (%s…)", mailbox.pk, mailbox.webhook_prefix)
    return token


@scoped_by("mailbox")
@transaction.atomic
def mailbox_webhook_token_revoke(*, mailbox: Mailbox) -> None:
    mailbox.webhook_digest = mailbox.webhook_prefix = ""
    mailbox.save(update_fields=["webhook_digest", "webhook_prefix"])
    logger.info("inbox: webhook token of mailbox %s revoked", mailbox.pk)


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
        if literal_host_refused(mailbox.imap_host):  # a name is judged when dialled (inbox.imap)
            errors["imap_host"] = [
                _("That is a private, loopback or link-local address: the app does not connect there.")
            ]
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
