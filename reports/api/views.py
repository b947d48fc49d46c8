"""`reports/` and its actions: `regenerate/`, `send/`, `pdf/`."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.response import Response

from msp.api.base import TenantAPIMixin
from reports.api.serializers import MonthlyReportSerializer, ReportGenerateSerializer
from reports.filtersets import MonthlyReportFilterSet
from reports.models import MonthlyReport
from reports.monthly_views import pdf_response
from reports.selectors import reports_visible
from reports.services import generate_or_get, generate_report, send_report


class MonthlyReportViewSet(
    TenantAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Monthly client reports, newest month first. Client contacts see their own company's,
    sent ones only. A POST of `client` and `period` stores that month's report (201), or
    answers the one stored before (200): generating twice makes one report."""

    model = MonthlyReport
    queryset = MonthlyReport.objects.none()  # for the schema; get_queryset scopes it
    permission_resource = "monthlyreport"
    serializer_class = MonthlyReportSerializer
    filterset_class = MonthlyReportFilterSet
    ordering_fields = ["period", "generated_at"]

    def get_queryset(self):
        return reports_visible(self.request.membership).order_by("-period", "-pk")

    @extend_schema(
        request=ReportGenerateSerializer,
        responses={200: MonthlyReportSerializer, 201: MonthlyReportSerializer},
    )
    def create(self, request, *args, **kwargs):
        data_in = ReportGenerateSerializer(data=request.data, context=self.get_serializer_context())
        data_in.is_valid(raise_exception=True)
        # A refusal (a month not over yet) is a ValidationError: a 400 (msp.api.errors).
        report, created = generate_or_get(
            data_in.validated_data["client"], data_in.validated_data["period"], by=request.user
        )
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(MonthlyReportSerializer(report).data, status=answer)


class ReportActionMixin(TenantAPIMixin):
    model = MonthlyReport
    filter_backends: list = []

    def get_report(self) -> MonthlyReport:
        return get_object_or_404(
            reports_visible(self.request.membership).select_related("client__tenant"), pk=self.kwargs["pk"]
        )


class ReportRegenerateApi(ReportActionMixin, generics.GenericAPIView):
    """Compute a draft again from today's data; a sent report is never regenerated (400)."""

    permission_required = "monthlyreport.change"
    serializer_class = MonthlyReportSerializer

    @extend_schema(request=None, responses={200: MonthlyReportSerializer})
    def post(self, request, pk):
        report = self.get_report()
        report = generate_report(report.client, report.period, regenerate=True, by=request.user)
        return Response(MonthlyReportSerializer(report).data)


class ReportSendApi(ReportActionMixin, generics.GenericAPIView):
    """E-mail the report's PDF to the client's report recipients; from then on it is frozen.
    A report already sent, or a client with nobody to send to, is a 400."""

    permission_required = "monthlyreport.send"
    serializer_class = MonthlyReportSerializer

    @extend_schema(request=None, responses={200: MonthlyReportSerializer})
    def post(self, request, pk):
        report = send_report(self.get_report(), by=request.user)
        return Response(MonthlyReportSerializer(report).data)


class ReportPdfApi(ReportActionMixin, generics.GenericAPIView):
    """The report's PDF (rendered now from its stored figures when it was stored without one)."""

    permission_required = "monthlyreport.view"

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        return pdf_response(self.get_report())
