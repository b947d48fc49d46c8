"""A ticket's SLA as its client reads it: the first response and the resolution, each with
its due time and whether it was met, is at risk, was breached or waits (paused on them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.choices import SlaState

MET, RUNNING, AT_RISK, BREACHED, PAUSED = "met", "running", "at_risk", "breached", "paused"
LABELS = {
    MET: _("Met"),
    RUNNING: _("On track"),
    AT_RISK: _("At risk"),
    BREACHED: _("Breached"),
    PAUSED: _("Paused while waiting on you"),
}
TONES = {MET: "success", RUNNING: "info", AT_RISK: "warning", BREACHED: "danger", PAUSED: "muted"}


@dataclass(frozen=True)
class SlaTarget:
    name: str
    due_at: datetime
    done_at: datetime | None
    state: str

    @property
    def label(self) -> str:
        return str(LABELS[self.state])

    @property
    def tone(self) -> str:
        return TONES[self.state]


def _target(ticket, name, due_at, done_at, *, current: bool, now: datetime) -> SlaTarget | None:
    if due_at is None:
        return None
    if done_at is not None:
        state = MET if done_at <= due_at else BREACHED
    elif now >= due_at:
        state = BREACHED
    elif ticket.sla_state == SlaState.PAUSED:
        state = PAUSED
    elif current and (
        ticket.sla_state == SlaState.AT_RISK or (ticket.sla_warn_at is not None and now >= ticket.sla_warn_at)
    ):
        state = AT_RISK
    else:
        state = RUNNING
    return SlaTarget(name=name, due_at=due_at, done_at=done_at, state=state)


def sla_state_now(ticket, now: datetime) -> str:
    """The ticket's SLA state as the clock tells it now: the sweep marks a missed or 80 %-used
    target within the minute; between two sweeps the list must not say "on track" for a
    ticket already late (the staff queue reads it the same way)."""
    state = ticket.sla_state
    if state in (SlaState.OK, SlaState.AT_RISK) and ticket.sla_breach_at and ticket.sla_breach_at <= now:
        return SlaState.BREACHED
    if state == SlaState.OK and ticket.sla_warn_at and ticket.sla_warn_at <= now:
        return SlaState.AT_RISK
    return state


def sla_targets(ticket, *, now: datetime | None = None) -> list[SlaTarget]:
    """The ticket's first-response and resolution targets (those its policy sets)."""
    now = now or timezone.now()
    responding = ticket.first_response_at is None
    targets = [
        _target(
            ticket,
            _("First response"),
            ticket.response_due_at,
            ticket.first_response_at,
            current=responding,
            now=now,
        ),
        _target(
            ticket,
            _("Resolution"),
            ticket.resolution_due_at,
            ticket.resolved_at or ticket.closed_at,
            current=not responding,
            now=now,
        ),
    ]
    return [target for target in targets if target is not None]
