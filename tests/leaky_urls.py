"""Deliberately leaky views: the isolation harness must catch them (see test_isolation.py).

They step out of the scope with ``with unscoped():``, the named escape that bypasses both
fences (on PostgreSQL ``Model.unscoped`` alone is still fenced by row-level security to the
request's tenant: ``forgotten-escape``, see tests/msp/test_row_security.py)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path
from django.views import View

from msp.models import Client
from msp.scoping import unscoped
from tickets.attachments import attachment_response
from tickets.models import Attachment


class LeakyList(View):
    def get(self, request):
        with unscoped():
            return HttpResponse(", ".join(c.name for c in Client.objects.all()))


class ForgottenEscape(View):
    """A forgotten ``Model.unscoped`` in a request's scope: the ORM does not filter it."""

    def get(self, request):
        return HttpResponse(", ".join(c.name for c in Client.unscoped.all()))


class LeakyDetail(View):
    model = Client

    def get(self, request, pk):
        with unscoped():
            return HttpResponse(get_object_or_404(Client.objects, pk=pk).name)


class LeakyDownload(View):
    """A file download that skips the scope: the harness reads the streamed file's content."""

    model = Attachment

    def get(self, request, pk):
        with unscoped():
            return attachment_response(get_object_or_404(Attachment.objects, pk=pk))


urlpatterns = [
    path("", include("msp.urls")),
    path("leaky/", LeakyList.as_view(), name="leaky-list"),
    path("leaky/<int:pk>/", LeakyDetail.as_view(), name="leaky-detail"),
    path("leaky/files/<int:pk>/", LeakyDownload.as_view(), name="leaky-download"),
    path("forgotten/", ForgottenEscape.as_view(), name="forgotten-escape"),
]
