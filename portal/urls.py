from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("offers/", views.PortalOfferListView.as_view(), name="offers"),
    path("offers/<int:pk>/", views.PortalOfferDetailView.as_view(), name="offer"),
    path("offers/<int:pk>/accept/", views.PortalOfferAcceptView.as_view(), name="offer-accept"),
    path("offers/<int:pk>/decline/", views.PortalOfferDeclineView.as_view(), name="offer-decline"),
    path("offers/<int:pk>/pdf/", views.PortalOfferPdfView.as_view(), name="offer-pdf"),
]
urlpatterns += [
    path("tickets/", views.PortalTicketListView.as_view(), name="tickets"),
    path("tickets/new/", views.PortalTicketCreateView.as_view(), name="ticket-create"),
    path("tickets/<int:pk>/", views.PortalTicketDetailView.as_view(), name="ticket"),
    path("tickets/<int:pk>/reply/", views.PortalTicketReplyView.as_view(), name="ticket-reply"),
]
from portal.hours import PortalHoursView  # noqa: E402

urlpatterns += [path("hours/", PortalHoursView.as_view(), name="hours")]

from portal.invoices import PortalInvoiceListView, PortalInvoicePdfView  # noqa: E402

urlpatterns += [
    path("invoices/", PortalInvoiceListView.as_view(), name="invoices"),
    path("invoices/<int:pk>/pdf/", PortalInvoicePdfView.as_view(), name="invoice-pdf"),
]

from portal.identity import PortalLogoView  # noqa: E402

urlpatterns += [path("logo/", PortalLogoView.as_view(), name="logo")]

from portal.assets import PortalAssetDetailView, PortalAssetListView  # noqa: E402

urlpatterns += [
    path("assets/", PortalAssetListView.as_view(), name="assets"),
    path("assets/<int:pk>/", PortalAssetDetailView.as_view(), name="asset"),
]

from portal.reports import PortalReportDetailView, PortalReportListView, PortalReportPdfView  # noqa: E402

urlpatterns += [
    path("reports/", PortalReportListView.as_view(), name="reports"),
    path("reports/<int:pk>/", PortalReportDetailView.as_view(), name="report"),
    path("reports/<int:pk>/pdf/", PortalReportPdfView.as_view(), name="report-pdf"),
]
