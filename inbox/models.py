"""Support mailboxes and the e-mails they receive.

A tenant's ``Mailbox`` (support@ of the MSP) is polled over IMAP by the beat task, or fed by
its provider's webhook; every message it receives becomes one ``InboundMessage`` (unique per
tenant by its Message-ID, so a message polled twice is filed once), which is filed as a new
ticket, a public reply on the ticket it answers, left for review (a sender no client is known
by), or dropped with its reason (auto-replies, bounces, loops). The IMAP password is stored
encrypted (``inbox.secrets``); the webhook's token only as a digest.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inbox.choices import DropReason, ImapSecurity, InboundSource, InboundStatus
from msp.scoping import TenantOwnedModel


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Mailbox(TenantOwnedModel):
    # No CHOICE_LABEL: a dropdown of mailboxes shows str() (name and address), as everywhere.

    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(
        _("address"), help_text=_("Clients write here; ticket e-mails carry it as their Reply-To.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("port"), default=993)
    imap_security = models.CharField(
        _("security"), max_length=10, choices=ImapSecurity.choices, default=ImapSecurity.SSL
    )
    imap_username = models.CharField(_("user name"), max_length=255, blank=True)
    imap_password = models.TextField(blank=True)  # encrypted by inbox.secrets, never shown
    imap_folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    imap_mark_seen = models.BooleanField(
        _("mark as read"),
        default=False,
        help_text=_("Mark each message as read on the server once it is filed (it is never deleted)."),
    )

    # The provider's webhook authenticates with a token shown once; only its digest is kept.
    webhook_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    webhook_prefix = models.CharField(max_length=12, blank=True, editable=False)

    # Where the poller is: the folder's UIDVALIDITY and the last UID filed. A changed
    # UIDVALIDITY means the UIDs were renumbered: the Message-IDs still keep it exactly once.
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last reached"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    failures = models.PositiveIntegerField(default=0, editable=False)  # in a row: the back-off
    next_poll_at = models.DateTimeField(_("next poll"), null=True, blank=True, editable=False)
    # Held by the poll under way (inbox.polling): a lease, so that two workers never poll one
    # mailbox at once and a worker killed mid-poll holds it no longer than the lease.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "address"], name="inbox_mailbox_unique_address"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def polls(self) -> bool:
        return self.is_active and bool(self.imap_host)


class InboundMessage(TenantOwnedModel):
    """One received e-mail and what became of it."""

    mailbox = models.ForeignKey(
        Mailbox,
        verbose_name=_("mailbox"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    source = models.CharField(_("source"), max_length=10, choices=InboundSource.choices)
    # sha256 of the Message-ID (of the raw bytes when it has none): the exactly-once key.
    key = models.CharField(max_length=64, editable=False)
    message_id = models.TextField(_("Message-ID"), blank=True)
    in_reply_to = models.TextField(blank=True)
    references = models.TextField(blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    from_name = models.CharField(_("sender name"), max_length=255, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)  # its Date header
    body = models.TextField(_("message"), blank=True)  # plain text, quoted history trimmed
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    # The message as received, for review and reprocessing (capped: inbox.parsing.MAX_BYTES).
    raw = models.FileField(upload_to="inbox/%Y/%m/", blank=True, max_length=255)

    status = models.CharField(_("status"), max_length=10, choices=InboundStatus.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=DropReason.choices, blank=True)
    note = models.TextField(_("note"), blank=True)  # what the filing found, for the log and the page
    client = models.ForeignKey(
        "msp.Client",
        verbose_name=_("client"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    comment = models.OneToOneField(
        "tickets.TicketComment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_message",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("received e-mail")
        verbose_name_plural = _("received e-mails")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="inbox_message_exactly_once"),
            models.CheckConstraint(
                condition=Q(status__in=InboundStatus.values), name="inbox_message_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-received_at", "-id"], name="inbox_message_list"),
            models.Index(
                fields=["tenant", "-received_at", "-id"],
                condition=Q(status=InboundStatus.REVIEW),
                name="inbox_message_review",
            ),
            models.Index(fields=["tenant", "ticket", "received_at"], name="inbox_message_ticket"),
        ]

    def __str__(self) -> str:
        return self.subject or self.from_address
