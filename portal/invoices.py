"""The client contact's invoices: its own company's issued ones, and their PDFs."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.views import View
from django.views.generic import ListView

from billing.models import Invoice
from billing.pdf import invoice_pdf_response
from billing.selectors import invoices_visible
from msp.roles import PORTAL
from msp.views.base import MemberRequiredMixin


class PortalInvoiceMixin(MemberRequiredMixin):
    permission_required = (PORTAL, "invoice.view")  # client contacts only
    model = Invoice


class PortalInvoiceListView(PortalInvoiceMixin, ListView):
    template_name = "portal/invoices/list.html"
    paginate_by = 25

    def get_queryset(self):
        return invoices_visible(self.request.membership).order_by("-issue_date", "-pk")


class PortalInvoicePdfView(PortalInvoiceMixin, View):
    def get(self, request, pk):
        invoice = get_object_or_404(invoices_visible(request.membership), pk=pk)
        return invoice_pdf_response(invoice, attachment=request.GET.get("inline") != "1")
