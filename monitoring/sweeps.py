"""The proactive checks nobody sends: an asset gone silent, a warranty running out, patches
missing for too long.

Each check reads its candidates in one query, the crossings already raised are read in one
more, and what is left is filed with the ingestion service in one batch, as origin "sweep":
deduplication, tickets, priorities and recoveries are the agents' code path. A sweep costs the
same few queries whatever the inventory holds; only a new alert costs more (its ticket).

A crossing is raised once however many sweeps see it. Its alert carries a marker naming it
(the last heartbeat before the silence, the warranty's end and threshold, the last patch) and a
crossing with an alert of that marker, open or resolved, is skipped; the next crossing (a new
silence after a heartbeat, a renewed warranty, a patch that ages again) has a new marker and
raises again. A condition gone (an asset no longer monitored, a warranty renewed, an asset
patched since) resolves the sweep's open alert; a heartbeat resolves its own (ingest does).
"""

from __future__ import annotations

import functools
import operator
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assets.models import Asset
from monitoring.choices import (
    OFFLINE,
    PATCH_MISSING,
    WARRANTY,
    AlertOrigin,
    AlertStatus,
    MessageStatus,
    Severity,
)
from monitoring.messages import ALERT, Message
from monitoring.models import Alert, MonitoringSettings
from monitoring.priorities import SHARED
from monitoring.services.ingest import OPENED, RECOVERED, REPEAT, ingest
from msp.models import Tenant
from msp.scoping import scope_of
from msp.selectors import time_zone_for

CHECKS = (OFFLINE, WARRANTY, PATCH_MISSING)
# Days before the end of a warranty at which it is raised, the furthest first.
WARRANTY_THRESHOLDS = (90, 60, 30)
WARRANTY_SEVERITY = {90: Severity.INFO, 60: Severity.WARNING, 30: Severity.WARNING}
WARRANTY_WINDOW = max(WARRANTY_THRESHOLDS)
NEVER = "never"  # the patch marker of an asset never patched (as far as anyone told us)


@dataclass
class SweepResult:
    """Per check: alerts opened, crossings filed onto an alert already open, alerts resolved."""

    opened: Counter = field(default_factory=Counter)
    repeated: Counter = field(default_factory=Counter)
    resolved: Counter = field(default_factory=Counter)

    def __str__(self) -> str:
        raised = ", ".join(f"{check} {self.opened[check]}" for check in CHECKS)
        return f"opened: {raised}; onto open alerts {self.repeated.total()}; resolved {self.resolved.total()}"


@dataclass(frozen=True)
class Limits:
    """What "too long" means for one tenant at one instant."""

    now: datetime
    today: date  # in the tenant's time zone: a warranty ends on the MSP's calendar day
    silent_since: datetime  # a heartbeat older than this: offline
    patched_before: datetime  # a last patch older than this, with patches missing: alert

    @property
    def window_end(self) -> date:
        return self.today + timedelta(days=WARRANTY_WINDOW)


def limits_for(*, tenant: Tenant, now: datetime) -> Limits:
    """The tenant's limits (the model's defaults until it saves its settings)."""
    settings = MonitoringSettings.objects.filter(tenant=tenant).first() or MonitoringSettings()
    zone = time_zone_for(tenant=tenant) or timezone.get_default_timezone()
    return Limits(
        now=now,
        today=timezone.localtime(now, zone).date(),
        silent_since=now - timedelta(minutes=settings.offline_after_minutes),
        patched_before=now - timedelta(days=settings.patch_age_days),
    )


def sweep(*, tenant: Tenant, now: datetime | None = None) -> SweepResult:
    """Raise the tenant's offline, warranty and patch alerts due at `now`, each crossing
    once; resolve the sweep's alerts whose condition is gone. In the tenant's scope, time zone
    and language (the tickets it opens are its technicians' to read)."""
    now = now or timezone.now()
    zone = time_zone_for(tenant=tenant) or timezone.get_default_timezone()
    with scope_of(tenant.pk), timezone.override(zone), translation.override(tenant.language or None):
        limits = limits_for(tenant=tenant, now=now)
        offline = list(
            Asset.objects.filter(offline_q(limits)).order_by("pk").values_list("pk", "kind", "last_seen")
        )
        warranty = list(
            Asset.objects.filter(warranty_q(limits)).order_by("pk").values_list("pk", "warranty_expires")
        )
        patches = list(
            Asset.objects.filter(patch_q(limits))
            .order_by("pk")
            .values_list("pk", "missing_patches", "last_patched")
        )
        known = _raised(
            limits, offline=bool(offline), warranty_ends={end for _pk, end in warranty}, patches=bool(patches)
        )
        messages = _stale(limits)
        messages += _offline_messages(offline, known, limits)
        messages += _warranty_messages(warranty, known, limits)
        messages += _patch_messages(patches, known, limits)
        result = SweepResult()
        if messages:
            outcomes = ingest(tenant=tenant, messages=messages, origin=AlertOrigin.SWEEP, now=now)
            tally = {OPENED: result.opened, REPEAT: result.repeated, RECOVERED: result.resolved}
            for message, outcome in zip(messages, outcomes, strict=True):
                if outcome.result in tally:
                    tally[outcome.result][message.check] += 1
        return result


# --- the candidates, one query each --------------------------------------------------------


def offline_q(limits: Limits, prefix: str = "") -> Q:
    """Monitored assets silent too long. Only those that ever sent a heartbeat: an asset
    marked monitored before its agent is installed is not offline, it is not there yet."""
    return Q(
        **{
            f"{prefix}monitored": True,
            f"{prefix}last_seen__isnull": False,
            f"{prefix}last_seen__lt": limits.silent_since,
        }
    )


def warranty_q(limits: Limits, prefix: str = "") -> Q:
    """Warranties ending within the window, today included; one already ended is not
    raised (its last crossing was raised before it ended, and it would raise daily)."""
    return Q(**{f"{prefix}warranty_expires__range": (limits.today, limits.window_end)})


def patch_q(limits: Limits, prefix: str = "") -> Q:
    """Assets missing patches and not patched for longer than the limit. One never patched
    (as far as its agent or the import told us) counts from when it joined the inventory: the
    asset holds no date of its first missing patch, and created_at is when the MSP took it on
    (a machine imported long ago whose first heartbeat reports missing patches is raised
    at once: none was ever recorded as installed in all that time)."""
    old = Q(**{f"{prefix}last_patched__lt": limits.patched_before}) | Q(
        **{f"{prefix}last_patched__isnull": True, f"{prefix}created_at__lt": limits.patched_before}
    )
    return Q(**{f"{prefix}missing_patches__gt": 0}) & old


# --- the crossings already raised, in one query ----------------------------------------------


@dataclass
class Known:
    raised: set[tuple[int, str, str]] = field(default_factory=set)  # (asset, check, marker)
    # The lowest warranty threshold raised per (asset, warranty end): crossings come in
    # decreasing order, so a lower one raised implies the higher ones were (see _raised).
    warranty: dict[tuple[int, str], int] = field(default_factory=dict)
    # The sweep's open warranty alerts, by asset: their marker (to see a changed end date).
    open_warranty: dict[int, str] = field(default_factory=dict)


def _raised(limits: Limits, *, offline: bool, warranty_ends: set[date], patches: bool) -> Known:
    """The markers of the candidates' alerts that can name a crossing still current.

    Each branch is narrowed so that old history is not read: an alert of the current silence
    (or patch age) was last seen after the heartbeat (or patch) it is about; a warranty alert
    names an end date a candidate has. A repeat writes its marker onto the open alert (ingest), so
    the 60-day crossing filed onto the open 90-day alert leaves "…:60" and no longer "…:90":
    hence the lowest threshold counts, not the exact one."""
    branches = []
    if offline:
        branches.append(
            Q(
                check_name=OFFLINE,
                asset__in=Asset.objects.filter(offline_q(limits)).values("pk"),
                last_seen_at__gte=F("asset__last_seen"),
            )
        )
    if warranty_ends:  # at most the window's 91 days, whatever the number of assets
        markers = sorted(warranty_marker(end, t) for end in warranty_ends for t in WARRANTY_THRESHOLDS)
        branches.append(
            Q(check_name=WARRANTY, asset__in=Asset.objects.filter(warranty_q(limits)).values("pk"))
            & (Q(marker__in=markers) | Q(status=AlertStatus.OPEN, origin=AlertOrigin.SWEEP))
        )
    if patches:
        branches.append(
            Q(check_name=PATCH_MISSING, asset__in=Asset.objects.filter(patch_q(limits)).values("pk"))
            & (
                Q(last_seen_at__gte=F("asset__last_patched"))
                | Q(asset__last_patched__isnull=True, marker=NEVER)
            )
        )
    known = Known()
    if not branches:
        return known
    rows = (
        Alert.objects.filter(functools.reduce(operator.or_, branches))
        .order_by()
        .values_list("asset_id", "check_name", "marker", "status", "origin")
    )
    for asset_id, check, marker, status, origin in rows:
        known.raised.add((asset_id, check, marker))
        if check != WARRANTY:
            continue
        if status == AlertStatus.OPEN and origin == AlertOrigin.SWEEP:
            known.open_warranty[asset_id] = marker
        end, _sep, threshold = marker.rpartition(":")
        if threshold.isdigit():
            level = int(threshold)
            known.warranty[(asset_id, end)] = min(level, known.warranty.get((asset_id, end), level))
    return known


# --- what to file --------------------------------------------------------------------------


def instant_marker(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def warranty_marker(end: date, threshold: int) -> str:
    return f"{end.isoformat()}:{threshold}"


def _problem(asset_id: int, check: str, severity: str, *, value: str, text: str, marker: str, now):
    return Message(
        type=ALERT,
        asset_id=asset_id,
        check=check,
        severity=severity,
        value=value,
        message=text,
        marker=marker,
        occurred_at=now,
    )


def _recovery(asset_id: int, check: str, text: str, now) -> Message:
    return Message(
        type=ALERT, asset_id=asset_id, check=check, status=MessageStatus.OK, message=text, occurred_at=now
    )


def _offline_messages(candidates, known: Known, limits: Limits) -> list[Message]:
    messages = []
    for asset_id, kind, last_seen in candidates:
        marker = instant_marker(last_seen)
        if (asset_id, OFFLINE, marker) in known.raised:
            continue
        minutes = int((limits.now - last_seen).total_seconds() // 60)
        messages.append(
            _problem(
                asset_id,
                OFFLINE,
                # A silent server or switch is an office stopped; a desktop is often just off.
                Severity.CRITICAL if kind in SHARED else Severity.INFO,
                value=f"{minutes} min",
                text=_("No heartbeat since %(time)s.")
                % {"time": date_format(timezone.localtime(last_seen), "DATETIME_FORMAT")},
                marker=marker,
                now=limits.now,
            )
        )
    return messages


def _warranty_messages(candidates, known: Known, limits: Limits) -> list[Message]:
    messages = []
    for asset_id, end in candidates:
        days = (end - limits.today).days
        threshold = min(t for t in WARRANTY_THRESHOLDS if days <= t)
        lowest = known.warranty.get((asset_id, end.isoformat()))
        if lowest is not None and lowest <= threshold:
            continue
        open_marker = known.open_warranty.get(asset_id)
        if open_marker is not None and not open_marker.startswith(f"{end.isoformat()}:"):
            # The open alert is about the end date the asset had before: that warranty was
            # renewed or corrected. Its alert is resolved; this end date's crossing is new.
            messages.append(
                _recovery(asset_id, WARRANTY, _("The warranty's end date was changed."), limits.now)
            )
        text = ngettext(
            "The warranty ends on %(date)s: %(days)d day left.",
            "The warranty ends on %(date)s: %(days)d days left.",
            days,
        ) % {"date": date_format(end, "DATE_FORMAT"), "days": days}
        messages.append(
            _problem(
                asset_id,
                WARRANTY,
                WARRANTY_SEVERITY[threshold],
                value=end.isoformat(),
                text=text,
                marker=warranty_marker(end, threshold),
                now=limits.now,
            )
        )
    return messages


def _patch_messages(candidates, known: Known, limits: Limits) -> list[Message]:
    messages = []
    for asset_id, missing, last_patched in candidates:
        marker = instant_marker(last_patched) if last_patched else NEVER
        if (asset_id, PATCH_MISSING, marker) in known.raised:
            continue
        if last_patched:
            text = ngettext(
                "%(count)d patch missing; last patched on %(date)s.",
                "%(count)d patches missing; last patched on %(date)s.",
                missing,
            ) % {"count": missing, "date": date_format(timezone.localtime(last_patched), "DATE_FORMAT")}
        else:
            text = ngettext(
                "%(count)d patch missing; never patched as far as we know.",
                "%(count)d patches missing; never patched as far as we know.",
                missing,
            ) % {"count": missing}
        messages.append(
            _problem(
                asset_id,
                PATCH_MISSING,
                Severity.WARNING,
                value=str(missing),
                text=text,
                marker=marker,
                now=limits.now,
            )
        )
    return messages


def _stale(limits: Limits) -> list[Message]:
    """Recoveries for the sweep's open alerts whose condition is gone, in one query: an asset
    no longer monitored (or seen since, without a heartbeat's message), a warranty renewed
    beyond the window or cleared, patches installed or a patch since. An ended warranty keeps
    its alert: it is still a problem. Alerts a tool raised are the tool's to resolve."""
    gone = {
        OFFLINE: Q(asset__monitored=False)
        | Q(asset__last_seen__isnull=True)
        | Q(asset__last_seen__gte=limits.silent_since),
        WARRANTY: Q(asset__warranty_expires__isnull=True) | Q(asset__warranty_expires__gt=limits.window_end),
        PATCH_MISSING: Q(asset__missing_patches=0) | Q(asset__last_patched__gte=limits.patched_before),
    }
    why = {
        OFFLINE: _("The asset was seen again or is no longer monitored."),
        WARRANTY: _("The warranty was renewed or its end date removed."),
        PATCH_MISSING: _("The asset was patched or reports no missing patches."),
    }
    rows = (
        Alert.objects.filter(status=AlertStatus.OPEN, origin=AlertOrigin.SWEEP)
        .filter(functools.reduce(operator.or_, (Q(check_name=check) & q for check, q in gone.items())))
        .order_by("pk")
        .values_list("asset_id", "check_name")
    )
    return [_recovery(asset_id, check, why[check], limits.now) for asset_id, check in rows]


# --- which tenants ---------------------------------------------------------------------------


def sweep_tenants() -> list[int]:
    """The tenants whose inventory the sweeps judge (an asset monitored, with a warranty end
    or with patches missing) or with a sweep's alert open (its condition may be gone): read
    across tenants, for the beat's per-tenant dispatch. Semi-joins that stop at a tenant's
    first such row; each tenant's own sweep then applies its limits and its calendar day."""
    judged = Q(monitored=True) | Q(warranty_expires__isnull=False) | Q(missing_patches__gt=0)
    assets = Asset.unscoped.filter(judged, tenant=OuterRef("pk"))
    alerts = Alert.unscoped.filter(status=AlertStatus.OPEN, origin=AlertOrigin.SWEEP, tenant=OuterRef("pk"))
    tenants = Tenant.objects.filter(Exists(assets) | Exists(alerts))
    return list(tenants.order_by("pk").values_list("pk", flat=True))
