"""`exports/`: the accountant's export (create a batch for a period and a format, list and read
batches with their problems, download a batch's file) and `exports/mappings/` (which account
each kind of line, payment method and VAT code posts to)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.response import Response

from billing.export_views import export_file_response
from billing.models import AccountMapping, ExportBatch, ExportFormat, MappingKind
from billing.services.exports import account_mappings_save, export_batch_create, mapping_rows
from msp.api.base import LeanModelSerializer, StrictSerializerMixin, TenantAPIMixin


class ProblemSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=["mapping", "vat_number", "voided"],
        help_text=_("mapping: an account mapping is missing; vat_number: the client's VAT number; voided."),
    )
    kind = serializers.CharField(help_text=_("invoice, credit_note or payment"))
    id = serializers.IntegerField(help_text=_("The document's (or payment's) id."))
    invoice = serializers.IntegerField(help_text=_("The invoice or credit note concerned."))
    document = serializers.CharField(help_text=_("Its number."))
    line = serializers.IntegerField(
        allow_null=True, help_text=_("The line's position, when one line is the cause.")
    )
    reason = serializers.CharField()


class ExportBatchSerializer(LeanModelSerializer):
    created_by = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField(
        help_text=_("The file's URL; null when nothing was exported.")
    )
    problems = ProblemSerializer(many=True, read_only=True)

    class Meta:
        model = ExportBatch
        fields = [
            "id",
            "format",
            "period_start",
            "period_end",
            "again",
            "created_by",
            "created_at",
            "filename",
            "sha256",
            "download",
            "invoice_count",
            "credit_note_count",
            "payment_count",
            "skipped_count",
            "problem_count",
            "problems",
        ]

    def get_created_by(self, batch) -> str | None:
        return batch.created_by.get_username() if batch.created_by_id else None

    def get_download(self, batch) -> str | None:
        return reverse("api:export-download", args=[batch.pk]) if batch.file else None


class ExportCreateSerializer(StrictSerializerMixin, serializers.Serializer):
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    again = serializers.BooleanField(
        default=False, help_text=_("Export again the documents an earlier batch of the format exported.")
    )


class ExportBatchViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Accounting exports, newest first. A POST exports a period (`format`: qbo, xero or journal;
    `period_start`, `period_end`; `again`) and answers the batch: its counts, its file's
    `download` URL, and every document it could not export with the reason (`problems`)."""

    model = ExportBatch
    queryset = ExportBatch.objects.none()  # for the schema; get_queryset scopes it
    permission_resource = "exportbatch"
    serializer_class = ExportBatchSerializer

    def get_queryset(self):
        return ExportBatch.objects.select_related("created_by").order_by("-created_at", "-pk")

    @extend_schema(request=ExportCreateSerializer, responses={201: ExportBatchSerializer})
    def create(self, request, *args, **kwargs):
        data_in = ExportCreateSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        batch = export_batch_create(
            tenant=request.membership.tenant, by=request.user, **data_in.validated_data
        )
        return Response(ExportBatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class ExportDownloadApi(TenantAPIMixin, generics.GenericAPIView):
    """The batch's file as exported: a ZIP (Xero, QuickBooks Online) or a CSV (journal)."""

    model = ExportBatch
    permission_required = "exportbatch.view"
    filter_backends: list = []

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
        }
    )
    def get(self, request, pk):
        return export_file_response(get_object_or_404(ExportBatch.objects.only("file", "filename"), pk=pk))


class MappingSerializer(StrictSerializerMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=MappingKind.choices)
    key = serializers.CharField(
        max_length=40,
        allow_blank=True,
        default="",
        help_text=_("The line kind (sales), payment method (bank), VAT code (vat); empty for receivables."),
    )
    label = serializers.CharField(read_only=True)
    account = serializers.CharField(max_length=100, allow_blank=True, default="")
    qbo_name = serializers.CharField(max_length=100, allow_blank=True, default="")
    xero_tax_type = serializers.CharField(max_length=100, allow_blank=True, default="")


class MappingsInputSerializer(StrictSerializerMixin, serializers.Serializer):
    mappings = MappingSerializer(many=True, max_length=500)


class AccountMappingsApi(TenantAPIMixin, generics.ListAPIView):
    """Every mapping the exports may need, set or not (sales per line kind, receivables, the
    bank per payment method, VAT per code). A POST of `{"mappings": [...]}` sets those given (a
    row sent with every value empty is cleared) and answers every mapping as it now is."""

    model = AccountMapping
    permission_resource = "accountmapping"  # GET: view; POST: add (owners and admins)
    serializer_class = MappingSerializer
    filter_backends: list = []

    def get_queryset(self):
        return mapping_rows(tenant=self.request.membership.tenant)

    @extend_schema(request=MappingsInputSerializer, responses={200: MappingSerializer(many=True)})
    def post(self, request):
        data_in = MappingsInputSerializer(data=request.data)
        data_in.is_valid(raise_exception=True)
        account_mappings_save(tenant=request.membership.tenant, rows=data_in.validated_data["mappings"])
        return self.list(request)  # every mapping as it now is, a page like the GET
