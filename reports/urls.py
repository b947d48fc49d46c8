"""The dashboard is the site's home page: its URL name stays `dashboard` (no namespace)."""

from django.urls import path

from reports import views
from reports.owner_views import OwnerDashboardView

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    # Issue 12: the owner's dashboard across clients (owners and admins).
    path("reports/clients/", OwnerDashboardView.as_view(), name="owner_dashboard"),
]
