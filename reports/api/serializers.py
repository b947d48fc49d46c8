"""API of monthly client reports: read as stored; generated from a client and a month."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from billing.periods import Period
from msp.api.base import LeanModelSerializer, StrictSerializerMixin
from msp.models import Client
from reports.models import MonthlyReport


class MonthlyReportSerializer(LeanModelSerializer):
    figures = serializers.JSONField(
        read_only=True, help_text=_("The report's figures as generated (they never change once sent).")
    )
    sent_to = serializers.ListField(
        child=serializers.EmailField(), read_only=True, help_text=_("The addresses the report was sent to.")
    )
    has_pdf = serializers.SerializerMethodField(
        help_text=_("Whether the PDF is stored (`pdf/` renders it on the spot when it is not).")
    )

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "client",
            "period",
            "status",
            "figures",
            "generated_at",
            "sent_at",
            "sent_to",
            "has_pdf",
        ]
        read_only_fields = fields

    def get_has_pdf(self, report) -> bool:
        return bool(report.pdf)


class ReportGenerateSerializer(StrictSerializerMixin, serializers.Serializer):
    """A client and a month (over): its report, generated now unless it was before."""

    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    period = serializers.CharField(max_length=7, help_text=_("The month, YYYY-MM, e.g. 2026-10."))

    def get_fields(self):
        fields = super().get_fields()
        fields["client"].queryset = Client.objects.all()  # scoped now, per request
        return fields

    def validate_period(self, value: str) -> Period:
        try:
            return Period.parse(value)
        except Exception as error:  # Period.parse raises Django's ValidationError
            raise serializers.ValidationError(getattr(error, "messages", [str(error)])) from None
