"""Reads of the inbox: the tenant's support mailboxes."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from inbox.models import Mailbox


def mailbox_list() -> QuerySet[Mailbox]:
    """The tenant's mailboxes (the active scope's), each with the number of messages filed."""
    return Mailbox.objects.annotate(messages_filed=Count("messages")).order_by("name", "pk")
