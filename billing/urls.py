from django.urls import path

from billing import export_views, views

app_name = "billing"
urlpatterns = [
    path("", views.InvoiceListView.as_view(), name="list"),
    path("export.csv", views.InvoiceExportView.as_view(), name="export"),
    path("run/", views.BillingRunView.as_view(), name="run"),
    path("exports/", export_views.ExportListView.as_view(), name="exports"),
    path("exports/mappings/", export_views.ExportMappingsView.as_view(), name="export-mappings"),
    path("exports/<int:pk>/", export_views.ExportDetailView.as_view(), name="export-detail"),
    path("exports/<int:pk>/download/", export_views.ExportDownloadView.as_view(), name="export-download"),
    path("clients/<int:client_pk>/terms/", views.ClientBillingTermsView.as_view(), name="client-terms"),
    path("<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("<int:pk>/issue/", views.InvoiceIssueView.as_view(), name="issue"),
    path("<int:pk>/pay/", views.InvoicePayView.as_view(), name="pay"),
    path("<int:pk>/void/", views.InvoiceVoidView.as_view(), name="void"),
    path("<int:pk>/credit-note/", views.InvoiceCreditNoteView.as_view(), name="credit-note"),
    path("<int:pk>/delete/", views.InvoiceDeleteDraftView.as_view(), name="delete"),
    path("<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="pdf"),
]
