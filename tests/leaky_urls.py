"""Deliberately leaky views: the isolation harness must catch them (see test_isolation.py)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path
from django.views import View

from msp.models import Client
from tickets.attachments import attachment_response
from tickets.models import Attachment


class LeakyList(View):
    def get(self, request):
        return HttpResponse(", ".join(c.name for c in Client.unscoped.all()))


class LeakyDetail(View):
    model = Client

    def get(self, request, pk):
        return HttpResponse(get_object_or_404(Client.unscoped, pk=pk).name)


class LeakyDownload(View):
    """A file download that skips the scope: the harness reads the streamed file's content."""

    model = Attachment

    def get(self, request, pk):
        return attachment_response(get_object_or_404(Attachment.unscoped, pk=pk))


urlpatterns = [
    path("", include("msp.urls")),
    path("leaky/", LeakyList.as_view(), name="leaky-list"),
    path("leaky/<int:pk>/", LeakyDetail.as_view(), name="leaky-detail"),
    path("leaky/files/<int:pk>/", LeakyDownload.as_view(), name="leaky-download"),
]
