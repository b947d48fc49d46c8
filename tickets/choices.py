from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting_on_client", _("Waiting on client")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING)


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
