from rest_framework.routers import SimpleRouter

from monitoring.api import views

router = SimpleRouter()
router.register("monitoring/alerts", views.AlertViewSet, basename="alert")
router.register("monitoring/keys", views.IngestKeyViewSet, basename="ingestkey")

urlpatterns = [*router.urls]
