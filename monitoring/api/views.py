"""Monitoring API: ingestion with an ingest key; alerts and keys with a member's token."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from monitoring.api.authentication import IngestKeyAuthentication
from monitoring.api.serializers import (
    AlertSerializer,
    IngestKeyCreatedSerializer,
    IngestKeySerializer,
    IngestResultSerializer,
    MessageSerializer,
    messages_from,
)
from monitoring.choices import AlertOrigin
from monitoring.filtersets import AlertFilterSet
from monitoring.models import Alert, IngestKey
from monitoring.services.ingest import ingest
from monitoring.services.keys import ingest_key_create, ingest_key_revoke
from msp.api.base import TenantAPIMixin

INGEST_AUTH = [{"IngestKey": []}, {"IngestBearer": []}]


class HasIngestKey(BasePermission):
    message = _("Send an ingest key (X-Ingest-Key, or Authorization: Bearer).")

    def has_permission(self, request, view):
        return isinstance(getattr(request, "auth", None), IngestKey)


class IngestMixin:
    """A view (or a POST) authenticated by an ingest key alone: the key names the tenant.

    `ingest_only` False: only POST is, the other methods are a member's (the alerts list)."""

    ingest_only = True
    origin = AlertOrigin.AGENT

    def _ingesting(self) -> bool:
        if self.ingest_only:
            return True
        request = getattr(self, "request", None)  # None while the schema is generated
        actions = getattr(self, "action_map", None) or {}
        return request is not None and actions.get(request.method.lower()) == "create"

    def get_authenticators(self):
        # A member's token is still recognised, to be told (403) that this takes an ingest key.
        if self._ingesting():
            return [IngestKeyAuthentication(), *super().get_authenticators()]
        return super().get_authenticators()

    def get_permissions(self):
        if self._ingesting():
            return [HasIngestKey()]
        return super().get_permissions()

    def file(self, request, messages) -> Response:
        key = request.auth
        outcomes = ingest(tenant=key.tenant, key=key, messages=messages, origin=self.origin)
        body = {"accepted": len(outcomes), "results": [outcome.as_dict() for outcome in outcomes]}
        return Response(body, status=status.HTTP_200_OK)


class AlertViewSet(
    IngestMixin, TenantAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Alerts, most recently seen first (a member's token); POST files monitoring messages
    (an ingest key)."""

    ingest_only = False
    model = Alert
    queryset = Alert.objects.none()  # for the schema; get_queryset scopes it
    permission_resource = "alert"
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    search_fields = ["check_name", "message"]
    ordering_fields = ["last_seen_at", "first_seen_at"]

    def get_queryset(self):
        return Alert.objects.order_by("-last_seen_at", "-pk")

    @extend_schema(
        auth=INGEST_AUTH,
        request=MessageSerializer(many=True),
        responses={200: IngestResultSerializer, 401: OpenApiResponse(description=_("No valid ingest key."))},
        description=(
            "Alert and heartbeat ingestion: one message, or a list of at most 1,000, with the header "
            "`X-Ingest-Key: <key>` (or `Authorization: Bearer <key>`). A problem for an asset's check "
            "opens an alert and a ticket; repeats while it is open count on it; `status: ok` resolves "
            "it. A heartbeat (`type: heartbeat`) updates the asset's last seen, OS and patches. A "
            "machine the tenant does not know is accepted and kept for review. Any invalid message "
            "refuses the whole request (400), and nothing is written."
        ),
        examples=[
            OpenApiExample(
                "An alert",
                value={
                    "hostname": "srv-files01",
                    "check": "disk_usage",
                    "severity": "critical",
                    "value": "96%",
                    "message": "C: is 96% full",
                },
                request_only=True,
            ),
            OpenApiExample(
                "A heartbeat",
                value={
                    "type": "heartbeat",
                    "hostname": "srv-files01",
                    "os": "Windows Server 2022",
                    "missing_patches": 3,
                },
                request_only=True,
            ),
        ],
    )
    def create(self, request, *args, **kwargs):
        return self.file(request, messages_from(request.data))


@extend_schema(responses={201: IngestKeyCreatedSerializer}, methods=["POST"])
class IngestKeyViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Ingest keys of the tenant's monitoring tools (owner and admin). A POST answers the key
    itself, once; DELETE revokes it (it stays listed, revoked)."""

    model = IngestKey
    queryset = IngestKey.objects.none()
    permission_resource = "ingestkey"
    serializer_class = IngestKeySerializer
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        return IngestKey.objects.order_by("name", "pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, secret = ingest_key_create(
            tenant=request.membership.tenant, created_by=request.user, **serializer.validated_data
        )
        key.key = secret
        return Response(IngestKeyCreatedSerializer(key).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        ingest_key_revoke(instance)
