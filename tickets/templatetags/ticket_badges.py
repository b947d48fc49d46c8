"""Status and SLA badges of a ticket: one lookup each instead of an if/elif chain per row;
the options of its status control."""

from django import template
from django.utils.safestring import mark_safe

from msp.forms.widgets import options_html
from msp.templatetags.ui import badge
from tickets.choices import SlaState, TicketStatus, status_options

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


@register.simple_tag
def status_move_options(status):
    """``<option>`` tags of a ticket's status control: its status (selected), then only the
    moves the map allows from it (tickets.choices.STATUS_TRANSITIONS)."""
    return mark_safe(options_html(status_options(status), {str(status)}))  # noqa: S308 - escaped there
