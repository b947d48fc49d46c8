from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from msp.api.base import LeanModelSerializer, StrictSerializerMixin, TenantModelSerializer
from msp.people import display_name
from tickets.models import Ticket
from timetracking.models import TimeEntry, Timer, WorkType


class TicketField(serializers.PrimaryKeyRelatedField):
    """A ticket of the active scope, with the contract its time is booked on."""

    def get_queryset(self):
        return Ticket.objects.select_related("contract")


class TimeEntrySerializer(TenantModelSerializer):
    """Minutes, or started_at + ended_at; the rest is how the entry was booked (read only)."""

    ticket = TicketField(queryset=Ticket.objects)
    minutes = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=24 * 60)
    technician = serializers.PrimaryKeyRelatedField(read_only=True)
    technician_name = serializers.SerializerMethodField(help_text=_("The technician's name."))
    labour_amount = serializers.SerializerMethodField()
    hourly_rate = serializers.SerializerMethodField(
        help_text=_("The rate its labour is billed at: the contract's, or the break/fix rate without one.")
    )

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "ticket",
            "minutes",
            "started_at",
            "ended_at",
            "billable",
            "onsite",
            "work_type",
            "note",
            "rate_factor",
            "billed_minutes",
            "drawn_minutes",
            "overage_minutes",
            "covered",
            "contract",
            "labour_amount",
            "hourly_rate",
            "technician",
            "technician_name",
            "created_at",
            "invoiced_at",
        ]
        read_only_fields = [
            "rate_factor",
            "billed_minutes",
            "drawn_minutes",
            "overage_minutes",
            "covered",
            "contract",
            "technician",
            "created_at",
            "invoiced_at",
        ]

    def get_technician_name(self, entry) -> str:
        return display_name(entry.technician)

    def get_hourly_rate(self, entry) -> str | None:
        rate = entry.rate
        return f"{rate.amount}" if rate is not None else None

    def get_labour_amount(self, entry) -> str | None:
        amount = entry.labour_amount
        return f"{amount.amount}" if amount is not None else None

    def validate(self, attrs):
        has_minutes = attrs.get("minutes") is not None
        has_span = attrs.get("started_at") is not None or attrs.get("ended_at") is not None
        if self.instance is None and has_minutes == has_span:
            raise serializers.ValidationError(
                {"minutes": [_("Give either a number of minutes or started_at and ended_at.")]}
            )
        if has_minutes and has_span:
            raise serializers.ValidationError(
                {"minutes": [_("Give either a number of minutes or started_at and ended_at, not both.")]}
            )
        return attrs


class TimerStartSerializer(StrictSerializerMixin, serializers.Serializer):
    ticket = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects)


class TimerStopSerializer(StrictSerializerMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)


class TimerStoppedSerializer(TimeEntrySerializer):
    """The stopped timer's entry, with how long the timer ran: one entry holds at most 24 h,
    so a timer left running longer is cut (``cut``, and ``warning`` says what to do)."""

    timer_minutes = serializers.SerializerMethodField()
    cut = serializers.SerializerMethodField()
    warning = serializers.SerializerMethodField()

    class Meta(TimeEntrySerializer.Meta):
        fields = [*TimeEntrySerializer.Meta.fields, "timer_minutes", "cut", "warning"]

    def get_timer_minutes(self, entry) -> int:
        return getattr(entry, "timer_minutes", entry.minutes)

    def get_cut(self, entry) -> bool:
        return self.get_timer_minutes(entry) > entry.minutes

    def get_warning(self, entry) -> str | None:
        if not self.get_cut(entry):
            return None
        return _(
            "The timer ran %(ran)d min but one entry holds at most 24 h, so %(logged)d min were logged. "
            "Log the rest as another entry if it was worked."
        ) % {"ran": self.get_timer_minutes(entry), "logged": entry.minutes}


class TimerSerializer(LeanModelSerializer):
    class Meta:
        model = Timer
        fields = ["id", "ticket", "started_at"]


class WorkTypeSerializer(TenantModelSerializer):
    class Meta:
        model = WorkType
        fields = ["id", "name", "rate_factor", "is_default"]
