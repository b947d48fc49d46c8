from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting_on_client", _("Waiting on client")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING)

# The moves a ticket's status may make, in one place: the service enforces them, the status
# form offers them, the API refuses the others. A ticket is never moved back to new; a resolved
# or closed one goes back to work only by reopening it (to open), and then moves on from there.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset(
        {TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.OPEN: frozenset({TicketStatus.WAITING, TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.WAITING: frozenset({TicketStatus.OPEN, TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset({TicketStatus.OPEN}),
}
REOPENABLE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


_ALLOWED_NEXT = {
    status: tuple(value for value in TicketStatus.values if value in targets)
    for status, targets in STATUS_TRANSITIONS.items()
}


def allowed_next(status: str) -> list[str]:
    """The statuses a ticket in ``status`` may move to, in the order of ``TicketStatus``."""
    return list(_ALLOWED_NEXT.get(status, ()))


def can_move(old: str, new: str) -> bool:
    """Whether a ticket may move from ``old`` to ``new`` (staying put is not a move)."""
    return new in STATUS_TRANSITIONS.get(old, frozenset())


def status_options(current: str) -> list[tuple[str, str]]:
    """The ``(value, label)`` pairs a status control offers: the current status, then the
    allowed moves; going back to open from resolved or closed reads "Reopen"."""
    options = []
    for value, label in TicketStatus.choices:
        if value == current:
            options.append((value, label))
        elif can_move(current, value):
            reopen = value == TicketStatus.OPEN and current in REOPENABLE_STATUSES
            options.append((value, gettext("Reopen") if reopen else label))
    return options


def move_refusal(old: str, new: str) -> str:
    """Why a ticket cannot move from ``old`` to ``new``, naming both statuses."""
    message = gettext("A ticket cannot move from “%(old)s” to “%(new)s”.") % {
        "old": TicketStatus(old).label,
        "new": TicketStatus(new).label if new in TicketStatus.values else new,
    }
    if old in REOPENABLE_STATUSES and can_move(old, TicketStatus.OPEN):
        message = f"{message} {gettext('Reopen it first.')}"
    return message


class Priority(models.TextChoices):
    P1 = "P1", _("P1 · Critical")
    P2 = "P2", _("P2 · High")
    P3 = "P3", _("P3 · Normal")
    P4 = "P4", _("P4 · Low")


class Source(models.TextChoices):
    PORTAL = "portal", _("Portal")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    MONITORING = "monitoring", _("Monitoring")
    TECHNICIAN = "technician", _("Technician")


class SlaState(models.TextChoices):
    NONE = "none", _("No SLA")
    OK = "ok", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
