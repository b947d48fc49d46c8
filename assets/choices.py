from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetKind(models.TextChoices):
    SERVER = "server", _("Server")
    DESKTOP = "desktop", _("Desktop")
    LAPTOP = "laptop", _("Laptop")
    NETWORK = "network", _("Network device")
    PRINTER = "printer", _("Printer")
    OTHER = "other", _("Other")


class PatchStatus(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    UP_TO_DATE = "up_to_date", _("Up to date")
    MISSING = "missing", _("Patches missing")
    FAILED = "failed", _("Patching failed")


class WarrantyWindow(models.TextChoices):
    """The list's warranty filter: already expired, or expiring within N days."""

    EXPIRED = "expired", _("Expired")
    DAYS_30 = "30", _("Expiring within 30 days")
    DAYS_60 = "60", _("Expiring within 60 days")
    DAYS_90 = "90", _("Expiring within 90 days")


class ImportOutcome(models.TextChoices):
    """What a CSV import did with one row."""

    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    UNCHANGED = "unchanged", _("Unchanged")
    REJECTED = "rejected", _("Rejected")
