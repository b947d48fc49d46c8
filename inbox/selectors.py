"""Reads of the inbox: the received e-mails, newest first, and those waiting for review; the
support mailboxes."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.db.models.functions import Substr

from inbox import filing, parsing
from inbox.choices import InboundStatus
from inbox.models import InboundMessage, Mailbox

EXCERPT = 240  # characters of the text a list shows


def message_list(*, status: str = "") -> QuerySet[InboundMessage]:
    """The tenant's received e-mails, newest first (index ``inbox_message_list``; the review
    list reads the partial ``inbox_message_review``), with an excerpt of the text instead of
    the whole of it, their client and mailbox joined."""
    queryset = (
        InboundMessage.objects.select_related("client", "mailbox")
        .defer("body", "references", "in_reply_to", "raw", "client__notes", "mailbox__imap_password")
        .annotate(excerpt=Substr("body", 1, EXCERPT))
        .order_by("-received_at", "-pk")
    )
    if status in InboundStatus.values:
        queryset = queryset.filter(status=status)
    return queryset


def review_pending() -> QuerySet[InboundMessage]:
    return message_list(status=InboundStatus.REVIEW)


def tickets_named(message: InboundMessage) -> list:
    """The tenant's tickets the message names (its threading headers, "[#id]" in its subject),
    most trusted first: what assigning it to their client would reply on."""
    parsed = parsing.ParsedMessage(
        message_id=message.message_id,
        in_reply_to=message.in_reply_to.split(),
        references=message.references.split(),
        subject=message.subject,
    )
    return filing.tickets_referred(parsed)


def mailbox_list() -> QuerySet[Mailbox]:
    """The tenant's mailboxes (the active scope's), each with the number of messages filed."""
    return Mailbox.objects.annotate(messages_filed=Count("messages")).order_by("name", "pk")
