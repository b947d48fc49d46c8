"""The dashboard is the site's home page: its URL name stays `dashboard` (no namespace).
Monthly client reports live under /reports/monthly/ (namespace `monthly_reports`), and the
page a shared link opens at /r/<key>/ (`report_share`, public: the key is the credential)."""

from django.urls import include, path

from reports import monthly_views, views
from reports.owner_views import OwnerDashboardView

monthly_patterns = (
    [
        path("", monthly_views.ReportListView.as_view(), name="list"),
        path("generate/", monthly_views.ReportGenerateView.as_view(), name="generate"),
        path("run/", monthly_views.ReportMonthRunView.as_view(), name="run"),
        path("clients/<int:client_pk>/preview/", monthly_views.ReportPreviewView.as_view(), name="preview"),
        path("<int:pk>/", monthly_views.ReportDetailView.as_view(), name="detail"),
        path("<int:pk>/regenerate/", monthly_views.ReportRegenerateView.as_view(), name="regenerate"),
        path("<int:pk>/send/", monthly_views.ReportSendView.as_view(), name="send"),
        path("<int:pk>/pdf/", monthly_views.ReportPdfView.as_view(), name="pdf"),
        path("<int:pk>/share/", monthly_views.ReportShareCreateView.as_view(), name="share"),
        path("links/<int:pk>/revoke/", monthly_views.ReportShareRevokeView.as_view(), name="share-revoke"),
    ],
    "monthly_reports",
)

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("reports/clients/", OwnerDashboardView.as_view(), name="owner_dashboard"),
    path("reports/monthly/", include(monthly_patterns)),
    path("r/<str:key>/", monthly_views.ReportShareView.as_view(), name="report_share"),
    path("r/<str:key>/pdf/", monthly_views.ReportShareView.as_view(), {"pdf": True}, name="report_share_pdf"),
]
