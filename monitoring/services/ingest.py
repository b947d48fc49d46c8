"""Filing a batch of monitoring messages: alerts, repeats, recoveries, heartbeats, unknowns.

One transaction per batch: a refused batch writes nothing. The queries are per batch, not
per message, for what is frequent (heartbeats, repeats of open alerts, unknown machines);
only what is rare and needs a person's attention costs more: a new alert opens a ticket, a
recovery or an escalation writes a note on it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Greatest, Lower
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assets.choices import AssetKind, PatchStatus
from assets.models import Asset
from monitoring.choices import (
    OFFLINE,
    PATCH_MISSING,
    SEVERITY_RANK,
    AlertOrigin,
    AlertStatus,
    UnknownState,
)
from monitoring.messages import Message
from monitoring.models import Alert, HeartbeatDay, IngestKey, UnknownSource
from monitoring.priorities import alert_priority
from msp.scoping import scope_of
from msp.selectors import time_zone_for
from tickets.choices import OPEN_STATUSES, Priority, Source
from tickets.models import Ticket
from tickets.services import comment_add, ticket_create, ticket_update

# What each message became, reported back to the sender message by message.
OPENED = "opened"
REPEAT = "repeat"
RECOVERED = "recovered"
NOT_OPEN = "not_open"  # a recovery for a check with no open alert: nothing to do
HEARTBEAT = "heartbeat"
UNKNOWN = "unknown"

SUBJECT_MAX = 200
# What a repeat may change on its open alert besides its count and last seen time.
REPEAT_FIELDS = ("value", "message", "severity", "marker")
KEY_TOUCH_SECONDS = 300


@dataclass
class Outcome:
    result: str
    alert: int | None = None
    ticket: int | None = None
    asset: int | None = None

    def as_dict(self) -> dict:
        return {"result": self.result, "alert": self.alert, "ticket": self.ticket, "asset": self.asset}


def ingest(
    *,
    tenant,
    messages: list[Message],
    origin: str = AlertOrigin.AGENT,
    key: IngestKey | None = None,
    now: datetime | None = None,
) -> list[Outcome]:
    """File `messages` (already validated) for `tenant`; one outcome per message, in order."""
    now = now or timezone.now()
    for message in messages:
        if message.occurred_at is None or message.occurred_at > now:
            message.occurred_at = now  # an agent's clock a little ahead is not the future
        if message.seen_at is not None and message.seen_at > now:
            message.seen_at = now
    with scope_of(tenant.pk), transaction.atomic():
        batch = _Batch(tenant=tenant, key=key, origin=origin, now=now)
        outcomes = batch.run(messages)
        if key is not None and (
            key.last_used_at is None or (now - key.last_used_at).total_seconds() > KEY_TOUCH_SECONDS
        ):
            IngestKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return outcomes


class _Batch:
    def __init__(self, *, tenant, key, origin, now):
        self.tenant, self.key, self.origin, self.now = tenant, key, origin, now
        self.open: dict[tuple[int, str], Alert] = {}
        self.repeats: dict[int, Alert] = {}
        self.escalated: dict[int, str] = {}  # alert id -> the severity it was before

    # --- the batch, message by message ------------------------------------------------------

    def run(self, messages: list[Message]) -> list[Outcome]:
        assets = self._assets(messages)
        if self.key is not None and self.key.create_assets and self.key.client_id:
            missing = [m for m in messages if assets.get(self._ident(m)) is None and not m.asset_id]
            if missing:
                self._create_assets(missing)
                assets = self._assets(messages)
        self._load_open([a.pk for a in assets.values() if a is not None])
        outcomes: list[Outcome] = []
        beats: dict[int, list[Message]] = defaultdict(list)
        unknown: list[Message] = []
        for message in messages:
            asset = assets.get(self._ident(message))
            if asset is None:
                unknown.append(message)
                outcomes.append(Outcome(UNKNOWN))
            elif message.is_heartbeat:
                beats[asset.pk].append(message)
                outcomes.append(Outcome(HEARTBEAT, asset=asset.pk))
                self._heartbeat_recoveries(asset, message)
            elif message.is_recovery:
                outcomes.append(self._recover(asset, message))
            else:
                outcomes.append(self._problem(asset, message))
        self._flush_alerts()
        self._flush_heartbeats(beats)
        self._keep_unknown(unknown)
        return outcomes

    def _problem(self, asset: Asset, message: Message) -> Outcome:
        alert = self.open.get((asset.pk, message.check))
        if alert is not None and alert.ticket_closed:
            # The technician closed the ticket, the tool never said the check was fine (many
            # never do), and the problem is reported again: the old alert ends with its ticket,
            # this one is new and needs a new ticket, or a closed ticket would swallow it.
            self._close_out(alert, message)
            alert = None
        if alert is None:
            alert, opened = self._open_or_join(asset, message)
            if opened:
                return Outcome(OPENED, alert=alert.pk, ticket=alert.ticket_id, asset=asset.pk)
        self._repeat(alert, message)
        return Outcome(REPEAT, alert=alert.pk, ticket=alert.ticket_id, asset=asset.pk)

    def _open_or_join(self, asset: Asset, message: Message) -> tuple[Alert, bool]:
        """The alert this problem opens (True), or the one another request opened a moment
        ago, locked: this message is a repeat of it (False). Should a third request's recovery
        have resolved that one since (before this lock), the problem is new again: open it."""
        for _attempt in range(3):
            alert = self._open_alert(asset, message)
            if alert is not None:
                return alert, True
            alert = (
                Alert.objects.select_for_update()
                .filter(status=AlertStatus.OPEN, asset_id=asset.pk, check_name=message.check)
                .first()
            )
            if alert is not None:
                alert.ticket_closed = False
                self.open[(asset.pk, message.check)] = alert
                return alert, False
        raise RuntimeError(f"alert {message.check} on asset {asset.pk}: neither opened nor found open")

    def _repeat(self, alert: Alert, message: Message) -> None:
        pending = self.repeats.setdefault(alert.pk, alert)
        pending._delta = getattr(pending, "_delta", 0) + 1
        pending._seen = max(
            getattr(pending, "_seen", alert.last_seen_at), message.seen_at or message.occurred_at
        )
        if message.value:
            pending.value = message.value[:100]
        if message.message:
            pending.message = message.message
        if message.marker:
            pending.marker = message.marker
        if SEVERITY_RANK[message.severity] > SEVERITY_RANK[alert.severity]:
            self.escalated.setdefault(alert.pk, alert.severity)
            alert.severity = message.severity

    def _recover(self, asset: Asset, message: Message) -> Outcome:
        """Resolve the open alert at once (a problem later in the batch opens a new one) and
        note the recovery on its ticket, which stays for a technician to close."""
        alert = self.open.pop((asset.pk, message.check), None)
        if alert is None:
            return Outcome(NOT_OPEN, asset=asset.pk)
        pending = self.repeats.pop(alert.pk, None)
        self.escalated.pop(alert.pk, None)
        Alert.objects.filter(pk=alert.pk).update(
            status=AlertStatus.RESOLVED,
            resolved_at=message.occurred_at,
            count=F("count") + (pending._delta if pending else 0),
            last_seen_at=Greatest(F("last_seen_at"), Value(pending._seen if pending else alert.last_seen_at)),
            value=alert.value,
            message=alert.message,
            severity=alert.severity,
        )
        if alert.ticket_id:
            comment_add(
                Ticket.objects.get(pk=alert.ticket_id),
                author=None,
                public=False,
                body=_("Recovered at %(time)s: %(check)s is OK again. %(message)s")
                % {"time": _when(message.occurred_at), "check": alert.check_name, "message": _text(message)},
                now=message.occurred_at,
            )
        return Outcome(RECOVERED, alert=alert.pk, ticket=alert.ticket_id, asset=asset.pk)

    def _heartbeat_recoveries(self, asset: Asset, message: Message) -> None:
        """A heartbeat is the machine saying it is back, and patched when it says so."""
        checks = [OFFLINE]
        if message.missing_patches == 0:
            checks.append(PATCH_MISSING)
        for check in checks:
            if (asset.pk, check) in self.open:
                self._recover(
                    asset,
                    Message(
                        type="alert",
                        check=check,
                        status="ok",
                        occurred_at=message.occurred_at,
                        message=_("A heartbeat arrived.")
                        if check == OFFLINE
                        else _("The agent reports no missing patches."),
                    ),
                )

    # --- reading ----------------------------------------------------------------------------

    @staticmethod
    def _ident(message: Message):
        return ("id", message.asset_id) if message.asset_id else message.ident

    def _assets(self, messages: list[Message]) -> dict:
        """Each message's asset (None: unknown or ambiguous), in one query for the batch.

        A hostname matches whatever its case; where two assets share one (two clients each
        with a SERVER01), the serial decides, else it is left for review: a wrong guess
        would open a ticket for the wrong client."""
        ids = {m.asset_id for m in messages if m.asset_id}
        hosts = {m.ident[0] for m in messages if not m.asset_id and m.ident[0]}
        serials = {m.ident[1] for m in messages if not m.asset_id and m.ident[1]}
        found: dict = {}
        if not (ids or hosts or serials):
            return found
        condition = Q(pk__in=ids) | Q(host_key__in=hosts) | Q(serial__in=serials)
        queryset = Asset.objects.annotate(host_key=Lower("hostname")).filter(condition)
        if self.key is not None and self.key.client_id:
            queryset = queryset.filter(client_id=self.key.client_id)
        rows = list(
            queryset.order_by()
            .select_related("client")
            .only(
                "pk",
                "hostname",
                "serial",
                "name",
                "kind",
                "client",
                "last_seen",
                "tenant_id",
                "client__name",
                "client__tenant_id",
            )
        )
        by_id = {a.pk: a for a in rows}
        by_host: dict[str, list[Asset]] = defaultdict(list)
        by_serial: dict[str, list[Asset]] = defaultdict(list)
        for asset in rows:
            if asset.hostname:
                by_host[asset.hostname.strip().lower()].append(asset)
            if asset.serial:
                by_serial[asset.serial.strip()].append(asset)
        for message in messages:
            ident = self._ident(message)
            if ident in found:
                continue
            if message.asset_id:
                found[ident] = by_id.get(message.asset_id)
                continue
            host, serial = ident
            candidates = by_host.get(host, []) if host else []
            if serial and len(candidates) != 1:
                by_both = [a for a in candidates if a.serial.strip() == serial] if candidates else []
                candidates = by_both or (by_serial.get(serial, []) if not candidates else by_both)
            found[ident] = candidates[0] if len(candidates) == 1 else None
        return found

    def _load_open(self, asset_ids: list[int]) -> None:
        if not asset_ids:
            return
        alerts = Alert.objects.filter(status=AlertStatus.OPEN, asset_id__in=asset_ids).annotate(
            ticket_status=F("ticket__status")
        )
        for alert in alerts.order_by():
            alert.ticket_closed = alert.ticket_status is not None and alert.ticket_status not in OPEN_STATUSES
            alert._stored = {field: getattr(alert, field) for field in REPEAT_FIELDS}
            self.open[(alert.asset_id, alert.check_name)] = alert

    def _close_out(self, alert: Alert, message: Message) -> None:
        del self.open[(alert.asset_id, alert.check_name)]
        pending = self.repeats.pop(alert.pk, None)
        self.escalated.pop(alert.pk, None)
        Alert.objects.filter(pk=alert.pk).update(
            status=AlertStatus.RESOLVED,
            resolved_at=self.now,
            count=F("count") + (pending._delta if pending else 0),
            last_seen_at=Greatest(F("last_seen_at"), Value(pending._seen if pending else alert.last_seen_at)),
        )

    # --- writing ----------------------------------------------------------------------------

    def _open_alert(self, asset: Asset, message: Message) -> Alert | None:
        """The new alert and its ticket; None when another request opened it first."""
        alert = Alert(
            tenant=self.tenant,
            client_id=asset.client_id,
            asset=asset,
            check_name=message.check,
            severity=message.severity,
            origin=self.origin,
            value=message.value[:100],
            message=message.message,
            first_seen_at=message.occurred_at,
            last_seen_at=message.seen_at or message.occurred_at,
            key=self.key,
            external_id=message.external_id[:100],
            marker=message.marker[:100],
        )
        try:
            with transaction.atomic():
                alert.save()
        except IntegrityError:
            return None
        self.open[(asset.pk, message.check)] = alert
        alert.ticket_closed = False
        alert.ticket = self._ticket_for(alert, asset, message)
        alert.save(update_fields=["ticket"])
        return alert

    def _ticket_for(self, alert: Alert, asset: Asset, message: Message) -> Ticket:
        """A ticket for the new alert; the same one if the check came back while the ticket
        of its last alert is still being worked on (a flapping check is one problem)."""
        previous = (
            Ticket.objects.filter(
                alerts__asset_id=asset.pk,
                alerts__check_name=message.check,
                status__in=OPEN_STATUSES,
            )
            .exclude(alerts__pk=alert.pk)
            .order_by("-pk")
            .first()
        )
        if previous is not None:
            comment_add(
                previous,
                author=None,
                public=False,
                body=_("The problem is back (%(check)s, %(severity)s): %(message)s")
                % {
                    "check": alert.check_name,
                    "severity": alert.get_severity_display(),
                    "message": _text(message),
                },
                now=message.occurred_at,
            )
            return previous
        priority = alert_priority(check=message.check, severity=message.severity, asset_kind=asset.kind)
        subject = f"{asset.name}: {message.check} ({alert.get_severity_display().lower()})"
        if message.message:
            subject = f"{subject}: {message.message.splitlines()[0].strip()}"
        return ticket_create(
            tenant=self.tenant,
            client=asset.client,
            asset=asset,
            subject=subject[:SUBJECT_MAX],
            description=_description(alert, asset, message),
            priority=priority,
            source=Source.MONITORING,
            now=self.now,
        )

    def _flush_alerts(self) -> None:
        """The batch's repeats of open alerts, in one UPDATE; then any escalation's note."""
        rows = {}
        counted, seen = (
            _Shared(lambda delta: F("count") + delta),
            _Shared(lambda moment: Greatest(F("last_seen_at"), Value(moment))),
        )
        for alert in self.repeats.values():
            stored = getattr(alert, "_stored", None)  # None: opened or locked in this batch
            rows[alert.pk] = {
                "count": counted(alert._delta),
                "last_seen_at": seen(alert._seen),
                **{
                    field: getattr(alert, field)
                    for field in REPEAT_FIELDS
                    if stored is None or getattr(alert, field) != stored[field]
                },
            }
        _update_rows(Alert.objects.all(), rows)
        for pk, before in self.escalated.items():
            alert = self.repeats[pk]
            if alert.ticket_id is None:
                continue
            ticket = Ticket.objects.select_related("asset").get(pk=alert.ticket_id)
            comment_add(
                ticket,
                author=None,
                public=False,
                body=_("Escalated from %(before)s to %(after)s: %(message)s")
                % {"before": before, "after": alert.severity, "message": alert.message or alert.value},
            )
            kind = ticket.asset.kind if ticket.asset else ""
            priority = alert_priority(check=alert.check_name, severity=alert.severity, asset_kind=kind)
            if ticket.status in OPEN_STATUSES and Priority.values.index(priority) < Priority.values.index(
                ticket.priority
            ):
                ticket_update(ticket, priority=priority, notify=False)

    def _flush_heartbeats(self, beats: dict[int, list[Message]]) -> None:
        if not beats:
            return
        zone = time_zone_for(tenant=self.tenant) or timezone.get_current_timezone()
        rows, days = {}, {}
        seen = _Shared(lambda latest: Greatest(Coalesce(F("last_seen"), Value(latest)), Value(latest)))
        for asset_id, messages in beats.items():
            latest = max(m.occurred_at for m in messages)
            row = rows[asset_id] = {
                "last_seen": seen(latest),
                "monitored": True,
            }
            for message in sorted(messages, key=lambda m: m.occurred_at):
                if message.operating_system:
                    row["operating_system"] = message.operating_system[:100]
                if message.missing_patches is not None:
                    row["missing_patches"] = message.missing_patches
                    row["patch_status"] = (
                        PatchStatus.MISSING if message.missing_patches else PatchStatus.UP_TO_DATE
                    )
                if message.last_patched is not None:
                    row["last_patched"] = message.last_patched
                day = timezone.localtime(message.occurred_at, zone).date()
                entry = days.get((asset_id, day))
                if entry is None:
                    days[(asset_id, day)] = HeartbeatDay(
                        tenant=self.tenant,
                        asset_id=asset_id,
                        day=day,
                        first_at=message.occurred_at,
                        last_at=message.occurred_at,
                    )
                else:
                    entry.first_at = min(entry.first_at, message.occurred_at)
                    entry.last_at = max(entry.last_at, message.occurred_at)
        _update_rows(Asset.objects.all(), rows)
        HeartbeatDay.objects.bulk_create(
            [days[key] for key in sorted(days)],
            update_conflicts=True,
            unique_fields=["asset", "day"],
            update_fields=["last_at"],
        )

    def _keep_unknown(self, messages: list[Message]) -> None:
        """Unknown machines wait in the review list (or become the key's client's assets)."""
        if not messages:
            return
        grouped: dict[tuple[str, str], list[Message]] = defaultdict(list)
        for message in messages:
            grouped[(message.hostname.strip()[:255], message.serial.strip()[:100])].append(message)
        existing = {
            (u.hostname, u.serial): u
            for u in UnknownSource.objects.filter(
                state=UnknownState.PENDING,
                hostname__in={h for h, _s in grouped},
                serial__in={s for _h, s in grouped},
            )
        }
        fresh, touched = [], []
        for ident, group in grouped.items():
            last = max(group, key=lambda m: m.occurred_at)
            row = existing.get(ident)
            if row is None:
                row = UnknownSource(
                    tenant=self.tenant,
                    hostname=ident[0],
                    serial=ident[1],
                    key=self.key,
                    first_seen_at=min(m.occurred_at for m in group),
                    messages=0,
                )
                fresh.append(row)
            else:
                touched.append(row)
            row.messages = len(group) if row.pk is None else F("messages") + len(group)
            row.last_seen_at = last.occurred_at
            row.last_check = last.check[:64] if not last.is_heartbeat else _("heartbeat")
            row.last_severity = last.severity
            row.last_status = "" if last.is_heartbeat else last.status
            row.last_message = last.message
            row.last_payload = last.raw
        if fresh:
            UnknownSource.objects.bulk_create(fresh, ignore_conflicts=True)
        if touched:
            UnknownSource.objects.bulk_update(
                touched,
                [
                    "messages",
                    "last_seen_at",
                    "last_check",
                    "last_severity",
                    "last_status",
                    "last_message",
                    "last_payload",
                ],
            )

    def _create_assets(self, messages: list[Message]) -> None:
        """The key's client gets the machines it reports (its agents are that client's)."""
        created = {}
        for message in messages:
            if message.ident in created or not any(message.ident):
                continue
            kind = message.raw.get("kind") if isinstance(message.raw, dict) else None
            created[message.ident] = Asset(
                tenant=self.tenant,
                client_id=self.key.client_id,
                kind=kind if kind in AssetKind.values else AssetKind.OTHER,
                name=(message.hostname.strip() or message.serial.strip())[:200],
                hostname=message.hostname.strip()[:255],
                serial=message.serial.strip()[:100],
                monitored=True,
            )
        Asset.objects.bulk_create(list(created.values()))


def _update_rows(queryset, rows: dict[int, dict]) -> None:
    """One UPDATE for rows that each set their own values (plain or expressions): per field,
    one CASE branch per distinct value, listing the rows that take it; a row that does not
    set a field keeps its own. A field every row sets alike is set plainly.

    Not ``bulk_update``: it writes one branch per row and field, and building that SQL cost
    more than the rest of a batch (at 100 messages, ~70 % of the request). A fleet's messages
    carry few distinct values (one arrival time, a few OS names, small patch counts, repeats
    counted once or twice), so here the SQL stays a few branches long at any batch size."""
    if not rows:
        return
    model = queryset.model
    by_field: dict[str, dict] = defaultdict(dict)  # field -> value -> [pk]
    for pk, values in rows.items():
        for field, value in values.items():
            by_field[field].setdefault(value, []).append(pk)
    changes = {}
    for field, groups in by_field.items():
        if len(groups) == 1 and sum(map(len, groups.values())) == len(rows):
            changes[field] = next(iter(groups))
            continue
        output = model._meta.get_field(field)
        changes[field] = Case(
            *[When(pk__in=pks, then=_expression(value)) for value, pks in groups.items()],
            default=F(field),
            output_field=output,
        )
    # Rows are locked in id order, by every batch alike: two batches never deadlock.
    queryset.filter(pk__in=sorted(rows)).update(**changes)


class _Shared:
    """One expression object per distinct value: ``_update_rows`` groups rows by their values,
    and hashing an expression costs a walk of its tree the first time only (per object)."""

    def __init__(self, build):
        self.build, self.made = build, {}

    def __call__(self, value):
        if value not in self.made:
            self.made[value] = self.build(value)
        return self.made[value]


def _expression(value):
    # A plain string in a CASE branch would be read as a column name.
    return value if hasattr(value, "resolve_expression") else Value(value)


def _text(message: Message) -> str:
    return message.message or message.value or ""


def _description(alert: Alert, asset: Asset, message: Message) -> str:
    lines = [
        _("Raised by monitoring (%(origin)s) for %(asset)s.")
        % {"origin": alert.get_origin_display(), "asset": asset.name},
        "",
        f"{_('Check')}: {alert.check_name}",
        f"{_('Severity')}: {alert.get_severity_display()}",
    ]
    if message.value:
        lines.append(f"{_('Value')}: {message.value}")
    lines.append(f"{_('First seen')}: {_when(message.occurred_at)}")
    if asset.hostname:
        lines.append(f"{_('Hostname')}: {asset.hostname}")
    if message.message:
        lines += ["", message.message]
    return "\n".join(lines)


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
