from django.urls import path
from rest_framework.routers import SimpleRouter

from assets.api import views

router = SimpleRouter()
router.register("assets", views.AssetViewSet, basename="asset")

urlpatterns = [
    # Before the router's routes, whose assets/<pk>/ would otherwise take "import".
    path("assets/import/", views.AssetImportApi.as_view(), name="asset-import"),
    *router.urls,
]
