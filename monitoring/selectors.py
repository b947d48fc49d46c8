"""Reads of monitoring's pages: the alerts board, an asset's history, client health, reviews.

Every function runs a fixed number of queries whatever the data size: counts are grouped
or conditional aggregates in the database, lists are joined (``select_related``) and capped
or paginated by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from assets.choices import PatchStatus
from assets.models import Asset
from monitoring.choices import DISK_USAGE, OFFLINE, AlertStatus, Severity, UnknownState
from monitoring.models import Alert, HeartbeatDay, IngestKey, MonitoringSettings, UnknownSource
from monitoring.sweeps import Limits, offline_q, warranty_q
from msp.selectors import time_zone_for

SUMMARY_ROWS = 20  # clients in the board's summary, most critical first
ASSET_RESOLVED_ROWS = 10  # an asset page's recent resolved alerts
ASSET_OPEN_ROWS = 50  # an asset has one open alert per check: this is plenty
HEARTBEAT_DAYS = 30  # an asset page's heartbeat history


def monitoring_settings(tenant) -> MonitoringSettings:
    """The tenant's sweep settings: its saved row, else the defaults (unsaved)."""
    return MonitoringSettings.objects.filter(tenant=tenant).first() or MonitoringSettings(tenant=tenant)


# --- the alerts board ---------------------------------------------------------------------


def alert_list() -> QuerySet[Alert]:
    """Alerts as the board lists them, most recently seen first, with what a row shows."""
    return Alert.objects.select_related("client", "asset", "ticket").order_by("-last_seen_at", "-pk")


def _severity_counts() -> dict:
    return {
        "critical": Count("pk", filter=Q(severity=Severity.CRITICAL)),
        "warning": Count("pk", filter=Q(severity=Severity.WARNING)),
        "info": Count("pk", filter=Q(severity=Severity.INFO)),
        "total": Count("pk"),
    }


def open_alerts_by_client(limit: int = SUMMARY_ROWS) -> list[dict]:
    """One row per client with open alerts: its counts by severity, most critical first."""
    return list(
        Alert.objects.filter(status=AlertStatus.OPEN)
        .values("client_id", "client__name")
        .annotate(**_severity_counts())
        .order_by("-critical", "-warning", "-info", "client__name", "client_id")[:limit]
    )


def open_alert_totals() -> dict:
    """All open alerts by severity (the summary's totals, and its clients beyond the first)."""
    counts = Alert.objects.filter(status=AlertStatus.OPEN).aggregate(
        **_severity_counts(), clients=Count("client_id", distinct=True)
    )
    return {key: value or 0 for key, value in counts.items()}


# --- an asset's history ---------------------------------------------------------------------


@dataclass
class AssetAlerts:
    open: list[Alert]
    resolved: list[Alert]  # the most recent ones
    open_count: int
    resolved_count: int
    occurrences: int  # messages counted on all of its alerts


def asset_alerts(asset: Asset) -> AssetAlerts:
    """The asset's open alerts, then its most recently resolved ones, with counts (3 queries)."""
    alerts = Alert.objects.filter(asset=asset).select_related("ticket")
    open_alerts = list(
        alerts.filter(status=AlertStatus.OPEN).order_by("-last_seen_at", "-pk")[:ASSET_OPEN_ROWS]
    )
    resolved = list(
        alerts.filter(status=AlertStatus.RESOLVED).order_by("-resolved_at", "-pk")[:ASSET_RESOLVED_ROWS]
    )
    counts = Alert.objects.filter(asset=asset).aggregate(
        open=Count("pk", filter=Q(status=AlertStatus.OPEN)),
        resolved=Count("pk", filter=Q(status=AlertStatus.RESOLVED)),
        occurrences=Coalesce(Sum("count"), 0),
    )
    return AssetAlerts(
        open=open_alerts,
        resolved=resolved,
        open_count=counts["open"],
        resolved_count=counts["resolved"],
        occurrences=counts["occurrences"],
    )


@dataclass
class HeartbeatDayRow:
    day: date
    first_at: datetime | None  # None: not heard that day
    last_at: datetime | None

    @property
    def heard(self) -> bool:
        return self.first_at is not None


def heartbeat_history(asset: Asset, *, today: date, days: int = HEARTBEAT_DAYS) -> list[HeartbeatDayRow]:
    """The asset's last `days` days up to `today` (oldest first), heard or not (one query).

    Days are the tenant's (as the ingestion files them); a day with no row is a gap."""
    start = today - timedelta(days=days - 1)
    heard = {
        row.day: row
        for row in HeartbeatDay.objects.filter(asset=asset, day__gte=start, day__lte=today).only(
            "day", "first_at", "last_at"
        )
    }
    rows = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        row = heard.get(day)
        rows.append(HeartbeatDayRow(day, row.first_at if row else None, row.last_at if row else None))
    return rows


# --- client health --------------------------------------------------------------------------


def _open_alert(check: str) -> Exists:
    return Exists(Alert.objects.filter(asset_id=OuterRef("pk"), status=AlertStatus.OPEN, check_name=check))


def health_limits(*, tenant, settings: MonitoringSettings, now: datetime | None = None) -> Limits:
    """The sweeps' limits for `tenant` at `now`: health counts what the sweeps raise (an
    asset silent longer than the tenant allows, a warranty ending within their window),
    "today" being the MSP's day in its time zone."""
    now = now or timezone.now()
    zone = time_zone_for(tenant=tenant) or timezone.get_default_timezone()
    return Limits(
        now=now,
        today=timezone.localtime(now, zone).date(),
        silent_since=now - timedelta(minutes=settings.offline_after_minutes),
        patched_before=now - timedelta(days=settings.patch_age_days),
    )


PROBLEMS = {
    # ?problem= of the per-client page -> the flag it narrows to
    "offline": "is_offline",
    "disk": "is_disk_full",
    "warranty": "is_warranty_ending",
    "patches": "is_missing_patches",
    "critical": "critical",
}
MISSING_PATCHES = Q(patch_status=PatchStatus.MISSING)


def client_health(*, limits: Limits, client_id=None):
    """One row per client with assets, worst first: ``client_id``, ``client__name``,
    ``assets``, ``monitored_count``, ``offline`` (silent too long, or an open ``offline``
    alert), ``disks`` (an open ``disk_usage`` alert), ``warranties`` (ending within the
    sweeps' window), ``patches`` (missing), ``critical`` (open critical alerts).

    One grouped query: the assets joined to their open alerts only (a few per asset at
    most), counted per client; an asset with several open alerts is counted once
    (DISTINCT), its alerts each once. No subquery per asset: at 10,000 assets an EXISTS per
    row costs more than the whole join."""
    assets = Asset.objects.all() if client_id is None else Asset.objects.filter(client_id=client_id)

    def count(condition=None):
        return Count("pk", distinct=True, filter=condition)

    return (
        assets.annotate(open_alert=FilteredRelation("alerts", condition=Q(alerts__status=AlertStatus.OPEN)))
        .values("client_id", "client__name")
        .annotate(
            assets=count(),
            monitored_count=count(Q(monitored=True)),
            offline=count(offline_q(limits) | Q(monitored=True, open_alert__check_name=OFFLINE)),
            disks=count(Q(open_alert__check_name=DISK_USAGE)),
            warranties=count(warranty_q(limits)),
            patches=count(MISSING_PATCHES),
            critical=Count("open_alert__pk", filter=Q(open_alert__severity=Severity.CRITICAL)),
        )
        .order_by("-critical", "-offline", "-disks", "-patches", "-warranties", "client__name", "client_id")
    )


def clients_with_assets_count() -> int:
    """How many rows client_health has (its paginator's count, without the aggregation)."""
    return Asset.objects.values("client_id").distinct().count()


def client_health_assets(*, client_id: int, limits: Limits, problem: str = "") -> QuerySet[Asset]:
    """A client's assets with the same flags (one query a page), worst first; ``problem``
    (a key of PROBLEMS) keeps only the assets that have it."""
    flags = {
        "is_offline": offline_q(limits) | Q(Q(monitored=True) & _open_alert(OFFLINE)),
        "is_disk_full": Q(_open_alert(DISK_USAGE)),
        "is_warranty_ending": warranty_q(limits),
        "is_missing_patches": MISSING_PATCHES,
    }
    open_alerts = (
        Alert.objects.filter(asset_id=OuterRef("pk"), status=AlertStatus.OPEN)
        .order_by()
        .values("asset_id")
        .annotate(n=Count("pk"), critical=Count("pk", filter=Q(severity=Severity.CRITICAL)))
    )

    def flag(condition):
        return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())

    queryset = Asset.objects.filter(client_id=client_id).annotate(
        **{name: flag(condition) for name, condition in flags.items()},
        open_alerts=Coalesce(Subquery(open_alerts.values("n")[:1], output_field=IntegerField()), 0),
        critical=Coalesce(Subquery(open_alerts.values("critical")[:1], output_field=IntegerField()), 0),
    )
    if problem in PROBLEMS:
        name = PROBLEMS[problem]
        queryset = queryset.filter(critical__gt=0) if name == "critical" else queryset.filter(**{name: True})
    return queryset.order_by(
        "-critical",
        "-is_offline",
        "-is_disk_full",
        "-is_missing_patches",
        "-is_warranty_ending",
        "name",
        "pk",
    )


# --- review and setup -----------------------------------------------------------------------


def unknown_pending() -> QuerySet[UnknownSource]:
    """Machines waiting for review, most recently heard first, with the key they came with."""
    return (
        UnknownSource.objects.filter(state=UnknownState.PENDING)
        .select_related("key")
        .order_by("-last_seen_at", "-pk")
    )


def unknown_pending_count() -> int:
    return UnknownSource.objects.filter(state=UnknownState.PENDING).count()


def ingest_key_list() -> QuerySet[IngestKey]:
    """The tenant's keys, active ones first, with the client a key is restricted to."""
    return IngestKey.objects.select_related("client").order_by(
        Case(When(revoked_at__isnull=True, then=Value(0)), default=Value(1)), "name", "pk"
    )
