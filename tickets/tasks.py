"""Celery tasks of tickets/: the SLA beat sweep and emails about tickets."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from celery import shared_task
from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from msp.links import site_url
from msp.models import Membership, NotificationKind, Tenant
from msp.notifications import notify
from msp.roles import Role
from msp.scoping import current_scope, scope_of
from msp.tenant_tasks import tenant_task
from tickets.choices import SlaState
from tickets.mail import ticket_email_queue, ticket_tag
from tickets.models import Ticket, TicketComment

SWEEP_LOCK = "tickets:sla-sweep"


CLAIM_BATCH = 2000  # ids per UPDATE: well inside SQLite's limit on bound parameters


class Claimed(NamedTuple):
    """What the e-mails need of a claimed ticket: plain values (a storm is thousands of rows)."""

    pk: int
    subject: str
    client: str
    assignee_id: int | None
    language: str

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


def _breach_due(now: datetime) -> Q:
    return Q(
        sla_state__in=[SlaState.OK, SlaState.AT_RISK],
        sla_breach_at__lte=now,
        breached_notified_at__isnull=True,
    )


def _warn_due(now: datetime) -> Q:
    return Q(sla_state=SlaState.OK, sla_warn_at__lte=now, at_risk_notified_at__isnull=True)


BREACH, WARN = "breach", "warn"  # the two transitions a sweep marks


def sla_due_tenants(*, now: datetime) -> dict[int, list[str]]:
    """The tenants with a ticket to mark, and which transitions they have due: read over
    every tenant from the partial indexes on the due times (the per-tenant dispatch of the
    sweep, cross-tenant by nature)."""
    due: dict[int, list[str]] = defaultdict(list)
    for transition, condition in ((BREACH, _breach_due(now)), (WARN, _warn_due(now))):
        for tenant_id in (
            Ticket.unscoped.filter(condition).order_by().values_list("tenant_id", flat=True).distinct()
        ):
            due[tenant_id].append(transition)
    return dict(sorted(due.items()))


CLAIMED_FIELDS = ("pk", "subject", "client__name", "assignee_id", "tenant__language")


def _claim(condition: Q, *, state: str, stamp: str, now: datetime) -> list[Claimed]:
    """Mark every ticket of the scope's tenant matching `condition` (which holds `stamp IS
    NULL`), stamping `stamp` with `now`; return those claimed.

    The candidates (with what their e-mail shows) come from the partial indexes on the due
    times; the UPDATE's own WHERE (`stamp IS NULL`) is the claim: two sweeps running at once
    can never both claim a ticket, so each transition is marked, and notified, once. When the
    UPDATE took every candidate (no other sweep ran), nothing is read back: two queries per
    transition and batch, whatever the tables hold.
    """
    due = [
        Claimed(*row) for row in Ticket.objects.filter(condition).order_by("pk").values_list(*CLAIMED_FIELDS)
    ]
    claimed = []
    for start in range(0, len(due), CLAIM_BATCH):
        batch = due[start : start + CLAIM_BATCH]
        ids = [ticket.pk for ticket in batch]
        # The condition again: a ticket answered (or claimed) since the read is no longer due.
        updated = Ticket.objects.filter(condition, pk__in=ids).update(sla_state=state, **{stamp: now})
        if updated == len(batch):
            claimed += batch
        elif updated:
            ours = set(Ticket.objects.filter(pk__in=ids, **{stamp: now}).values_list("pk", flat=True))
            claimed += [ticket for ticket in batch if ticket.pk in ours]
    return claimed


def sla_sweep_tenant(*, now: datetime | None = None, due: Sequence[str] = (BREACH, WARN)) -> dict[str, int]:
    """In the scope's tenant: mark tickets breached (due time passed) and at risk (80 % used),
    once each; notify. `due` names the transitions worth looking at (the dispatch knows)."""
    now = now or timezone.now()
    breached = (
        _claim(_breach_due(now), state=SlaState.BREACHED, stamp="breached_notified_at", now=now)
        if BREACH in due
        else []
    )
    at_risk = (
        _claim(_warn_due(now), state=SlaState.AT_RISK, stamp="at_risk_notified_at", now=now)
        if WARN in due
        else []
    )
    if breached or at_risk:
        _notify_staff(breached=breached, at_risk=at_risk)
    return {"breached": len(breached), "at_risk": len(at_risk)}


def sla_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Every tenant with due tickets, each swept in its own scope, in this process."""
    now = now or timezone.now()
    total = {"breached": 0, "at_risk": 0}
    for tenant_id, due in sla_due_tenants(now=now).items():
        with scope_of(tenant_id):
            for key, count in sla_sweep_tenant(now=now, due=due).items():
                total[key] += count
    return total


DIGEST_LISTED = 50  # tickets listed per state in one e-mail; the rest is a link to the queue


def _notify_staff(*, breached: list[Claimed], at_risk: list[Claimed]) -> None:
    """Tell the owners and each ticket's assignee (msp's notify: in the app, and by e-mail as
    each prefers), one notification per person listing their tickets: a ticket alone reads
    as before, a storm of thousands stays one message per person. People who would get the
    same list share one call."""
    tenant = Tenant.objects.get(pk=current_scope().tenant_id)
    assignees = {ticket.assignee_id for ticket in (*breached, *at_risk) if ticket.assignee_id}
    members = Membership.objects.select_related("user").filter(
        Q(role=Role.OWNER) | Q(user_id__in=assignees), is_active=True
    )
    groups: dict[tuple, list[Membership]] = defaultdict(list)
    for membership in members.order_by("pk"):
        owner = membership.role == Role.OWNER
        mine = [
            tuple(t for t in tickets if owner or t.assignee_id == membership.user_id)
            for tickets in (breached, at_risk)
        ]
        if mine[0] or mine[1]:
            groups[tuple(mine)].append(membership)
    for (their_breached, their_at_risk), group in groups.items():
        tickets = [*their_breached, *their_at_risk]
        url = (
            reverse("tickets:detail", args=[tickets[0].pk])
            if len(tickets) == 1
            else reverse("tickets:list") + "?sla=attention"
        )
        notify(
            tenant=tenant,
            memberships=group,
            kind=NotificationKind.SLA,
            content=functools.partial(_sla_email, list(their_breached), list(their_at_risk)),
            url=url,
            target=Ticket(pk=tickets[0].pk) if len(tickets) == 1 else None,
        )


def _sla_email(breached: list[Claimed], at_risk: list[Claimed]) -> tuple[str, str]:
    if len(breached) + len(at_risk) == 1:
        ticket = (breached or at_risk)[0]
        if breached:
            subject = _("SLA breached: %(ticket)s") % {"ticket": ticket}
            body = _("The SLA of ticket %(ticket)s (%(client)s) was breached.")
        else:
            subject = _("SLA at risk: %(ticket)s") % {"ticket": ticket}
            body = _("Ticket %(ticket)s (%(client)s) has used 80%% of its SLA target.")
        return subject, body % {"ticket": ticket, "client": ticket.client}
    subject = _("SLA: %(breached)d breached, %(at_risk)d at risk") % {
        "breached": len(breached),
        "at_risk": len(at_risk),
    }
    parts = []
    for tickets, heading in (
        (breached, _("Breached")),
        (at_risk, _("At risk (80%% of the target used)") % {}),
    ):
        if not tickets:
            continue
        lines = [f"{heading}:"]
        lines += [
            f"- {ticket} ({ticket.client}): {site_url('tickets:detail', ticket.pk)}"
            for ticket in tickets[:DIGEST_LISTED]
        ]
        if len(tickets) > DIGEST_LISTED:
            lines.append(_("…and %(count)d more.") % {"count": len(tickets) - DIGEST_LISTED})
        parts.append("\n".join(lines))
    parts.append(_("The queue, breached and at risk first: %(url)s") % {"url": ""})
    return subject, "\n\n".join(parts).rstrip()


@shared_task(acks_late=True)
def sla_sweep_task() -> str:
    """Every minute (beat): one sweep task per tenant with due tickets. A cache lock keeps two
    dispatches from overlapping; the claims would keep them correct anyway."""
    if not cache.add(SWEEP_LOCK, "1", timeout=120):
        return "another sweep is running"
    try:
        due_by_tenant = sla_due_tenants(now=timezone.now())
        for tenant_id, due in due_by_tenant.items():
            sla_sweep_tenant_task.delay(tenant_id, due)
    finally:
        cache.delete(SWEEP_LOCK)
    return f"swept {len(due_by_tenant)} tenant(s)"


@tenant_task(acks_late=True)
def sla_sweep_tenant_task(tenant_id: int, due: Sequence[str] = (BREACH, WARN)) -> str:
    result = sla_sweep_tenant(due=due)
    return f"breached {result['breached']}, at risk {result['at_risk']}"


def contact_language(ticket: Ticket, email: str | None = None) -> str:
    """The contact's own language when it has a portal login that chose one, else the client's
    document language (itself the MSP's when not set)."""
    email = email or (ticket.contact.email if ticket.contact_id else "")
    login = (
        Membership.objects.filter(client_id=ticket.client_id, role=Role.CLIENT, user__email__iexact=email)
        .exclude(user__language="")
        .values_list("user__language", flat=True)
        .first()
        if email
        else None
    )
    # msp.selectors.document_language, without reading the tenant a second time
    return login or ticket.client.language or ticket.tenant.language


@tenant_task(acks_late=True)
def ticket_notify_contact_task(
    tenant_id: int, ticket_id: int, kind: str, comment_id: int | None = None
) -> str:
    """Email the ticket's contact about a public reply or a status change, in its language,
    from the MSP (its name and address, a greeting, its signature)."""
    ticket = Ticket.objects.select_related("tenant", "contact", "client").filter(pk=ticket_id).first()
    if ticket is None or ticket.contact is None or not ticket.contact.email:
        return "no recipient"
    reference = f"{ticket_tag(ticket.pk)} {ticket.subject}"
    with translation.override(contact_language(ticket)):
        link = site_url("portal:ticket", ticket.pk)
        if kind == "reply":
            comment = TicketComment.objects.filter(pk=comment_id, ticket=ticket, public=True).first()
            if comment is None:
                return "no public reply"
            subject = _("New reply on %(ticket)s") % {"ticket": reference}
            body = comment.body
        else:
            subject = _("%(ticket)s is now %(status)s") % {
                "ticket": reference,
                "status": ticket.get_status_display(),
            }
            body = _("The status of your ticket changed to: %(status)s.") % {
                "status": ticket.get_status_display()
            }
        follow = _("Follow your ticket:")
        ticket_email_queue(
            ticket,
            to=ticket.contact.email,
            name=ticket.contact.name,
            subject=subject,
            body=f"{body}\n\n{follow}",
            link=link,
            automatic=kind != "reply",  # a technician wrote the reply; a status notice is the app's
        )
    return "queued"


@tenant_task(acks_late=True)
def sla_recompute_open_task(tenant_id: int, policy_ids: list[int]) -> int:
    """An SLA calendar or policy changed: move the due times of its open tickets. Idempotent
    (recomputing twice gives the same instants)."""
    from tickets.services import sla_recompute_open

    return sla_recompute_open(policy_ids=policy_ids)
