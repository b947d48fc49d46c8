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
