"""Time entries and timers: the only code that writes them.

Saving an entry rounds its minutes once by the contract's rule, weighs them by the work
type's factor, then, by the ticket's contract: draws them from prepaid hours (in the same
transaction, under the contract's lock, see contracts.services.hours), marks them covered by an
all-inclusive tier, or records them as billable labour (break/fix). Editing reverses and
re-draws; deleting reverses: the hour ledger is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.choices import ContractKind
from contracts.services.hours import hours_draw, hours_reverse
from msp.locking import lock_row
from msp.models import Membership
from msp.scoping import current_scope, scoped_by
from timetracking.models import TimeEntry, Timer, WorkType
from timetracking.rounding import MAX_ENTRY_MINUTES, billed_minutes, timer_minutes, weighted_minutes

SOURCE_KIND = "time_entry"
_UNSET = object()
# A clock a minute ahead of the server's (a typed "now" to the minute) is not the future.
FUTURE_TOLERANCE = timedelta(minutes=1)


def _check_not_future(*, started_at, ended_at, now=None) -> None:
    """Work is logged once done: a start or an end in the future is refused (it would be
    drawn from prepaid hours at once)."""
    limit = (now or timezone.now()) + FUTURE_TOLERANCE
    if ended_at is not None and ended_at > limit:
        raise ValidationError({"ended_at": _("The end lies in the future: log work once it is done.")})
    if started_at is not None and started_at > limit:
        raise ValidationError({"started_at": _("The start lies in the future: log work once it is done.")})


def _utc(moment):
    return moment.astimezone(UTC) if timezone.is_aware(moment) else moment


def _raw_minutes(*, minutes, started_at, ended_at) -> int:
    has_span = started_at is not None or ended_at is not None
    if minutes is not None and has_span:
        raise ValidationError(_("Give either a number of minutes or a start and an end, not both."))
    if minutes is None and not has_span:
        raise ValidationError(_("Give a number of minutes, or a start and an end."))
    if minutes is None:
        if started_at is None or ended_at is None:
            raise ValidationError(_("Give both a start and an end."))
        # Elapsed time, not wall-clock time: Python compares and subtracts two times of one
        # zone by their wall clocks, which is an hour off across a daylight-saving change.
        if _utc(ended_at) <= _utc(started_at):
            raise ValidationError({"ended_at": _("The end must be after the start.")})
        seconds = int((_utc(ended_at) - _utc(started_at)).total_seconds())
        minutes = timer_minutes(seconds)
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise ValidationError({"minutes": _("Minutes are a whole number.")}) from None
    if minutes <= 0:
        raise ValidationError({"minutes": _("An entry has a positive number of minutes.")})
    if minutes > MAX_ENTRY_MINUTES:
        raise ValidationError({"minutes": _("An entry cannot be longer than 24 hours.")})
    return minutes


def _check_ticket(ticket) -> None:
    scope = current_scope()
    if ticket is None or ticket.pk is None or (scope is not None and ticket.tenant_id != scope.tenant_id):
        raise ValidationError({"ticket": _("Ticket not found.")})


def _check_work_type(work_type, ticket) -> None:
    if work_type is not None and work_type.tenant_id != ticket.tenant_id:
        raise ValidationError({"work_type": _("Work type not found.")})


def labour_covered(contract) -> bool:
    """All-inclusive: the contract (or its tier) includes labour."""
    if contract is None or contract.kind != ContractKind.MANAGED:
        return False
    return bool(contract.includes_labour or (contract.tier_id and contract.tier.includes_labour))


def _apply(entry: TimeEntry, *, raw_minutes: int, at) -> None:
    """Round, weigh and book an entry, and save it. A new entry is inserted once its draw is
    decided (one INSERT carrying the outcome); an existing one is updated."""
    contract = entry.ticket.contract
    entry.contract = contract
    entry.rate_factor = entry.work_type.rate_factor if entry.work_type_id else Decimal("1.00")
    rounded = (
        billed_minutes(
            raw_minutes, rounding_minutes=contract.rounding_minutes, minimum_minutes=contract.minimum_minutes
        )
        if contract is not None
        else raw_minutes
    )
    entry.billed_minutes = weighted_minutes(rounded, entry.rate_factor)
    entry.drawn_minutes = entry.overage_minutes = 0
    entry.covered = False
    entry.hourly_rate = None
    if contract is not None and entry.billable and contract.kind == ContractKind.PREPAID_HOURS:

        def write(result) -> int:
            entry.drawn_minutes = result.drawn_minutes
            entry.overage_minutes = result.overage_minutes
            entry.save()
            return entry.pk

        result = hours_draw(
            contract=contract,
            minutes=entry.billed_minutes,
            source_kind=SOURCE_KIND,
            source_id=write,
            at=at,
            note=lambda pk: _("Time entry #%(id)s") % {"id": pk},
        )
        entry._draw = result
        from contracts.notifications import balance_check_on_commit, crosses_a_level

        if result.renewals or crosses_a_level(
            block_minutes=result.current_block_minutes,
            balance_before=result.balance_before,
            balance_after=result.balance_after,
        ):
            balance_check_on_commit(contract)
        return
    if contract is not None and entry.billable:
        if labour_covered(contract):
            entry.covered = True
        else:
            # Break/fix (or managed work the tier does not include): billable labour at the rate.
            entry.overage_minutes = entry.billed_minutes
    elif contract is None and entry.billable:
        # No contract: break/fix at the tenant's default rate, when it is in the client's currency.
        rate = break_fix_rate(tenant=entry.ticket.tenant, client=entry.ticket.client)
        if rate is not None:
            entry.hourly_rate = rate
            entry.overage_minutes = entry.billed_minutes
    entry.save()


def break_fix_rate(*, tenant, client):
    """The tenant's default break/fix rate for work for a client without a contract, or None
    (none set, or set in another currency than the client is billed in)."""
    rate = tenant.default_hourly_rate
    if rate is None or str(rate.currency) != client.currency:
        return None
    return rate


@scoped_by("ticket")
@transaction.atomic
def time_entry_create(
    *,
    ticket,
    technician,
    minutes: int | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    work_type: WorkType | None = None,
    billable: bool = True,
    note: str = "",
    onsite: bool = False,
    now: datetime | None = None,
) -> TimeEntry:
    """Log work on a ticket; ``now`` is the clock (a timer's stop time), for the future check."""
    _check_ticket(ticket)
    _check_work_type(work_type, ticket)
    _check_not_future(started_at=started_at, ended_at=ended_at, now=now)
    raw = _raw_minutes(minutes=minutes, started_at=started_at, ended_at=ended_at)
    if work_type is None:
        work_type = WorkType.objects.filter(is_default=True).first()
    entry = TimeEntry(
        tenant_id=ticket.tenant_id,
        ticket=ticket,
        technician=technician,
        work_type=work_type,
        started_at=started_at,
        ended_at=ended_at,
        minutes=raw,
        billable=billable,
        note=note,
        onsite=bool(onsite),
    )
    _apply(entry, raw_minutes=raw, at=None)
    return entry


@scoped_by("entry")
@transaction.atomic
def time_entry_update(
    *,
    entry: TimeEntry,
    ticket=_UNSET,
    minutes=_UNSET,
    started_at=_UNSET,
    ended_at=_UNSET,
    work_type=_UNSET,
    billable=_UNSET,
    note=_UNSET,
    onsite=_UNSET,
) -> TimeEntry:
    """Change an entry: give back what it drew (reversal rows), then draw again."""
    entry = lock_row(
        TimeEntry.objects.select_for_update(of=("self",)).select_related(
            "ticket__contract__tier", "work_type"
        ),
        pk=entry.pk,
    )
    if entry.invoiced_at is not None:
        raise ValidationError(_("This entry was invoiced; it can no longer be changed."))
    if ticket is not _UNSET:
        _check_ticket(ticket)
        entry.ticket = ticket
    if work_type is not _UNSET:
        _check_work_type(work_type, entry.ticket)
        entry.work_type = work_type
    if billable is not _UNSET:
        entry.billable = bool(billable)
    if note is not _UNSET:
        entry.note = note
    if onsite is not _UNSET:
        entry.onsite = bool(onsite)
    span_given = started_at is not _UNSET or ended_at is not _UNSET
    if minutes is not _UNSET and minutes is not None:
        new_start, new_end, new_minutes = None, None, minutes
    elif span_given:
        new_start = entry.started_at if started_at is _UNSET else started_at
        new_end = entry.ended_at if ended_at is _UNSET else ended_at
        new_minutes = None
    elif entry.started_at and entry.ended_at:
        new_start, new_end, new_minutes = entry.started_at, entry.ended_at, None
    else:
        new_start, new_end, new_minutes = None, None, entry.minutes
    if span_given:
        _check_not_future(started_at=new_start, ended_at=new_end)
    raw = _raw_minutes(minutes=new_minutes, started_at=new_start, ended_at=new_end)
    entry.started_at, entry.ended_at, entry.minutes = new_start, new_end, raw
    if entry.contract_id is not None:
        hours_reverse(
            contract=entry.contract,
            source_kind=SOURCE_KIND,
            source_id=entry.pk,
            note=_("Time entry #%(id)s changed") % {"id": entry.pk},
        )
    _apply(entry, raw_minutes=raw, at=None)
    return entry


@scoped_by("entry")
@transaction.atomic
def time_entry_delete(*, entry: TimeEntry) -> None:
    """Reverse what the entry drew, then delete its row; the ledger keeps both movements."""
    entry = lock_row(TimeEntry.objects.select_for_update(of=("self",)), pk=entry.pk)
    if entry.invoiced_at is not None:
        raise ValidationError(_("This entry was invoiced; it can no longer be deleted."))
    if entry.contract_id is not None:
        hours_reverse(
            contract=entry.contract,
            source_kind=SOURCE_KIND,
            source_id=entry.pk,
            note=_("Time entry #%(id)s deleted") % {"id": entry.pk},
        )
    entry.delete()


@dataclass
class TimerStart:
    timer: Timer
    stopped_entry: TimeEntry | None = None


def _timers(technician):
    return Timer.objects.filter(technician=technician)


def _lock_timers_of(technician) -> None:
    """Serialise one technician's timer starts and stops (a double click, two tabs): the
    running timer may not exist, so nothing to lock there; the membership always does."""
    list(Membership.objects.select_for_update().filter(user=technician).values_list("pk", flat=True))


@scoped_by("tenant")
@transaction.atomic
def timer_start(*, technician, ticket, tenant, at=None) -> TimerStart:
    """Start a timer on a ticket; one runs per technician: a running one is stopped first,
    making its entry (the result says so)."""
    _check_ticket(ticket)
    if ticket.tenant_id != tenant.pk:
        raise ValidationError({"ticket": _("Ticket not found.")})
    now = at or timezone.now()
    stopped = None
    _lock_timers_of(technician)
    running = _timers(technician).select_for_update(of=("self",)).select_related("ticket").first()
    if running is not None:
        if running.ticket_id == ticket.pk:
            return TimerStart(timer=running)
        stopped = _stop(running, now)
    timer = Timer.objects.create(tenant=tenant, technician=technician, ticket=ticket, started_at=now)
    return TimerStart(timer=timer, stopped_entry=stopped)


def _stop(timer: Timer, now, note: str = "") -> TimeEntry:
    """The timer's entry keeps its real start and end; its minutes are the seconds it ran,
    rounded up to whole minutes (at least 1), before the contract's rounding rule.

    One entry holds at most 24 h: a timer left running longer logs its first 24 h (the entry
    ends 24 h after the start), and ``entry.timer_minutes`` keeps how long it ran, so the
    pages and the API can say so."""
    seconds = max(0, int((now - timer.started_at).total_seconds()))
    ran = timer_minutes(seconds)
    timer.delete()
    ended_at = min(now, timer.started_at + timedelta(minutes=MAX_ENTRY_MINUTES))
    if ended_at <= timer.started_at:  # stopped within the second it started: still a minute
        ended_at = timer.started_at + timedelta(seconds=1)
    entry = time_entry_create(
        ticket=timer.ticket,
        technician=timer.technician,
        started_at=timer.started_at,
        ended_at=ended_at,
        note=(note or "").strip() or timer.note,
        now=now,
    )
    entry.timer_minutes = ran
    return entry


@scoped_by("tenant")
@transaction.atomic
def timer_stop(*, technician, tenant, at=None, note: str = "") -> TimeEntry:
    """Stop the technician's timer: an entry from its start to now, with the work note."""
    _lock_timers_of(technician)
    running = _timers(technician).select_for_update(of=("self",)).select_related("ticket").first()
    if running is None:
        raise ValidationError(_("No timer is running: it was already stopped."))
    return _stop(running, at or timezone.now(), note)


@scoped_by("tenant")
def timer_running(*, technician, tenant) -> Timer | None:
    return Timer.objects.filter(technician=technician).select_related("ticket").first()


DEFAULT_WORK_TYPES = [  # named in the tenant's language when seeded (tenant_created)
    (gettext_lazy("Standard"), Decimal("1.00"), True),
    (gettext_lazy("After hours"), Decimal("1.50"), False),
    (gettext_lazy("Weekend"), Decimal("1.50"), False),
]


@scoped_by("tenant")
def work_types_seed(*, tenant) -> None:
    """The default work types of a new tenant (idempotent)."""
    existing = set(WorkType.objects.values_list("name", flat=True))
    WorkType.objects.bulk_create(
        [
            WorkType(tenant=tenant, name=str(name), rate_factor=factor, is_default=default)
            for name, factor, default in DEFAULT_WORK_TYPES
            if str(name) not in existing
        ]
    )
