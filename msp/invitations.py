"""Writes of invitations: membership needs the invitee's consent.

Inviting an address (an existing user's or not) records a pending ``Invitation`` and e-mails
a link; the answer, the e-mail and every page the inviter sees are the same whether or not an
account has that address, so inviting is no oracle of who uses the platform. The membership
exists only once the person behind the link accepts, signed in as a user with the invited
address, or choosing a username and password there (the user is created then, not before).
Accepting locks the invitation's row, so a double click, two tabs or a race make one
membership. A client contact's login is linked to the client's contact on acceptance, as
``msp.services`` does for any client membership.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from msp.links import absolute
from msp.locking import lock_row
from msp.mail import email_queue
from msp.models import Client, Invitation, Membership
from msp.models.invitations import INVITATION_LIFETIME, OPEN, invitation_digest
from msp.roles import Role
from msp.scoping import scope_of, scoped_by, unscoped
from msp.services import MemberSaved, _check_role_change, _portal_contact_link

User = get_user_model()
USERNAME_MAX = User._meta.get_field("username").max_length


class InvitationClosed(Exception):
    """The invitation was accepted, declined, revoked or has expired: its link does nothing."""

    def __init__(self, invitation: Invitation):
        super().__init__(invitation.status)
        self.invitation = invitation


@scoped_by("by")
@transaction.atomic
def invitation_create(
    *, by: Membership, email: str, role: str, client: Client | None = None, username: str = "", request=None
) -> Invitation:
    """Invite `email` to the inviter's tenant with a role, and e-mail them the link.

    An address with an open invitation here gets that one back, refreshed (new role, new
    link, new expiry): inviting again is resending. An address of a member of this tenant is
    refused: the tenant's own members are no secret to its managers.
    """
    _check_role_change(by=by, role=role)
    if (role == Role.CLIENT) != (client is not None):
        raise ValidationError({"client": _("Choose the client for a client contact, and only for one.")})
    if client is not None and client.tenant_id != by.tenant_id:
        raise ValidationError({"client": _("Unknown client.")})
    email = email.strip()
    if Membership.objects.filter(user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    fields = {"role": role, "client": client, "username": username, "invited_by": by.user}
    invitation = _open_invitation(email) or Invitation(tenant_id=by.tenant_id, email=email)
    try:
        with transaction.atomic():  # a savepoint: the same address may be invited at this moment
            key = _renew(invitation, **fields)
    except IntegrityError:  # it was: refresh the invitation the other request made
        invitation = _open_invitation(email) or Invitation(tenant_id=by.tenant_id, email=email)
        key = _renew(invitation, **fields)
    _queue_email(invitation=invitation, key=key, request=request)
    return invitation


def _open_invitation(email: str) -> Invitation | None:
    return Invitation.objects.select_for_update().filter(OPEN, email__iexact=email).first()


def _renew(invitation: Invitation, **fields) -> str:
    """Give the invitation a new link and a new expiry (and `fields`), save it; the link's key."""
    key, invitation.digest = Invitation.new_key()
    invitation.sent_at = timezone.now()
    invitation.expires_at = invitation.sent_at + INVITATION_LIFETIME
    for name, value in fields.items():
        setattr(invitation, name, value)
    invitation.save()
    return key


def _queue_email(*, invitation: Invitation, key: str, request) -> None:
    """The same e-mail for every address (nothing in it depends on an account existing), in
    the tenant's language; queued in the transaction, so sent only if the invitation commits."""
    path = reverse("invitation", args=[key])
    link = request.build_absolute_uri(path) if request is not None else absolute(path)
    tenant = invitation.tenant
    with override(tenant.language):
        context = {"invitation": invitation, "tenant": tenant, "link": link}
        subject = _("You have been invited to %(tenant)s") % {"tenant": tenant.name}
        body = render_to_string("msp/email/invitation.txt", context)
    email_queue(EmailMessage(subject, body, to=[invitation.email]), tenant_id=invitation.tenant_id)


def _lock_open(invitation: Invitation) -> Invitation:
    """The invitation's row, locked and fresh; InvitationClosed unless it is still pending."""
    locked = lock_row(
        Invitation.objects.select_for_update(of=("self",)).select_related("tenant", "client"), pk=invitation.pk
    )
    if not locked.is_pending:
        raise InvitationClosed(locked)
    return locked


@scoped_by("invitation")
@transaction.atomic
def invitation_resend(*, by: Membership, invitation: Invitation, request=None) -> Invitation:
    """A new link (the old one stops working) and a new expiry, e-mailed again. An expired
    invitation may be resent; an accepted, declined or revoked one may not."""
    _check_role_change(by=by, role=invitation.role)
    locked = lock_row(Invitation.objects, pk=invitation.pk)
    if locked.accepted_at or locked.declined_at or locked.revoked_at:
        raise ValidationError(_("This invitation is no longer open."))
    key = _renew(locked)
    _queue_email(invitation=locked, key=key, request=request)
    return locked


@scoped_by("invitation")
@transaction.atomic
def invitation_revoke(*, by: Membership, invitation: Invitation) -> Invitation:
    """Its link stops working at once; the row stays, as a record."""
    _check_role_change(by=by, role=invitation.role)
    locked = lock_row(Invitation.objects, pk=invitation.pk)
    if locked.accepted_at or locked.declined_at or locked.revoked_at:
        raise ValidationError(_("This invitation is no longer open."))
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    return locked


# --- the invitee's side: the link is the credential, and it names its tenant -------------------


def invitation_for_key(key: str) -> Invitation | None:
    """The invitation a link's key opens, in any state; None for a key that opens none."""
    # The invitee belongs to no scope of this tenant yet (signed in, they are in another
    # tenant's, which the database fences too): the key alone finds the tenant.
    with unscoped():
        return (
            Invitation.objects.select_related("tenant", "client", "invited_by")
            .filter(digest=invitation_digest(key))
            .first()
        )


@contextmanager
def _invitation_scope(invitation: Invitation) -> Iterator[None]:
    """Work in the invitation's tenant, whatever tenant the invitee is signed in to now:
    joining another organisation crosses tenants by nature."""
    with unscoped(), scope_of(invitation.tenant_id):
        yield


def invitation_accept(*, invitation: Invitation, user) -> MemberSaved:
    """`user` (signed in, with the invited address) joins the tenant with the invited role."""
    if (user.email or "").lower() != invitation.email.lower():
        raise PermissionDenied(_("This invitation was sent to another address."))
    with _invitation_scope(invitation), transaction.atomic():
        return _join(_lock_open(invitation), user)


def invitation_accept_new_user(*, invitation: Invitation, username: str, password: str) -> MemberSaved:
    """A person without an account accepts: the user is created now, with the invited address
    and the username and password they chose (the caller validated the password)."""
    with _invitation_scope(invitation), transaction.atomic():
        locked = _lock_open(invitation)
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("This username is taken.")})
        try:
            with transaction.atomic():  # the same username signed up at this moment
                user = User.objects.create_user(username=username, email=locked.email, password=password)
        except IntegrityError:
            raise ValidationError({"username": _("This username is taken.")}) from None
        return _join(locked, user)


def _join(invitation: Invitation, user) -> MemberSaved:
    if Membership.objects.filter(user=user).exists():
        raise ValidationError(_("You are already a member of this organisation."))
    membership = Membership.objects.create(
        tenant_id=invitation.tenant_id, user=user, role=invitation.role, client=invitation.client
    )
    portal_contact = _portal_contact_link(membership=membership)
    invitation.accepted_at, invitation.membership = timezone.now(), membership
    invitation.save(update_fields=["accepted_at", "membership"])
    return MemberSaved(membership=membership, portal_contact=portal_contact)


def invitation_decline(*, invitation: Invitation) -> Invitation:
    """The person behind the link says no: the link stops working, the inviter sees it declined."""
    with _invitation_scope(invitation), transaction.atomic():
        locked = _lock_open(invitation)
        locked.declined_at = timezone.now()
        locked.save(update_fields=["declined_at"])
        return locked


def username_suggestion(invitation: Invitation) -> str:
    """A free username for the invitee to start from: the inviter's suggestion, else the
    address, else its local part, cut to the username's 150 characters and numbered until
    free. Only a suggestion: the accept form validates what the person chooses."""
    local = re.sub(r"[^\w.@+-]", "", invitation.email.split("@", 1)[0]) or "user"
    candidates = [invitation.username, invitation.email, local]
    base = next((c for c in candidates if c and len(c) <= USERNAME_MAX), local[:USERNAME_MAX])
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        suffix = f"-{n}"
        candidate = base[: USERNAME_MAX - len(suffix)] + suffix
    return candidate
