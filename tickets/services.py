"""Writes of tickets: opening, changing, replying, and the SLA clock that follows them.

Every change of status, priority or asset recomputes the stored SLA instants (due times,
the next 80 % point, the next breach) so the beat sweep is a set-based query.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.choices import ContractKind, ContractStatus
from contracts.models import Contract
from msp.locking import lock_row
from msp.scoping import scope_of, scoped_by
from tickets import notifications as ticket_notifications
from tickets import sla
from tickets.choices import OPEN_STATUSES, Priority, SlaState, Source, TicketStatus, can_move, move_refusal
from tickets.models import Ticket, TicketComment
from tickets.sla_policy import calendar_of, parse_pauses, policy_for, warn_minutes

CLOSED_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


# --- the contract a ticket bills to -------------------------------------------------------


@scoped_by("client")
def contract_default_for(*, client) -> Contract | None:
    """The stated rule: the active prepaid contract with hours left, else the active managed
    one, else the active break/fix one, else none."""
    active = Contract.objects.filter(client_id=client.pk, status=ContractStatus.ACTIVE).order_by(
        "start_date", "pk"
    )
    for kind, extra in (
        (ContractKind.PREPAID_HOURS, {"balance_minutes__gt": 0}),
        (ContractKind.MANAGED, {}),
        (ContractKind.BREAK_FIX, {}),
    ):
        contract = active.filter(kind=kind, **extra).first()
        if contract is not None:
            return contract
    return None


def ticket_has_invoiced_time(ticket: Ticket) -> bool:
    """Time tracking (downstream) owns the entries; reach them through the reverse relation,
    in the ticket's tenant's whole scope (a client contact's scope may not show them)."""
    if ticket.pk is None or not hasattr(Ticket, "time_entries"):
        return False
    entries = Ticket.time_entries.rel.related_model
    with scope_of(ticket.tenant_id):
        return entries.objects.filter(ticket_id=ticket.pk, invoiced_at__isnull=False).exists()


def _validate_links(ticket: Ticket) -> None:
    """Contact, asset and contract must be the ticket's client's (hence its tenant's)."""
    errors = {}
    client = ticket.client
    if client.tenant_id != ticket.tenant_id:
        errors["client"] = _("Choose a client of yours.")
    for field, message in (
        ("contact", _("This contact is not one of the client's.")),
        ("asset", _("This asset is not one of the client's.")),
        ("contract", _("This contract is not one of the client's.")),
    ):
        obj = getattr(ticket, field)
        if obj is not None and (obj.tenant_id != ticket.tenant_id or obj.client_id != client.pk):
            errors[field] = message
    if errors:
        raise ValidationError(errors)


# --- the SLA clock ------------------------------------------------------------------------


def sla_recompute(ticket: Ticket, *, now: datetime | None = None) -> None:
    """Refresh the ticket's stored SLA fields (not saved). The sweep alone moves a running
    clock to at risk / breached (so it notifies once); this keeps those states sticky."""
    now = now or timezone.now()
    policy = ticket.sla_policy
    if policy is None:
        ticket.response_due_at = ticket.resolution_due_at = None
        ticket.sla_warn_at = ticket.sla_breach_at = None
        ticket.sla_state = SlaState.NONE
        return
    calendar = calendar_of(policy.calendar)
    pauses = parse_pauses(ticket.sla_pauses)
    start = ticket.created_at or now
    kind = ticket.asset.kind if ticket.asset_id else None
    response = policy.target_minutes(priority=ticket.priority, asset_kind=kind, which="response")
    resolution = policy.target_minutes(priority=ticket.priority, asset_kind=kind, which="resolution")

    pending = []  # (due, warn, target minutes) of targets not yet met
    late = ticket.sla_state == SlaState.BREACHED
    if response is not None:
        if ticket.first_response_at is None:
            ticket.response_due_at = sla.due_at(start, response, calendar, pauses)
            pending.append((ticket.response_due_at, response))
        else:
            if ticket.response_due_at is None:
                ticket.response_due_at = sla.due_at(start, response, calendar, pauses)
            late |= ticket.response_due_at is not None and ticket.first_response_at > ticket.response_due_at
    else:
        ticket.response_due_at = None
    if resolution is not None:
        ticket.resolution_due_at = sla.due_at(start, resolution, calendar, pauses)
        if ticket.status in CLOSED_STATUSES:
            done = ticket.resolved_at or ticket.closed_at or now
            late |= ticket.resolution_due_at is not None and done > ticket.resolution_due_at
        else:
            pending.append((ticket.resolution_due_at, resolution))
    else:
        ticket.resolution_due_at = None

    ticket.sla_warn_at = ticket.sla_breach_at = None
    if ticket.status in CLOSED_STATUSES or not pending:
        ticket.sla_state = SlaState.BREACHED if late else SlaState.MET
        return
    if ticket.status == TicketStatus.WAITING:
        used = sla.elapsed_seconds(start, now, calendar, pauses)
        late |= any(used >= target * 60 for _due, target in pending)
        ticket.sla_state = SlaState.BREACHED if late else SlaState.PAUSED
        return
    due, target = min(pending, key=lambda item: item[0])
    ticket.sla_breach_at = due
    ticket.sla_warn_at = sla.due_at(start, warn_minutes(target), calendar, pauses)
    if late or ticket.breached_notified_at is not None:
        ticket.sla_state = SlaState.BREACHED
    elif ticket.at_risk_notified_at is not None and ticket.sla_warn_at <= now:
        ticket.sla_state = SlaState.AT_RISK
    else:
        ticket.sla_state = SlaState.OK


SLA_FIELDS = ("response_due_at", "resolution_due_at", "sla_warn_at", "sla_breach_at", "sla_state")
RECOMPUTE_BATCH = 500


def sla_recompute_open(*, policy_ids, now: datetime | None = None) -> int:
    """Recompute the SLA clock of every open ticket under these policies (their calendar or
    targets changed); returns how many tickets changed. In the current scope's tenant, in
    batches, each ticket's instants written only when they moved."""
    now = now or timezone.now()
    changed = 0
    tickets = (
        Ticket.objects.filter(status__in=OPEN_STATUSES, sla_policy_id__in=list(policy_ids))
        .select_related("sla_policy__calendar", "asset")
        .order_by("pk")
    )
    last_pk = 0
    while True:
        batch = list(tickets.filter(pk__gt=last_pk)[:RECOMPUTE_BATCH])
        if not batch:
            return changed
        moved = []
        for ticket in batch:
            before = tuple(getattr(ticket, field) for field in SLA_FIELDS)
            sla_recompute(ticket, now=now)
            if tuple(getattr(ticket, field) for field in SLA_FIELDS) != before:
                moved.append(ticket)
        with transaction.atomic():
            Ticket.objects.bulk_update(moved, SLA_FIELDS)
        changed += len(moved)
        last_pk = batch[-1].pk


def _pause(ticket: Ticket, now: datetime) -> None:
    pauses = list(ticket.sla_pauses or [])
    if not pauses or pauses[-1][1] is not None:
        pauses.append([now.isoformat(), None])
    ticket.sla_pauses = pauses


def _resume(ticket: Ticket, now: datetime) -> None:
    pauses = list(ticket.sla_pauses or [])
    if pauses and pauses[-1][1] is None:
        pauses[-1] = [pauses[-1][0], now.isoformat()]
    ticket.sla_pauses = pauses


# --- status moves ---------------------------------------------------------------------------


def _check_move(old: str, new: str) -> None:
    """Refuse a status the map (tickets.choices.STATUS_TRANSITIONS) does not allow from
    ``old``; staying in the same status is no move, hence always fine."""
    if new not in TicketStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if new != old and not can_move(old, new):
        raise ValidationError({"status": move_refusal(old, new)})


def _apply_move(ticket: Ticket, old: str, now: datetime) -> None:
    """What a move (already checked) does besides the status: the SLA clock pauses while
    waiting on the client; resolving and closing stamp their instants, reopening clears them."""
    if old == TicketStatus.WAITING:
        _resume(ticket, now)
    if ticket.status == TicketStatus.WAITING:
        _pause(ticket, now)
    if ticket.status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif ticket.status == TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif ticket.status in OPEN_STATUSES:
        ticket.resolved_at = ticket.closed_at = None


# --- services -------------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    tenant,
    client,
    subject: str,
    description: str = "",
    priority: str = Priority.P3,
    source: str = "technician",
    contact=None,
    asset=None,
    contract=None,
    assignee=None,
    created_by=None,
    use_default_contract: bool = True,
    now: datetime | None = None,
) -> Ticket:
    now = now or timezone.now()
    if contract is None and use_default_contract:
        contract = contract_default_for(client=client)
    ticket = Ticket(
        tenant=tenant,
        client=client,
        subject=subject,
        description=description,
        priority=priority,
        source=source,
        contact=contact,
        asset=asset,
        contract=contract,
        assignee=assignee,
        created_by=created_by,
    )
    _validate_links(ticket)
    ticket.sla_policy = policy_for(tenant_id=tenant.pk, client_id=client.pk)
    ticket.save()  # auto_now_add sets created_at; `now` (imports, tests) fixes it instead
    if ticket.created_at != now:
        ticket.created_at = now
    sla_recompute(ticket, now=now)
    ticket.save()
    if source in (Source.PORTAL, Source.EMAIL):
        ticket_notifications.ticket_opened_by_client(ticket)
    elif source == Source.MONITORING and priority in (Priority.P1, Priority.P2) and assignee is None:
        ticket_notifications.ticket_opened_by_monitoring(ticket)
    elif assignee is not None:
        ticket_notifications.ticket_assigned(ticket, by=created_by)
    return ticket


@transaction.atomic
def ticket_update(
    ticket: Ticket, *, by=None, notify: bool = True, now: datetime | None = None, **changes
) -> Ticket:
    """Change status, priority, asset, assignee, contract, contact, subject, description.

    A status move must be one ``tickets.choices.STATUS_TRANSITIONS`` allows (else a
    ValidationError on ``status`` and nothing changes); the same status again is no move."""
    now = now or timezone.now()
    allowed = {
        "status",
        "priority",
        "asset",
        "assignee",
        "contract",
        "contact",
        "subject",
        "description",
        "source",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"ticket_update() cannot change {sorted(unknown)}")
    if "status" in changes and ticket.pk is not None:
        # Lock the row and judge the move from the stored status: a copy read before another
        # member's move (a queue left open) must not slip past the map.
        with scope_of(ticket.tenant_id):
            stored = lock_row(Ticket.objects.values_list("status", flat=True), pk=ticket.pk)
        if stored != ticket.status:
            ticket.refresh_from_db()
    old_status = ticket.status
    if "status" in changes:
        _check_move(old_status, changes["status"])  # before any change: a refusal changes nothing
    old_contract_id = ticket.contract_id
    old_assignee_id = ticket.assignee_id
    for field, value in changes.items():
        setattr(ticket, field, value)
    if "contract" in changes and ticket.contract_id != old_contract_id and ticket_has_invoiced_time(ticket):
        raise ValidationError(
            {"contract": _("The contract cannot change: time on this ticket was invoiced.")}
        )
    _validate_links(ticket)
    if ticket.status != old_status:
        _apply_move(ticket, old_status, now)
    sla_recompute(ticket, now=now)
    ticket.save()
    if notify and ticket.status != old_status:
        _notify_contact(ticket, "status")
    if notify and ticket.assignee_id != old_assignee_id:
        ticket_notifications.ticket_assigned(ticket, by=by)
    return ticket


@transaction.atomic
def ticket_assign(ticket: Ticket, *, assignee, by=None) -> Ticket:
    changed = ticket.assignee_id != (assignee.pk if assignee is not None else None)
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    if changed:
        ticket_notifications.ticket_assigned(ticket, by=by)
    return ticket


@transaction.atomic
def comment_add(
    ticket: Ticket,
    *,
    author,
    body: str,
    public: bool = True,
    by_staff: bool = True,
    sender: str = "",
    now: datetime | None = None,
) -> TicketComment:
    """A public reply or an internal note. The first public reply by a member is the first
    response; a contact's reply on a ticket waiting on them reopens it. ``sender`` names who
    wrote it when no user did (an e-mail's From, with ``author`` None)."""
    now = now or timezone.now()
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if not public and not by_staff:
        raise ValidationError({"public": _("Only staff can write internal notes.")})
    comment = TicketComment.objects.create(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        author=author,
        body=body,
        public=public,
        sender=sender[:400],
    )
    changed = False
    if public and by_staff and ticket.first_response_at is None:
        ticket.first_response_at = now
        if ticket.sla_state != SlaState.BREACHED:
            ticket.at_risk_notified_at = None  # the resolution target gets its own warning
        changed = True
    # Implicit moves, both allowed by the map: a member's first public reply opens a new
    # ticket; a contact's reply reopens one waiting on them or resolved (never a closed one).
    if (public and by_staff and ticket.status == TicketStatus.NEW) or (
        not by_staff and ticket.status in (TicketStatus.WAITING, TicketStatus.RESOLVED)
    ):
        old_status, ticket.status = ticket.status, TicketStatus.OPEN
        _apply_move(ticket, old_status, now)
        changed = True
    if changed:
        sla_recompute(ticket, now=now)
        ticket.save()
    if public and by_staff:
        _notify_contact(ticket, "reply", comment_id=comment.pk)
    if public and not by_staff:
        ticket_notifications.client_replied(ticket, comment)
    return comment


def _notify_contact(ticket: Ticket, kind: str, comment_id: int | None = None) -> None:
    if ticket.contact_id is None:
        return
    from tickets.tasks import ticket_notify_contact_task

    tenant_id, ticket_id = ticket.tenant_id, ticket.pk
    transaction.on_commit(lambda: ticket_notify_contact_task.delay(tenant_id, ticket_id, kind, comment_id))
