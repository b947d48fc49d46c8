"""Polling a support mailbox over IMAP: what arrived since the last poll, each message filed once.

One poll opens the mailbox's folder (read-only unless messages are to be marked as read),
compares its UIDVALIDITY with the one remembered, asks for the UIDs above ``last_uid`` and
fetches them in batches of ``BATCH`` with ``BODY.PEEK[]``. Each message is handed to
``inbox.services.message_receive`` and ``last_uid`` moves past it at once, so a worker killed
mid-poll reads again at most the message it was filing, and the Message-ID key files that one
once. A changed UIDVALIDITY (the server renumbered the folder) starts again from UID 0: the
messages already filed are recognised by their Message-ID and filed nothing twice.

A poll holds its mailbox with a lease (``claimed_until``, renewed with every batch and message):
two workers, or a worker and ``poll_mailboxes``, never poll one mailbox at once, and a worker
killed mid-poll holds it no longer than ``LEASE``. A poll that fails (wrong password, server
unreachable, TLS refused, folder gone, or anything unexpected) raises nothing: it records the
server's answer on the mailbox (``last_error``), counts the failure and waits longer before the
next try (``backoff``: 2, 4, 8 ... minutes, at most an hour), with one log line; a poll that
succeeds clears all that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox.choices import InboundSource
from inbox.imap import ImapFailure, ImapSession, ImapSettings
from inbox.models import Mailbox
from msp.scoping import scoped_by

logger = logging.getLogger("inbox")

BATCH = 50  # messages per FETCH
LEASE = timedelta(minutes=10)  # a poll renews it with every message: only a dead one loses it
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
# A mailbox whose next poll is this close is due now (beat runs once a minute, not on the dot).
DUE_SLACK = timedelta(seconds=10)
# The beat gives a dispatched mailbox this long to be polled before dispatching it again.
DISPATCH_GRACE = timedelta(minutes=5)

Each = Callable[[Iterable, int], Iterable]  # wraps the messages, e.g. with a progress bar


def backoff(failures: int) -> timedelta:
    """How long after its ``failures``-th failure in a row a mailbox is tried again."""
    if failures <= 0:
        return timedelta(seconds=settings.INBOX_POLL_SECONDS)
    return min(BACKOFF_BASE * 2 ** min(failures, 16), BACKOFF_CAP)


@dataclass
class PollResult:
    filed: int = 0  # messages handed to message_receive (each filed once, whatever it became)
    remaining: int = 0  # past this poll's limit: the next poll takes them
    uid_validity_changed: bool = False
    error: str = ""
    skipped: str = ""  # why no poll happened

    @property
    def ok(self) -> bool:
        return not self.error and not self.skipped

    def __str__(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}"
        text = f"filed {self.filed}" + (
            f", {self.remaining} left for the next poll" if self.remaining else ""
        )
        return f"{text}; failed: {self.error}" if self.error else text


class LostClaim(Exception):
    """The lease ran out (or the mailbox was edited) mid-poll: another poll may hold it now."""


class Claim:
    def __init__(self, pk: int, until: datetime):
        self.pk = pk
        self.until = until

    def held(self):
        return Mailbox.objects.filter(pk=self.pk, claimed_until=self.until)

    def renew(self, **fields) -> None:
        """Extend the lease (and write ``fields`` with it), or LostClaim."""
        until = max(timezone.now() + LEASE, self.until + timedelta(microseconds=1))
        if not self.held().update(claimed_until=until, **fields):
            raise LostClaim
        self.until = until

    def release(self, **fields) -> bool:
        return bool(self.held().update(claimed_until=None, **fields))


def mailbox_claim(mailbox: Mailbox) -> Claim | None:
    """Hold the mailbox for one poll, or None when another poll holds it (or it does not poll)."""
    now = timezone.now()
    until = now + LEASE
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    claimed = (
        Mailbox.objects.filter(free, pk=mailbox.pk, is_active=True)
        .exclude(imap_host="")
        .update(claimed_until=until)
    )
    return Claim(mailbox.pk, until) if claimed else None


@scoped_by("mailbox")
def mailbox_poll(*, mailbox: Mailbox, limit: int | None = None, each: Each | None = None) -> PollResult:
    """Poll one mailbox (its tenant's scope): file what arrived since the last poll, at most
    ``limit`` messages (the rest on the next poll). Raises nothing: a failure is recorded on
    the mailbox and returned."""
    if not mailbox.polls:
        return PollResult(skipped=_("the mailbox is not polled (inactive, or no IMAP server)"))
    claim = mailbox_claim(mailbox)
    if claim is None:
        return PollResult(skipped=_("another poll of this mailbox is under way"))
    started = timezone.now()
    result = PollResult()
    try:
        mailbox = Mailbox.objects.get(pk=mailbox.pk)  # as the last poll left it
        _poll(mailbox, claim, result, limit=limit, each=each)
    except LostClaim:
        logger.warning("Mailbox %s (tenant %s): lost its poll lease; stopped", mailbox.pk, mailbox.tenant_id)
        result.skipped = _("the poll was taken over (the mailbox was edited, or the poll ran too long)")
        return result
    except ImapFailure as failure:
        result.error = failure.message()
    except Exception as error:  # a bug or the database: recorded and retried, never a crash loop
        logger.exception("Mailbox %s (tenant %s): poll failed unexpectedly", mailbox.pk, mailbox.tenant_id)
        result.error = _("Unexpected error: %(error)s") % {"error": f"{type(error).__name__}: {error}"}
    if result.error:
        _record_failure(mailbox, claim, result)
    else:
        _record_success(mailbox, claim, result, started)
    return result


def _poll(
    mailbox: Mailbox, claim: Claim, result: PollResult, *, limit: int | None, each: Each | None
) -> None:
    from inbox.services import message_receive  # inbox.services asks this module to poll

    with ImapSession(ImapSettings.of(mailbox)) as session:
        folder = session.select(readonly=not mailbox.imap_mark_seen)
        last_uid = mailbox.last_uid
        if folder.uid_validity != mailbox.uid_validity:
            if mailbox.uid_validity is not None:
                result.uid_validity_changed = True
                logger.info(
                    "Mailbox %s (tenant %s): UIDVALIDITY changed from %s to %s; reading the folder "
                    "again (the messages already filed are recognised by their Message-ID)",
                    mailbox.pk,
                    mailbox.tenant_id,
                    mailbox.uid_validity,
                    folder.uid_validity,
                )
            last_uid = 0
            claim.renew(uid_validity=folder.uid_validity, last_uid=0)
        uids = session.uids_after(last_uid)
        if limit is not None and len(uids) > limit:
            result.remaining = len(uids) - limit
            uids = uids[:limit]

        def messages() -> Iterator[tuple[int, bytes]]:
            for start in range(0, len(uids), BATCH):
                yield from session.fetch(uids[start : start + BATCH])

        for uid, raw in each(messages(), len(uids)) if each else messages():
            message_receive(mailbox=mailbox, raw=raw, source=InboundSource.IMAP)
            claim.renew(last_uid=uid)  # filed: never read again under this UIDVALIDITY
            result.filed += 1
            if mailbox.imap_mark_seen:
                session.mark_seen(uid)


def _record_success(mailbox: Mailbox, claim: Claim, result: PollResult, started: datetime) -> None:
    now = timezone.now()
    next_poll = now if result.remaining else started + timedelta(seconds=settings.INBOX_POLL_SECONDS)
    claim.release(last_polled_at=now, last_success_at=now, last_error="", failures=0, next_poll_at=next_poll)
    if result.filed:
        logger.info("Mailbox %s (tenant %s): %s", mailbox.pk, mailbox.tenant_id, result)


def _record_failure(mailbox: Mailbox, claim: Claim, result: PollResult) -> None:
    now = timezone.now()
    failures = (Mailbox.objects.filter(pk=mailbox.pk).values_list("failures", flat=True).first() or 0) + 1
    wait = backoff(failures)
    claim.release(last_polled_at=now, last_error=result.error, failures=failures, next_poll_at=now + wait)
    logger.warning(
        "Mailbox %s <%s> (tenant %s): poll failed (%s in a row), next try in %s min: %s",
        mailbox.pk,
        mailbox.address,
        mailbox.tenant_id,
        failures,
        int(wait.total_seconds() // 60),
        result.error,
    )


def mailboxes_dispatch() -> list[tuple[int, int]]:
    """The mailboxes due for a poll, across tenants (the beat's per-mailbox dispatch), as
    ``(tenant id, mailbox id)``; each is given ``DISPATCH_GRACE`` before it is due again, so a
    busy or stopped worker does not get the same mailbox every minute."""
    now = timezone.now()
    due = (
        Mailbox.unscoped.filter(is_active=True)
        .exclude(imap_host="")
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now + DUE_SLACK))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    )
    found = list(due.order_by("pk").values_list("tenant_id", "pk"))
    if found:
        Mailbox.unscoped.filter(pk__in=[pk for _tenant, pk in found]).update(
            next_poll_at=now + DISPATCH_GRACE
        )
    return found
