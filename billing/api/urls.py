from django.urls import path
from rest_framework.routers import SimpleRouter

from billing.api import sdi, views

router = SimpleRouter()
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("einvoices/receipts", sdi.SdiReceiptViewSet, basename="sdireceipt")

urlpatterns = [
    path("invoices/<int:pk>/issue/", views.InvoiceIssueApi.as_view(), name="invoice-issue"),
    path("invoices/<int:pk>/pay/", views.InvoicePayApi.as_view(), name="invoice-pay"),
    path("invoices/<int:pk>/void/", views.InvoiceVoidApi.as_view(), name="invoice-void"),
    path("invoices/<int:pk>/credit-note/", views.InvoiceCreditNoteApi.as_view(), name="invoice-credit-note"),
    path("invoices/<int:pk>/pdf/", views.InvoicePdfApi.as_view(), name="invoice-pdf"),
    path("invoices/<int:pk>/einvoice/", views.InvoiceEInvoiceApi.as_view(), name="invoice-einvoice"),
    path("invoices/einvoices.zip", views.EInvoicesZipApi.as_view(), name="invoice-einvoices-zip"),
    path("invoices/<int:pk>/history/", views.InvoiceHistoryApi.as_view(), name="invoice-history"),
    path(
        "invoices/<int:pk>/einvoice/resend/",
        sdi.InvoiceEInvoiceResendApi.as_view(),
        name="invoice-einvoice-resend",
    ),
    path("einvoices/sent/", sdi.EInvoicesMarkSentApi.as_view(), name="einvoices-sent"),
    *router.urls,
]
