"""Reads of tickets: the technician's queue, in SLA urgency order; a ticket's e-mails."""

from __future__ import annotations

from django.db.models import Q

from msp.models import OutboundEmail
from tickets.choices import OPEN_STATUSES, SlaState
from tickets.hooks import incoming_emails
from tickets.mail import ticket_thread
from tickets.models import QUEUE_ORDER, Ticket

QUEUE_FILTERS = ("mine", "unassigned", "client", "priority", "status", "sla")


def ticket_queue(*, user, params) -> tuple:
    """The queue: open tickets by default, breached first, then by the next due time."""
    queryset = Ticket.objects.select_related("client", "assignee", "asset")
    status = params.get("status", "")
    if status == "all":
        pass
    elif status:
        queryset = queryset.filter(status=status)
    else:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    if params.get("mine"):
        queryset = queryset.filter(assignee=user)
    if params.get("unassigned"):
        queryset = queryset.filter(assignee__isnull=True)
    client = params.get("client", "")
    if client.isdigit():
        queryset = queryset.filter(client_id=int(client))
    if params.get("priority"):
        queryset = queryset.filter(priority=params["priority"])
    sla = params.get("sla", "")
    if sla == "breached":
        queryset = queryset.filter(sla_state=SlaState.BREACHED)
    elif sla == "at_risk":
        queryset = queryset.filter(sla_state=SlaState.AT_RISK)
    elif sla == "attention":
        queryset = queryset.filter(sla_state__in=[SlaState.BREACHED, SlaState.AT_RISK])
    search = (params.get("q") or "").strip()
    if search:
        query = Q(subject__icontains=search) | Q(client__name__icontains=search)
        if search.lstrip("#").isdigit():
            query |= Q(pk=int(search.lstrip("#")))
        queryset = queryset.filter(query)
    return queryset.order_by(*QUEUE_ORDER)


EMAILS_SHOWN = 50  # the latest sent e-mails a ticket's page lists (all are on Outgoing mail)


def ticket_emails(ticket: Ticket) -> list:
    """The ticket's e-mails, oldest first: those sent (msp's OutboundEmail rows of its thread,
    the latest EMAILS_SHOWN, with their delivery state) and those received (tickets.hooks'
    IncomingEmail, from inbox/). Two queries, whatever the thread's length."""
    sent = (
        OutboundEmail.objects.filter(thread=ticket_thread(ticket.pk))
        .defer("mime")
        .order_by("-created_at", "-pk")[:EMAILS_SHOWN]
    )
    entries = [(email.created_at, email) for email in sent]
    entries += [(email.at, email) for email in incoming_emails(ticket)]
    return [email for _at, email in sorted(entries, key=lambda entry: entry[0])]
