from django.urls import path

from billing import sdi_views, views

app_name = "billing"
urlpatterns = [
    path("", views.InvoiceListView.as_view(), name="list"),
    path("export.csv", views.InvoiceExportView.as_view(), name="export"),
    path("einvoices.zip", views.EInvoicesZipView.as_view(), name="einvoices-zip"),
    path("run/", views.BillingRunView.as_view(), name="run"),
    path("clients/<int:client_pk>/terms/", views.ClientBillingTermsView.as_view(), name="client-terms"),
    path("sdi-receipts/", sdi_views.SdiReceiptsView.as_view(), name="sdi-receipts"),
    path("sdi-receipts/<int:pk>/file/", sdi_views.SdiReceiptFileView.as_view(), name="sdi-receipt-file"),
    path("einvoices/sent/", sdi_views.EInvoiceMarkSentView.as_view(), name="einvoices-sent"),
    path("<int:pk>/einvoice/receipt/", sdi_views.InvoiceReceiptUploadView.as_view(), name="einvoice-receipt"),
    path("<int:pk>/einvoice/resend/", sdi_views.InvoiceEInvoiceResendView.as_view(), name="einvoice-resend"),
    path("<int:pk>/", views.InvoiceDetailView.as_view(), name="invoice_detail"),
    path("<int:pk>/issue/", views.InvoiceIssueView.as_view(), name="issue"),
    path("<int:pk>/pay/", views.InvoicePayView.as_view(), name="pay"),
    path("<int:pk>/void/", views.InvoiceVoidView.as_view(), name="void"),
    path("<int:pk>/credit-note/", views.InvoiceCreditNoteView.as_view(), name="credit-note"),
    path("<int:pk>/delete/", views.InvoiceDeleteDraftView.as_view(), name="delete"),
    path("<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="pdf"),
    path("<int:pk>/einvoice/", views.InvoiceEInvoiceView.as_view(), name="einvoice"),
]
