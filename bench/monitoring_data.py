"""Monitoring data of a benchmark tenant (issue 11): its ingest key, the agents' heartbeats, a
year of alerts, and machines waiting for review.

What a fleet under an RMM looks like after a year, at the generator's scales (main tenant at
scale 1: 10,000 assets, of which ~6,000 monitored):

- every monitored asset reported within the last 25 minutes before the data set's anchor
  (today's UTC midnight), with its OS and patching (one in five missing patches since its
  last monthly patching), and one ``HeartbeatDay`` per day for the last ``HEARTBEAT_DAYS``
  days; an asset without an agent has no known patch status;
- the alerts hang off the tickets the generator already made with source ``monitoring`` and
  an asset, opened within the last year (~7,000 at scale 1): one to four alerts per ticket
  (a check that came back while its ticket was still being worked on is the same ticket, as
  in ``monitoring.services.ingest``), each of the asset's kind (no backup check on a printer),
  with a check and severity whose priority is the ticket's (``monitoring.priorities``);
- on the newest open ones, one per asset, up to ``OPEN_ALERT_SHARE`` of the assets
  (800 at scale 1), the last alert is still open; the asset then says what the alert says
  (an offline one has been silent since, a patch alert misses patches, a warranty alert's
  warranty ends 30, 60 or 90 days after it was raised);
- ``UNKNOWN_SHARE`` of the assets as pending unknown machines (Windows default names).

The alerts of the sweeps' checks carry the sweeps' severities and markers
(``monitoring.sweeps``), so a sweep at the anchor raises no offline or patch alert again and
resolves none; it does raise the warranty crossings due then (the warranties are the
generator's, and no ticket is invented for them).

Its random stream is its own (seed, tenant index, "monitoring"): the rest of the data set is
row for row what it was before monitoring existed, but for the assets' agent-reported fields
(last seen, OS, patches: random before, for every asset). No ticket is added or changed, so
the ticket counts (and every earlier figure of BENCHMARKS.md) stay comparable.

Once generated the data set stands still while the clock moves on; so that the pages show a
fleet reporting, not one gone silent since the anchor, ``catch_up`` (called by the runner's
fixtures) moves the main tenant's reporting machines and their open alerts to the present.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

HEARTBEAT_DAYS = 30  # the asset page's history (monitoring.selectors.HEARTBEAT_DAYS)
ALERT_DAYS = 365
OPEN_ALERT_SHARE = 0.08  # open alerts per asset
UNKNOWN_SHARE = 0.005  # pending unknown machines per asset
FLAPS = (1, 1, 1, 2, 2, 3, 4)  # alerts per ticket
REPORT_EVERY = 300  # seconds between an agent's reports (repeats and heartbeats)

SERVERS = {"server"}
COMPUTERS = {"server", "desktop", "laptop"}
EVERY_KIND = {"server", "desktop", "laptop", "network", "printer", "other"}
# check -> (weight, the kinds it applies to)
CHECKS = {
    "disk_usage": (25, COMPUTERS),
    "cpu": (15, COMPUTERS | {"network"}),
    "offline": (15, EVERY_KIND),
    "backup_failed": (12, SERVERS),
    "antivirus": (8, COMPUTERS),
    "patch_missing": (12, COMPUTERS),
    "warranty": (13, EVERY_KIND),
}
SWEEP_CHECKS = {"offline", "warranty", "patch_missing"}  # raised by the PSA's own sweeps
SEVERITY_WEIGHTS = {"info": 3, "warning": 5, "critical": 3}


def severities(check: str, kind: str) -> tuple[str, ...]:
    """The severities a check is raised with: the sweeps' own rules (``monitoring.sweeps``)
    for theirs, any for the agents'."""
    if check == "offline":  # a silent server or switch stops an office; a desktop is often off
        return ("critical",) if kind in {"server", "network"} else ("info",)
    if check == "patch_missing":
        return ("warning",)
    if check == "warranty":
        return ("info", "warning")  # 90 days before the end; 60 or 30
    return tuple(SEVERITY_WEIGHTS)


OS_BY_KIND = {
    "server": ["Windows Server 2022", "Windows Server 2019", "Ubuntu 22.04 LTS", "Debian 12"],
    "desktop": ["Windows 11 Pro", "Windows 10 Pro", "Windows 11 Pro", "macOS 14"],
    "laptop": ["Windows 11 Pro", "Windows 10 Pro", "macOS 14", "macOS 15"],
    "network": ["RouterOS 7.14", "Cisco IOS 15.2", "FortiOS 7.4"],
    "printer": ["HP FutureSmart 5", "Kyocera firmware 2.1"],
    "other": ["Linux 6.1"],
}
BACKUP_ERRORS = ["VSS snapshot failed", "Target share unreachable", "Job timed out after 6 h"]
THREATS = ["Trojan:Win32/Wacatac", "PUA:Win32/Presenoker", "Ransom:Win32/Lockbit"]
NAME_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def heartbeat_fields(assets: list, rng: random.Random, anchor: datetime) -> None:
    """What the agents of the monitored assets last said, set before the assets are inserted:
    heard within the last 25 minutes, their OS, one in five missing patches since the last
    monthly patching (within the 30 days the patch sweep allows). An asset without an agent
    has no patch status anyone knows (the generator's random one before issue 11)."""
    for asset in assets:
        if not asset.monitored:
            asset.missing_patches, asset.patch_status = 0, "unknown"
            continue
        asset.operating_system = rng.choice(OS_BY_KIND[asset.kind])
        asset.last_seen = anchor - timedelta(seconds=rng.randrange(0, 25 * 60))
        asset.missing_patches = rng.randrange(1, 12) if rng.random() < 0.2 else 0
        asset.patch_status = "missing" if asset.missing_patches else "up_to_date"
        asset.last_patched = anchor - timedelta(days=rng.randrange(1, 29), hours=rng.randrange(24))


def _pairs_by_priority() -> dict[tuple[str, str], list[tuple[str, str, int]]]:
    """(asset kind, priority) -> the (check, severity, weight) that give that priority."""
    from monitoring.priorities import alert_priority

    table: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    for kind in EVERY_KIND:
        for check, (weight, kinds) in CHECKS.items():
            if kind not in kinds:
                continue
            for severity in severities(check, kind):
                s_weight = SEVERITY_WEIGHTS[severity]
                priority = alert_priority(check=check, severity=severity, asset_kind=kind)
                table.setdefault((kind, priority), []).append((check, severity, weight * s_weight))
                table.setdefault((kind, "*"), []).append((check, severity, weight * s_weight))
    return table


def _pick(table, kind: str, priority: str, rng: random.Random) -> tuple[str, str]:
    options = table.get((kind, priority)) or table[(kind, "*")]
    check, severity, _weight = rng.choices(options, weights=[w for _c, _s, w in options])[0]
    return check, severity


def _details(check: str, asset, rng: random.Random, first_seen: datetime, severity: str) -> dict:
    """Value, message and, for the sweeps' checks, the crossing's marker, as the sender writes
    them (the sweeps' markers, so a real sweep over this data re-raises none of them)."""
    from monitoring.sweeps import instant_marker, warranty_marker

    if check == "disk_usage":
        used = rng.randrange(85, 100)
        return {"value": f"{used}%", "message": f"{rng.choice('CDE')}: is {used}% full"}
    if check == "cpu":
        return {"value": f"{rng.randrange(90, 101)}%", "message": "CPU above 90% for 15 minutes"}
    if check == "backup_failed":
        return {"value": "", "message": f"Nightly backup failed: {rng.choice(BACKUP_ERRORS)}"}
    if check == "antivirus":
        return {"value": "", "message": f"Threat quarantined: {rng.choice(THREATS)}"}
    if check == "offline":
        silent = first_seen - timedelta(minutes=rng.randrange(30, 45))
        return {
            "value": f"{int((first_seen - silent).total_seconds() // 60)} min",
            "message": f"No heartbeat since {silent:%Y-%m-%d %H:%M} UTC.",
            "marker": instant_marker(silent),
            "silent": silent,
        }
    if check == "patch_missing":
        missing = asset.missing_patches or rng.randrange(1, 12)
        patched = first_seen - timedelta(days=rng.randrange(31, 90), minutes=rng.randrange(24 * 60))
        return {
            "value": str(missing),
            "message": f"{missing} patches missing; last patched on {patched:%Y-%m-%d}.",
            "marker": instant_marker(patched),
            "patched": patched,
        }
    days = 90 if severity == "info" else rng.choice([60, 30])
    ends = first_seen.date() + timedelta(days=days)
    return {
        "value": ends.isoformat(),
        "message": f"The warranty ends on {ends.isoformat()}: {days} days left.",
        "marker": warranty_marker(ends, days),
        "ends": ends,
    }


def generate(*, tenant, assets: list, tickets: list, owner, rng: random.Random, anchor: datetime) -> dict:
    """Insert the tenant's monitoring rows; the assets and tickets are the generator's
    (inserted, pks set). Returns the counts."""
    from bench.generate import BATCH, bulk
    from monitoring.choices import AlertOrigin, AlertStatus, UnknownState
    from monitoring.models import Alert, HeartbeatDay, UnknownSource
    from monitoring.services.keys import ingest_key_create
    from msp.scoping import tenant_scope
    from tickets.choices import OPEN_STATUSES, Source

    with tenant_scope(tenant):
        key, _secret = ingest_key_create(tenant=tenant, name="RMM agents", created_by=owner)
    table = _pairs_by_priority()
    since = anchor - timedelta(days=ALERT_DAYS)
    hosting = [t for t in tickets if t.source == Source.MONITORING and t.asset_id and t.created_at >= since]
    # The newest open ones, one per asset, keep their last alert open.
    want_open = round(len(assets) * OPEN_ALERT_SHARE)
    open_on, open_assets = set(), set()
    for ticket in sorted(hosting, key=lambda t: t.created_at, reverse=True):
        if len(open_on) >= want_open:
            break
        if ticket.status in OPEN_STATUSES and ticket.asset_id not in open_assets:
            open_on.add(ticket.pk)
            open_assets.add(ticket.asset_id)

    alerts, touched = [], {}
    for ticket in hosting:
        asset = ticket.asset
        check, severity = _pick(table, asset.kind, ticket.priority, rng)
        sweep = check in SWEEP_CHECKS
        origin = (
            AlertOrigin.SWEEP
            if sweep
            else (AlertOrigin.ALERTMANAGER if rng.random() < 0.15 else AlertOrigin.AGENT)
        )
        keeps_open = ticket.pk in open_on
        start = ticket.created_at - timedelta(seconds=rng.randrange(5, 300))
        end = min(ticket.resolved_at or anchor, anchor)
        flaps = rng.choice(FLAPS)
        segment = max((end - start) / flaps, timedelta(minutes=10))
        for n in range(flaps):
            first = start + segment * n
            last_one = n == flaps - 1
            details = _details(check, asset, rng, first, severity)
            if last_one and keeps_open:
                status, resolved = AlertStatus.OPEN, None
                seen = first if sweep else anchor - timedelta(seconds=rng.randrange(10, REPORT_EVERY))
            else:
                status = AlertStatus.RESOLVED
                resolved = first + segment * rng.uniform(0.1, 0.7)
                seen = first if sweep else max(first, resolved - timedelta(seconds=rng.randrange(10, 200)))
            alerts.append(
                Alert(
                    tenant=tenant,
                    client_id=ticket.client_id,
                    asset=asset,
                    check_name=check,
                    severity=severity,
                    status=status,
                    origin=origin,
                    value=details["value"],
                    message=details["message"],
                    count=min(1 + int((seen - first).total_seconds() // REPORT_EVERY), 50_000),
                    first_seen_at=first,
                    last_seen_at=seen,
                    resolved_at=resolved,
                    ticket=ticket,
                    key=None if sweep else key,
                    external_id=f"{rng.getrandbits(64):016x}" if origin == AlertOrigin.ALERTMANAGER else "",
                    marker=details.get("marker", ""),
                )
            )
            if status == AlertStatus.OPEN:
                _agree(asset, check, first, details, rng, anchor)
                touched[asset.pk] = asset
    bulk(Alert, alerts, "alerts", quiet=True)
    if touched:
        from assets.models import Asset

        fields = [
            "monitored",
            "last_seen",
            "operating_system",
            "missing_patches",
            "patch_status",
            "last_patched",
            "warranty_expires",
        ]
        with tenant_scope(tenant):
            Asset.objects.bulk_update(list(touched.values()), fields, batch_size=BATCH)

    days = _heartbeat_days(tenant, assets, rng)
    bulk(HeartbeatDay, days, "heartbeat days", quiet=True)

    unknown, names = [], set()
    for _n in range(max(1, round(len(assets) * UNKNOWN_SHARE))):
        name = "DESKTOP-" + "".join(rng.choice(NAME_CHARS) for _ in range(7))
        if name in names:
            continue
        names.add(name)
        last = anchor - timedelta(minutes=rng.randrange(5, 30 * 24 * 60))
        heartbeat = rng.random() < 0.7
        unknown.append(
            UnknownSource(
                tenant=tenant,
                hostname=name,
                state=UnknownState.PENDING,
                key=key,
                messages=rng.randrange(1, 400),
                last_check="heartbeat" if heartbeat else "disk_usage",
                last_severity="" if heartbeat else "warning",
                last_status="" if heartbeat else "problem",
                last_message="" if heartbeat else "C: is 88% full",
                last_payload={"type": "heartbeat", "hostname": name} if heartbeat else {"hostname": name},
                first_seen_at=last - timedelta(days=rng.randrange(0, 20)),
                last_seen_at=last,
            )
        )
    bulk(UnknownSource, unknown, "unknown", quiet=True)
    states = Counter(a.status for a in alerts)
    return {
        "alerts": len(alerts),
        "open_alerts": states[AlertStatus.OPEN],
        "heartbeat_days": len(days),
        "unknown_sources": len(unknown),
    }


def _agree(
    asset, check: str, first_seen: datetime, details: dict, rng: random.Random, anchor: datetime
) -> None:
    """The asset of an open alert says the same: an agent runs on it (a warranty needs none),
    it is silent since its offline alert, it misses the patches its alert counts, its
    warranty ends as announced."""
    if check != "warranty" and (not asset.monitored or asset.last_seen is None):
        asset.monitored = True
        asset.operating_system = rng.choice(OS_BY_KIND[asset.kind])
        asset.last_seen = anchor - timedelta(seconds=rng.randrange(0, 25 * 60))
        asset.last_patched = anchor - timedelta(days=rng.randrange(1, 29))
        asset.patch_status = "missing" if asset.missing_patches else "up_to_date"
    if check == "offline":
        asset.last_seen = details["silent"]
    elif check == "patch_missing":
        asset.missing_patches = int(details["value"])
        asset.patch_status = "missing"
        asset.last_patched = details["patched"]
    elif check == "warranty":
        asset.warranty_expires = details["ends"]


def _heartbeat_days(tenant, assets: list, rng: random.Random) -> list:
    """One row per monitored asset and day, from HEARTBEAT_DAYS ago (or the asset's creation)
    to its last heartbeat; an agent reports every five minutes at its own phase."""
    from monitoring.models import HeartbeatDay

    zone = ZoneInfo(tenant.timezone)
    rows = []
    for asset in assets:
        if not asset.monitored or asset.last_seen is None:
            continue
        phase = timedelta(seconds=rng.randrange(REPORT_EVERY))
        last_day = asset.last_seen.astimezone(zone).date()
        first_day = max(
            last_day - timedelta(days=HEARTBEAT_DAYS - 1), asset.created_at.astimezone(zone).date()
        )
        day = first_day
        while day <= last_day:
            midnight = datetime.combine(day, time(), tzinfo=zone)
            first_at = min(midnight + phase, asset.last_seen)
            if day == last_day:
                last_at = asset.last_seen
            else:
                last_at = midnight + timedelta(days=1) - timedelta(seconds=REPORT_EVERY) + phase
            rows.append(HeartbeatDay(tenant=tenant, asset=asset, day=day, first_at=first_at, last_at=last_at))
            day += timedelta(days=1)
    return rows


def catch_up(tenant, *, now: datetime | None = None) -> dict:
    """The fleet kept reporting since the data set was generated: move the last heartbeat of
    every monitored machine of ``tenant`` that is not silent (no open offline alert) forward
    by the time since the freshest one, its agent's open alerts' last sight with it, and
    write its heartbeat days up to today. Silent machines stay silent (their offline alerts
    name when they went quiet). Nothing moves when the freshest heartbeat is recent, so a run
    shortly after another changes nothing; the counts and their spread never change."""
    from django.db.models import F, Max
    from django.utils import timezone

    from assets.models import Asset
    from monitoring.choices import OFFLINE, AlertOrigin, AlertStatus
    from monitoring.models import Alert, HeartbeatDay
    from msp.scoping import tenant_scope

    now = now or timezone.now()
    zone = ZoneInfo(tenant.timezone)
    with tenant_scope(tenant):
        silent = Alert.objects.filter(status=AlertStatus.OPEN, check_name=OFFLINE).values("asset_id")
        reporting = Asset.objects.filter(monitored=True, last_seen__isnull=False).exclude(pk__in=silent)
        freshest = reporting.aggregate(top=Max("last_seen"))["top"]
        if freshest is None or now - freshest < timedelta(minutes=REPORT_EVERY // 60):
            return {"shift_minutes": 0, "machines": 0, "days": 0}
        shift = now - freshest
        moved = reporting.update(last_seen=F("last_seen") + shift)
        Alert.objects.filter(status=AlertStatus.OPEN).exclude(origin=AlertOrigin.SWEEP).update(
            last_seen_at=F("last_seen_at") + shift
        )
        last_days = dict(
            HeartbeatDay.objects.filter(asset__in=reporting)
            .values("asset")
            .annotate(day=Max("day"))
            .values_list("asset", "day")
        )
        rows = []
        for asset_id, last_seen in reporting.values_list("pk", "last_seen"):
            last_day = last_seen.astimezone(zone).date()
            day = last_days.get(asset_id, last_day)  # its last day goes on to the end of it
            while day <= last_day:
                midnight = datetime.combine(day, time(), tzinfo=zone)
                end = last_seen if day == last_day else midnight + timedelta(days=1, seconds=-REPORT_EVERY)
                rows.append(
                    HeartbeatDay(tenant=tenant, asset_id=asset_id, day=day, first_at=midnight, last_at=end)
                )
                day += timedelta(days=1)
        HeartbeatDay.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["asset", "day"],
            update_fields=["last_at"],
        )
    return {"shift_minutes": round(shift.total_seconds() / 60), "machines": moved, "days": len(rows)}
