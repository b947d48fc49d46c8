"""`invoices/` and its actions: `issue/`, `pay/`, `void/`, `credit-note/`, `pdf/`, `einvoice/`;
`invoices/einvoices.zip`: a period's e-invoice files."""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from djmoney.money import Money
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.response import Response

from audit.api.views import HistoryApi
from audit.selectors import invoice_history
from billing.api.serializers import (
    BatchIssueResultSerializer,
    BatchIssueSerializer,
    InvoiceCreateSerializer,
    InvoiceSerializer,
    PaymentSerializer,
    ReasonSerializer,
    TaxRateSerializer,
)
from billing.einvoice.downloads import PeriodForm, einvoice_response, einvoices_zip_response
from billing.filtersets import InvoiceFilterSet
from billing.models import Invoice, InvoiceStatus, TaxRate
from billing.pdf import invoice_pdf_response
from billing.selectors import invoices_visible
from billing.services import (
    LineDraft,
    credit_note_create,
    invoice_draft_create,
    invoice_draft_delete,
    invoice_issue,
    invoice_pay,
    invoice_void,
    invoices_issue,
)
from msp.api.base import TenantAPIMixin, TenantModelViewSet


class InvoiceViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Invoices and credit notes, newest first. Client contacts see their own company's, issued
    ones only. A POST makes a draft from lines; DELETE throws a draft away."""

    model = Invoice
    queryset = Invoice.objects.none()  # for the schema; get_queryset scopes it
    permission_resource = "invoice"
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilterSet
    search_fields = ["number", "client__name"]
    ordering_fields = ["issue_date", "due_date", "number", "created_at"]

    def get_queryset(self):
        return (
            invoices_visible(self.request.membership).prefetch_related("lines").order_by("-created_at", "-pk")
        )

    @extend_schema(request=InvoiceCreateSerializer, responses={201: InvoiceSerializer})
    def create(self, request, *args, **kwargs):
        data_in = InvoiceCreateSerializer(data=request.data, context=self.get_serializer_context())
        data_in.is_valid(raise_exception=True)
        data = data_in.validated_data
        client = data["client"]
        currency = data.get("currency") or client.currency
        lines = [
            LineDraft(
                kind=line["kind"],
                description=line["description"],
                detail=line["detail"],
                quantity=line["quantity"],
                unit=line["unit"],
                unit_price=data_in.line_money(line, currency),
                tax_rate=line["tax_rate"],
                vat=line["vat"],
            )
            for line in data["lines"]
        ]
        invoice = invoice_draft_create(client=client, lines=lines, currency=currency, note=data["note"])
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        invoice_draft_delete(invoice=instance)


class InvoiceActionMixin(TenantAPIMixin):
    model = Invoice
    filter_backends: list = []

    def get_invoice(self):
        return get_object_or_404(invoices_visible(self.request.membership), pk=self.kwargs["pk"])


class InvoiceIssueApi(InvoiceActionMixin, generics.GenericAPIView):
    """Issue a draft: it gets the next number of its series and its dates, and is e-mailed."""

    permission_required = "invoice.change"
    serializer_class = InvoiceSerializer

    @extend_schema(request=None, responses={200: InvoiceSerializer})
    def post(self, request, pk):
        invoice = invoice_issue(invoice=self.get_invoice())
        return Response(InvoiceSerializer(invoice).data)


class InvoiceBatchIssueApi(InvoiceActionMixin, generics.GenericAPIView):
    """Issue several drafts in one call (`ids`, in the order their numbers should follow):
    each is issued on its own, and each refused one is listed with its reason (it stays a
    draft). An id that is not a draft of yours is refused too, as not found."""

    permission_required = "invoice.change"
    serializer_class = BatchIssueSerializer

    @extend_schema(
        operation_id="v1_invoices_issue_batch",
        request=BatchIssueSerializer,
        responses={200: BatchIssueResultSerializer},
    )
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(serializer.validated_data["ids"]))
        found = invoices_visible(request.membership).in_bulk(ids)
        drafts = [found[pk] for pk in ids if pk in found and found[pk].status == InvoiceStatus.DRAFT]
        result = invoices_issue(invoices=drafts)
        refused = [{"id": invoice.pk, "reason": reason} for invoice, reason in result.refused]
        for pk in ids:
            if pk not in found:
                refused.append({"id": pk, "reason": _("No such draft.")})
            elif found[pk].status != InvoiceStatus.DRAFT:
                refused.append(
                    {
                        "id": pk,
                        "reason": _("Invoice %(number)s has already been issued.")
                        % {"number": found[pk].number},
                    }
                )
        return Response(
            {
                "issued": InvoiceSerializer(result.issued, many=True).data,
                "refused": sorted(refused, key=lambda r: ids.index(r["id"])),
            }
        )


class TaxRateViewSet(TenantModelViewSet):
    """The VAT rate catalogue: a 0 % rate names its exemption nature (N1–N7) and legal
    reference; a rate a client's terms use cannot be deleted (409): retire it (is_active)."""

    model = TaxRate
    permission_resource = "taxrate"
    serializer_class = TaxRateSerializer
    filterset_fields = ["is_active", "nature"]
    search_fields = ["name", "code"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return TaxRate.objects.order_by("name", "pk")


class InvoicePayApi(InvoiceActionMixin, generics.GenericAPIView):
    """Record a payment (`amount`, `paid_at`, `method`); no more than what is outstanding."""

    permission_required = "invoice.pay"
    serializer_class = PaymentSerializer

    @extend_schema(responses={201: PaymentSerializer})
    def post(self, request, pk):
        invoice = self.get_invoice()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        amount = data["amount"]
        if isinstance(amount, Decimal):
            amount = Money(amount, invoice.currency)
        payment = invoice_pay(
            invoice=invoice,
            amount=amount,
            paid_at=data["paid_at"],
            method=data["method"],
            reference=data.get("reference", ""),
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class InvoiceVoidApi(InvoiceActionMixin, generics.GenericAPIView):
    """Void an issued, unpaid invoice with a `reason`; it keeps its number."""

    permission_required = "invoice.void"
    serializer_class = ReasonSerializer

    @extend_schema(request=ReasonSerializer, responses={200: InvoiceSerializer})
    def post(self, request, pk):
        invoice = self.get_invoice()  # another tenant's: 404 before anything is read
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invoice = invoice_void(invoice=invoice, reason=serializer.validated_data["reason"])
        return Response(InvoiceSerializer(invoice).data)


class InvoiceCreditNoteApi(InvoiceActionMixin, generics.GenericAPIView):
    """A draft credit note for all of an issued invoice, with a `reason`."""

    permission_required = "invoice.void"
    serializer_class = ReasonSerializer

    @extend_schema(request=ReasonSerializer, responses={201: InvoiceSerializer})
    def post(self, request, pk):
        invoice = self.get_invoice()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = credit_note_create(invoice=invoice, reason=serializer.validated_data["reason"])
        return Response(InvoiceSerializer(note).data, status=status.HTTP_201_CREATED)


class InvoicePdfApi(InvoiceActionMixin, generics.GenericAPIView):
    """The invoice's PDF (rendered now when the stored one is missing or stale)."""

    permission_required = "invoice.view"

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        return invoice_pdf_response(self.get_invoice())


class InvoiceEInvoiceApi(InvoiceActionMixin, generics.GenericAPIView):
    """The current e-invoice file (FatturaPA, or UBL under EN 16931) exactly as issued; 404 when
    the document has none."""

    permission_required = "invoice.view"

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        return einvoice_response(self.get_invoice())


class EInvoicesZipApi(TenantAPIMixin, generics.GenericAPIView):
    """The e-invoice files of the documents issued from `from` to `to` (ISO dates; this month so
    far by default, at most 366 days), as one ZIP streamed file by file."""

    model = Invoice
    permission_required = "invoice.pay"
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First issue date (default: the 1st)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last issue date (default: today)."),
        ],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request):
        form = PeriodForm(request.query_params, tenant=request.membership.tenant, strict=True)
        if not form.is_valid():
            errors = {
                "from" if k == "date_from" else "to" if k == "date_to" else k: v
                for k, v in form.errors.items()
            }
            raise serializers.ValidationError(errors)
        return einvoices_zip_response(form.cleaned_data["date_from"], form.cleaned_data["date_to"])


class InvoiceHistoryApi(InvoiceActionMixin, HistoryApi):
    """Who drafted, issued, paid, credited or voided the invoice, and its payments: when,
    from where, before and after; newest first."""

    permission_required = "invoice.history"

    def history(self):
        return invoice_history(self.get_invoice().pk)
