"""Ingest keys, alerts, heartbeats and the review list of unknown machines.

A monitoring tool posts messages with an ingest key (one tenant, optionally one client). A
problem for (asset, check) opens one alert and one ticket; repeats while it is open count on
the same alert; a recovery resolves it and notes it on the ticket, which stays for a
technician to close with the time spent. Heartbeats keep an asset's last seen, OS and patch
state, and one row per asset and day of history. The sweeps (``monitoring.sweeps``) raise
the alerts nobody sends: a silent asset, a warranty running out, patches missing too long.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from monitoring.choices import (
    AlertOrigin,
    AlertStatus,
    KeyFormat,
    MessageStatus,
    Severity,
    UnknownState,
)
from msp.scoping import TenantOwnedModel

KEY_PREFIX = "mk_"


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class IngestKey(TenantOwnedModel):
    """A monitoring tool's credential. Only its digest is stored: the key is shown once."""

    CHOICE_LABEL = "name"

    name = models.CharField(_("name"), max_length=100, help_text=_("Which tool or site sends with it."))
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    format = models.CharField(
        _("format"),
        max_length=20,
        choices=KeyFormat.choices,
        default=KeyFormat.NATIVE,
        help_text=_("What the tool sends. The native format is always accepted as well."),
    )
    client = models.ForeignKey(
        "msp.Client",
        verbose_name=_("only for client"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("A key for one client's agents touches only that client's assets."),
    )
    create_assets = models.BooleanField(
        _("create unknown assets"),
        default=False,
        help_text=_("Needs a client: a machine it does not know becomes one of the client's assets."),
    )
    asset_label = models.CharField(
        _("asset label"),
        max_length=100,
        default="instance",
        help_text=_("Alertmanager: the label naming the machine (instance, host, hostname...)."),
    )
    field_map = models.JSONField(
        _("field mapping"),
        default=dict,
        blank=True,
        help_text=_("Generic webhook: where each field is in the tool's JSON, as dotted paths."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("ingest key")
        verbose_name_plural = _("ingest keys")

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def new_secret() -> tuple[str, str, str]:
        """A fresh key, its display prefix and its digest."""
        key = KEY_PREFIX + secrets.token_urlsafe(30)
        return key, key[:10], key_digest(key)


class MonitoringSettings(TenantOwnedModel):
    """How a tenant's sweeps judge its assets: one row per tenant (defaults until saved)."""

    offline_after_minutes = models.PositiveIntegerField(
        _("offline after (minutes)"),
        default=30,
        help_text=_("A monitored asset with no heartbeat for this long raises an offline alert."),
    )
    patch_age_days = models.PositiveIntegerField(
        _("missing patches alert after (days)"),
        default=30,
        help_text=_("An asset missing patches and not patched for this long raises an alert."),
    )

    class Meta:
        verbose_name = _("monitoring settings")
        verbose_name_plural = _("monitoring settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="%(app_label)s_%(class)s_one_per_tenant")
        ]


class Alert(TenantOwnedModel):
    """One problem of one asset's check, from the first message to its recovery."""

    CLIENT_PATH = "client"

    client = models.ForeignKey(
        "msp.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="alerts"
    )
    asset = models.ForeignKey(
        "assets.Asset", verbose_name=_("asset"), on_delete=models.CASCADE, related_name="alerts"
    )
    check_name = models.CharField(_("check"), max_length=64)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    origin = models.CharField(
        _("origin"), max_length=20, choices=AlertOrigin.choices, default=AlertOrigin.AGENT
    )
    value = models.CharField(_("value"), max_length=100, blank=True)
    message = models.TextField(_("message"), blank=True)
    count = models.PositiveIntegerField(_("occurrences"), default=1)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
    )
    key = models.ForeignKey(
        IngestKey,
        verbose_name=_("ingest key"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What the sender calls this alert (Alertmanager's fingerprint), and for the sweeps the
    # crossing it stands for ("2027-03-01:30" = 30 days before that warranty end): a sweep
    # raises a crossing once, whatever became of the alert since.
    external_id = models.CharField(max_length=100, blank=True)
    marker = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            # The board and the API's list: open alerts, most recent first.
            models.Index(
                fields=["tenant", "status", "-last_seen_at", "-id"], name="alert_tenant_status_seen"
            ),
            models.Index(fields=["tenant", "-last_seen_at", "-id"], name="alert_tenant_seen"),
            models.Index(fields=["tenant", "first_seen_at", "id"], name="alert_tenant_first_seen"),
            models.Index(fields=["tenant", "asset", "check_name", "marker"], name="alert_asset_check_marker"),
            models.Index(fields=["tenant", "client", "status"], name="alert_tenant_client_status"),
        ]
        constraints = [
            # Deduplication is a database fact: one open alert per asset and check.
            models.UniqueConstraint(
                fields=["tenant", "asset", "check_name"],
                condition=Q(status=AlertStatus.OPEN),
                name="monitoring_alert_one_open_per_check",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.check_name} · {self.asset_id}"

    def get_absolute_url(self) -> str:
        return reverse("monitoring:alert", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == AlertStatus.OPEN


class HeartbeatDay(TenantOwnedModel):
    """An asset's heartbeats of one day: when it was first and last heard (the history)."""

    CLIENT_PATH = "asset__client"

    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="heartbeat_days")
    day = models.DateField(_("day"))
    first_at = models.DateTimeField(_("first heartbeat"))
    last_at = models.DateTimeField(_("last heartbeat"))

    class Meta:
        ordering = ["-day"]
        verbose_name = _("heartbeat day")
        verbose_name_plural = _("heartbeat days")
        constraints = [
            models.UniqueConstraint(fields=["asset", "day"], name="monitoring_heartbeatday_one_per_day")
        ]


class UnknownSource(TenantOwnedModel):
    """A machine a tool reports that the tenant does not know: kept for review, never lost."""

    hostname = models.CharField(_("hostname"), max_length=255, blank=True)
    serial = models.CharField(_("serial number"), max_length=100, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=UnknownState.choices, default=UnknownState.PENDING
    )
    key = models.ForeignKey(
        IngestKey,
        verbose_name=_("ingest key"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    messages = models.PositiveIntegerField(_("messages"), default=0)
    last_check = models.CharField(_("last check"), max_length=64, blank=True)
    last_severity = models.CharField(_("last severity"), max_length=10, blank=True)
    last_status = models.CharField(_("last status"), max_length=10, choices=MessageStatus.choices, blank=True)
    last_message = models.TextField(_("last message"), blank=True)
    last_payload = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    asset = models.ForeignKey(
        "assets.Asset",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asset"),
    )

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        verbose_name = _("unknown machine")
        verbose_name_plural = _("unknown machines")
        indexes = [
            models.Index(fields=["tenant", "state", "-last_seen_at"], name="unknown_tenant_state_seen")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "hostname", "serial"],
                condition=Q(state=UnknownState.PENDING),
                name="monitoring_unknown_one_pending",
            )
        ]

    def __str__(self) -> str:
        return self.hostname or self.serial
