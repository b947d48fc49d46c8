"""The SdI in the API: `einvoices/receipts/` (list, read, send a receipt), `einvoices/sent/`
(files handed to the intermediary) and `invoices/{id}/einvoice/resend/` (correct and send
again). The rules are billing.einvoice.sdi's."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, parsers, serializers, status, viewsets
from rest_framework.exceptions import ErrorDetail, ParseError
from rest_framework.response import Response

from billing.einvoice.sdi import DuplicateReceipt, einvoice_resend, einvoices_mark_sent, sdi_receipt_import
from billing.models import EInvoice, Invoice, SdiReceipt, SdiReceiptSource
from billing.selectors import invoices_visible
from msp.api.base import MAX_ID, LeanModelSerializer, StrictSerializerMixin, TenantAPIMixin
from msp.api.parsers import MultiPartParser


class EInvoiceSerializer(LeanModelSerializer):
    class Meta:
        model = EInvoice
        fields = [
            "id", "invoice", "format", "progressive", "filename", "state", "state_at", "sdi_id", "errors",
            "superseded", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class SdiReceiptSerializer(LeanModelSerializer):
    einvoice_filename = serializers.CharField(source="einvoice.filename", read_only=True)
    invoice = serializers.IntegerField(source="einvoice.invoice_id", read_only=True)

    class Meta:
        model = SdiReceipt
        fields = [
            "id", "einvoice", "einvoice_filename", "invoice", "kind", "sdi_id", "notified_at", "outcome",
            "errors", "description", "filename", "sha256", "source", "state_before", "state_after", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ReceiptUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("The receipt's XML file, as the SdI sent it."))


class RawXMLParser(parsers.BaseParser):
    """`Content-Type: application/xml` (or text/xml): the body is the receipt itself."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.SDI_RECEIPT_MAX_BYTES
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise ParseError(_("The receipt is larger than %(size)d kB.") % {"size": limit // 1024})
        return {"_raw": data}


class TextXMLParser(RawXMLParser):
    media_type = "text/xml"


@extend_schema_view(
    list=extend_schema(description="Receipts received, newest first."),
    retrieve=extend_schema(
        description="One receipt: its kind, file, errors and what it did to the e-invoice."
    ),
)
class SdiReceiptViewSet(
    TenantAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """SdI receipts (RC, MC, NS, NE, DT, AT). A POST sends one: a multipart field `file`, or
    the XML itself as an application/xml body (`?filename=` names it). It is matched to the
    e-invoice by the file name it quotes and moves its state."""

    model = SdiReceipt
    queryset = SdiReceipt.objects.none()  # for the schema; get_queryset scopes it
    permission_resource = "sdireceipt"
    serializer_class = SdiReceiptSerializer
    parser_classes = [MultiPartParser, RawXMLParser, TextXMLParser]
    ordering_fields = ["created_at"]
    filterset_fields: list = []

    def get_queryset(self):
        return SdiReceipt.objects.select_related("einvoice").order_by("-created_at", "-pk")

    @extend_schema(
        request={"multipart/form-data": ReceiptUploadSerializer, "application/xml": OpenApiTypes.STR},
        responses={
            201: SdiReceiptSerializer,
            400: OpenApiResponse(description="Not a receipt, or for no file of yours: nothing changed."),
            409: OpenApiResponse(description="The same receipt was imported before: nothing changed."),
        },
    )
    def create(self, request, *args, **kwargs):
        data = request.data
        if isinstance(data, dict) and "_raw" in data:
            content, filename = data["_raw"], request.query_params.get("filename", "")[:150]
        else:
            upload = request.FILES.get("file")
            if upload is None:
                raise serializers.ValidationError(
                    {
                        "file": [
                            _("Send the receipt as a multipart field “file” or as an application/xml body.")
                        ]
                    }
                )
            if upload.size > settings.SDI_RECEIPT_MAX_BYTES:
                raise serializers.ValidationError(
                    {
                        "file": [
                            _("The receipt is larger than %(size)d kB.")
                            % {"size": settings.SDI_RECEIPT_MAX_BYTES // 1024}
                        ]
                    }
                )
            content, filename = upload.read(), upload.name
        try:
            receipt = sdi_receipt_import(
                tenant=request.membership.tenant,
                content=content,
                filename=filename,
                source=SdiReceiptSource.API,
            )
        except DuplicateReceipt as error:
            return Response(
                {"detail": ErrorDetail(error.messages[0], code="duplicate"), "receipt": error.receipt.pk},
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(
                {"file": [ErrorDetail(message, code=error.code or "invalid") for message in error.messages]}
            ) from None
        return Response(SdiReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)


class MarkSentSerializer(StrictSerializerMixin, serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=1000
    )


class MarkSentAnswerSerializer(serializers.Serializer):
    sent = EInvoiceSerializer(many=True)
    refused = serializers.ListField(child=serializers.DictField())


class EInvoicesMarkSentApi(TenantAPIMixin, generics.GenericAPIView):
    """Mark FatturaPA files as sent (READY -> SENT), by e-invoice id; each one that cannot be
    is listed with the reason (200 either way, as the batch issue answers: `sent` says what
    changed)."""

    permission_required = "einvoice.send"
    serializer_class = MarkSentSerializer
    filter_backends: list = []

    @extend_schema(responses={200: MarkSentAnswerSerializer})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = einvoices_mark_sent(tenant=request.membership.tenant, ids=serializer.validated_data["ids"])
        answer = {
            "sent": EInvoiceSerializer(result.sent, many=True).data,
            "refused": [{"file": name, "reason": why} for name, why in result.refused],
        }
        return Response(answer, status=status.HTTP_200_OK)


class InvoiceEInvoiceResendApi(TenantAPIMixin, generics.GenericAPIView):
    """Correct and send again a rejected (NS) or refused (NE EC02) FatturaPA file: a new file
    with a new progressive, for the same invoice and number; the old one is kept, superseded."""

    model = Invoice
    permission_required = "einvoice.send"
    serializer_class = EInvoiceSerializer
    filter_backends: list = []

    @extend_schema(request=None, responses={201: EInvoiceSerializer})
    def post(self, request, pk):
        invoice = get_object_or_404(invoices_visible(request.membership), pk=pk)
        einvoice = einvoice_resend(invoice=invoice)
        return Response(EInvoiceSerializer(einvoice).data, status=status.HTTP_201_CREATED)
