"""Filters of the monthly report list, shared by the browser list and the API."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from billing.periods import Period
from msp.filtersets import FilterSet
from msp.forms.widgets import QuickSelect
from msp.models import Client
from reports.models import MonthlyReport, ReportStatus


def _clients(request):
    return Client.objects.order_by("name").only("pk", "name")


class MonthlyReportFilterSet(FilterSet):
    client = filters.ModelChoiceFilter(
        queryset=_clients, label=_("Client"), empty_label=_("All clients"), widget=QuickSelect
    )
    # A malformed month is a form error (the API's 400 names it), not an empty list.
    period = filters.CharFilter(method="filter_period", label=_("Month (YYYY-MM)"), validators=[Period.parse])
    status = filters.ChoiceFilter(
        choices=ReportStatus.choices, label=_("Status"), empty_label=_("Any status")
    )

    class Meta:
        model = MonthlyReport
        fields = ["client", "period", "status"]

    @extend_schema_field({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2026-10"})
    def filter_period(self, queryset, name, value):
        return queryset.filter(period=str(Period.parse(value)))
