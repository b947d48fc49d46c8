"""API of monitoring: the native message format, alerts as read, ingest keys."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets.choices import AssetKind
from monitoring.adapters.webhook import field_map_problems
from monitoring.choices import MessageStatus, Severity
from monitoring.messages import ALERT, HEARTBEAT, MAX_BATCH, Message
from monitoring.models import Alert, IngestKey
from msp.api.base import LeanModelSerializer, StrictSerializerMixin
from msp.models import Client

# An agent's clock may run a little ahead; further than this is a mistake, said so.
CLOCK_SKEW = timedelta(minutes=10)


@extend_schema_field({"oneOf": [{"type": "string", "maxLength": 100}, {"type": "number"}]})
class ValueField(serializers.CharField):
    """A measurement as the tool sends it: text or a number (kept as its text)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, (int, float)):
            data = str(data)
        return super().to_internal_value(data)


class MessageSerializer(StrictSerializerMixin, serializers.Serializer):
    """One message of the native format: an alert (a problem or its recovery) or a heartbeat."""

    type = serializers.ChoiceField(choices=[ALERT, HEARTBEAT], default=ALERT)
    hostname = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    serial = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    check = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "Free-form (the tool's own name); disk_usage, cpu, offline, backup_failed, "
            "patch_missing and antivirus get tuned priorities."
        ),
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_null=True)
    status = serializers.ChoiceField(choices=MessageStatus.choices, default=MessageStatus.PROBLEM)
    value = ValueField(max_length=100, required=False, allow_blank=True, default="")
    message = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False, help_text=_("Default: when it arrives."))
    os = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text=_("Heartbeat."))
    missing_patches = serializers.IntegerField(
        min_value=0, max_value=100000, required=False, help_text=_("Heartbeat.")
    )
    last_patched = serializers.DateTimeField(required=False, help_text=_("Heartbeat."))
    kind = serializers.ChoiceField(
        choices=AssetKind.choices,
        required=False,
        help_text=_("The machine's kind, for a key that creates the assets it does not know."),
    )

    def validate(self, data):
        errors = {}
        if not (data["hostname"].strip() or data["serial"].strip()):
            errors["hostname"] = _("Name the machine: hostname or serial.")
        if data["type"] == ALERT:
            data["check"] = " ".join(data["check"].split())
            if not data["check"]:
                errors["check"] = _("Name the check (disk_usage, cpu, backup_failed...).")
            if data["status"] == MessageStatus.PROBLEM and not data.get("severity"):
                errors["severity"] = _("A problem needs a severity: info, warning or critical.")
        occurred = data.get("occurred_at")
        if occurred is not None and occurred > timezone.now() + CLOCK_SKEW:
            errors["occurred_at"] = _("This is in the future: check the sender's clock.")
        if errors:
            raise serializers.ValidationError(errors)
        return data

    def to_message(self, data) -> Message:
        return message_from(data, raw=self.initial_data)


def message_from(data: dict, *, raw=None) -> Message:
    return Message(
        type=data["type"],
        hostname=data["hostname"],
        serial=data["serial"],
        check=data["check"],
        severity=data.get("severity") or Severity.INFO,
        status=data["status"],
        value=data["value"],
        message=data["message"],
        occurred_at=data.get("occurred_at"),
        operating_system=data.get("os") or None,
        missing_patches=data.get("missing_patches"),
        last_patched=data.get("last_patched"),
        raw={"kind": data["kind"]} if data.get("kind") else {},
    )


def messages_from(payload) -> list[Message]:
    """One message or a list of them, validated whole: any error refuses the batch."""
    if isinstance(payload, dict):
        serializer = MessageSerializer(data=payload)
        serializer.is_valid(raise_exception=True)
        return [message_from(serializer.validated_data)]
    if not isinstance(payload, list):
        raise serializers.ValidationError(
            {"messages": [_("Send one message (an object) or a list of them.")]}
        )
    if not payload:
        raise serializers.ValidationError({"messages": [_("The list is empty.")]})
    if len(payload) > MAX_BATCH:
        raise serializers.ValidationError(
            {"messages": [_("A request carries at most %(max)d messages.") % {"max": MAX_BATCH}]}
        )
    serializer = MessageSerializer(data=payload, many=True)
    if not serializer.is_valid():
        # Name the messages at fault by their index in the list, with each one's errors.
        errors = serializer.errors
        items = errors.items() if isinstance(errors, dict) else enumerate(errors)
        raise serializers.ValidationError({"messages": {str(i): e for i, e in items if e}})
    return [message_from(item) for item in serializer.validated_data]


class OutcomeSerializer(serializers.Serializer):
    result = serializers.ChoiceField(
        choices=["opened", "repeat", "recovered", "not_open", "heartbeat", "unknown"],
        help_text=_("unknown: no asset matched; the machine waits in the review list."),
    )
    alert = serializers.IntegerField(allow_null=True)
    ticket = serializers.IntegerField(allow_null=True)
    asset = serializers.IntegerField(allow_null=True)


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    results = OutcomeSerializer(many=True)


class AlertSerializer(LeanModelSerializer):
    check = serializers.CharField(source="check_name", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "client",
            "asset",
            "check",
            "severity",
            "status",
            "origin",
            "value",
            "message",
            "count",
            "first_seen_at",
            "last_seen_at",
            "resolved_at",
            "ticket",
        ]
        read_only_fields = fields


class IngestKeySerializer(StrictSerializerMixin, LeanModelSerializer):
    client = serializers.PrimaryKeyRelatedField(
        queryset=Client.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = IngestKey
        fields = [
            "id",
            "name",
            "prefix",
            "format",
            "client",
            "create_assets",
            "asset_label",
            "field_map",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_fields(self):
        fields = super().get_fields()
        fields["client"].queryset = Client.objects.all()  # scoped per request
        return fields

    def validate_field_map(self, value):
        problems = field_map_problems(value)
        if problems:
            raise serializers.ValidationError(problems)
        return value or {}

    def validate(self, data):
        client = data.get("client", getattr(self.instance, "client", None))
        if data.get("create_assets") and client is None:
            raise serializers.ValidationError(
                {"create_assets": _("Name the client whose assets the key may create.")}
            )
        return data


class IngestKeyCreatedSerializer(IngestKeySerializer):
    key = serializers.CharField(read_only=True, help_text=_("Shown once: store it in the tool now."))

    class Meta(IngestKeySerializer.Meta):
        fields = [*IngestKeySerializer.Meta.fields, "key"]
