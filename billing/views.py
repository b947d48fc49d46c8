"""Billing in the browser: invoices, their actions, receivables, the monthly run."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView
from djmoney.money import Money

from audit.selectors import history_context, invoice_history
from billing.einvoice.downloads import PeriodForm, einvoice_current, einvoice_response, einvoices_zip_response
from billing.einvoice.en16931 import en16931_expected, en16931_missing
from billing.filtersets import InvoiceFilterSet
from billing.forms import (
    BillingSettingsForm,
    ClientBillingTermsForm,
    PaymentForm,
    ReasonForm,
    RunForm,
    StatementForm,
)
from billing.models import BillingSettings, ClientBillingTerms, Invoice, InvoiceLine, InvoiceStatus
from billing.pdf import invoice_pdf_response
from billing.selectors import client_statement, invoices_visible, receivables
from billing.services import (
    credit_note_create,
    invoice_draft_delete,
    invoice_issue,
    invoice_pay,
    invoice_void,
    invoices_issue,
)
from billing.services.invoices import MAX_BATCH
from billing.tasks import billing_run_task
from msp.models import Client
from msp.views.base import MemberRequiredMixin, TenantDetailView, TenantListView


class InvoiceListView(TenantListView):
    model = Invoice
    template_name = "billing/list.html"
    partial_template_name = "billing/_table.html"

    def get_queryset(self):
        queryset = invoices_visible(self.request.membership).order_by("-created_at", "-pk")
        self.filterset = InvoiceFilterSet(self.request.GET or None, queryset=queryset, request=self.request)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            filter=self.filterset,
            filtered=self.filterset.is_bound,
            receivables=receivables(),
            can_run=self.has_perm("billing.run"),
            can_issue=self.has_perm("invoice.change"),
            can_set_rates=self.has_perm("taxrate.view"),
            can_download_einvoices=self.has_perm("invoice.pay"),
            perms_sdi=self.has_perm("sdireceipt.view"),
            can_export=self.has_perm("exportbatch.view"),
            **kwargs,
        )
        # The batch button only where the page lists a draft (the page's rows, read once: the
        # table reuses them).
        context["drafts_listed"] = any(invoice.is_draft for invoice in context["object_list"])
        return context


class InvoiceDetailView(TenantDetailView):
    model = Invoice
    template_name = "billing/detail.html"

    def get_queryset(self):
        return invoices_visible(self.request.membership).prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "pk")),
            "payments",
            "credit_notes",
            "einvoices",
        )

    def get_context_data(self, **kwargs):
        invoice = self.object
        kwargs.setdefault("einvoice", einvoice_current(invoice))
        kwargs.setdefault("earlier_einvoices", [row for row in invoice.einvoices.all() if row.superseded])
        from billing.sdi_views import einvoice_context  # the SdI panel (issue 19)

        kwargs = {**einvoice_context(self.request, invoice), **kwargs}
        kwargs.setdefault("pay_form", PaymentForm(invoice=invoice))
        kwargs.setdefault("void_form", ReasonForm(prefix="void"))
        kwargs.setdefault("credit_form", ReasonForm(prefix="credit"))
        return super().get_context_data(
            en16931_missing=en16931_missing(invoice, lines=list(invoice.lines.all()))
            if en16931_expected(invoice)
            else [],
            can_issue=self.has_perm("invoice.change") and invoice.is_draft,
            can_pay=self.has_perm("invoice.pay")
            and invoice.status == InvoiceStatus.ISSUED
            and invoice.kind == "invoice",
            can_void=self.has_perm("invoice.void") and invoice.status == InvoiceStatus.ISSUED,
            can_credit=self.has_perm("invoice.void")
            and invoice.kind == "invoice"
            and invoice.status in ("issued", "paid"),
            can_delete_draft=self.has_perm("invoice.delete") and invoice.is_draft,
            **(
                history_context(self.request, invoice_history(invoice.pk))
                if self.has_perm("invoice.history")
                else {}
            ),
            **kwargs,
        )


class InvoiceActionView(MemberRequiredMixin, View):
    """A POST that calls one service and comes back to the invoice with what happened."""

    model = Invoice

    def get_invoice(self, pk) -> Invoice:
        return get_object_or_404(invoices_visible(self.request.membership), pk=pk)

    def refuse(self, invoice, error: ValidationError, **forms):
        """Back to the invoice page with the error beside the form, and what was typed."""
        messages.error(self.request, " ".join(error.messages))
        view = InvoiceDetailView()
        view.setup(self.request, pk=invoice.pk)
        view.object = get_object_or_404(view.get_queryset(), pk=invoice.pk)
        return render(
            self.request, view.template_name, view.get_context_data(object=view.object, **forms), status=400
        )


class InvoiceIssueView(InvoiceActionView):
    permission_required = "invoice.change"

    def post(self, request, pk):
        invoice = self.get_invoice(pk)
        try:
            invoice = invoice_issue(invoice=invoice)
        except ValidationError as error:
            return self.refuse(invoice, error)
        messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.number})
        return redirect(invoice)


class InvoiceBatchIssueView(MemberRequiredMixin, View):
    """Issue the drafts ticked on the list in one action; each refusal is listed with its
    reason, and the drafts refused stay drafts (the others are issued all the same)."""

    permission_required = "invoice.change"
    http_method_names = ["post"]

    def post(self, request):
        back = request.POST.get("next", "")
        if not back.startswith(_list_url()) or "//" in back:
            back = _list_url()
        ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit() and len(value) < 19]
        if not ids:
            messages.error(request, _("Tick the drafts to issue."))
            return redirect(back)
        if len(ids) > MAX_BATCH:
            messages.error(request, _("Issue at most %(max)s drafts at once.") % {"max": MAX_BATCH})
            return redirect(back)
        drafts = list(
            invoices_visible(request.membership)
            .filter(pk__in=ids, status=InvoiceStatus.DRAFT)
            .order_by("created_at", "pk")
        )
        result = invoices_issue(invoices=drafts)
        if result.issued:
            messages.success(
                request,
                _("Issued: %(numbers)s.")
                % {"numbers": ", ".join(invoice.number for invoice in result.issued)},
            )
        for invoice, reason in result.refused:
            messages.error(
                request,
                _("Draft #%(id)s (%(client)s) was not issued: %(reason)s")
                % {"id": invoice.pk, "client": invoice.client.name, "reason": reason},
            )
        skipped = len(set(ids)) - len(drafts)
        if skipped:
            messages.warning(
                request,
                ngettext(
                    "%(count)s ticked document is not a draft any more (or not yours): left as it is.",
                    "%(count)s ticked documents are not drafts any more (or not yours): left as they are.",
                    skipped,
                )
                % {"count": skipped},
            )
        return redirect(back)


class InvoicePayView(InvoiceActionView):
    permission_required = "invoice.pay"

    def post(self, request, pk):
        invoice = self.get_invoice(pk)
        form = PaymentForm(request.POST, invoice=invoice)
        if not form.is_valid():
            return self.refuse(invoice, ValidationError(_("Check the payment.")), pay_form=form)
        data = form.cleaned_data
        try:
            invoice_pay(
                invoice=invoice,
                amount=Money(data["amount"], invoice.currency),
                paid_at=data["paid_at"],
                method=data["method"],
                reference=data["reference"],
            )
        except ValidationError as error:
            for field, errors in getattr(error, "error_dict", {}).items():
                for item in errors:
                    form.add_error(field if field in form.fields else None, item.messages)
            return self.refuse(invoice, error, pay_form=form)
        messages.success(request, _("Payment recorded."))
        return redirect(invoice)


class InvoiceVoidView(InvoiceActionView):
    permission_required = "invoice.void"

    def post(self, request, pk):
        invoice = self.get_invoice(pk)
        form = ReasonForm(request.POST, prefix="void")
        try:
            if not form.is_valid():
                raise ValidationError(_("Say why the invoice is voided."))
            invoice = invoice_void(invoice=invoice, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            return self.refuse(invoice, error, void_form=form)
        messages.success(
            request, _("Invoice %(number)s voided; it keeps its number.") % {"number": invoice.number}
        )
        return redirect(invoice)


class InvoiceCreditNoteView(InvoiceActionView):
    permission_required = "invoice.void"

    def post(self, request, pk):
        invoice = self.get_invoice(pk)
        form = ReasonForm(request.POST, prefix="credit")
        try:
            if not form.is_valid():
                raise ValidationError(_("Say what the credit note corrects."))
            note = credit_note_create(invoice=invoice, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            return self.refuse(invoice, error, credit_form=form)
        messages.success(request, _("A draft credit note was made: check it and issue it."))
        return redirect(note)


class InvoiceDeleteDraftView(InvoiceActionView):
    permission_required = "invoice.delete"

    def post(self, request, pk):
        invoice = self.get_invoice(pk)
        try:
            invoice_draft_delete(invoice=invoice)
        except ValidationError as error:
            return self.refuse(invoice, error)
        messages.success(request, _("Draft deleted."))
        return redirect("billing:list")


class InvoicePdfView(InvoiceActionView):
    permission_required = "invoice.view"

    def get(self, request, pk):
        return invoice_pdf_response(self.get_invoice(pk), attachment=request.GET.get("inline") != "1")


class InvoiceEInvoiceView(InvoiceActionView):
    """The invoice's current e-invoice file (FatturaPA or UBL) exactly as issued."""

    permission_required = "invoice.view"

    def get(self, request, pk):
        return einvoice_response(self.get_invoice(pk))


class EInvoicesZipView(MemberRequiredMixin, View):
    """The e-invoice files of the documents issued in a period (`from`, `to`), as one ZIP."""

    permission_required = "invoice.pay"
    model = Invoice

    def get(self, request):
        form = PeriodForm(request.GET, tenant=request.membership.tenant)
        if not form.is_valid():
            messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
            return redirect("billing:list")
        return einvoices_zip_response(form.cleaned_data["date_from"], form.cleaned_data["date_to"])


class InvoiceExportView(MemberRequiredMixin, View):
    """Invoices and their lines as CSV for the accountant (the list's filters apply)."""

    permission_required = "invoice.pay"
    model = Invoice

    def get(self, request):
        queryset = invoices_visible(request.membership).exclude(status=InvoiceStatus.DRAFT)
        invoices = InvoiceFilterSet(request.GET or None, queryset=queryset, request=request).qs
        lines = (
            InvoiceLine.objects.filter(invoice__in=invoices)
            .select_related("invoice__client")
            .order_by("invoice__issue_date", "invoice__number", "position", "pk")
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="invoices.csv"'
        writer = csv.writer(response)
        header = [
            "number", "kind", "status", "issue_date", "due_date", "client", "currency", "line", "description",
            "quantity", "unit_price", "tax_rate", "amount", "tax", "invoice_total",
        ]  # fmt: skip

        writer.writerow(header)
        for line in lines.iterator(chunk_size=2000):
            invoice = line.invoice
            writer.writerow(
                [
                    invoice.number,
                    invoice.kind,
                    invoice.status,
                    invoice.issue_date,
                    invoice.due_date,
                    invoice.client.name,
                    invoice.currency,
                    line.position,
                    line.description,
                    line.quantity,
                    line.unit_price.amount,
                    line.tax_rate,
                    line.amount.amount,
                    line.tax.amount,
                    invoice.total.amount,
                ]  # fmt: skip
            )
        return response


class BillingRunView(MemberRequiredMixin, TemplateView):
    """The owner runs a month: the run happens in a worker, one task per tenant."""

    permission_required = "billing.run"
    template_name = "billing/run.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", RunForm())
        settings = BillingSettings.objects.first() or BillingSettings(tenant=self.request.membership.tenant)
        kwargs.setdefault("settings_form", BillingSettingsForm(instance=settings, prefix="settings"))
        return super().get_context_data(**kwargs)

    def post(self, request):
        if "settings-auto_issue" in request.POST or request.POST.get("save_settings"):
            settings = BillingSettings.objects.first() or BillingSettings(tenant=request.membership.tenant)
            settings_form = BillingSettingsForm(request.POST, instance=settings, prefix="settings")
            if settings_form.is_valid():
                settings_form.save()
                messages.success(request, _("Billing settings saved."))
                return redirect("billing:run")
            return self.render_to_response(self.get_context_data(settings_form=settings_form), status=400)
        form = RunForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        period = form.cleaned_data["period"]
        billing_run_task.delay(request.membership.tenant_id, str(period))
        messages.success(
            request,
            _("Billing %(period)s has started; the invoices appear here as they are made.")
            % {"period": period},
        )
        return redirect(f"{_list_url()}?period={period}")


def _list_url() -> str:
    from django.urls import reverse

    return reverse("billing:list")


class ClientBillingTermsView(MemberRequiredMixin, View):
    """Payment terms and tax override of one client."""

    permission_required = "billing.settings"
    model = ClientBillingTerms

    def get_terms(self, client_pk):
        client = get_object_or_404(Client.objects.all(), pk=client_pk)
        terms = ClientBillingTerms.objects.filter(client=client).first()
        return client, terms or ClientBillingTerms(tenant_id=client.tenant_id, client=client)

    def get(self, request, client_pk):
        client, terms = self.get_terms(client_pk)
        return render(
            request, "billing/terms.html", {"client": client, "form": ClientBillingTermsForm(instance=terms)}
        )

    def post(self, request, client_pk):
        client, terms = self.get_terms(client_pk)
        form = ClientBillingTermsForm(request.POST, instance=terms)
        if not form.is_valid():
            return render(request, "billing/terms.html", {"client": client, "form": form}, status=400)
        form.save()
        messages.success(request, _("Billing terms of %(client)s saved.") % {"client": client})
        return redirect(client)


class ClientStatementView(MemberRequiredMixin, TemplateView):
    """A client's statement: invoices, credit notes and payments of a period with the running
    balance, per currency (from/to, by default the last twelve months)."""

    permission_required = "invoice.view"
    template_name = "billing/statement.html"

    def get_context_data(self, **kwargs):
        client = get_object_or_404(Client.objects.all(), pk=self.kwargs["client_pk"])
        form = StatementForm(self.request.GET or None)
        start, end = form.period()
        return super().get_context_data(
            client=client,
            form=form,
            start=start,
            end=end,
            statements=client_statement(client, start=start, end=end),
            **kwargs,
        )
