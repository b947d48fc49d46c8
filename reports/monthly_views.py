"""Monthly client reports in the MSP's browser: the list, a report as stored, a live preview
of any month, and the actions (generate, regenerate a draft, send, download the PDF, share
by link and revoke the link); and the public page a shared link opens.

Every action is a POST that calls one service of reports.services / reports.shares and comes
back to the report with what happened; a refusal (a sent report regenerated, nobody to send
to) is a message, and nothing changes.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from msp.models import Client
from msp.views.base import MemberRequiredMixin, TenantDetailView, TenantListView
from reports.figures import month_figures
from reports.filtersets import MonthlyReportFilterSet
from reports.forms import MonthRunForm, ReportMonthForm, ShareForm
from reports.models import MonthlyReport, ReportShare
from reports.selectors import reports_visible
from reports.services import (
    as_period,
    generate_report,
    month_is_over,
    month_label,
    render_report,
    report_pdf_bytes,
    report_pdf_filename,
    send_report,
)
from reports.shares import (
    report_share_create,
    report_share_for_key,
    report_share_revoke,
    report_share_viewed,
    share_scope,
)


def pdf_response(report: MonthlyReport, *, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(report_pdf_bytes(report), content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{report_pdf_filename(report)}"'
    return response


def _error(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


class ReportListView(TenantListView):
    model = MonthlyReport
    template_name = "reports/monthly/list.html"
    partial_template_name = "reports/monthly/_table.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("preview"):  # the "Preview a client's month" form: to that page
            form = ReportMonthForm(request.GET, prefix="preview")
            if form.is_valid():
                client, period = form.cleaned_data["client"], form.cleaned_data["period"]
                return redirect(f"{reverse('monthly_reports:preview', args=[client.pk])}?period={period}")
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        queryset = reports_visible(self.request.membership).order_by("-period", "-pk")
        self.filterset = MonthlyReportFilterSet(
            self.request.GET or None, queryset=queryset, request=self.request
        )
        return self.filterset.qs.only(
            "id", "period", "status", "generated_at", "sent_at", "client__id", "client__name"
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter=self.filterset,
            filtered=self.filterset.is_bound,
            month_form=ReportMonthForm(prefix="preview"),
            run_form=MonthRunForm() if self.has_perm("monthlyreport.run") else None,
            **kwargs,
        )


class ReportDetailView(TenantDetailView):
    """The report as stored (its HTML snapshot), its links, and what may be done with it."""

    model = MonthlyReport
    template_name = "reports/monthly/detail.html"

    def get_queryset(self):
        shares = ReportShare.objects.select_related("created_by").order_by("-created_at", "-pk")
        return reports_visible(self.request.membership).prefetch_related(Prefetch("shares", queryset=shares))

    def get_context_data(self, **kwargs):
        report = self.object
        can_share = self.has_perm("monthlyreport.share")
        return super().get_context_data(
            month=month_label(as_period(report.period)),
            can_regenerate=self.has_perm("monthlyreport.change") and report.is_draft,
            can_send=self.has_perm("monthlyreport.send") and report.is_draft,
            can_share=can_share,
            shares=report.shares.all() if can_share else [],
            share_form=ShareForm(),
            **kwargs,
        )


class ReportPreviewView(MemberRequiredMixin, TemplateView):
    """Any month of a client, computed now from today's data and stored nowhere; the month's
    stored report, when there is one, is a link away."""

    # The MSP's, before it stores a month: a client contact reads sent reports only.
    permission_required = "monthlyreport.add"
    template_name = "reports/monthly/preview.html"
    model = Client

    def get(self, request, client_pk):
        client = get_object_or_404(Client.objects.select_related("tenant"), pk=client_pk)
        form = ReportMonthForm(request.GET if "period" in request.GET else None, initial={"client": client})
        if form.is_bound:
            try:
                period = form.fields["period"].clean(request.GET["period"])
            except ValidationError as error:
                form.add_error("period", error)
                period = None
        else:
            period = as_period(form.initial["period"])
        context = {"client": client, "form": form, "period": period}
        if period is not None:
            figures = month_figures(client, period)
            context.update(
                html=render_report(client, figures),
                month=month_label(period),
                stored=MonthlyReport.objects.filter(client=client, period=str(period))
                .only("id", "status")
                .first(),
                can_generate=month_is_over(client, period),
                month_over=month_is_over(client, period),
            )
        return render(request, self.template_name, context, status=200 if period is not None else 400)


class ReportGenerateView(MemberRequiredMixin, View):
    """Store the client's report of the month (or open the one stored before)."""

    permission_required = "monthlyreport.add"
    http_method_names = ["post"]

    def post(self, request):
        form = ReportMonthForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return redirect("monthly_reports:list")
        client, period = form.cleaned_data["client"], form.cleaned_data["period"]
        try:
            report = generate_report(client, period, by=request.user)
        except ValidationError as error:
            _error(request, error)
            return redirect(f"{reverse('monthly_reports:preview', args=[client.pk])}?period={period}")
        messages.success(request, _("The report of %(month)s is stored.") % {"month": month_label(period)})
        return redirect(report)


class ReportActionView(MemberRequiredMixin, View):
    """A POST on one report that calls one service and comes back to the report."""

    model = MonthlyReport
    http_method_names = ["post"]

    def get_report(self, pk) -> MonthlyReport:
        return get_object_or_404(
            reports_visible(self.request.membership).select_related("client__tenant"), pk=pk
        )


class ReportRegenerateView(ReportActionView):
    permission_required = "monthlyreport.change"

    def post(self, request, pk):
        report = self.get_report(pk)
        try:
            generate_report(report.client, report.period, regenerate=True, by=request.user)
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, _("The draft was computed again from today's data."))
        return redirect(report)


class ReportSendView(ReportActionView):
    permission_required = "monthlyreport.send"

    def post(self, request, pk):
        report = self.get_report(pk)
        try:
            report = send_report(report, by=request.user)
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(
                request,
                _("The report was sent to %(to)s; it stays as it is from now on.")
                % {"to": ", ".join(report.sent_to)},
            )
        return redirect(report)


class ReportPdfView(ReportActionView):
    permission_required = "monthlyreport.view"
    http_method_names = ["get"]

    def get(self, request, pk):
        return pdf_response(self.get_report(pk), attachment=request.GET.get("inline") != "1")


class ReportShareCreateView(ReportActionView):
    """A new link: its address is shown once, on the page this answers."""

    permission_required = "monthlyreport.share"

    def post(self, request, pk):
        report = self.get_report(pk)
        form = ShareForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return redirect(report)
        try:
            share, key = report_share_create(report=report, days=form.cleaned_data["days"], by=request.user)
        except ValidationError as error:
            _error(request, error)
            return redirect(report)
        link = request.build_absolute_uri(reverse("report_share", args=[key]))
        return render(
            request, "reports/monthly/share_created.html", {"report": report, "share": share, "link": link}
        )


class ReportShareRevokeView(MemberRequiredMixin, View):
    model = ReportShare
    permission_required = "monthlyreport.share"
    http_method_names = ["post"]

    def post(self, request, pk):
        share = get_object_or_404(ReportShare.objects.select_related("report"), pk=pk)
        try:
            report_share_revoke(share=share, by=request.user)
        except ValidationError as error:
            _error(request, error)
        else:
            messages.success(request, _("The link was revoked: it opens nothing any more."))
        return redirect(share.report)


class ReportMonthRunView(MemberRequiredMixin, View):
    """Every client's draft of a month, made in a worker (one task for the tenant)."""

    permission_required = "monthlyreport.run"
    http_method_names = ["post"]

    def post(self, request):
        from reports.tasks import reports_month_run_task

        form = MonthRunForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return redirect("monthly_reports:list")
        period = form.cleaned_data["period"]
        reports_month_run_task.delay(request.membership.tenant_id, str(period))
        messages.success(
            request,
            _("The reports of %(month)s are being made as drafts; they appear here as they are stored.")
            % {"month": month_label(period)},
        )
        return redirect(f"{reverse('monthly_reports:list')}?period={period}")


# --- the public page of a shared link -------------------------------------------------------------

CLOSED_REASONS = {
    "expired": _("This link to a report has expired. Ask whoever sent it for a new one."),
    "revoked": _("This link to a report was withdrawn. Ask whoever sent it for a new one."),
}


class ReportShareView(View):
    """The report behind a shared link, for whoever holds the link (no login): the snapshot,
    and its PDF. An unknown key is a 404, an expired or revoked link a 410, each saying so."""

    http_method_names = ["get", "head"]

    def get(self, request, key, pdf=False):
        share = report_share_for_key(key)
        if share is None or not share.is_active:
            if share is None:
                reason = _("This link to a report is not valid. Check that you copied all of it.")
            else:
                reason = CLOSED_REASONS[share.status]
            return render(
                request,
                "reports/monthly/share_closed.html",
                {"reason": reason},
                status=404 if share is None else 410,
            )
        report = share.report
        with share_scope(share):
            if pdf:
                return pdf_response(report, attachment=request.GET.get("inline") != "1")
            report_share_viewed(share)
        context = {
            "report": report,
            "share": share,
            "share_key": key,
            "tenant": report.client.tenant,
            "month": month_label(as_period(report.period)),
        }
        return render(request, "reports/monthly/share.html", context)
