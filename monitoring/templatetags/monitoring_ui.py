"""Badges of monitoring's pages: an alert's severity and status, a machine's last severity."""

from django import template

from monitoring.choices import AlertStatus, Severity
from msp.templatetags.ui import badge

register = template.Library()

SEVERITY_TONES = {Severity.CRITICAL: "danger", Severity.WARNING: "warning", Severity.INFO: "info"}
STATUS_TONES = {AlertStatus.OPEN: "danger", AlertStatus.RESOLVED: "success"}


@register.simple_tag
def severity_badge(severity):
    """The badge of a severity value ("critical"...), labelled in the reader's language."""
    if not severity:
        return ""
    label = Severity(severity).label if severity in Severity.values else severity
    return badge(label, SEVERITY_TONES.get(severity, "muted"))


@register.simple_tag
def alert_status_badge(alert):
    return badge(alert.get_status_display(), STATUS_TONES.get(alert.status, "muted"))
