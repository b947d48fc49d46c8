"""The inbox API: received e-mails (a member's token), their review, and the provider's webhook
(a mailbox's token) that pushes new mail into ``inbox.services.message_receive``."""

from __future__ import annotations

import io

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, mixins, parsers, status, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from inbox import parsing
from inbox.api.authentication import HEADER, MailboxTokenAuthentication
from inbox.api.serializers import (
    AssignSerializer,
    InboundMessageSerializer,
    ReceivedSerializer,
    WebhookFieldsSerializer,
    WebhookRawSerializer,
)
from inbox.choices import InboundSource
from inbox.models import InboundMessage, Mailbox
from inbox.services import message_receive, review_assign, review_discard
from msp.api.base import TenantAPIMixin
from msp.api.parsers import JSONParser, MultiPartParser, UploadTooLarge
from msp.api.permissions import HasRolePermission


class InboundMessageViewSet(
    TenantAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The e-mails the tenant's support mailboxes received, newest first, and what became of
    each (`status`: ticket, reply, review, dropped, discarded; `reason` of a dropped one)."""

    model = InboundMessage
    queryset = InboundMessage.objects.none()  # for the schema; get_queryset scopes it
    permission_resource = "inboundmessage"
    serializer_class = InboundMessageSerializer
    filterset_fields = ["status", "client", "mailbox", "ticket"]
    ordering_fields = ["received_at"]

    def get_queryset(self):
        return InboundMessage.objects.defer("raw").order_by("-received_at", "-pk")


class InboundMessageActionMixin(TenantAPIMixin):
    model = InboundMessage
    filter_backends: list = []
    permission_required = "inboundmessage.review"

    def get_message(self) -> InboundMessage:
        return get_object_or_404(InboundMessage.objects.all(), pk=self.kwargs["pk"])


class InboundMessageAssignApi(InboundMessageActionMixin, generics.GenericAPIView):
    """File an e-mail waiting for review (or dropped) for a client: as a reply on the ticket of
    that client it answers, else as a new ticket. `contact` names who wrote it; without it, the
    client's contact with the sender's address (added first with `create_contact`)."""

    serializer_class = AssignSerializer

    @extend_schema(request=AssignSerializer, responses={200: InboundMessageSerializer})
    def post(self, request, pk):
        message = self.get_message()
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        filed = review_assign(message=message, by=request.user, **data.validated_data)
        return Response(InboundMessageSerializer(filed).data)


class InboundMessageDiscardApi(InboundMessageActionMixin, generics.GenericAPIView):
    """Discard an e-mail waiting for review: it stays on the log, filed nowhere."""

    serializer_class = InboundMessageSerializer

    @extend_schema(request=None, responses={200: InboundMessageSerializer})
    def post(self, request, pk):
        return Response(
            InboundMessageSerializer(review_discard(message=self.get_message(), by=request.user)).data
        )


# --- the provider's webhook -------------------------------------------------------------------


def webhook_max_bytes() -> int:
    """The largest body the webhook reads: a message at the inbox's cap, base64-encoded in JSON
    (4/3), with room for the fields around it. A message under this but over the cap is still
    recorded (dropped as too large); a larger body is refused before it is read whole."""
    return parsing.max_bytes() * 4 // 3 + 64 * 1024


def _read_capped(stream) -> bytes:
    cap = webhook_max_bytes()
    data = stream.read(cap + 1) if stream is not None else b""
    if len(data) > cap:
        raise UploadTooLarge(
            _("The request is larger than %(size)d MB; nothing was received.")
            % {"size": cap // (1024 * 1024)}
        )
    return data


class RawMessageParser(parsers.BaseParser):
    """`Content-Type: message/rfc822`: the body is the message itself."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"_raw": _read_capped(stream)}


class CappedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(io.BytesIO(_read_capped(stream)), media_type, parser_context)


class HasMailboxToken(BasePermission):
    message = gettext_lazy("Send the mailbox's webhook token in the X-Mailbox-Token header.")

    def has_permission(self, request, view):
        return isinstance(getattr(request, "auth", None), Mailbox)


REFUSED = {
    400: OpenApiResponse(
        description=gettext_lazy("Not a message: the answer says what is wrong; nothing is received.")
    ),
    401: OpenApiResponse(description=gettext_lazy("No valid mailbox token.")),
    403: OpenApiResponse(description=gettext_lazy("A member's token: this takes a mailbox token.")),
    413: OpenApiResponse(description=gettext_lazy("The body is over the size cap; nothing is received.")),
}


class InboxWebhookApi(TenantAPIMixin, APIView):
    """A mail provider pushes one received e-mail (Mailgun, SendGrid, Postmark routes...)."""

    # Declared for the permission harness: no member's role passes (HasMailboxToken), and at
    # run time only the mailbox's token is asked for.
    permission_classes = [HasRolePermission, HasMailboxToken]
    permission_resource = "inboundmessage"
    parser_classes = [RawMessageParser, CappedJSONParser, MultiPartParser]

    def get_authenticators(self):
        # A member's token is still recognised, to be told (403) that this takes a mailbox token.
        return [MailboxTokenAuthentication(), *super().get_authenticators()]

    def get_permissions(self):
        return [HasMailboxToken()]

    @extend_schema(
        auth=[{"MailboxToken": []}],
        request={
            "message/rfc822": OpenApiTypes.BINARY,
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": {
                "type": "object",
                "properties": {"message": {"type": "string", "format": "binary"}},
            },
        },
        responses={200: ReceivedSerializer, **REFUSED},
        description=(
            "One received e-mail, pushed by the mail provider with the mailbox's webhook token in "
            f"`{HEADER}`. The message is filed as the IMAP poller files it (a reply, a new ticket, "
            "left for review, or dropped) and exactly once: the same message pushed again answers "
            "its first outcome with `duplicate: true`. Four forms: the raw message as the body "
            "(`Content-Type: message/rfc822`); multipart with the raw message in the `message` "
            'file field; JSON `{"raw": "<base64 of the message>"}`; or JSON fields as the provider '
            "parsed them: `from` (required), `to`, `subject`, `text`, `html`, `message_id`, "
            "`in_reply_to`, `references`, `date`, `attachments` (`filename`, `content_type`, "
            "`content_base64`). A body over the size cap is refused (413) before it is read whole."
        ),
        examples=[
            OpenApiExample(
                "Parsed fields",
                value={
                    "from": "Anna Rossi <anna@acme.example>",
                    "to": "support@msp.example",
                    "subject": "Re: [#42] Printer on floor 2",
                    "text": "It works again, thanks!",
                    "message_id": "<CAF1234@mail.acme.example>",
                    "in_reply_to": "<psa.42.1@msp.example>",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        mailbox = request.auth
        raw = self._raw(request)
        message = message_receive(mailbox=mailbox, raw=raw, source=InboundSource.WEBHOOK)
        return Response(ReceivedSerializer.of(message), status=status.HTTP_200_OK)

    def _raw(self, request) -> bytes:
        data = request.data
        if not hasattr(data, "keys"):
            raise exceptions.ValidationError({"detail": [_("Send a JSON object, not a list or a value.")]})
        if "_raw" in data:  # message/rfc822
            raw = data["_raw"]
        elif "message" in getattr(request, "FILES", {}):
            upload = request.FILES["message"]
            if upload.size > webhook_max_bytes():
                raise UploadTooLarge(_("The message is larger than the size cap; nothing was received."))
            raw = upload.read()
        elif "raw" in data:
            fields = WebhookRawSerializer(data=data)
            fields.is_valid(raise_exception=True)
            raw = fields.validated_data["raw"]
        elif "from" in data:
            fields = WebhookFieldsSerializer(data=data)
            fields.is_valid(raise_exception=True)
            raw = self._assemble(fields.validated_data)
        elif isinstance(data.get("message"), str):
            raw = data["message"].encode("utf-8", "surrogateescape")  # a form field, not a file
        else:
            raise exceptions.ValidationError(
                {
                    "detail": [
                        _(
                            "Send the message: as the body (message/rfc822), as the file field "
                            "“message”, as JSON “raw” (base64), or as JSON fields with at least “from”."
                        )
                    ]
                }
            )
        if not raw or not raw.strip():
            raise exceptions.ValidationError({"detail": [_("The message is empty.")]})
        return raw

    @staticmethod
    def _assemble(data: dict) -> bytes:
        attachments = [
            parsing.ParsedAttachment(
                filename=item["filename"], content_type=item["content_type"], content=item["content_base64"]
            )
            for item in data["attachments"]
        ]
        try:
            return parsing.assemble(
                from_=data["from"],
                to=data["to"],
                subject=data["subject"],
                text=data["text"],
                html=data["html"],
                message_id=data["message_id"],
                in_reply_to=data["in_reply_to"],
                references=data["references"],
                date=data["date"],
                attachments=attachments,
            )
        except (ValueError, TypeError) as exc:
            raise exceptions.ValidationError(
                {"detail": [_("These fields do not make a message: %(why)s") % {"why": exc}]}
            ) from exc
