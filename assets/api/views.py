from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from assets.api.serializers import (
    AssetImportReportSerializer,
    AssetImportUploadSerializer,
    AssetSerializer,
)
from assets.filtersets import AssetFilterSet
from assets.models import Asset
from assets.services import MAX_IMPORT_BYTES, asset_import_csv, asset_import_decode
from msp.api.base import TenantAPIView, TenantModelViewSet
from msp.api.parsers import MultiPartParser


class AssetViewSet(TenantModelViewSet):
    model = Asset
    permission_resource = "asset"
    serializer_class = AssetSerializer
    filterset_class = AssetFilterSet
    search_fields = ["name", "hostname", "serial"]
    ordering_fields = [
        "name",
        "hostname",
        "kind",
        "warranty_expires",
        "purchase_date",
        "last_seen",
        "created_at",
    ]

    def get_queryset(self):
        # By client name first: repeating the tenant on the client lets PostgreSQL walk the
        # clients' (tenant, name) index and sort each client's few assets (as asset_list does).
        return Asset.objects.tenant_on("client").order_by("client__name", "name", "pk")


def _too_large() -> str:
    return _("The file is larger than %(size)d MB.") % {"size": MAX_IMPORT_BYTES // (1024 * 1024)}


class CSVTextParser(parsers.BaseParser):
    """A raw CSV body: handed over as bytes (decoded, and checked, by the import)."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read(MAX_IMPORT_BYTES + 1) if stream is not None else b""
        if len(data) > MAX_IMPORT_BYTES:
            raise ParseError(_too_large())
        return data


class PlainTextParser(CSVTextParser):
    media_type = "text/plain"


class AssetImportApi(TenantAPIView):
    """Import assets from CSV: a multipart field `file`, or the CSV itself as a text/csv body.

    Answers each row's fate. A file that cannot be read, or whose rows are all rejected,
    answers 400 and writes nothing. At most 5 MB, 10,000 rows and 100 columns.
    """

    permission_required = "asset.add"
    parser_classes = [MultiPartParser, CSVTextParser, PlainTextParser]

    @extend_schema(
        request={"multipart/form-data": AssetImportUploadSerializer, "text/csv": OpenApiTypes.STR},
        responses={200: AssetImportReportSerializer, 400: AssetImportReportSerializer},
    )
    def post(self, request):
        if isinstance(request.data, bytes):
            raw = request.data
        elif request.content_type.split(";")[0].strip() in (
            CSVTextParser.media_type,
            PlainTextParser.media_type,
        ):
            raw = b""  # an empty body is not parsed at all
        else:
            upload = request.FILES.get("file")
            if upload is None:
                raise serializers.ValidationError(
                    {"file": [_("Send the CSV as a multipart field “file” or as a text/csv body.")]}
                )
            if upload.size > MAX_IMPORT_BYTES:
                raise serializers.ValidationError({"file": [_too_large()]})
            raw = upload.read()
        try:
            report = asset_import_csv(
                tenant=request.membership.tenant, file_text=asset_import_decode(data=raw)
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError({"file": error.messages}) from None
        answer = status.HTTP_400_BAD_REQUEST if report.all_rejected else status.HTTP_200_OK
        return Response(report.as_dict(), status=answer)
