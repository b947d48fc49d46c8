from django.urls import path
from rest_framework.routers import SimpleRouter

from monitoring.api import adapter_views, views

router = SimpleRouter()
router.register("monitoring/alerts", views.AlertViewSet, basename="alert")
router.register("monitoring/keys", views.IngestKeyViewSet, basename="ingestkey")

urlpatterns = [
    *router.urls,
    path(
        "monitoring/alertmanager/",
        adapter_views.AlertmanagerIngestApi.as_view(),
        name="monitoring-alertmanager",
    ),
    path("monitoring/webhook/", adapter_views.WebhookIngestApi.as_view(), name="monitoring-webhook"),
]
