"""The monitoring fleet of the ingestion lines (issue 11): what it sends, and the bookkeeping
that leaves the data set as it found it.

A fleet's agents report their own machines: heartbeats, repeats of the alerts still open
(the generated ones, same severity and value: no escalation), now and then a new problem
(which opens an alert and its ticket) and the recovery of the previous one. Each concurrent
client of a line sends its own share of the fleet (every ``FLEET_CLIENTS``-th machine), as
separate agents do, so two requests at once never repeat the same alert.

The messages form one endless stream per client, position by position; a line sends the next
``messages`` of it per request (100: a batch; 1: the single-message form), so every line and
round goes on where the previous one stopped, and a new problem is never sent twice in a run.
Per ``BLOCK`` messages: one new problem, one recovery (of the previous block's problem), and
heartbeats and repeats in turn. Every message names its machine by hostname, as agents do.

The functions run in the probe (``bench.probe``: fixtures, marks, the query check) or build
request bodies in the runner (``batch``), from the plan the fixtures return (plain lists, JSON).
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta

FLEET_CLIENTS = 4  # concurrent clients a line may have; client c sends share c of the fleet
BLOCK = 50  # per block: a new problem, a recovery, then heartbeats and repeats in turn
PLAN_LIMIT = 2000  # machines (and open alerts) in the plan: the fleet cycles through them
FRESH_CHECKS = {  # the checks of new problems, per asset kind (free of any open alert)
    "server": ["disk_usage", "cpu", "backup_failed", "antivirus"],
    "desktop": ["disk_usage", "cpu", "antivirus"],
    "laptop": ["disk_usage", "cpu", "antivirus"],
    "network": ["cpu"],
}
KINDS = ("problem", "recovery", "heartbeat", "repeat")


# --- the plan (fixtures) --------------------------------------------------------------------


def plan(tenant) -> dict:
    """Who sends what: open agent alerts to repeat, machines without an open alert for the
    heartbeats (so no heartbeat recovers anything) and for the new problems."""
    from assets.models import Asset
    from monitoring.choices import AlertOrigin, AlertStatus
    from monitoring.models import Alert
    from msp.scoping import tenant_scope

    with tenant_scope(tenant):
        open_alerts = Alert.objects.filter(status=AlertStatus.OPEN)
        busy = set(open_alerts.values_list("asset_id", flat=True))
        repeats = [
            [a.asset.hostname, a.check_name, a.severity, a.value, a.message, a.pk]
            for a in open_alerts.exclude(origin=AlertOrigin.SWEEP)
            .exclude(asset__hostname="")
            .select_related("asset")
            .order_by("pk")[:PLAN_LIMIT]
        ]
        quiet = [
            a
            for a in Asset.objects.filter(monitored=True)
            .exclude(hostname="")
            .only("pk", "hostname", "kind", "operating_system", "missing_patches")
            .order_by("pk")
            if a.pk not in busy
        ][:PLAN_LIMIT]
    heartbeats = [[a.hostname, a.operating_system, a.missing_patches, a.pk] for a in quiet]
    fresh = [[a.hostname, check] for a in quiet for check in FRESH_CHECKS.get(a.kind, [])]
    return {"repeats": repeats, "heartbeats": heartbeats, "fresh": fresh}


def key_create(tenant) -> tuple[int, str]:
    """The run's own ingest key (its secret is shown once: the generated keys' are gone)."""
    from monitoring.services.keys import ingest_key_create
    from msp.scoping import tenant_scope

    with tenant_scope(tenant):
        key, secret = ingest_key_create(tenant=tenant, name="bench.run")
    return key.pk, secret


def key_delete(tenant_id: int, key_id: int) -> int:
    from monitoring.models import IngestKey
    from msp.scoping import scope_of

    with scope_of(tenant_id):
        return IngestKey.objects.filter(pk=key_id).delete()[0]


# --- the stream -----------------------------------------------------------------------------


def kind_at(fleet: dict, client: int, position: int) -> str:
    block, pos = divmod(position, BLOCK)
    fresh = _share(fleet["fresh"], client)
    if pos == 0 and fresh:
        return "problem"
    if pos == 1 and fresh and block > 0:
        return "recovery"
    if pos % 2 and _share(fleet["repeats"], client):
        return "repeat"
    return "heartbeat"


def message(fleet: dict, client: int, position: int) -> dict:
    """Message ``position`` of client ``client``'s stream, in the native format."""
    kind, block, index = kind_at(fleet, client, position), position // BLOCK, position // 2
    if kind == "problem":
        host, check = _pick(fleet["fresh"], client, block)
        return {"hostname": host, "check": check, "severity": "warning", "value": "91%", "message": "bench"}
    if kind == "recovery":
        host, check = _pick(fleet["fresh"], client, block - 1)
        return {"hostname": host, "check": check, "status": "ok", "message": "bench: back to normal"}
    if kind == "repeat":
        host, check, severity, value, text, _pk = _pick(fleet["repeats"], client, index)
        return {"hostname": host, "check": check, "severity": severity, "value": value, "message": text}
    if not fleet["heartbeats"]:
        raise SystemExit("No monitored asset without an open alert: the ingestion lines need some.")
    host, operating_system, missing, _pk = _pick(fleet["heartbeats"], client, index)
    beat = {"type": "heartbeat", "hostname": host, "missing_patches": missing}
    if operating_system:
        beat["os"] = operating_system
    return beat


def batch(fleet: dict, client: int, start: int, size: int):
    """The request body: ``size`` messages from ``start`` (one message is sent on its own)."""
    messages = [message(fleet, client, position) for position in range(start, start + size)]
    return messages[0] if size == 1 else messages


def steady(fleet: dict, size: int) -> list[dict]:
    """Heartbeats and repeats only (client 0): what most of a fleet's traffic is."""
    positions = (p for p in range(10**9) if kind_at(fleet, 0, p) in {"heartbeat", "repeat"})
    return [message(fleet, 0, next(positions)) for _ in range(size)]


def tally(fleet: dict, sent: dict) -> dict[str, int]:
    """How many messages of each kind the streams sent, ``sent`` = {client: next position}."""
    counts = Counter(
        kind_at(fleet, int(client), position) for client, end in sent.items() for position in range(end)
    )
    return {kind: counts[kind] for kind in KINDS}


def _share(items: list, client: int) -> list:
    return items[client % FLEET_CLIENTS :: FLEET_CLIENTS]


def _pick(items: list, client: int, index: int):
    share = _share(items, client)
    return share[index % len(share)]


# --- bookkeeping: mark before, verify and remove after --------------------------------------


def mark(tenant_id: int, fleet: dict) -> dict:
    """High-water marks and the state the stream changes in place (repeated alerts, heard
    machines, their recent heartbeat days), to restore afterwards."""
    from django.db.models import Max
    from django.utils import timezone

    from assets.models import Asset
    from monitoring.models import Alert, HeartbeatDay, UnknownSource
    from msp.models import Notification, OutboundEmail
    from msp.scoping import scope_of
    from tickets.models import Ticket, TicketComment

    def top(model) -> int:
        return model.objects.aggregate(top=Max("pk"))["top"] or 0

    alert_ids = [row[-1] for row in fleet["repeats"]]
    asset_ids = [row[-1] for row in fleet["heartbeats"]]
    now = timezone.now()
    with scope_of(tenant_id):
        alerts = {
            str(a["pk"]): {**a, "last_seen_at": a["last_seen_at"].isoformat()}
            for a in Alert.objects.filter(pk__in=alert_ids).values("pk", *ALERT_FIELDS)
        }
        assets = {
            str(a["pk"]): {k: v.isoformat() if isinstance(v, datetime) else v for k, v in a.items()}
            for a in Asset.objects.filter(pk__in=asset_ids).values("pk", *ASSET_FIELDS)
        }
        days = {
            str(pk): last_at.isoformat()
            for pk, last_at in HeartbeatDay.objects.filter(
                asset_id__in=asset_ids, day__gte=(now - timedelta(days=2)).date()
            ).values_list("pk", "last_at")
        }
        return {
            "tenant": tenant_id,
            "at": now.isoformat(),
            "alert": top(Alert),
            "ticket": top(Ticket),
            "comment": top(TicketComment),
            "day": top(HeartbeatDay),
            "unknown": top(UnknownSource),
            "email": top(OutboundEmail),
            "notification": top(Notification),
            "alerts": alerts,
            "assets": assets,
            "days": days,
        }


ALERT_FIELDS = ("count", "last_seen_at", "value", "message", "severity", "marker")
ASSET_FIELDS = (
    "last_seen",
    "monitored",
    "operating_system",
    "missing_patches",
    "patch_status",
    "last_patched",
)


def verify(mark: dict) -> dict:
    """What the run's messages did: alerts and tickets opened, recoveries, the repeats counted
    on the open alerts, the machines heard."""
    from django.db.models import Sum

    from assets.models import Asset
    from monitoring.choices import AlertStatus
    from monitoring.models import Alert
    from msp.models import Notification, OutboundEmail
    from msp.scoping import scope_of
    from tickets.models import Ticket

    with scope_of(mark["tenant"]):
        opened = Alert.objects.filter(pk__gt=mark["alert"])
        counted = Alert.objects.filter(pk__in=[int(pk) for pk in mark["alerts"]]).aggregate(n=Sum("count"))[
            "n"
        ]
        before = sum(a["count"] for a in mark["alerts"].values())
        return {
            "opened": opened.count(),
            "with_ticket": opened.filter(ticket__isnull=False).count(),
            "recovered": opened.filter(status=AlertStatus.RESOLVED).count(),
            "tickets": Ticket.objects.filter(pk__gt=mark["ticket"]).count(),
            "urgent": Ticket.objects.filter(pk__gt=mark["ticket"], priority__in=["P1", "P2"]).count(),
            # An urgent monitoring ticket tells every technician, by e-mail too.
            "emails": OutboundEmail.objects.filter(pk__gt=mark["email"]).count(),
            "notifications": Notification.objects.filter(pk__gt=mark["notification"]).count(),
            "repeats_counted": (counted or 0) - before,
            "heard": Asset.objects.filter(
                pk__in=[int(pk) for pk in mark["assets"]], last_seen__gt=datetime.fromisoformat(mark["at"])
            ).count(),
        }


def cleanup(mark: dict) -> dict:
    """Remove what the run added (alerts, their tickets and notes, heartbeat days, the e-mails
    and notifications of urgent tickets: queued, never sent, the run's broker is thrown away)
    and put back what it changed in place, so runs do not grow or drift the data set."""
    from django.db import transaction

    from assets.models import Asset
    from monitoring.models import Alert, HeartbeatDay, UnknownSource
    from msp.models import Notification, OutboundEmail
    from msp.scoping import scope_of
    from tickets.models import Ticket, TicketComment

    with scope_of(mark["tenant"]), transaction.atomic():
        alerts, _ = Alert.objects.filter(pk__gt=mark["alert"]).delete()
        notes = TicketComment.objects.filter(pk__gt=mark["comment"]).count()
        tickets = Ticket.objects.filter(pk__gt=mark["ticket"]).count()
        Ticket.objects.filter(pk__gt=mark["ticket"]).delete()
        TicketComment.objects.filter(pk__gt=mark["comment"]).delete()  # notes on older tickets
        days, _ = HeartbeatDay.objects.filter(pk__gt=mark["day"]).delete()
        unknown, _ = UnknownSource.objects.filter(pk__gt=mark["unknown"]).delete()
        emails, _ = OutboundEmail.objects.filter(pk__gt=mark["email"]).delete()
        notifications, _ = Notification.objects.filter(pk__gt=mark["notification"]).delete()
        restored = Alert.objects.in_bulk([int(pk) for pk in mark["alerts"]])
        for pk, saved in mark["alerts"].items():
            for field, value in saved.items():
                if field != "pk":
                    setattr(restored[int(pk)], field, _value(field, value))
        Alert.objects.bulk_update(restored.values(), ALERT_FIELDS, batch_size=500)
        heard = Asset.objects.in_bulk([int(pk) for pk in mark["assets"]])
        for pk, saved in mark["assets"].items():
            for field, value in saved.items():
                if field != "pk":
                    setattr(heard[int(pk)], field, _value(field, value))
        Asset.objects.bulk_update(heard.values(), ASSET_FIELDS, batch_size=500)
        rows = HeartbeatDay.objects.in_bulk([int(pk) for pk in mark["days"]])
        for pk, last_at in mark["days"].items():
            rows[int(pk)].last_at = datetime.fromisoformat(last_at)
        HeartbeatDay.objects.bulk_update(rows.values(), ["last_at"], batch_size=500)
    return {
        "alerts": alerts,
        "tickets": tickets,
        "notes": notes,
        "days": days,
        "unknown": unknown,
        "emails": emails,
        "notifications": notifications,
    }


def _value(field: str, value):
    if field in {"last_seen_at", "last_seen", "last_patched"} and value is not None:
        return datetime.fromisoformat(value)
    return value


# --- queries per batch: constant, whatever its size -----------------------------------------


def queries_once(fleet: dict, key: str, sizes: tuple[int, ...] = (10, 100)) -> dict:
    """A batch of 10 and one of 100 heartbeats and repeats through the API in-process (test
    Client, the run's key), in a transaction rolled back; the queries of each, the time of
    the largest. The counts must be equal: a fleet's steady traffic costs per batch."""
    import json

    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    agent = Client(HTTP_HOST="127.0.0.1", HTTP_X_INGEST_KEY=key)
    url = "/api/v1/monitoring/alerts/"
    counts, ms = {}, 0.0
    with transaction.atomic():
        # Warm-up: imports, and the key's last-used time (written at most every 5 minutes).
        agent.post(url, data=json.dumps(steady(fleet, sizes[0])), content_type="application/json")
        for size in sizes:
            body = json.dumps(steady(fleet, size))
            with CaptureQueriesContext(connection) as ctx:
                began = time.perf_counter()
                response = agent.post(url, data=body, content_type="application/json")
                ms = (time.perf_counter() - began) * 1000
            if response.status_code != 200:
                raise SystemExit(
                    f"ingestion in-process: HTTP {response.status_code} {response.content[:300]!r}"
                )
            results = Counter(r["result"] for r in response.json()["results"])
            counts[size] = {"queries": len(ctx), "results": dict(results)}
        transaction.set_rollback(True)
    small, large = sizes[0], sizes[-1]
    return {
        "ms": ms,
        "queries": counts[large]["queries"],
        "queries_small": counts[small]["queries"],
        "sizes": list(sizes),
        "results": counts[large]["results"],
    }
