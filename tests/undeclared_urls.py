"""Views that name no permission, added to the project's URLs: the permission test must catch
each of them, and a member view among them must refuse even an owner (test_view_permissions.py)."""

from django.http import HttpResponse
from django.urls import include, path
from django.views import View
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from msp.api.base import TenantAPIView
from msp.views.base import MemberRequiredMixin


class UndeclaredMemberView(MemberRequiredMixin, View):
    def get(self, request):
        return HttpResponse("tenant secrets")


class UndeclaredPlainView(View):
    def get(self, request):
        return HttpResponse("tenant secrets")


def undeclared_function(request):
    return HttpResponse("tenant secrets")


class UndeclaredApi(TenantAPIView):
    def get(self, request):
        return HttpResponse("tenant secrets")


class OpenApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return HttpResponse("tenant secrets")


urlpatterns = [
    path("", include("msp.urls")),
    path("undeclared/member/", UndeclaredMemberView.as_view(), name="undeclared-member"),
    path("undeclared/plain/", UndeclaredPlainView.as_view(), name="undeclared-plain"),
    path("undeclared/function/", undeclared_function),  # unnamed: walked all the same
    path("undeclared/api/", UndeclaredApi.as_view(), name="undeclared-api"),
    path("undeclared/open-api/", OpenApi.as_view(), name="undeclared-open-api"),
]
