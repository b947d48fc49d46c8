"""API lists for the DISTINCT harness's self-test (tests/test_api_distinct.py): one whose
multi-value filter runs DISTINCT (django-filter's own FilterSet and backend), which it must
catch, and one filtering through a to-many relation on msp.filtersets.FilterSet (EXISTS),
which it must pass."""

import django_filters
from django.urls import include, path
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from msp.api.base import TenantModelViewSet
from msp.api.filters import FilterBackend
from msp.api.serializers import ClientSerializer
from msp.filtersets import FilterSet
from msp.models import Client, Contact
from tickets.api.serializers import TicketSerializer
from tickets.choices import TicketStatus
from tickets.models import Ticket


class PlainTicketFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TicketStatus.choices)  # distinct=True

    class Meta:
        model = Ticket
        fields = ["status"]


class DistinctTicketViewSet(TenantModelViewSet):
    model = Ticket
    permission_resource = "ticket"
    serializer_class = TicketSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PlainTicketFilterSet


class ClientByContactFilterSet(FilterSet):
    contact = django_filters.ModelMultipleChoiceFilter(
        field_name="contacts", queryset=lambda request: Contact.objects.all()
    )
    contact_name = django_filters.CharFilter(field_name="contacts__name", lookup_expr="icontains")

    class Meta:
        model = Client
        fields = ["contact", "contact_name"]


class ClientByContactViewSet(TenantModelViewSet):
    model = Client
    permission_resource = "client"
    serializer_class = ClientSerializer
    filter_backends = [FilterBackend]
    filterset_class = ClientByContactFilterSet


router = SimpleRouter()
router.register("distinct-tickets", DistinctTicketViewSet, basename="distinct-ticket")
router.register("clients-by-contact", ClientByContactViewSet, basename="client-by-contact")

urlpatterns = [
    path("api/v1/", include((router.urls, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
