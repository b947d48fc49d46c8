from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from msp.api.base import TenantAPIView, TenantModelViewSet
from timetracking.api.serializers import (
    TimeEntrySerializer,
    TimerSerializer,
    TimerStartSerializer,
    TimerStoppedSerializer,
    TimerStopSerializer,
    WorkTypeSerializer,
)
from timetracking.models import TimeEntry, WorkType
from timetracking.services import (
    time_entry_create,
    time_entry_delete,
    time_entry_update,
    timer_start,
    timer_stop,
)


class TimeEntryViewSet(TenantModelViewSet):
    """Time entries: each shows how it was drawn from prepaid hours, and any overage.

    Technicians see and change their own entries; owners and admins everyone's."""

    model = TimeEntry
    permission_resource = "timeentry"
    serializer_class = TimeEntrySerializer
    filterset_fields = ["ticket", "technician", "billable", "work_type", "contract"]
    ordering_fields = ["created_at", "started_at", "minutes"]

    def get_queryset(self):
        queryset = TimeEntry.objects.select_related("contract", "technician").order_by("-created_at", "-pk")
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        membership = getattr(self.request, "membership", None)
        if membership is None or not membership.has_perm("timeentry.manage_all"):
            queryset = queryset.filter(technician=self.request.user)
        return queryset

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        ticket = data.pop("ticket")
        serializer.instance = time_entry_create(ticket=ticket, technician=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if data.get("minutes") is not None:
            data.update(started_at=None, ended_at=None)
        elif data.get("started_at") is not None or data.get("ended_at") is not None:
            data["minutes"] = None
        else:
            data.pop("minutes", None)
        serializer.instance = time_entry_update(entry=serializer.instance, **data)

    def perform_destroy(self, instance):
        time_entry_delete(entry=instance)


class TimerStartApi(TenantAPIView):
    """Start your timer on a ticket; a running one is stopped first and its entry returned."""

    permission_required = "timeentry.add"

    @extend_schema(request=TimerStartSerializer, responses={201: TimerSerializer})
    def post(self, request):
        data = TimerStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        started = timer_start(
            technician=request.user, ticket=data.validated_data["ticket"], tenant=request.membership.tenant
        )
        body = {"timer": TimerSerializer(started.timer).data, "stopped_entry": None}
        if started.stopped_entry is not None:
            body["stopped_entry"] = TimerStoppedSerializer(started.stopped_entry).data
        return Response(body, status=status.HTTP_201_CREATED)


class TimerStopApi(TenantAPIView):
    """Stop your timer, with the work note: an entry from the timer's start to now, of whole
    minutes (rounded up, at least 1), then the contract's rule. A timer that ran over 24 h
    logs its first 24 h and says so (``cut``, ``warning``)."""

    permission_required = "timeentry.add"

    @extend_schema(request=TimerStopSerializer, responses={201: TimerStoppedSerializer})
    def post(self, request):
        data = TimerStopSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            entry = timer_stop(
                technician=request.user, tenant=request.membership.tenant, note=data.validated_data["note"]
            )
        except DjangoValidationError as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        return Response(TimerStoppedSerializer(entry).data, status=status.HTTP_201_CREATED)


class WorkTypeViewSet(TenantModelViewSet):
    model = WorkType
    permission_resource = "worktype"
    serializer_class = WorkTypeSerializer
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return WorkType.objects.order_by("name", "pk")
