from django.db import models
from django.utils.translation import gettext_lazy as _


class Feature(models.TextChoices):
    """What a service tier may include: the fixed list of SPEC.md."""

    ASSET_MANAGEMENT = "asset_management", _("Asset management")
    MONITORING = "monitoring", _("Monitoring")
    PATCH_MANAGEMENT = "patch_management", _("Patch management")
    ALL_INCLUSIVE_SUPPORT = "all_inclusive_support", _("All-inclusive support")
    PRINTER_SUPPORT = "printer_support", _("Printer support")
    WARRANTY_MANAGEMENT = "warranty_management", _("Warranty management")
    MONTHLY_REPORT = "monthly_report", _("Monthly report")
    REVIEW_MEETING = "review_meeting", _("Review meeting")
    AFTER_HOURS_SUPPORT = "after_hours_support", _("After-hours support")


class ServiceUnit(models.TextChoices):
    PER_DEVICE = "per_device", _("per device")
    FLAT = "flat", _("flat")


class ContractKind(models.TextChoices):
    MANAGED = "managed", _("Managed service")
    PREPAID_HOURS = "prepaid_hours", _("Prepaid hours")
    BREAK_FIX = "break_fix", _("Break/fix")


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
