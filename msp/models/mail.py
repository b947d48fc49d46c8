from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from msp.scoping import TenantOwnedModel


class OutboundEmailStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("e-mail status", "queued")
    SENT = "sent", pgettext_lazy("e-mail status", "sent")
    FAILED = "failed", pgettext_lazy("e-mail status", "failed")


class OutboundEmail(TenantOwnedModel):
    """An e-mail on its way out (msp.mail): written by the code that wants it sent, sent by
    the worker, retried with backoff, and kept as sent or failed for the tenant's owners."""

    status = models.CharField(
        _("status"), max_length=10, choices=OutboundEmailStatus.choices, default=OutboundEmailStatus.QUEUED
    )
    subject = models.TextField(_("subject"))
    from_email = models.CharField(_("from"), max_length=320)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list)
    recipients = models.JSONField(default=list)  # the envelope: to, cc and bcc
    # The message as it goes on the wire (headers, body, attachments), built when queued so
    # that every attempt sends the same bytes and Message-ID. Emptied once sent: links in it
    # (password resets, invitations) are not kept.
    mime = models.BinaryField(default=b"")
    # Its Message-ID header (angle brackets stripped), kept after sending: a client's answer
    # names it in In-Reply-To/References, which files the answer on ``thread``.
    message_id = models.CharField(max_length=255, blank=True)
    # What the mail is about, as "<app>.<model>:<id>" ("tickets.ticket:42"): the e-mails of a
    # ticket are shown on it with their delivery state, and an answer is filed on it.
    thread = models.CharField(max_length=60, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("error"), blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)  # a worker is sending it
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OutboundEmailStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="msp_outboundemail_list"),
            models.Index(fields=["tenant", "message_id"], name="msp_outboundemail_msgid"),
            models.Index(fields=["tenant", "thread", "created_at"], name="msp_outboundemail_thread"),
            models.Index(
                fields=["tenant"],
                condition=Q(status=OutboundEmailStatus.FAILED),
                name="msp_outboundemail_failed",
            ),
        ]

    def __str__(self) -> str:
        return self.subject
