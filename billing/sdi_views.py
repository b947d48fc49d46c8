"""The SdI in the browser: the receipts page (upload, files waiting, received receipts,
refused files of the watched folder), and the e-invoice's actions on the invoice page
(upload its receipt, mark it sent, correct and send it again)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from billing.einvoice.folder import failed_files, tenant_folder
from billing.einvoice.sdi import (
    RESENDABLE,
    DuplicateReceipt,
    einvoice_resend,
    einvoices_mark_sent,
    sdi_receipt_import,
)
from billing.forms import SdiReceiptUploadForm
from billing.models import EInvoice, EInvoiceFormat, EInvoiceState, SdiReceipt, SdiReceiptSource
from billing.views import InvoiceActionView
from msp.views.base import MemberRequiredMixin, TenantListView

WAITING_SHOWN = 50  # files ready to send listed on the receipts page (the count says how many in all)


def _read(upload) -> bytes:
    upload.seek(0)
    return upload.read()


class SdiReceiptsView(TenantListView):
    """Receipts received, newest first; the upload form; files ready to send and files
    rejected; and the watched folder's refused files with the reason."""

    model = SdiReceipt
    template_name = "billing/sdi_receipts.html"

    def get_permission_required(self):
        return ("sdireceipt.add",) if self.request.method == "POST" else ("sdireceipt.view",)

    def get_queryset(self):
        return SdiReceipt.objects.select_related("einvoice__invoice__client").order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        current = EInvoice.objects.filter(format=EInvoiceFormat.FATTURAPA, superseded=False).select_related(
            "invoice__client"
        )
        ready = current.filter(state=EInvoiceState.READY).order_by("created_at", "pk")
        kwargs.setdefault("form", SdiReceiptUploadForm())
        tenant = self.request.membership.tenant
        return super().get_context_data(
            ready=list(ready[:WAITING_SHOWN]),
            ready_count=ready.count(),
            attention=list(current.filter(state__in=RESENDABLE).order_by("-state_at", "-pk")[:WAITING_SHOWN]),
            folder=tenant_folder(tenant),
            refused_files=failed_files(tenant),
            can_upload=self.has_perm("sdireceipt.add"),
            can_send=self.has_perm("einvoice.send"),
            **kwargs,
        )

    def post(self, request):
        form = SdiReceiptUploadForm(request.POST, request.FILES)
        refused = []
        imported = 0
        if form.is_valid():
            for upload in form.cleaned_data["files"]:
                try:
                    sdi_receipt_import(
                        tenant=request.membership.tenant,
                        content=_read(upload),
                        filename=upload.name,
                        source=SdiReceiptSource.BROWSER,
                    )
                    imported += 1
                except ValidationError as error:
                    refused.append(f"{upload.name}: {' '.join(error.messages)}")
        if imported:
            messages.success(
                request,
                ngettext("%(count)d receipt imported.", "%(count)d receipts imported.", imported)
                % {"count": imported},
            )
        if form.is_valid() and not refused:
            return redirect("billing:sdi-receipts")
        for line in refused:
            form.add_error("files", line)
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SdiReceiptFileView(MemberRequiredMixin, View):
    """The receipt's file as it was received."""

    model = SdiReceipt
    permission_required = "sdireceipt.view"

    def get(self, request, pk):
        receipt = get_object_or_404(SdiReceipt.objects.all(), pk=pk)
        try:
            handle = receipt.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404(_("The file is missing from the storage.")) from exc
        response = FileResponse(
            handle, as_attachment=True, filename=receipt.filename, content_type="application/xml"
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class EInvoiceMarkSentView(MemberRequiredMixin, View):
    """Files handed to the intermediary: READY -> SENT, one (from the invoice page) or many."""

    permission_required = "einvoice.send"

    def post(self, request):
        ids = [
            int(value) for value in request.POST.getlist("einvoice") if value.isdigit() and len(value) < 19
        ]
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = ""
        back = back or reverse("billing:sdi-receipts")
        if not ids:
            messages.error(request, _("Choose the files to mark as sent."))
            return redirect(back)
        result = einvoices_mark_sent(tenant=request.membership.tenant, ids=ids)
        if result.sent:
            messages.success(
                request,
                ngettext(
                    "%(count)d file marked as sent.", "%(count)d files marked as sent.", len(result.sent)
                )
                % {"count": len(result.sent)},
            )
        for name, why in result.refused:
            messages.error(request, f"{name}: {why}")
        return redirect(back)


class InvoiceReceiptUploadView(InvoiceActionView):
    """A receipt for this invoice's current FatturaPA file."""

    permission_required = "sdireceipt.add"

    def post(self, request, pk):
        invoice = self.get_invoice(pk)
        form = SdiReceiptUploadForm(request.POST, request.FILES, prefix="receipt")
        current = _current(invoice)
        try:
            if current is None:
                raise ValidationError(_("This invoice has no FatturaPA file: there is nothing to receive."))
            if not form.is_valid():
                raise ValidationError(_("Choose the receipt's file."))
            uploads = form.cleaned_data["files"]
            if len(uploads) != 1:
                raise ValidationError(_("One receipt at a time here; the SdI receipts page takes many."))
            receipt = sdi_receipt_import(
                tenant=request.membership.tenant,
                content=_read(uploads[0]),
                filename=uploads[0].name,
                source=SdiReceiptSource.BROWSER,
                einvoice=current,
            )
        except DuplicateReceipt as error:
            return self.refuse(invoice, error, receipt_form=form)
        except ValidationError as error:
            return self.refuse(invoice, error, receipt_form=form)
        messages.success(
            request,
            _("%(kind)s receipt imported: %(file)s is %(state)s.")
            % {
                "kind": receipt.kind,
                "file": receipt.einvoice.filename,
                "state": receipt.einvoice.get_state_display().lower(),
            },
        )
        return redirect(invoice)


class InvoiceEInvoiceResendView(InvoiceActionView):
    """Correct and send again: a new FatturaPA file (new progressive, same invoice number)."""

    permission_required = "einvoice.send"

    def post(self, request, pk):
        invoice = self.get_invoice(pk)
        try:
            einvoice = einvoice_resend(invoice=invoice)
        except ValidationError as error:
            return self.refuse(invoice, error)
        messages.success(
            request,
            _("A new file %(file)s was made from the corrected data: send it to the SdI.")
            % {"file": einvoice.filename},
        )
        return redirect(invoice)


def _current(invoice) -> EInvoice | None:
    return (
        EInvoice.objects.filter(invoice=invoice, format=EInvoiceFormat.FATTURAPA, superseded=False)
        .order_by("-pk")
        .first()
    )


def einvoice_context(request, invoice) -> dict:
    """The invoice page's e-invoice panel: its FatturaPA files (the current one first, the
    superseded ones after) with their receipts, and what the member may do. Two queries;
    none for a member who may not see receipts (a client contact)."""
    membership = request.membership
    if not membership.has_perm("sdireceipt.view"):
        return {}
    files = list(
        EInvoice.objects.filter(invoice=invoice, format=EInvoiceFormat.FATTURAPA)
        .prefetch_related(Prefetch("receipts", queryset=SdiReceipt.objects.order_by("created_at", "pk")))
        .order_by("superseded", "-pk")
    )
    current = next((f for f in files if not f.superseded), None)
    return {
        "sdi_files": files,
        "sdi_current": current,
        "can_upload_receipt": current is not None and membership.has_perm("sdireceipt.add"),
        "can_mark_sent": current is not None
        and current.state == EInvoiceState.READY
        and membership.has_perm("einvoice.send"),
        "can_resend": current is not None
        and current.state in RESENDABLE
        and membership.has_perm("einvoice.send"),
        "receipt_form": SdiReceiptUploadForm(prefix="receipt"),
    }
