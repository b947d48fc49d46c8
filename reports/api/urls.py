from django.urls import path
from rest_framework.routers import SimpleRouter

from reports.api import views

router = SimpleRouter()
router.register("reports", views.MonthlyReportViewSet, basename="monthlyreport")

urlpatterns = [
    path(
        "reports/<int:pk>/regenerate/", views.ReportRegenerateApi.as_view(), name="monthlyreport-regenerate"
    ),
    path("reports/<int:pk>/send/", views.ReportSendApi.as_view(), name="monthlyreport-send"),
    path("reports/<int:pk>/pdf/", views.ReportPdfApi.as_view(), name="monthlyreport-pdf"),
    *router.urls,
]
