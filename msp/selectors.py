"""Reads of the tenancy core."""

import zoneinfo
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from msp.models import Client, Invitation, Membership, Notification, Site, Tenant
from msp.models.invitations import OPEN


def time_zone_for(*, tenant: Tenant | None, user=None) -> zoneinfo.ZoneInfo | None:
    """The zone a person sees times in: their own where set, else their tenant's (None: UTC)."""
    name = getattr(user, "timezone", "") or (tenant.timezone if tenant is not None else "")
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def document_language(client: Client) -> str:
    """The language of the documents and e-mails a client receives: its own, else its MSP's.

    Render them inside ``translation.override(document_language(client))``."""
    return client.language or client.tenant.language


def client_address(client_id: int) -> str:
    """The address documents print for a client: its first site's with one (one query)."""
    address = (
        Site.objects.filter(client_id=client_id)
        .exclude(address="")
        .order_by("name", "pk")
        .values_list("address", flat=True)
        .first()
    )
    return address or ""


def memberships_of_user(user) -> QuerySet[Membership]:
    """A user's active memberships in every tenant: the one cross-tenant read, for switching."""
    return (
        Membership.unscoped.filter(user=user, is_active=True)
        .select_related("tenant", "client")
        .order_by("tenant__name")
    )


def first_membership_of_user(user) -> Membership | None:
    """The user's oldest membership, active or not: the tenant a token request that names none
    gets, so joining another organisation later never changes what an integration receives."""
    return Membership.unscoped.filter(user=user).order_by("created_at", "pk").first()


def membership_for_request(request, session_key: str) -> Membership | None:
    """The membership the user is working in now (remembered in the session), or None.

    Leaves the user's memberships on ``request.memberships`` for the tenant switcher.
    """
    memberships = list(memberships_of_user(request.user))
    request.memberships = memberships
    tenant_id = request.session.get(session_key)
    membership = None
    if tenant_id is not None:
        membership = next((m for m in memberships if m.tenant_id == tenant_id), None)
    if membership is None:
        membership = next(iter(memberships), None)
        if membership is not None:
            request.session[session_key] = membership.tenant_id
    return membership


def client_list(*, search: str = "") -> QuerySet[Client]:
    queryset = Client.objects.all()
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search)
            | Q(billing_email__icontains=search)
            | Q(contacts__name__icontains=search)
        ).distinct()
    return queryset


def client_name_taken(*, name: str, exclude_pk: int | None = None) -> bool:
    return Client.objects.filter(name__iexact=name.strip()).exclude(pk=exclude_pk).exists()


def site_name_taken(*, client: Client, name: str, exclude_pk: int | None = None) -> bool:
    return Site.objects.filter(client=client, name__iexact=name.strip()).exclude(pk=exclude_pk).exists()


def notification_list(membership, *, unread: bool | None = None):
    """The member's own notifications, newest first; only unread (or read) ones on request."""
    rows = Notification.objects.filter(membership=membership).order_by("-created_at", "-pk")
    if unread is not None:
        rows = rows.filter(read_at__isnull=unread)
    return rows


def notification_unread_count(membership) -> int:
    """One query, from the partial index of unread rows."""
    return Notification.objects.filter(membership=membership, read_at__isnull=True).count()


@dataclass(frozen=True)
class PortalStatus:
    """Where a contact stands with the client portal: the tenant's member with its address
    (its portal login, or a staff member), else its open invitation, if any."""

    member: Membership | None
    invitation: Invitation | None

    @property
    def has_login(self) -> bool:
        return self.member is not None


def contact_portal_status(contact) -> PortalStatus:
    """Two queries (none for a contact without an address)."""
    if not contact.email:
        return PortalStatus(None, None)
    member = Membership.objects.filter(user__email__iexact=contact.email).select_related("client").first()
    invitation = None
    if member is None:
        invitation = (
            Invitation.objects.filter(OPEN, email__iexact=contact.email).order_by("-sent_at", "-pk").first()
        )
    return PortalStatus(member, invitation)
