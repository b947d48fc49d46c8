from django.contrib.auth import authenticate
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from msp.api.base import TenantAPIMixin, TenantModelViewSet
from msp.api.serializers import (
    ClientSerializer,
    ContactSerializer,
    InvitationSerializer,
    MemberInviteSerializer,
    MemberSerializer,
    NotificationReadManySerializer,
    NotificationReadSerializer,
    NotificationSerializer,
    OrganisationSerializer,
    SiteSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from msp.invitations import invitation_create, invitation_resend, invitation_revoke
from msp.models import ApiToken, Client, Contact, Invitation, Membership, Notification, Site
from msp.notifications import notification_mark_read
from msp.selectors import first_membership_of_user, memberships_of_user, notification_list
from msp.services import MemberSaved, member_remove, member_update
from msp.throttling import login_blocked, login_failed, login_succeeded


class ClientViewSet(TenantModelViewSet):
    model = Client
    permission_resource = "client"
    serializer_class = ClientSerializer
    filterset_fields = ["currency"]
    search_fields = ["name", "billing_email"]
    ordering_fields = ["name", "created_at"]


class OrganisationApi(TenantAPIMixin, generics.RetrieveUpdateAPIView):
    """The MSP's own identity as its documents show it (owner and admins): legal name, VAT
    number and fiscal code (checked by the country's rules), address, PEC, tax regime, IBAN.
    PATCH changes some fields; a malformed number answers 400 and nothing is saved."""

    permission_required = "tenant.change"
    serializer_class = OrganisationSerializer
    filter_backends: list = []

    def get_object(self):
        return self.request.membership.tenant


class SiteViewSet(TenantModelViewSet):
    model = Site
    permission_resource = "site"
    serializer_class = SiteSerializer
    filterset_fields = ["client"]
    search_fields = ["name", "address"]
    ordering_fields = ["name"]

    def get_queryset(self):
        # Sorted by client name (Meta.ordering): the tenant repeated on the client lets
        # PostgreSQL walk the clients' (tenant, name) index instead of sorting every site.
        return Site.objects.tenant_on("client")


class ContactViewSet(TenantModelViewSet):
    model = Contact
    permission_resource = "contact"
    serializer_class = ContactSerializer
    filterset_fields = ["client", "site", "portal_access"]
    search_fields = ["name", "email", "phone"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return Contact.objects.tenant_on("client")  # sorted by client name, as sites are


def _show_portal_contact(saved: MemberSaved) -> Membership:
    membership, portal = saved.membership, saved.portal_contact
    membership.portal_contact_id = portal.contact.pk if portal else None
    membership.portal_contact_created = bool(portal and portal.created)
    return membership


class MemberViewSet(TenantModelViewSet):
    """The tenant's users and roles (owner/admin only); a client contact's login is linked to
    the client's contact with its email (`contact`). POST invites the person: it answers 202
    with the invitation (as `invitations/` does), and the member appears once they accept."""

    model = Membership
    permission_resource = "member"
    serializer_class = MemberSerializer
    filterset_fields = ["role", "is_active", "client"]
    search_fields = ["user__username", "user__email"]

    def get_queryset(self):
        portal_contact = (
            Contact.objects.filter(client_id=OuterRef("client_id"), email__iexact=OuterRef("user__email"))
            .order_by("pk")
            .values("pk")[:1]
        )
        return Membership.objects.select_related("user", "client").annotate(
            portal_contact_id=Subquery(portal_contact)
        )

    @extend_schema(request=MemberInviteSerializer, responses={202: InvitationSerializer})
    def create(self, request, *args, **kwargs):
        data = MemberInviteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        invitation = _invite(request, data.validated_data)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_202_ACCEPTED)

    def perform_update(self, serializer):
        data = serializer.validated_data
        member = serializer.instance
        saved = member_update(
            by=self.request.membership,
            membership=member,
            role=data.get("role", member.role),
            client=data.get("client", member.client),
            is_active=data.get("is_active", member.is_active),
        )
        _show_portal_contact(saved)

    def perform_destroy(self, instance):
        member_remove(by=self.request.membership, membership=instance)


def _invite(request, data) -> Invitation:
    return invitation_create(
        by=request.membership,
        email=data["email"],
        role=data["role"],
        client=data.get("client"),
        username=data.get("username", ""),
        request=request,
    )


@extend_schema(responses={201: InvitationSerializer}, methods=["POST"])
class InvitationViewSet(
    TenantAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Invitations to the tenant (owner/admin), newest first. POST invites an address (the
    answer is the same whether or not an account has it); `revoke/` withdraws one, `resend/`
    e-mails a new link. The person becomes a member when they accept through the link."""

    model = Invitation
    queryset = Invitation.objects.none()
    permission_resource = "member"  # who may add members may invite
    serializer_class = InvitationSerializer
    filterset_fields = ["role", "client"]
    search_fields = ["email"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return Invitation.objects.select_related("invited_by")

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = _invite(request, data.validated_data)
        return Response(self.get_serializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        invitation = invitation_revoke(by=request.membership, invitation=self.get_object())
        return Response(self.get_serializer(invitation).data)

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        invitation = invitation_resend(by=request.membership, invitation=self.get_object(), request=request)
        return Response(self.get_serializer(invitation).data)


class TokenObtainApi(APIView):
    """Exchange a username and password (and a tenant slug) for an API token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    error_statuses = (429,)  # failed sign-ins cool down (msp.throttling); msp.api.schema says so

    # Not atomic: a failed attempt must be counted even though the request fails.
    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer})
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username, password = data.validated_data["username"], data.validated_data["password"]
        if login_blocked(username, request):
            raise exceptions.Throttled(
                detail=_("Too many failed sign-in attempts. Wait a few minutes and try again.")
            )
        user = authenticate(request, username=username, password=password)
        if user is None:
            login_failed(username, request)
            raise exceptions.ValidationError({"detail": _("Wrong username or password.")})
        login_succeeded(username, request)
        memberships = list(memberships_of_user(user))
        slug = data.validated_data.get("tenant")
        if slug:
            memberships = [m for m in memberships if m.tenant.slug == slug]
        if not memberships:
            raise exceptions.ValidationError({"tenant": [_("You are not a member of this tenant.")]})
        if len(memberships) > 1 and not slug:
            # Not named: the user's first membership, the one their integrations always had
            # (accepting another tenant's invitation later changes nothing for them), while
            # it is active; otherwise they must say which.
            first = first_membership_of_user(user)
            memberships = [m for m in memberships if first is not None and m.pk == first.pk] or memberships
        if len(memberships) > 1:
            slugs = ", ".join(m.tenant.slug for m in memberships)
            raise exceptions.ValidationError(
                {"tenant": [_("You belong to several tenants; say which: %(slugs)s.") % {"slugs": slugs}]}
            )
        membership = memberships[0]
        _token, key = ApiToken.issue(membership)
        body = {"token": key, "tenant": membership.tenant.slug, "role": membership.role}
        return Response(body, status=status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("read", OpenApiTypes.BOOL, description="true: the read ones; false: the unread.")
        ]
    )
)
class NotificationViewSet(TenantAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The member's own notifications, newest first (`?read=false` for the unread ones). PATCH
    `{"read": true}` marks one read; POST `read/` marks all (or `{"ids": [...]}`) read. A
    colleague's notification is as absent as another tenant's: 404."""

    model = Notification
    permission_resource = "notification"
    serializer_class = NotificationSerializer
    filter_backends: list = []
    extra_query_params = ("read",)  # read by get_queryset (msp.api.pagination accepts it)
    http_method_names = ["get", "patch", "post", "head", "options"]

    @property
    def permission_required(self):
        return "notification.change" if self.request.method == "POST" else None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema: no member, no rows
            return Notification.objects.none()
        read = self.request.query_params.get("read")
        if read is None or read == "":
            return notification_list(self.request.membership)
        if read not in ("true", "false"):
            raise exceptions.ValidationError({"read": [_("Use true or false.")]})
        return notification_list(self.request.membership, unread=read == "false")

    @extend_schema(request=NotificationReadSerializer, responses={200: NotificationSerializer})
    def partial_update(self, request, pk=None):
        notification = get_object_or_404(notification_list(request.membership), pk=pk)
        serializer = NotificationReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notification_mark_read(
            membership=request.membership, ids=[notification.pk], read=serializer.validated_data["read"]
        )
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=NotificationReadManySerializer,
        responses={200: inline_serializer("NotificationsRead", {"marked": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"], url_path="read")
    def read(self, request):
        serializer = NotificationReadManySerializer(
            data=request.data, context={"membership": request.membership}
        )
        serializer.is_valid(raise_exception=True)
        marked = notification_mark_read(
            membership=request.membership, ids=serializer.validated_data.get("ids")
        )
        return Response({"marked": marked})
