from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from msp.api.base import (
    MAX_ID,
    LeanModelSerializer,
    ModelCleanMixin,
    StrictSerializerMixin,
    TenantModelSerializer,
)
from msp.models import Client, Contact, Invitation, InvitationStatus, Membership, Notification, Site, Tenant
from msp.models.clients import REPORT_RECIPIENT_NEEDS_EMAIL
from msp.roles import Role
from msp.selectors import client_name_taken, notification_list, site_name_taken

User = get_user_model()


FISCAL_FIELDS = ["vat_number", "fiscal_code", "street", "postcode", "city", "province", "country", "pec"]


def _country_field():
    return CountryField(required=False, allow_blank=True, help_text=_("ISO 3166 code, e.g. IT, DE."))


class ClientSerializer(ModelCleanMixin, TenantModelSerializer):
    country = _country_field()

    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "currency",
            "timezone",
            "language",
            "billing_email",
            "phone",
            "notes",
            # its fiscal identity, checked by its country's rules (msp.fiscal, Client.clean)
            "legal_name",
            *FISCAL_FIELDS,
            "sdi_code",
            "public_administration",
        ]

    def validate_name(self, name):
        name = name.strip()
        if client_name_taken(name=name, exclude_pk=getattr(self.instance, "pk", None)):
            raise serializers.ValidationError(_("A client with this name already exists."))
        return name


class SiteSerializer(TenantModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "client", "name", "address", "phone", "notes"]

    def validate(self, attrs):
        client = attrs.get("client") or getattr(self.instance, "client", None)
        name = attrs.get("name") or getattr(self.instance, "name", "")
        if self.instance is not None and "client" in attrs and attrs["client"] != self.instance.client:
            raise serializers.ValidationError({"client": [_("A site cannot move to another client.")]})
        if client and site_name_taken(
            client=client, name=name, exclude_pk=getattr(self.instance, "pk", None)
        ):
            raise serializers.ValidationError({"name": [_("This client already has a site with this name.")]})
        return attrs


class ContactSerializer(TenantModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "client",
            "site",
            "name",
            "email",
            "phone",
            "job_title",
            "portal_access",
            "receives_reports",
        ]

    def validate(self, attrs):
        client = attrs.get("client") or getattr(self.instance, "client", None)
        site = attrs.get("site", getattr(self.instance, "site", None))
        if site is not None and site.client_id != client.pk:
            raise serializers.ValidationError({"site": [_("The site belongs to another client.")]})
        receives = attrs.get("receives_reports", getattr(self.instance, "receives_reports", False))
        if receives and not attrs.get("email", getattr(self.instance, "email", "")):
            raise serializers.ValidationError({"email": [REPORT_RECIPIENT_NEEDS_EMAIL]})
        return attrs


class MemberSerializer(StrictSerializerMixin, LeanModelSerializer):
    username = serializers.CharField(source="user.username", max_length=150, required=False)
    email = serializers.EmailField(source="user.email")
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    contact = serializers.SerializerMethodField(
        help_text=_(
            "For a client contact: the client's contact with the login's email (created when there "
            "was none). It has portal access while the login is active."
        )
    )
    contact_created = serializers.SerializerMethodField(
        help_text=_("Whether this request created that contact.")
    )

    class Meta:
        model = Membership
        fields = [
            "id",
            "username",
            "email",
            "password",
            "role",
            "client",
            "contact",
            "contact_created",
            "is_active",
        ]

    # Set by MemberViewSet: annotated on reads, from the service's answer on writes.
    def get_contact(self, membership) -> int | None:
        return getattr(membership, "portal_contact_id", None)

    def get_contact_created(self, membership) -> bool:
        return getattr(membership, "portal_contact_created", False)

    def validate(self, attrs):
        if self.instance is not None:
            # A user (and its email) is shared by all its tenants: one tenant may not rename it.
            user = self.instance.user
            sent = attrs.get("user", {})
            changed = {k: v for k, v in sent.items() if getattr(user, k) != v}
            if changed or "password" in attrs:
                raise serializers.ValidationError(
                    {
                        name: [_("This cannot be changed here.")]
                        for name in [*changed, *(["password"] if "password" in attrs else [])]
                    }
                )
        role = attrs.get("role", getattr(self.instance, "role", None))
        client = attrs.get("client", getattr(self.instance, "client", None))
        if role == Role.CLIENT and client is None:
            raise serializers.ValidationError({"client": [_("Choose the client this contact belongs to.")]})
        if role != Role.CLIENT:
            attrs["client"] = None
        password = attrs.get("password")
        if password:
            user_data = attrs.get("user", {})
            probe = User(username=user_data.get("username", ""), email=user_data.get("email", ""))
            password_validation.validate_password(password, probe)
        return attrs


class InvitationSerializer(TenantModelSerializer):
    """An invitation as its inviter sees it: the same for any address, an account's or not."""

    username = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=150,
        validators=[User.username_validator],
        help_text=_("A suggestion for a new account; the person may choose another when accepting."),
    )
    status = serializers.ChoiceField(choices=InvitationStatus.choices, read_only=True)
    invited_by = serializers.CharField(
        source="invited_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "client",
            "username",
            "status",
            "invited_by",
            "created_at",
            "sent_at",
            "expires_at",
            "accepted_at",
            "declined_at",
            "revoked_at",
            "membership",
        ]
        read_only_fields = [
            "sent_at",
            "expires_at",
            "accepted_at",
            "declined_at",
            "revoked_at",
            "membership",
        ]

    def validate(self, attrs):
        if attrs.get("role") == Role.CLIENT and attrs.get("client") is None:
            raise serializers.ValidationError({"client": [_("Choose the client this contact belongs to.")]})
        if attrs.get("role") != Role.CLIENT:
            attrs["client"] = None
        return attrs


class MemberInviteSerializer(InvitationSerializer):
    """POST members/, kept for integrations written before invitations: it invites (202, the
    invitation). Nobody sets another person's password or joins them inactive any more."""

    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    is_active = serializers.BooleanField(write_only=True, required=False)

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "password", "is_active"]

    def validate_password(self, value):
        raise serializers.ValidationError(_("The invited person chooses their own password when accepting."))

    def validate_is_active(self, value):
        if not value:
            raise serializers.ValidationError(
                _("An invitation makes an active member; deactivate them once they have joined.")
            )
        return value


class TokenRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    tenant = serializers.SlugField(
        required=False,
        help_text=_(
            "The tenant to work in. Without it: the user's only membership, or their first one "
            "(the oldest) when they belong to several."
        ),
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    tenant = serializers.CharField()
    role = serializers.CharField()


class NotificationSerializer(LeanModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "target_type",
            "target_id",
            "created_at",
            "read_at",
            "read",
        ]
        read_only_fields = fields

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationReadSerializer(StrictSerializerMixin, serializers.Serializer):
    """PATCH of one notification: `{"read": true}` (or false: unread again)."""

    read = serializers.BooleanField()


class NotificationReadManySerializer(StrictSerializerMixin, serializers.Serializer):
    """POST notifications/read/: these `ids` of yours (or all of them when none are given) read."""

    # An id past the primary key's range is refused here: the database would not compare it
    # (SQLite: "int too large", PostgreSQL: "out of range"), a 500.
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=1000
    )

    def validate_ids(self, ids):
        """Ids that are not the member's notifications are named, not skipped: a typo must
        not look done. A colleague's is as unknown as one that never existed."""
        mine = set(
            notification_list(self.context["membership"]).filter(pk__in=ids).values_list("pk", flat=True)
        )
        unknown = sorted(set(ids) - mine)
        if unknown:
            raise serializers.ValidationError(
                _("You have no notification with the id %(ids)s.")
                % {"ids": ", ".join(map(str, unknown[:10]))}
            )
        return ids


class OrganisationSerializer(ModelCleanMixin, StrictSerializerMixin, LeanModelSerializer):
    """The MSP's identity on its documents: names, tax numbers, address, how it is paid."""

    country = _country_field()

    class Meta:
        model = Tenant
        fields = [
            "name",
            "slug",
            "default_currency",
            "tax_rate",
            "invoice_prefix",
            "legal_name",
            "address",
            *FISCAL_FIELDS,
            "tax_regime",
            "iban",
            "bic",
        ]
        read_only_fields = ["slug", "default_currency"]
