"""Writes of the inbox: a received e-mail filed exactly once (work in progress)."""

from __future__ import annotations

import hashlib
import logging

from django.db import IntegrityError, transaction

from inbox.choices import InboundStatus
from inbox.models import InboundMessage, Mailbox
from msp.scoping import scoped_by

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
