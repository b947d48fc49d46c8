from django.urls import include, path
from rest_framework.routers import DefaultRouter

from msp.api import views
from msp.api.base import TenantAPIMixin


class ApiRoot(TenantAPIMixin, DefaultRouter.APIRootView):
    permission_required = "client.view"


router = DefaultRouter()
router.APIRootView = ApiRoot
router.register("clients", views.ClientViewSet, basename="client")
router.register("sites", views.SiteViewSet, basename="site")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("members", views.MemberViewSet, basename="member")
router.register("invitations", views.InvitationViewSet, basename="invitation")
router.register("notifications", views.NotificationViewSet, basename="notification")

app_name = "api"
urlpatterns = [
    path("auth/token/", views.TokenObtainApi.as_view(), name="token"),
    path("organisation/", views.OrganisationApi.as_view(), name="organisation"),
    *router.urls,
    # Downstream apps bring their own routes (included by name: msp never imports them).
    path("", include("assets.api.urls")),
    path("", include("contracts.api.urls")),
    path("", include("sales.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("timetracking.api.urls")),
    path("", include("billing.api.urls")),
    path("", include("monitoring.api.urls")),
    path("", include("inbox.api.urls")),
    path("", include("reports.api.urls")),
]
