"""The dashboard is the site's home page: its URL name stays `dashboard` (no namespace)."""

from django.urls import path

from reports import views

urlpatterns = [path("", views.DashboardView.as_view(), name="dashboard")]
