"""The accountant's export in the browser: export a period, the history of batches with their
files and problems, and the account mappings (owners and admins)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from billing.models import AccountMapping, ExportBatch, ExportFormat, MappingKind
from billing.periods import Period
from billing.services.exports import (
    MAPPING_FIELDS,
    account_mappings_save,
    export_batch_create,
    mapping_rows,
)
from msp.views.base import MemberRequiredMixin, TenantDetailView, TenantListView

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=ExportFormat.choices)
    period_start = forms.DateField(label=gettext_lazy("From"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("To"), widget=DATE)
    again = forms.BooleanField(
        label=gettext_lazy("Include already exported"),
        required=False,
        help_text=gettext_lazy("Export again the documents an earlier export in this format included."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            last_month = Period.of(timezone.localdate()).previous()
            self.initial.setdefault("period_start", last_month.start)
            self.initial.setdefault("period_end", last_month.end)


class ExportListView(TenantListView):
    """Export a period (POST) and the batches made so far, newest first."""

    model = ExportBatch
    template_name = "billing/exports.html"

    def get_queryset(self):
        return (
            ExportBatch.objects.select_related("created_by").defer("problems").order_by("-created_at", "-pk")
        )

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", ExportForm())
        return super().get_context_data(
            can_map=self.has_perm("accountmapping.view"), formats=ExportFormat, **kwargs
        )

    def post(self, request):
        if not self.has_perm("exportbatch.add"):
            raise PermissionDenied
        form = ExportForm(request.POST)
        if form.is_valid():
            try:
                batch = export_batch_create(
                    tenant=request.membership.tenant, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)  # the service names the form's fields
            else:
                _report(request, batch)
                return redirect(batch)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _report(request, batch: ExportBatch) -> None:
    if batch.document_count:
        messages.success(
            request,
            _("Exported %(invoices)s invoices, %(notes)s credit notes and %(payments)s payments.")
            % {
                "invoices": batch.invoice_count,
                "notes": batch.credit_note_count,
                "payments": batch.payment_count,
            },
        )
    elif batch.skipped_count:
        messages.info(
            request,
            _(
                "Nothing new to export: the %(count)s documents of this period were exported already "
                "(tick “Include already exported” to export them again)."
            )
            % {"count": batch.skipped_count},
        )
    else:
        messages.info(request, _("Nothing to export in this period."))
    if batch.problem_count:
        messages.warning(
            request,
            _("%(count)s problems kept documents out of the export: see below.")
            % {"count": batch.problem_count},
        )


class ExportDetailView(TenantDetailView):
    """One batch: what it exported, its file, and each document it could not export and why."""

    model = ExportBatch
    template_name = "billing/export_detail.html"

    def get_queryset(self):
        return ExportBatch.objects.select_related("created_by")

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_map=self.has_perm("accountmapping.change"), **kwargs)


class ExportDownloadView(MemberRequiredMixin, View):
    permission_required = "exportbatch.view"
    model = ExportBatch

    def get(self, request, pk):
        batch = get_object_or_404(ExportBatch.objects.only("file", "filename"), pk=pk)
        return export_file_response(batch)


def export_file_response(batch: ExportBatch) -> FileResponse:
    if not batch.file:
        raise Http404(_("This export exported nothing: it has no file."))
    try:
        handle = batch.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing from the storage.")) from exc
    content_type = "application/zip" if batch.filename.endswith(".zip") else "text/csv; charset=utf-8"
    response = FileResponse(handle, as_attachment=True, filename=batch.filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


FIELD_TITLES = {
    "account": gettext_lazy("Account code"),
    "qbo_name": gettext_lazy("QuickBooks name"),
    "xero_tax_type": gettext_lazy("Xero tax type"),
}
SECTION_HELP = {
    MappingKind.SALES: gettext_lazy(
        "The revenue account of each kind of line (the journal's and Xero's account code) and the "
        "QuickBooks product/service it is sold as."
    ),
    MappingKind.RECEIVABLES: gettext_lazy("The account the journal posts what clients owe to."),
    MappingKind.BANK: gettext_lazy(
        "The bank account payments of each method arrive in: the journal's account, and the name of "
        "the bank statement file for Xero and QuickBooks."
    ),
    MappingKind.VAT: gettext_lazy(
        "Per VAT code: the journal's VAT account, the tax rate's name in Xero, and the tax code in "
        "QuickBooks (exempt and reverse-charge codes too: Xero and QuickBooks need one on every line)."
    ),
}


class ExportMappingsView(MemberRequiredMixin, View):
    """Which account each kind of line, payment and VAT code posts to: one form, every row."""

    model = AccountMapping

    def get_permission_required(self):
        return ("accountmapping.view",) if self.request.method == "GET" else ("accountmapping.change",)

    def get(self, request):
        return self.render(request, mapping_rows(tenant=request.membership.tenant))

    def post(self, request):
        rows = mapping_rows(tenant=request.membership.tenant)
        given, errors = [], {}
        for row in rows:  # a field the form did not send keeps its value
            values = {"kind": row.kind, "key": row.key}
            for name in MAPPING_FIELDS[row.kind]:
                value = request.POST.get(_input_name(row.kind, row.key, name), getattr(row, name)).strip()
                if len(value) > 100:
                    errors[(row.kind, row.key, name)] = _("At most 100 characters.")
                values[name] = value
            given.append(values)
        if errors:
            messages.error(request, _("Check the mappings marked below."))
            return self.render(request, rows, posted=given, errors=errors, status=400)
        account_mappings_save(tenant=request.membership.tenant, rows=given)
        messages.success(request, _("Account mappings saved."))
        return redirect("billing:export-mappings")

    def render(self, request, rows, posted=None, errors=None, status=200):
        posted = {(values["kind"], values["key"]): values for values in posted or []}
        errors = errors or {}
        sections = []
        for kind, label in MappingKind.choices:
            fields = MAPPING_FIELDS[kind]
            entries = []
            for row in rows:
                if row.kind != kind:
                    continue
                values = posted.get((row.kind, row.key)) or {name: getattr(row, name) for name in fields}
                entries.append(
                    {
                        "label": row.label,
                        "inputs": [
                            {
                                "name": _input_name(row.kind, row.key, name),
                                "value": values.get(name, ""),
                                "title": FIELD_TITLES[name],
                                "error": errors.get((row.kind, row.key, name)),
                            }
                            for name in fields
                        ],
                    }
                )
            sections.append(
                {
                    "label": label,
                    "help": SECTION_HELP[kind],
                    "titles": [FIELD_TITLES[name] for name in fields],
                    "rows": entries,
                }
            )
        return render(
            request,
            "billing/export_mappings.html",
            {"sections": sections, "can_change": request.membership.has_perm("accountmapping.change")},
            status=status,
        )


def _input_name(kind: str, key: str, field: str) -> str:
    return f"{kind}|{key}|{field}"
