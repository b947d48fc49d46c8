"""Prometheus Alertmanager's webhook (payload version 4) as monitoring messages.

Alertmanager posts a group of alerts: each firing one is a problem of its machine's check,
each resolved one its recovery. The machine is the label the ingest key names (``instance``
by default, without its ``:port``), else ``host`` or ``hostname``; the check is the
``alertname``; the fingerprint is kept as the alert's external id. Alertmanager re-sends a
group's firing alerts every ``repeat_interval``: the ingestion counts those as repeats.

Nothing about an alert's content is refused (an unknown severity is filed as a warning and
said so, an alert naming no machine waits in the review list): a refused notification is
lost for every alert of its group. Only a payload that is not Alertmanager's is refused.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from monitoring.adapters import SEVERITY_WORDS, instant, text
from monitoring.choices import MessageStatus, Severity
from monitoring.messages import ALERT, MAX_BATCH, Message

VERSION = "4"
FIRING, RESOLVED = "firing", "resolved"
STATUSES = [FIRING, RESOLVED]  # named AlertmanagerStatusEnum in the schema (settings)
FALLBACK_LABELS = ("host", "hostname")
CHECK_MAX = 64
MESSAGE_MAX = 4000


class AlertmanagerAlertSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES)
    labels = serializers.DictField(child=serializers.CharField(allow_blank=True, trim_whitespace=False))
    annotations = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False), required=False, default=dict
    )
    # Read as text: a firing alert ends at "0001-01-01T00:00:00Z", which a DateTimeField
    # converted to a zone west of UTC would refuse.
    startsAt = serializers.CharField(required=False, allow_blank=True, help_text=gettext_lazy("RFC 3339."))
    endsAt = serializers.CharField(required=False, allow_blank=True, help_text=gettext_lazy("RFC 3339."))
    generatorURL = serializers.CharField(required=False, allow_blank=True)
    fingerprint = serializers.CharField(required=False, allow_blank=True)

    def validate(self, data):
        errors = {}
        for name in ("startsAt", "endsAt"):
            if instant(data.get(name)) is False:
                errors[name] = [_("Not a date and time (RFC 3339).")]
        if not text(data["labels"].get("alertname")):
            errors["labels"] = [_("An alert needs its alertname label (the check).")]
        if errors:
            raise serializers.ValidationError(errors)
        return data


class AlertmanagerPayloadSerializer(serializers.Serializer):
    """What Alertmanager's webhook receiver posts (version 4)."""

    version = serializers.CharField()
    groupKey = serializers.CharField(required=False, allow_blank=True)
    truncatedAlerts = serializers.IntegerField(required=False, min_value=0)
    status = serializers.ChoiceField(choices=STATUSES, required=False)
    receiver = serializers.CharField(required=False, allow_blank=True)
    groupLabels = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    commonLabels = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    commonAnnotations = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    externalURL = serializers.CharField(required=False, allow_blank=True)
    alerts = AlertmanagerAlertSerializer(many=True)

    def validate_version(self, value):
        if value != VERSION:
            raise serializers.ValidationError(
                _(
                    "Alertmanager webhook version %(sent)s is not supported: this endpoint reads "
                    "version %(version)s (Alertmanager 0.x)."
                )
                % {"sent": value, "version": VERSION}
            )
        return value


def messages_from(payload, *, asset_label: str = "instance") -> list[Message]:
    """The payload's alerts as messages, in order; raises ValidationError when it is not a
    version 4 Alertmanager payload or carries more than MAX_BATCH alerts."""
    if not isinstance(payload, dict):
        raise serializers.ValidationError({"detail": [_("Send Alertmanager's webhook JSON object.")]})
    alerts = payload.get("alerts")
    if isinstance(alerts, list) and len(alerts) > MAX_BATCH:
        raise serializers.ValidationError(
            {
                "alerts": [
                    _(
                        "A request carries at most %(max)d alerts: set max_alerts: %(max)d in "
                        "Alertmanager's webhook_config."
                    )
                    % {"max": MAX_BATCH}
                ]
            }
        )
    serializer = AlertmanagerPayloadSerializer(data=payload)
    if not serializer.is_valid():
        errors = dict(serializer.errors)
        if isinstance(errors.get("alerts"), list):  # name the alerts at fault, by position
            errors["alerts"] = {str(i): e for i, e in enumerate(errors["alerts"]) if e}
        raise serializers.ValidationError(errors)
    messages = [_message(alert, asset_label) for alert in serializer.validated_data["alerts"]]
    return _still_firing_wins(messages)


def machine_of(labels: dict, asset_label: str = "instance") -> str:
    """The machine an alert is about: the key's label, else host or hostname; an instance's
    ``:port`` (or a probe target's scheme and path) is not part of the machine's name."""
    names = [asset_label or "instance", *(n for n in FALLBACK_LABELS if n != asset_label)]
    for name in names:
        value = text(labels.get(name))
        if value:
            return _host(value)
    return ""


def _host(value: str) -> str:
    if "://" in value:  # a blackbox probe's target: https://portal.acme.lan/login
        return urlsplit(value).hostname or value
    if value.startswith("["):  # [fe80::1]:9100
        return value[1:].partition("]")[0]
    host, colon, port = value.rpartition(":")
    if colon and port.isdigit() and ":" not in host:  # never cut a bare IPv6 address
        return host
    return value


def _message(alert: dict, asset_label: str) -> Message:
    labels, annotations = alert["labels"], alert["annotations"]
    firing = alert["status"] == FIRING
    severity, note = _severity(labels.get("severity"))
    summary, description = text(annotations.get("summary")), text(annotations.get("description"))
    lines = [summary] if summary else []
    if description and description != summary:
        lines.append(description)
    if note and firing:
        lines.append(note)
    starts, ends = instant(alert.get("startsAt")), instant(alert.get("endsAt"))
    return Message(
        type=ALERT,
        hostname=machine_of(labels, asset_label)[:255],
        check=" ".join(labels["alertname"].split())[:CHECK_MAX],
        severity=severity,
        status=MessageStatus.PROBLEM if firing else MessageStatus.OK,
        value=text(annotations.get("value"))[:100],
        message="\n".join(lines)[:MESSAGE_MAX],
        occurred_at=starts if firing else (ends or starts),
        # A delivery of a firing alert says Alertmanager still sees it now (startsAt stays).
        seen_at=timezone.now() if firing else None,
        external_id=text(alert.get("fingerprint"))[:100],
        raw={"labels": labels, "annotations": annotations},
    )


def _severity(label) -> tuple[str, str]:
    """The severity label as one of ours, and a note when it had to be guessed."""
    word = (label or "").strip()  # "none" is a severity here (Watchdog's), not a missing one
    severity = SEVERITY_WORDS.get(word.lower())
    if severity is not None:
        return severity, ""
    if not word:
        return Severity.WARNING, _("(No severity label: filed as a warning.)")
    return Severity.WARNING, _("(Severity %(label)s is not one this PSA knows: filed as a warning.)") % {
        "label": word[:50]
    }


def _still_firing_wins(messages: list[Message]) -> list[Message]:
    """Two alerts of one group can be one machine's check (a disk alert per mount point):
    while one still fires, another's recovery must not resolve the check."""
    firing = {(m.hostname.lower(), m.check) for m in messages if m.status == MessageStatus.PROBLEM}
    return [
        m
        for m in messages
        if m.status == MessageStatus.PROBLEM or (m.hostname.lower(), m.check) not in firing
    ]
