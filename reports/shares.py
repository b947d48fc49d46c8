"""Links that share one monthly report with someone who has no login (a client's director).

The link's key is the credential, as an invitation's is (msp.invitations): it is made of 32
random bytes, shown once to the MSP member who creates the link, and only its SHA-256 digest
is stored, so neither the database nor a backup can open a report. A link expires (the MSP
chooses when: a week to a year) and the MSP may revoke it at any moment; an expired or
revoked link opens nothing, and says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from msp.locking import lock_row
from msp.scoping import scope_of, scoped_by, unscoped
from reports.models import MonthlyReport, ReportShare, link_digest

# The lifetimes a member may choose, in days, and the default.
LIFETIMES = (
    (7, gettext_lazy("a week")),
    (30, gettext_lazy("a month")),
    (90, gettext_lazy("three months")),
    (365, gettext_lazy("a year")),
)
DEFAULT_LIFETIME = 30


@scoped_by("report")
def report_share_create(
    *, report: MonthlyReport, days: int = DEFAULT_LIFETIME, by=None
) -> tuple[ReportShare, str]:
    """A new link to the report, valid for `days`: (the share, the link's key). The key is
    not stored: show it now, it cannot be shown again."""
    if days not in dict(LIFETIMES):
        raise ValidationError(
            {"days": _("Choose how long the link works: a week, a month, three months or a year.")}
        )
    key, digest = ReportShare.new_key()
    share = ReportShare.objects.create(
        tenant_id=report.tenant_id,
        report=report,
        digest=digest,
        expires_at=timezone.now() + timedelta(days=days),
        created_by=by,
    )
    return share, key


@scoped_by("share")
@transaction.atomic
def report_share_revoke(*, share: ReportShare, by=None) -> ReportShare:
    """The link stops working at once; the row stays, as a record."""
    locked = lock_row(ReportShare.objects, pk=share.pk)
    if locked.revoked_at is not None:
        raise ValidationError(_("This link was already revoked."))
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    return locked


def report_share_for_key(key: str) -> ReportShare | None:
    """The share a link's key opens, in any state (the page tells expired from revoked);
    None for a key that opens none."""
    # The reader belongs to no scope of this tenant (signed in elsewhere, or not at all): the
    # key alone finds the tenant, as an invitation's does.
    if not key or len(key) > 100:
        return None
    with unscoped():
        return (
            ReportShare.objects.select_related("report__client__tenant")
            .filter(digest=link_digest(key))
            .first()
        )


@contextmanager
def share_scope(share: ReportShare) -> Iterator[None]:
    """Work in the share's tenant, whatever tenant the reader is signed in to (if any)."""
    with unscoped(), scope_of(share.tenant_id):
        yield


def report_share_viewed(share: ReportShare) -> None:
    """Count a visit of the link (the MSP sees whether, and when last, it was opened)."""
    with share_scope(share):
        ReportShare.objects.filter(pk=share.pk).update(views=F("views") + 1, last_viewed_at=timezone.now())
