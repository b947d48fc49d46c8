"""Offers over the API: list, read, build (offer_create), the PDF, send, accept, decline.

Staff with `offer.view` see every offer of the tenant; a client contact (who holds only
`offer.decide`) sees the offers sent to its company, and may accept or decline them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from assets.selectors import asset_counts_by_kind
from msp.api.base import TenantAPIMixin
from sales.api.serializers import (
    OfferAcceptSerializer,
    OfferCreateSerializer,
    OfferSendSerializer,
    OfferSentSerializer,
    OfferSerializer,
)
from sales.models import Offer
from sales.pdf import offer_pdf_response
from sales.selectors import offer_api_list, offer_detail_list, offers_sent_list
from sales.services import OFFER_CLOSED, offer_accept, offer_create, offer_decline, offer_send


class PdfRenderer(renderers.BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        # An error (`?format=pdf` refused, not found) is JSON, and says so.
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return renderers.JSONRenderer().render(data)


def _closed(error: DjangoValidationError) -> Response | None:
    """An offer already decided answers 409 Conflict with the reason."""
    if getattr(error, "code", None) == OFFER_CLOSED:
        return Response({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
    return None


CONFLICT = OpenApiResponse(description=_("The offer was already accepted or declined."))


class OfferViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Tiered offers. Creating one prices every active tier in the client's currency and
    freezes the result; `accept` turns one option into the contract, once."""

    model = Offer
    permission_resource = "offer"
    serializer_class = OfferSerializer
    filterset_fields = ["client", "status"]
    search_fields = ["title", "client__name"]
    ordering_fields = ["created_at", "sent_at"]

    @property
    def permission_required(self) -> str:
        action_name = getattr(self, "action", None)
        request = getattr(self, "request", None)
        membership = getattr(request, "membership", None)
        if action_name in ("accept", "decline"):
            return "offer.decide"
        if action_name == "send":
            return "offer.send"
        if action_name == "create":
            return "offer.add"
        if membership is not None and membership.is_client:
            return "offer.decide"  # a contact reads the offers made to it, and nothing else
        return "offer.view"

    def get_queryset(self):
        # Reads get what OfferSerializer shows; the actions the offer with all they use.
        return self._visible(offer_api_list() if self.action in ("list", "retrieve") else offer_detail_list())

    def _visible(self, queryset):
        queryset = queryset.order_by("-created_at", "-pk")
        membership = getattr(self.request, "membership", None)
        if membership is not None and membership.is_client:
            queryset = offers_sent_list(queryset)
        return queryset

    def get_serializer_class(self):
        return {
            "create": OfferCreateSerializer,
            "accept": OfferAcceptSerializer,
            "send": OfferSendSerializer,
        }.get(self.action, OfferSerializer)

    def _read(self, offer: Offer) -> dict:
        return OfferSerializer(
            self._visible(offer_api_list()).get(pk=offer.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=OfferCreateSerializer, responses={201: OfferSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        client = data["client"]
        quantities = data.get("quantities")
        if quantities is None:
            quantities = asset_counts_by_kind(client=client)
        offer = offer_create(
            by=request.user,
            client=client,
            quantities=quantities,
            service_quantities=data.get("services") or {},
            discount_percent=data["discount_percent"],
            hour_block_minutes=data["hour_block_minutes"],
            hour_block_price=data.get("hour_block_price"),
            recommended_tier=data.get("recommended_tier"),
            title=data["title"],
            notes=data["notes"],
            valid_until=data.get("valid_until"),
        )
        return Response(self._read(offer), status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        """The offer as PDF, rendered now."""
        return offer_pdf_response(self.get_object(), attachment=False)

    @extend_schema(
        request=OfferAcceptSerializer,
        responses={
            201: inline_serializer(
                "OfferAccepted", {"contract": serializers.IntegerField(), "offer": OfferSerializer()}
            ),
            409: CONFLICT,
        },
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept one tier (`{"tier": id}`): creates the contract. An offer is accepted once."""
        offer = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        options = offer.options.all()
        if "option" in serializer.validated_data:
            option = options.filter(pk=serializer.validated_data["option"]).first()
            field = "option"
        else:
            option = options.filter(tier_id=serializer.validated_data["tier"]).first()
            field = "tier"
        if option is None:
            raise serializers.ValidationError({field: [_("This offer has no such option.")]})
        try:
            contract = offer_accept(offer=offer, option=option, by=request.user)
        except DjangoValidationError as error:
            if (conflict := _closed(error)) is not None:
                return conflict
            raise
        return Response({"contract": contract.pk, "offer": self._read(offer)}, status=status.HTTP_201_CREATED)

    @extend_schema(request=OfferSendSerializer, responses={200: OfferSentSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        """Email the offer (PDF attached, portal link) to contacts of its client; marks it sent."""
        offer = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            sent = offer_send(
                offer=offer,
                by=request.user,
                contacts=serializer.validated_data.get("contacts") or None,
                base_url=request.build_absolute_uri("/"),
                message=serializer.validated_data["message"],
            )
        except DjangoValidationError as error:
            if (conflict := _closed(error)) is not None:
                return conflict
            raise
        recipients = [{"id": c.pk, "name": c.name, "email": c.email} for c in sent.recipients]
        return Response({**self._read(offer), "sent_to": recipients})

    @extend_schema(request=None, responses={200: OfferSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        offer = self.get_object()
        try:
            offer_decline(offer=offer, by=request.user)
        except DjangoValidationError as error:
            if (conflict := _closed(error)) is not None:
                return conflict
            raise
        return Response(self._read(offer))
