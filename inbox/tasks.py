"""Celery tasks of inbox/: the beat's poll of every due mailbox, one task per mailbox."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from inbox.models import Mailbox
from inbox.polling import mailbox_poll, mailboxes_dispatch
from msp.tenant_tasks import tenant_task

logger = logging.getLogger("inbox")

DISPATCH_LOCK = "inbox:poll-dispatch"


@shared_task(acks_late=True)
def mailbox_poll_dispatch_task() -> str:
    """Every minute (beat): one poll task per mailbox that is due (active, with an IMAP
    server, its next poll or back-off passed, no poll under way)."""
    if not cache.add(DISPATCH_LOCK, "1", timeout=50):
        return "another dispatch is under way"
    try:
        due = mailboxes_dispatch()
        for tenant_id, mailbox_id in due:
            mailbox_poll_task.delay(tenant_id, mailbox_id)
    finally:
        cache.delete(DISPATCH_LOCK)
    return f"dispatched {len(due)} mailbox(es)"


@tenant_task(acks_late=True)
def mailbox_poll_task(tenant_id: int, mailbox_id: int) -> str:
    """Poll one mailbox, at most INBOX_POLL_MAX_MESSAGES messages (the rest at the next beat).
    Never raises: a failure is recorded on the mailbox and retried with back-off by the beat,
    so a broken server cannot put the worker in a crash loop."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return "mailbox gone"
    try:
        return str(mailbox_poll(mailbox=mailbox, limit=settings.INBOX_POLL_MAX_MESSAGES))
    except Exception:  # mailbox_poll records its own failures: this is the last guard
        logger.exception("Mailbox %s (tenant %s): the poll task failed", mailbox_id, tenant_id)
        return "failed"
