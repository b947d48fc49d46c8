from __future__ import annotations

import base64
import binascii

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from inbox.choices import DropReason
from inbox.models import InboundMessage
from msp.api.base import StrictSerializerMixin, TenantModelSerializer
from msp.models import Client, Contact


class InboundMessageSerializer(TenantModelSerializer):
    reason = serializers.ChoiceField(
        choices=DropReason.choices,
        allow_blank=True,
        read_only=True,
        help_text="Why a dropped e-mail was dropped; empty for the others.",
    )

    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "mailbox",
            "source",
            "status",
            "reason",
            "note",
            "message_id",
            "in_reply_to",
            "references",
            "from_address",
            "from_name",
            "subject",
            "sent_at",
            "received_at",
            "body",
            "size",
            "client",
            "ticket",
            "comment",
        ]
        read_only_fields = fields


class AssignSerializer(StrictSerializerMixin, serializers.Serializer):
    client = serializers.PrimaryKeyRelatedField(
        queryset=Client.objects.none(), help_text="The client the e-mail is filed for."
    )
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(),
        required=False,
        allow_null=True,
        help_text="Who wrote it (one of the client's contacts); default: the client's contact with the "
        "sender's address.",
    )
    create_contact = serializers.BooleanField(
        default=False,
        help_text="Add the sender as a contact of the client when it has none with that address.",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["client"].queryset = Client.objects.all()  # scoped now, per request
        fields["contact"].queryset = Contact.objects.all()
        return fields


class ReceivedSerializer(serializers.Serializer):
    """What became of a pushed e-mail."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    reason = serializers.CharField()
    note = serializers.CharField()
    ticket = serializers.IntegerField(allow_null=True)
    comment = serializers.IntegerField(allow_null=True)
    duplicate = serializers.BooleanField(help_text="Received before: nothing was filed again.")

    @staticmethod
    def of(message: InboundMessage) -> dict:
        return {
            "id": message.pk,
            "status": message.status,
            "reason": message.reason,
            "note": message.note,
            "ticket": message.ticket_id,
            "comment": message.comment_id,
            "duplicate": bool(getattr(message, "duplicate", False)),
        }


class Base64Field(serializers.CharField):
    """Base64 text decoded to bytes (white space and missing padding tolerated)."""

    default_error_messages = {"invalid_base64": _("Not valid base64.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = "".join(super().to_internal_value(data).split())
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            self.fail("invalid_base64")


class WebhookAttachmentSerializer(StrictSerializerMixin, serializers.Serializer):
    filename = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=120, required=False, default="application/octet-stream")
    content_base64 = Base64Field()


class WebhookFieldsSerializer(StrictSerializerMixin, serializers.Serializer):
    """A message given as the provider parsed it. `from` is required; `text` or `html` (or both)."""

    from_ = serializers.CharField(max_length=998, help_text='The sender: "Anna Rossi <anna@acme.example>".')
    to = serializers.CharField(max_length=10000, required=False, default="")
    subject = serializers.CharField(max_length=998, required=False, default="", allow_blank=True)
    text = serializers.CharField(required=False, default="", allow_blank=True, trim_whitespace=False)
    html = serializers.CharField(required=False, default="", allow_blank=True, trim_whitespace=False)
    message_id = serializers.CharField(max_length=998, required=False, default="", allow_blank=True)
    in_reply_to = serializers.CharField(max_length=10000, required=False, default="", allow_blank=True)
    references = serializers.CharField(max_length=10000, required=False, default="", allow_blank=True)
    date = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    attachments = WebhookAttachmentSerializer(many=True, required=False, default=list, max_length=100)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # a Python keyword
        return fields

    def validate(self, data):
        for name in ("from", "to", "subject", "message_id", "in_reply_to", "references", "date"):
            if any(ch in data.get(name, "") for ch in "\r\n\x00"):
                raise serializers.ValidationError({name: _("A header is one line.")})
        return data


class WebhookRawSerializer(StrictSerializerMixin, serializers.Serializer):
    raw = Base64Field(help_text="The whole message (RFC 5322, MIME), base64-encoded.")
