"""Deliberately wasteful views: the query-count harness must catch them (test_query_counts.py)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path
from django.views import View

from msp.models import Client
from tickets.models import Ticket


class NPlusOneList(View):
    """One query for the tickets, then one per ticket for its client."""

    def get(self, request):
        return HttpResponse(", ".join(f"{t.subject} ({t.client.name})" for t in Ticket.objects.all()))


class NPlusOneDetail(View):
    """One query per comment for its author."""

    model = Ticket

    def get(self, request, pk):
        ticket = get_object_or_404(Ticket.objects.all(), pk=pk)
        return HttpResponse(", ".join(str(c.author) for c in ticket.comments.all()))


class Heavy(View):
    """Constant, but far over the budget."""

    def get(self, request):
        return HttpResponse(", ".join(str(Client.objects.count()) for _n in range(20)))


class Fine(View):
    def get(self, request):
        tickets = Ticket.objects.select_related("client")
        return HttpResponse(", ".join(f"{t.subject} ({t.client.name})" for t in tickets))


urlpatterns = [
    path("", include("msp.urls")),
    path("nplusone/tickets/", NPlusOneList.as_view(), name="nplusone-list"),
    path("nplusone/tickets/<int:pk>/", NPlusOneDetail.as_view(), name="nplusone-detail"),
    path("nplusone/heavy/", Heavy.as_view(), name="nplusone-heavy"),
    path("nplusone/fine/", Fine.as_view(), name="nplusone-fine"),
]
