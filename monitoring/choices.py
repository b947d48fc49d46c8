"""The fixed lists of monitoring: severities, message statuses, alert states, formats."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class MessageStatus(models.TextChoices):
    """What a message says about its check: a problem, or that the check is fine again."""

    PROBLEM = "problem", _("Problem")
    OK = "ok", _("OK")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class AlertOrigin(models.TextChoices):
    """Who raised the alert: a tool through an ingest key, or the PSA's own sweeps."""

    AGENT = "agent", _("Agent (native format)")
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")
    WEBHOOK = "webhook", _("Webhook")
    SWEEP = "sweep", _("Proactive check")


class KeyFormat(models.TextChoices):
    """The payload an ingest key's tool sends; every key also accepts the native format."""

    NATIVE = "native", _("Native (this PSA's format)")
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager webhook")
    WEBHOOK = "webhook", _("Generic JSON webhook (field mapping)")


class UnknownState(models.TextChoices):
    PENDING = "pending", _("To review")
    LINKED = "linked", _("Asset created or linked")
    DISCARDED = "discarded", _("Discarded")


# Check names the sweeps raise, and the well-known ones RMM tools send (free-form otherwise).
OFFLINE = "offline"
WARRANTY = "warranty"
PATCH_MISSING = "patch_missing"
DISK_USAGE = "disk_usage"
CPU = "cpu"
BACKUP_FAILED = "backup_failed"
ANTIVIRUS = "antivirus"
