"""`inbox/mailboxes/` (owners and admins): support mailboxes, their IMAP settings (the password
write-only) and polling state; `{id}/test/` tries the connection, `{id}/poll/` polls now."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status, viewsets
from rest_framework.response import Response

from inbox.models import Mailbox
from inbox.selectors import mailbox_list
from inbox.services import (
    MAILBOX_FIELDS,
    mailbox_create,
    mailbox_delete,
    mailbox_poll_now,
    mailbox_test_connection,
    mailbox_update,
    mailbox_webhook_token_revoke,
    mailbox_webhook_token_rotate,
)
from msp.api.base import LeanModelSerializer, StrictSerializerMixin, TenantAPIMixin


class MailboxSerializer(StrictSerializerMixin, LeanModelSerializer):
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=1000,
        help_text=_(
            "The IMAP password: stored encrypted, never answered back. Empty or absent on an update keeps it."
        ),
    )
    has_password = serializers.SerializerMethodField()
    messages_filed = serializers.IntegerField(read_only=True, default=0)
    webhook_token_prefix = serializers.CharField(
        source="webhook_prefix",
        read_only=True,
        help_text=_("The start of the webhook token, when it has one (the token itself is shown once)."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "id",
            "name",
            "address",
            "is_active",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "password",
            "has_password",
            "imap_folder",
            "imap_mark_seen",
            "last_polled_at",
            "last_success_at",
            "last_error",
            "failures",
            "next_poll_at",
            "messages_filed",
            "webhook_token_prefix",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "last_polled_at",
            "last_success_at",
            "last_error",
            "failures",
            "next_poll_at",
            "created_at",
        ]
        extra_kwargs = {"imap_port": {"min_value": 1, "max_value": 65535}}

    def get_has_password(self, mailbox) -> bool:
        return bool(mailbox.imap_password)

    def validate(self, data):
        # Uniqueness and the IMAP fields' consistency are the services' (a 400 from them too).
        return data


class ConnectionAnswerSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text=_("Signed in and opened the folder."))
    answer = serializers.CharField(help_text=_("What the server said (or why it could not be reached)."))


class PollQueuedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class WebhookTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Shown once: store it in the provider's route now."))
    prefix = serializers.CharField()


class MailboxViewSet(TenantAPIMixin, viewsets.ModelViewSet):
    """Support mailboxes. Creating or changing one never connects to its server: `test/` does."""

    model = Mailbox
    queryset = Mailbox.objects.none()  # for the schema; get_queryset scopes it
    permission_resource = "mailbox"
    serializer_class = MailboxSerializer
    ordering_fields = ["name", "created_at"]
    search_fields = ["name", "address"]

    def get_queryset(self):
        return mailbox_list()

    def _settings(self, serializer) -> dict:
        return {name: value for name, value in serializer.validated_data.items() if name in MAILBOX_FIELDS}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        mailbox = mailbox_create(
            tenant=request.membership.tenant,
            password=serializer.validated_data.get("password", ""),
            **self._settings(serializer),
        )
        mailbox = self.get_queryset().get(pk=mailbox.pk)
        return Response(self.get_serializer(mailbox).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        mailbox = mailbox_update(
            mailbox=serializer.instance,
            password=serializer.validated_data.get("password") or None,
            **self._settings(serializer),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=mailbox.pk)).data)

    def perform_destroy(self, instance):
        mailbox_delete(mailbox=instance)


class MailboxActionMixin(TenantAPIMixin):
    model = Mailbox
    filter_backends: list = []
    pagination_class = None

    def get_mailbox(self) -> Mailbox:
        return get_object_or_404(mailbox_list(), pk=self.kwargs["pk"])


class MailboxTestApi(MailboxActionMixin, generics.GenericAPIView):
    """Sign in with the saved settings, open the folder and count its messages: whether it
    worked, and the server's answer (a wrong password answers 200 with `ok: false`)."""

    permission_required = "mailbox.change"
    serializer_class = ConnectionAnswerSerializer

    @extend_schema(request=None, responses={200: ConnectionAnswerSerializer})
    def post(self, request, pk):
        mailbox = self.get_mailbox()
        if not mailbox.imap_host:
            ok, answer = False, str(_("This mailbox has no IMAP server: it is fed by its webhook only."))
        else:
            ok, answer = mailbox_test_connection(mailbox=mailbox)
        return Response({"ok": ok, "answer": answer})


class MailboxPollApi(MailboxActionMixin, generics.GenericAPIView):
    """Poll now, on the worker, back-off or not (202); the outcome shows on the mailbox
    (`last_polled_at`, `last_error`). 400 for a mailbox that is not polled (inactive, no server)."""

    permission_required = "mailbox.change"
    serializer_class = PollQueuedSerializer

    @extend_schema(request=None, responses={202: PollQueuedSerializer})
    def post(self, request, pk):
        mailbox_poll_now(mailbox=self.get_mailbox())
        return Response({"detail": str(_("The mailbox is being polled."))}, status=status.HTTP_202_ACCEPTED)


class MailboxWebhookTokenApi(MailboxActionMixin, generics.GenericAPIView):
    """POST: a new webhook token for the provider's pushes (`X-Mailbox-Token` on
    `inbox/webhook/`), answered once; the previous one stops working. DELETE: revoke it."""

    permission_required = "mailbox.change"
    serializer_class = WebhookTokenSerializer

    @extend_schema(request=None, responses={201: WebhookTokenSerializer})
    def post(self, request, pk):
        token = mailbox_webhook_token_rotate(mailbox=self.get_mailbox())
        return Response({"token": token, "prefix": token[:12]}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk):
        mailbox_webhook_token_revoke(mailbox=self.get_mailbox())
        return Response(status=status.HTTP_204_NO_CONTENT)
