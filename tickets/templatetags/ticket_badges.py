"""Status and SLA badges of a ticket: one lookup each instead of an if/elif chain per row."""

from django import template

from msp.templatetags.ui import badge
from tickets.choices import SlaState, TicketStatus

register = template.Library()

STATUS_TONES = {
    TicketStatus.NEW: "",
    TicketStatus.OPEN: "info",
    TicketStatus.WAITING: "warning",
    TicketStatus.RESOLVED: "success",
}
SLA_TONES = {
    SlaState.BREACHED: "danger",
    SlaState.AT_RISK: "warning",
    SlaState.MET: "success",
    SlaState.OK: "info",
}


@register.simple_tag
def status_badge(ticket):
    return badge(ticket.get_status_display(), STATUS_TONES.get(ticket.status, "muted"))


@register.simple_tag
def sla_badge(ticket):
    return badge(ticket.get_sla_state_display(), SLA_TONES.get(ticket.sla_state, "muted"))
