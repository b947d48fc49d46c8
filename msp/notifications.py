"""Notifications: the one way the product tells the MSP's members that something happened.

``notify`` writes an in-app notification for each member it is given and, for those whose
preference for that kind is on (the default: no ``NotificationPreference`` row), queues an
e-mail through ``msp.mail.email_queue``: one per person, in that person's language, greeting
them by name and signed by the MSP. Addresses that are no member (the tenant's dispatch
address) get the same mail, without an in-app row. Everything is written in the caller's
transaction (the ticket services', the sweep's claim): a notification recorded is a mail
queued.

Apps downstream raise them (tickets: a client's new ticket or reply, an assignment, the SLA
sweep; contracts: low prepaid hours); msp never imports them: a notification points at its
object generically (``target_type`` + ``target_id``) and by a link.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone, translation

from msp.links import absolute
from msp.mail import compose, email_queue_all
from msp.models import Membership, Notification, NotificationKind, NotificationPreference, Tenant
from msp.roles import STAFF_ROLES
from msp.scoping import scope_of, scoped_by

# (title, body) of a notification, written in the active language (notify activates each
# recipient's in turn).
Content = Callable[[], tuple[str, str]]


def display_name(user) -> str:
    return user.get_full_name() or user.username


def notify(
    *,
    tenant: Tenant,
    memberships: Iterable[Membership],
    kind: str,
    content: Content,
    url: str = "",
    target=None,
    emails: Iterable[str] = (),
) -> list[Notification]:
    """Tell these members (active staff of `tenant`; others are skipped) in the app, and by
    e-mail where their preference says so; mail `emails` too. Returns the notifications."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    with scope_of(tenant.pk):
        recipients = {
            m.pk: m
            for m in memberships
            if m.tenant_id == tenant.pk and m.is_active and m.role in STAFF_ROLES and m.user.is_active
        }
        emails = [e for e in dict.fromkeys(emails) if e]
        if not recipients and not emails:
            return []
        muted = set(
            NotificationPreference.objects.filter(
                membership_id__in=recipients, kind=kind, email=False
            ).values_list("membership_id", flat=True)
        )
        target_type = target._meta.label_lower if target is not None else ""
        target_id = target.pk if target is not None else None
        link = absolute(url) if url else ""
        now = timezone.now()
        rows, mails = [], []
        by_language: dict[str, list[Membership]] = defaultdict(list)
        for membership in recipients.values():
            by_language[membership.user.language or tenant.language].append(membership)
        mailed = set()
        for language, members in sorted(by_language.items()):
            with translation.override(language):
                title, body = content()
                for membership in members:
                    rows.append(
                        Notification(
                            tenant=tenant,
                            membership=membership,
                            kind=kind,
                            title=title[:300],
                            body=body,
                            url=url,
                            target_type=target_type,
                            target_id=target_id,
                            created_at=now,
                        )
                    )
                    address = membership.user.email
                    if membership.pk not in muted and address and address.lower() not in mailed:
                        mailed.add(address.lower())
                        mails.append(
                            compose(
                                tenant=tenant,
                                to=[address],
                                subject=title,
                                body=body,
                                name=display_name(membership.user),
                                link=link,
                            )
                        )
        extra = [e for e in emails if e.lower() not in mailed]
        if extra:
            with translation.override(tenant.language):
                title, body = content()
                mails += [compose(tenant=tenant, to=[e], subject=title, body=body, link=link) for e in extra]
        created = Notification.objects.bulk_create(rows)
        email_queue_all(mails, tenant_id=tenant.pk)
    return created


@scoped_by("membership")
def notification_mark_read(
    *, membership: Membership, ids: Iterable[int] | None = None, read: bool = True
) -> int:
    """Mark the member's notifications read (these `ids` of theirs, or all), or unread again
    with ``read=False``; returns how many changed. Another member's ids change nothing."""
    rows = Notification.objects.filter(membership=membership, read_at__isnull=read)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now() if read else None)


@scoped_by("membership")
def notification_preferences_set(*, membership: Membership, email_kinds: Iterable[str]) -> None:
    """Which kinds reach the member by e-mail; the others stay in the app only."""
    wanted = set(email_kinds)
    unknown = wanted - set(NotificationKind.values)
    if unknown:
        raise ValueError(f"unknown notification kinds {sorted(unknown)}")
    with transaction.atomic():
        for kind in NotificationKind.values:
            NotificationPreference.objects.update_or_create(
                tenant_id=membership.tenant_id,
                membership=membership,
                kind=kind,
                defaults={"email": kind in wanted},
            )


def notification_email_kinds(membership: Membership) -> set[str]:
    """The kinds that reach the member by e-mail (every kind without a row: on by default)."""
    off = set(
        NotificationPreference.objects.filter(membership=membership, email=False).values_list(
            "kind", flat=True
        )
    )
    return set(NotificationKind.values) - off


__all__ = [
    "display_name",
    "notification_email_kinds",
    "notification_mark_read",
    "notification_preferences_set",
    "notify",
]
