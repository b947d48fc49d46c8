from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework import exceptions, generics
from rest_framework.permissions import SAFE_METHODS

from msp.api.base import TenantAPIMixin, TenantModelViewSet
from msp.filtersets import FilterSet
from tickets.api.serializers import TicketCommentSerializer, TicketSerializer
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
