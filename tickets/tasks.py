"""Celery tasks of tickets/: the SLA beat sweep and emails about tickets."""

from __future__ import annotations

import smtplib
from collections import defaultdict
from datetime import datetime

from celery import shared_task
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from msp.models import Membership
from msp.roles import Role
from tickets.choices import SlaState
from tickets.models import Ticket, TicketComment

SWEEP_LOCK = "tickets:sla-sweep"
RETRY = {
    "acks_late": True,
    "autoretry_for": (smtplib.SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "max_retries": 5,
}


def _claim(condition: Q, *, state: str, stamp: str, now: datetime) -> list[Ticket]:
    """Mark every ticket matching `condition` in one UPDATE, stamping `stamp` with `now`.

    The UPDATE's own WHERE (`stamp IS NULL`) is the claim: two sweeps running at once can
    never both claim a ticket, so each transition is marked, and notified, once. The stamp
    (this sweep's `now`) then finds the claimed rows, so Python loops only over those.
    """
    updated = Ticket.unscoped.filter(condition, **{f"{stamp}__isnull": True}).update(
        sla_state=state, **{stamp: now}
    )
    if not updated:
        return []
    return list(
        Ticket.unscoped.filter(**{stamp: now}).select_related("tenant", "client", "assignee").order_by("pk")
    )


def sla_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Mark tickets breached (due time passed) and at risk (80 % used), once each; notify."""
    now = now or timezone.now()
    breached = _claim(
        Q(sla_state__in=[SlaState.OK, SlaState.AT_RISK], sla_breach_at__lte=now),
        state=SlaState.BREACHED,
        stamp="breached_notified_at",
        now=now,
    )
    at_risk = _claim(
        Q(sla_state=SlaState.OK, sla_warn_at__lte=now),
        state=SlaState.AT_RISK,
        stamp="at_risk_notified_at",
        now=now,
    )
    if breached or at_risk:
        _notify_staff(breached=breached, at_risk=at_risk)
    return {"breached": len(breached), "at_risk": len(at_risk)}


def _notify_staff(*, breached: list[Ticket], at_risk: list[Ticket]) -> None:
    tenant_ids = {t.tenant_id for t in breached + at_risk}
    owners = defaultdict(list)
    for membership in Membership.unscoped.filter(
        tenant_id__in=tenant_ids, role=Role.OWNER, is_active=True
    ).select_related("user"):
        if membership.user.email:
            owners[membership.tenant_id].append(membership.user.email)
    emails = []
    for tickets, breach in ((breached, True), (at_risk, False)):
        for ticket in tickets:
            recipients = set(owners[ticket.tenant_id])
            if ticket.assignee and ticket.assignee.email:
                recipients.add(ticket.assignee.email)
            if not recipients:
                continue
            with translation.override(ticket.tenant.language):
                if breach:
                    subject = _("SLA breached: %(ticket)s") % {"ticket": ticket}
                    body = _("The SLA of ticket %(ticket)s (%(client)s) was breached.")
                else:
                    subject = _("SLA at risk: %(ticket)s") % {"ticket": ticket}
                    body = _("Ticket %(ticket)s (%(client)s) has used 80%% of its SLA target.")
                body = body % {"ticket": ticket, "client": ticket.client}
                body += "\n\n" + reverse("tickets:detail", args=[ticket.pk])
            emails.append(EmailMessage(subject, body, to=sorted(recipients)))
    if emails:
        get_connection().send_messages(emails)


@shared_task(acks_late=True)
def sla_sweep_task() -> str:
    """Every minute (beat). A cache lock keeps two sweeps from overlapping; the claims
    would keep them correct anyway."""
    if not cache.add(SWEEP_LOCK, "1", timeout=120):
        return "another sweep is running"
    try:
        result = sla_sweep()
    finally:
        cache.delete(SWEEP_LOCK)
    return f"breached {result['breached']}, at risk {result['at_risk']}"


def _contact_language(ticket: Ticket) -> str:
    """The contact's own language when it has a portal login that chose one, else the MSP's."""
    login = (
        Membership.unscoped.filter(
            tenant_id=ticket.tenant_id,
            client_id=ticket.client_id,
            role=Role.CLIENT,
            user__email__iexact=ticket.contact.email,
        )
        .exclude(user__language="")
        .values_list("user__language", flat=True)
        .first()
    )
    return login or ticket.tenant.language


@shared_task(**RETRY)
def ticket_notify_contact_task(ticket_id: int, kind: str, comment_id: int | None = None) -> str:
    """Email the ticket's contact about a public reply or a status change, in the MSP's language."""
    ticket = Ticket.unscoped.select_related("tenant", "contact").filter(pk=ticket_id).first()
    if ticket is None or ticket.contact is None or not ticket.contact.email:
        return "no recipient"
    with translation.override(_contact_language(ticket)):
        link = reverse("portal:ticket", args=[ticket.pk])
        if kind == "reply":
            comment = TicketComment.unscoped.filter(pk=comment_id, ticket=ticket, public=True).first()
            if comment is None:
                return "no public reply"
            subject = _("New reply on %(ticket)s") % {"ticket": ticket}
            body = comment.body
        else:
            subject = _("%(ticket)s is now %(status)s") % {
                "ticket": ticket,
                "status": ticket.get_status_display(),
            }
            body = _("The status of your ticket changed to: %(status)s.") % {
                "status": ticket.get_status_display()
            }
        follow = _("Follow your ticket:")
        body = f"{body}\n\n{follow} {link}\n\n{ticket.tenant.name}"
    EmailMessage(subject, body, to=[ticket.contact.email]).send()
    return "sent"
