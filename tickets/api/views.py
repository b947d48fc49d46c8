from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS

from msp.api.base import TenantAPIMixin, TenantAPIView, TenantModelViewSet
from msp.filtersets import FilterSet
from tickets.api.serializers import AttachmentSerializer, TicketCommentSerializer, TicketSerializer
from tickets.attachments import attachment_list, attachment_response
from tickets.choices import Priority, SlaState, TicketStatus
from tickets.models import Ticket, TicketComment


class TicketFilterSet(FilterSet):
    # Any of several values of the ticket's own columns: a plain WHERE, no DISTINCT (msp.filtersets).
    status = django_filters.MultipleChoiceFilter(choices=TicketStatus.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    sla_state = django_filters.MultipleChoiceFilter(choices=SlaState.choices)

    class Meta:
        model = Ticket
        fields = ["status", "priority", "client", "assignee", "sla_state", "contract", "asset"]


class TicketViewSet(TenantModelViewSet):
    """Tickets with their SLA clocks (`response_due_at`, `resolution_due_at`,
    `first_response_at`, `sla_state`: read only, kept by the SLA engine)."""

    model = Ticket
    permission_resource = "ticket"
    serializer_class = TicketSerializer
    filterset_class = TicketFilterSet
    search_fields = ["subject", "description"]
    ordering_fields = [
        "created_at",
        "priority",
        "sla_breach_at",
        "response_due_at",
        "resolution_due_at",
        "status",
    ]
    ordering = ["-created_at", "-pk"]

    def get_queryset(self):
        tickets = Ticket.objects.order_by("-created_at", "-pk")
        if getattr(self.request, "method", None) not in SAFE_METHODS:  # a write reads them
            tickets = tickets.select_related("client", "assignee")
        return tickets  # a read shows their ids only: no join, no client and user per row


class TicketCommentListCreateApi(TenantAPIMixin, generics.ListCreateAPIView):
    """A ticket's public replies and internal notes (`public: false`). Client contacts see
    and write public replies only."""

    model = Ticket  # the `pk` in the URL names the ticket
    serializer_class = TicketCommentSerializer
    filter_backends = []

    @property
    def permission_required(self):
        return "ticket.view" if self.request.method in ("GET", "HEAD", "OPTIONS") else "ticket.reply"

    def get_ticket(self) -> Ticket:
        if not hasattr(self, "_ticket"):
            self._ticket = get_object_or_404(Ticket.objects.all(), pk=self.kwargs["pk"])
        return self._ticket

    def get_queryset(self):
        comments = TicketComment.objects.filter(ticket=self.get_ticket()).select_related("author")
        if self.request.membership.is_client:
            comments = comments.filter(public=True)
        return comments.order_by("created_at", "pk")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.kwargs.get("pk") is not None and getattr(self.request, "membership", None):
            context["ticket"] = self.get_ticket()
        return context

    def perform_create(self, serializer):
        membership = self.request.membership
        if not serializer.validated_data.get("public", True):
            if membership.is_client or not membership.has_perm("ticket.note"):
                raise exceptions.PermissionDenied(_("Only staff can write internal notes."))
        serializer.save()


class TicketAttachmentListCreateApi(TicketCommentListCreateApi):
    """A ticket's files: list them, or upload one (multipart/form-data: `file`, optionally
    `comment`). Client contacts see the files of their company's tickets and public replies
    only, never an internal note's. Too large a file, or one whose content is not what its name
    says (or an executable, HTML, an SVG with script), is a 400 and nothing is stored."""

    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return attachment_list(ticket=self.get_ticket()).order_by("created_at", "pk")

    def post(self, request, *args, **kwargs):
        self.get_ticket()  # a ticket out of scope is a 404 before the body is judged
        return super().post(request, *args, **kwargs)


class TicketAttachmentDownloadApi(TenantAPIView):
    """One file of the ticket, as a download (`Content-Disposition: attachment`)."""

    model = Ticket  # the `pk` names the ticket; `attachment_pk` the file
    permission_required = "ticket.view"

    # The file in the type it was uploaded with (text/plain, image/png, ...).
    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request, pk, attachment_pk):
        ticket = get_object_or_404(Ticket.objects.all(), pk=pk)
        return attachment_response(get_object_or_404(attachment_list(ticket=ticket), pk=attachment_pk))
