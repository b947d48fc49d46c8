from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.api.serializers import as_drf_error
from msp.api.base import TenantModelSerializer
from msp.people import display_name
from msp.roles import STAFF_ROLES
from tickets.attachments import attachments_add
from tickets.choices import Source, TicketStatus, allowed_next
from tickets.models import Attachment, Ticket, TicketComment
from tickets.services import comment_add, ticket_create, ticket_update

SLA_READ_ONLY = ["response_due_at", "resolution_due_at", "first_response_at", "sla_state"]


class AssigneeField(serializers.PrimaryKeyRelatedField):
    """A staff member of the request's tenant."""

    def get_queryset(self):
        membership = self.context["request"].membership
        return (
            get_user_model()
            .objects.filter(
                memberships__tenant_id=membership.tenant_id,
                memberships__role__in=STAFF_ROLES,
                memberships__is_active=True,
            )
            .distinct()
        )


class TicketSerializer(TenantModelSerializer):
    """A ticket. `status` moves only as `next_statuses` says (the map in tickets.choices):
    any other move is a 400 on `status` and changes nothing; sending the same status is no move."""

    assignee = AssigneeField(required=False, allow_null=True)
    next_statuses = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "client",
            "contract",
            "asset",
            "contact",
            "subject",
            "description",
            "priority",
            "status",
            "source",
            "assignee",
            "created_at",
            "resolved_at",
            "next_statuses",
            *SLA_READ_ONLY,
        ]
        read_only_fields = ["created_at", "resolved_at", *SLA_READ_ONLY]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=TicketStatus.choices)))
    def get_next_statuses(self, ticket) -> list[str]:
        """The statuses this ticket may move to now."""
        return allowed_next(ticket.status)

    def validate(self, attrs):
        client = attrs.get("client") or (self.instance.client if self.instance else None)
        if self.instance is not None and "client" in attrs and attrs["client"] != self.instance.client:
            raise serializers.ValidationError({"client": [_("A ticket's client cannot change.")]})
        errors = {}
        messages = {
            "contact": _("This contact is not one of the client's."),
            "asset": _("This asset is not one of the client's."),
            "contract": _("This contract is not one of the client's."),
        }
        for field, message in messages.items():
            obj = attrs.get(field)
            if obj is not None and client is not None and obj.client_id != client.pk:
                errors[field] = [message]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data):
        request = self.context["request"]
        validated_data.pop("tenant", None)
        status = validated_data.pop("status", None)
        if request.membership.is_client:  # a client contact's ticket comes from the portal, told as one
            validated_data["source"] = Source.PORTAL
        try:
            ticket = ticket_create(
                tenant=request.membership.tenant, created_by=request.user, **validated_data
            )
            if status and status != ticket.status:
                ticket = ticket_update(ticket, by=request.user, status=status)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc
        return ticket

    def update(self, instance, validated_data):
        validated_data.pop("client", None)
        if validated_data.get("status") == instance.status:
            del validated_data["status"]  # the same status again is no move
        if not validated_data:
            return instance  # nothing to change: no write
        try:
            return ticket_update(instance, by=self.context["request"].user, **validated_data)
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc


class TicketCommentSerializer(TenantModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    author_name = serializers.SerializerMethodField(
        help_text="The author's name, as people read it; for a reply that came by e-mail, its sender."
    )
    public = serializers.BooleanField(default=True)

    class Meta:
        model = TicketComment
        fields = ["id", "body", "public", "author", "author_name", "created_at"]
        read_only_fields = ["author", "created_at"]

    def get_author_name(self, comment) -> str:
        return display_name(comment.author) if comment.author_id else comment.sender

    def create(self, validated_data):
        request = self.context["request"]
        membership = request.membership
        try:
            return comment_add(
                self.context["ticket"],
                author=request.user,
                body=validated_data["body"],
                public=validated_data.get("public", True),
                by_staff=not membership.is_client,
            )
        except DjangoValidationError as exc:
            raise as_drf_error(exc) from exc


class AttachmentSerializer(TenantModelSerializer):
    """A file of the ticket (`comment` null) or of one of its replies. Upload as
    multipart/form-data: `file`, and optionally `comment` (a reply or note of this ticket).
    The kind of file is judged from its name and content, never from the Content-Type sent."""

    name = serializers.CharField(source="original_name", read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download_url = serializers.SerializerMethodField()
    file = serializers.FileField(write_only=True)
    comment = serializers.PrimaryKeyRelatedField(
        queryset=TicketComment.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = Attachment
        fields = [
            "id",
            "ticket",
            "comment",
            "name",
            "size",
            "content_type",
            "uploaded_by",
            "created_at",
            "download_url",
            "file",
        ]
        read_only_fields = ["ticket", "size", "content_type", "created_at"]

    def get_fields(self):
        fields = super().get_fields()
        ticket = self.context.get("ticket")
        if ticket is not None:  # a reply or note of this ticket, as its reader sees them
            comments = TicketComment.objects.filter(ticket_id=ticket.pk)
            if self.context["request"].membership.is_client:
                comments = comments.filter(public=True)
            fields["comment"].queryset = comments
        return fields

    def get_download_url(self, attachment) -> str:
        return reverse(
            "api:ticket-attachment-download",
            kwargs={"pk": attachment.ticket_id, "attachment_pk": attachment.pk},
        )

    def create(self, validated_data):
        request = self.context["request"]
        comment = validated_data.get("comment")
        if comment is not None and not comment.public and not request.membership.has_perm("ticket.note"):
            raise serializers.ValidationError(
                {"comment": [_("Only staff can attach files to internal notes.")]}
            )
        try:
            (attachment,) = attachments_add(
                ticket=self.context["ticket"],
                files=[validated_data["file"]],
                uploaded_by=request.user,
                comment=comment,
            )
        except DjangoValidationError as exc:
            error = as_drf_error(exc)
            if isinstance(error.detail, dict) and "files" in error.detail:
                error.detail["file"] = error.detail.pop("files")
            raise error from exc
        return attachment
