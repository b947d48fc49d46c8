"""Writes of the tenancy core: signup, members, tenant switching (invitations: msp.invitations).

A client's portal login is one of its contacts: the client's ``Contact`` with the login's
email (any case). Whenever a client membership is created or changed, that contact is found,
or created, and its ``portal_access`` follows the membership: on while an active client login
of that client has its email, off once none has (removed, deactivated, made staff, or moved
to another client). So offers, reports and notifications sent to the contacts with portal
access reach the person who logs in. The contact itself is never deleted: it is still a
person at the client.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from msp.models import Client, Contact, Membership, Tenant
from msp.roles import Role
from msp.scoping import scope_of, scoped_by
from msp.signals import tenant_created

User = get_user_model()


@dataclass(frozen=True)
class TenantSignup:
    tenant: Tenant
    owner: User
    membership: Membership


@transaction.atomic
def tenant_create(
    *,
    name: str,
    slug: str,
    owner_username: str,
    owner_email: str,
    owner_password: str,
    default_currency: str = "EUR",
    timezone: str = "Europe/Rome",
    language: str = "en",
) -> TenantSignup:
    """Create an MSP with its owner. The caller has validated the password's strength."""
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("This slug is already taken.")})
    owner = User.objects.filter(username=owner_username).first()
    if owner is None:
        owner = User.objects.create_user(username=owner_username, email=owner_email, password=owner_password)
    elif not owner.check_password(owner_password):
        raise ValidationError({"owner_username": _("This username is taken.")})
    tenant = Tenant.objects.create(
        name=name, slug=slug, default_currency=default_currency, timezone=timezone, language=language
    )
    with scope_of(tenant.pk):
        membership = Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    transaction.on_commit(lambda: tenant_created.send(sender=Tenant, tenant=tenant))
    return TenantSignup(tenant=tenant, owner=owner, membership=membership)


@dataclass(frozen=True)
class PortalContact:
    """The client contact a client login is, and whether saving the login created it."""

    contact: Contact
    created: bool


@dataclass(frozen=True)
class MemberSaved:
    membership: Membership
    portal_contact: PortalContact | None  # for a client contact's membership only


def _portal_access_sync(*, client_id: int, email: str) -> bool:
    """Portal access of the client's contacts with this email: on while an active client
    login of that client has the email, else off. Returns it."""
    if not email:
        return False
    active = Membership.objects.filter(
        client_id=client_id, role=Role.CLIENT, is_active=True, user__email__iexact=email
    ).exists()
    Contact.objects.filter(client_id=client_id, email__iexact=email).exclude(portal_access=active).update(
        portal_access=active
    )
    return active


def _portal_contact_link(*, membership: Membership) -> PortalContact | None:
    """Find the client's contact with the login's email, or create it; then sync its access."""
    user = membership.user
    if membership.role != Role.CLIENT or not user.email:
        return None
    contact = (
        Contact.objects.filter(client_id=membership.client_id, email__iexact=user.email)
        .order_by("pk")
        .first()
    )
    created = contact is None
    if created:
        contact = Contact.objects.create(
            tenant_id=membership.tenant_id,
            client_id=membership.client_id,
            name=user.get_full_name() or user.email.split("@", 1)[0],
            email=user.email,
        )
    contact.portal_access = _portal_access_sync(client_id=membership.client_id, email=user.email)
    return PortalContact(contact=contact, created=created)


def _check_role_change(*, by: Membership, role: str) -> None:
    if role == Role.OWNER and not by.has_perm("member.grant_owner"):
        raise PermissionDenied(_("Only an owner can make someone an owner."))


def _other_active_owners(membership: Membership) -> bool:
    return Membership.objects.filter(role=Role.OWNER, is_active=True).exclude(pk=membership.pk).exists()


@scoped_by("membership")
@transaction.atomic
def member_update(
    *, by: Membership, membership: Membership, role: str, client: Client | None, is_active: bool
) -> MemberSaved:
    _check_role_change(by=by, role=role)
    if membership.role == Role.OWNER and not by.has_perm("member.grant_owner"):
        raise PermissionDenied(_("Only an owner can change an owner."))
    demoting_owner = membership.role == Role.OWNER and (role != Role.OWNER or not is_active)
    if demoting_owner and not _other_active_owners(membership):
        raise ValidationError(_("A tenant needs at least one active owner."))
    if (role == Role.CLIENT) != (client is not None):
        raise ValidationError({"client": _("Choose the client for a client contact, and only for one.")})
    former_client_id = membership.client_id
    membership.role, membership.client, membership.is_active = role, client, is_active
    membership.save(update_fields=["role", "client", "is_active"])
    if former_client_id is not None and former_client_id != membership.client_id:
        _portal_access_sync(client_id=former_client_id, email=membership.user.email)
    return MemberSaved(membership=membership, portal_contact=_portal_contact_link(membership=membership))


@scoped_by("membership")
@transaction.atomic
def member_remove(*, by: Membership, membership: Membership) -> None:
    if membership.role == Role.OWNER and not by.has_perm("member.grant_owner"):
        raise PermissionDenied(_("Only an owner can remove an owner."))
    if membership.role == Role.OWNER and not _other_active_owners(membership):
        raise ValidationError(_("A tenant needs at least one active owner."))
    membership.api_tokens.all().delete()
    client_id, email = membership.client_id, membership.user.email
    membership.delete()
    if client_id is not None:
        _portal_access_sync(client_id=client_id, email=email)


def tenant_switch(*, request, slug: str, session_key: str) -> Membership | None:
    """Make the user's membership in the tenant `slug` the current one; None if they have none."""
    membership = next((m for m in request.memberships if m.tenant.slug == slug), None)
    if membership is not None:
        request.session[session_key] = membership.tenant_id
    return membership
