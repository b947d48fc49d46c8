"""Filters of the alert lists, shared by the board and the API."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from assets.models import Asset
from monitoring.choices import AlertOrigin, AlertStatus, Severity
from monitoring.models import Alert
from msp.filtersets import FilterSet
from msp.forms.widgets import QuickSelect
from msp.models import Client


def _clients(request):
    return Client.objects.order_by("name").only("pk", "name")


def _assets(request):
    return Asset.objects.order_by("name").only("pk", "name")


class AlertFilterSet(FilterSet):
    status = filters.ChoiceFilter(choices=AlertStatus.choices, label=_("Status"), empty_label=_("Any status"))
    severity = filters.MultipleChoiceFilter(choices=Severity.choices, label=_("Severity"))
    origin = filters.ChoiceFilter(choices=AlertOrigin.choices, label=_("Origin"), empty_label=_("Any origin"))
    client = filters.ModelChoiceFilter(
        queryset=_clients, label=_("Client"), empty_label=_("All clients"), widget=QuickSelect
    )
    asset = filters.ModelChoiceFilter(queryset=_assets, label=_("Asset"), widget=QuickSelect)
    check = filters.CharFilter(field_name="check_name", label=_("Check"))

    class Meta:
        model = Alert
        fields = ["status", "severity", "origin", "client", "asset", "check"]
