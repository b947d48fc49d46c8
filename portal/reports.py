"""The client contact's monthly reports: its company's SENT reports (never a draft), each as
it was sent (its stored HTML snapshot: later changes to the data never alter it) and its PDF.
Another client's report, or a draft, is a 404 like one that does not exist."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.views import View
from django.views.generic import DetailView, ListView

from msp.roles import PORTAL
from msp.views.base import MemberRequiredMixin
from reports.models import MonthlyReport
from reports.monthly_views import pdf_response
from reports.selectors import reports_visible
from reports.services import as_period, month_label

LISTED = ("id", "period", "status", "sent_at", "client__id", "client__name")


class PortalReportMixin(MemberRequiredMixin):
    """Client contacts only (PORTAL); the scope limits them to their company, and
    reports_visible to the reports sent to it."""

    permission_required = (PORTAL, "monthlyreport.view")
    model = MonthlyReport

    def reports(self):
        return reports_visible(self.request.membership)


class PortalReportListView(PortalReportMixin, ListView):
    template_name = "portal/reports/list.html"
    paginate_by = 24

    def get_queryset(self):
        return self.reports().only(*LISTED).order_by("-period", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for report in context["object_list"]:
            report.month = month_label(as_period(report.period))
        return context


class PortalReportDetailView(PortalReportMixin, DetailView):
    template_name = "portal/reports/detail.html"

    def get_queryset(self):
        return self.reports()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            report=self.object, month=month_label(as_period(self.object.period)), **kwargs
        )


class PortalReportPdfView(PortalReportMixin, View):
    def get(self, request, pk):
        report = get_object_or_404(self.reports().select_related("client__tenant"), pk=pk)
        return pdf_response(report, attachment=request.GET.get("inline") != "1")
