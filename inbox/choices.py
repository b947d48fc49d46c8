from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImapSecurity(models.TextChoices):
    SSL = "ssl", _("TLS (IMAPS, usually port 993)")
    STARTTLS = "starttls", _("STARTTLS (usually port 143)")
    NONE = "none", _("None (loopback or a trusted network only)")


class InboundSource(models.TextChoices):
    IMAP = "imap", "IMAP"
    WEBHOOK = "webhook", pgettext_lazy("inbound e-mail source", "webhook")


class InboundStatus(models.TextChoices):
    NEW_TICKET = "ticket", pgettext_lazy("inbound e-mail status", "new ticket")
    REPLY = "reply", pgettext_lazy("inbound e-mail status", "reply to a ticket")
    REVIEW = "review", pgettext_lazy("inbound e-mail status", "waiting for review")
    DROPPED = "dropped", pgettext_lazy("inbound e-mail status", "dropped")
    DISCARDED = "discarded", pgettext_lazy("inbound e-mail status", "discarded")


class DropReason(models.TextChoices):
    AUTO_REPLY = "auto_reply", _("automatic reply")
    BOUNCE = "bounce", _("delivery failure report")
    LOOP = "loop", _("mail loop")
    MALFORMED = "malformed", _("malformed message")
    TOO_LARGE = "too_large", _("message too large")
    OWN = "own", _("sent by this mailbox itself")
