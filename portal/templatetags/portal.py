"""The portal's template helpers."""

from django import template
from django.utils import timezone

from msp.templatetags.ui import badge
from portal.sla import sla_state_now
from tickets.choices import SlaState
from tickets.templatetags.ticket_badges import SLA_TONES

register = template.Library()


@register.filter
def one_line(text: str) -> str:
    """A multi-line address on one line: "Via Roma 1, 20100 Milano"."""
    return ", ".join(line.strip().rstrip(",") for line in str(text or "").splitlines() if line.strip())


@register.simple_tag
def sla_now_badge(ticket, now=None, only_late: bool = False):
    """The ticket's SLA badge by the clock (portal.sla.sla_state_now); `only_late`: nothing
    unless it is at risk or breached."""
    state = sla_state_now(ticket, now or timezone.now())
    if only_late and state not in (SlaState.AT_RISK, SlaState.BREACHED):
        return ""
    return badge(SlaState(state).label, SLA_TONES.get(state, "muted"))
