"""Filters of the invoice list, shared by the browser list and the API."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from billing.models import Invoice, InvoiceKind, InvoiceStatus
from billing.periods import Period
from msp.filtersets import FilterSet
from msp.forms.widgets import QuickSelect
from msp.models import Client


def _clients(request):
    return Client.objects.order_by("name").only("pk", "name")


class InvoiceFilterSet(FilterSet):
    status = filters.MultipleChoiceFilter(choices=InvoiceStatus.choices, label=_("Status"))
    kind = filters.ChoiceFilter(choices=InvoiceKind.choices, label=_("Kind"), empty_label=_("All documents"))
    client = filters.ModelChoiceFilter(
        queryset=_clients, label=_("Client"), empty_label=_("All clients"), widget=QuickSelect
    )
    # A malformed period is a form error (the API's 400 names it), not an empty list.
    period = filters.CharFilter(
        method="filter_period", label=_("Period (YYYY-MM)"), validators=[Period.parse]
    )
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))

    class Meta:
        model = Invoice
        fields = ["status", "kind", "client", "period", "overdue"]

    @extend_schema_field({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2026-11"})
    def filter_period(self, queryset, name, value):
        period = Period.parse(value)  # valid: the field's validator refused a malformed one
        return queryset.filter(
            Q(period_start=period.start)
            | Q(period_start__isnull=True, issue_date__range=(period.start, period.end))
        )

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE, due_date__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
