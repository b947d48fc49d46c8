"""Ingestion in the formats of other tools: Alertmanager's webhook and a mapped generic one.

Each view reads the whole payload through its adapter (``monitoring.adapters``) before
anything is filed, so a refused request writes nothing; the ingestion service files it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from monitoring.adapters import alertmanager, webhook
from monitoring.api.serializers import IngestResultSerializer
from monitoring.api.views import INGEST_AUTH, HasIngestKey, IngestMixin
from monitoring.choices import AlertOrigin
from msp.api.parsers import JSONParser
from msp.api.permissions import HasRolePermission

REFUSED = {
    400: OpenApiResponse(
        description=_("Not readable: the answer names each field at fault; nothing is written.")
    ),
    401: OpenApiResponse(description=_("No valid ingest key.")),
    403: OpenApiResponse(description=_("A member's token: this takes an ingest key.")),
}


class AnyJSONParser(JSONParser):
    """JSON whatever the Content-Type says: tools' webhooks often send text/plain, or none."""

    media_type = "*/*"


class _ToolIngestApi(IngestMixin, APIView):
    # Declared for the permission harness: no member's role passes (HasIngestKey), and at
    # run time IngestMixin asks for the ingest key alone.
    permission_classes = [HasRolePermission, HasIngestKey]
    permission_resource = "alert"


class AlertmanagerIngestApi(_ToolIngestApi):
    origin = AlertOrigin.ALERTMANAGER
    parser_classes = [JSONParser]

    @extend_schema(
        auth=INGEST_AUTH,
        request=alertmanager.AlertmanagerPayloadSerializer,
        responses={200: IngestResultSerializer, **REFUSED},
        description=(
            "Prometheus Alertmanager's webhook receiver (payload version 4), with the ingest key as "
            "`Authorization: Bearer <key>` (Alertmanager's `http_config`). Each firing alert is a "
            "problem, each resolved one its recovery. The machine is the key's `asset_label` label "
            "(`instance` by default, its `:port` left out), else `host` or `hostname`; the check is "
            "`alertname`; the severity label's critical/page/error are critical, warning/warn a "
            "warning, info/none info, anything else a warning (said so in the message); the message "
            "is the `summary` and `description` annotations, the value the `value` one. Repeated "
            "notifications of a firing alert count as repeats. At most 1,000 alerts a request "
            "(`max_alerts: 1000`). Another payload version is refused (400)."
        ),
        examples=[
            OpenApiExample(
                "A firing alert",
                value={
                    "version": "4",
                    "groupKey": '{}:{alertname="HostOutOfDiskSpace"}',
                    "status": "firing",
                    "receiver": "psa",
                    "alerts": [
                        {
                            "status": "firing",
                            "labels": {
                                "alertname": "HostOutOfDiskSpace",
                                "instance": "srv-files01.acme.lan:9100",
                                "severity": "critical",
                            },
                            "annotations": {"summary": "Disk almost full", "value": "4.2% free"},
                            "startsAt": "2026-03-02T08:15:00Z",
                            "endsAt": "0001-01-01T00:00:00Z",
                            "generatorURL": "http://prometheus:9090/graph",
                            "fingerprint": "b10e5e6bab070339",
                        }
                    ],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        return self.file(
            request, alertmanager.messages_from(request.data, asset_label=request.auth.asset_label)
        )


class WebhookIngestApi(_ToolIngestApi):
    origin = AlertOrigin.WEBHOOK
    parser_classes = [JSONParser, AnyJSONParser]

    @extend_schema(
        auth=INGEST_AUTH,
        request=OpenApiTypes.OBJECT,
        responses={200: IngestResultSerializer, **REFUSED},
        description=(
            "A generic JSON webhook, read through the ingest key's `field_map`: where each field "
            "(`hostname`, `serial`, `check`, `severity`, `status`, `value`, `message`, "
            "`occurred_at`) is, as a dotted path (`a|b`: the first that is there), the tool's words "
            "as ours (`severity_map`, `status_map`, `check_map`), and for a batch the path of its "
            "list (`items`; a top-level list is a batch too). Unmapped fields read Tactical RMM's "
            "alert body as the README gives it. A missing machine or check, an unknown status or an "
            "unreadable time refuses the request (400, naming the path); an unknown severity is "
            "filed as a warning. Any Content-Type is read as JSON."
        ),
        examples=[
            OpenApiExample(
                "Tactical RMM",
                value={
                    "agent": {"hostname": "SRV-FILES01", "client": "Acme", "site": "HQ"},
                    "alert": {
                        "type": "check",
                        "check_name": "diskspace",
                        "task_name": "None",
                        "severity": "error",
                        "status": "None",
                        "message": "SRV-FILES01 has a diskspace check: Drive C: that failed.",
                        "time": "2026-03-02 08:15:00.123456+00:00",
                        "resolved_on": "None",
                    },
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        return self.file(request, webhook.messages_from(request.data, field_map=request.auth.field_map))
