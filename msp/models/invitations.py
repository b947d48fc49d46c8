"""An invitation to join a tenant: nobody becomes a member without saying yes.

Inviting an address creates a pending invitation and e-mails a link; the membership exists
only once the person who reads that mail accepts (signed in as a user with that address, or
choosing a username and password there). The inviter learns nothing about the address: the
answer is the invitation, the same whether or not an account has it.

Only a digest of the link's token is stored (as ApiToken and monitoring's IngestKey do): the
key is in the e-mail and nowhere else, so resending makes a new one.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp.roles import Role
from msp.scoping import TenantOwnedModel

INVITATION_LIFETIME = timedelta(days=14)


def invitation_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")


# Neither accepted, declined nor revoked: the one an address may have open per tenant.
OPEN = Q(accepted_at__isnull=True, declined_at__isnull=True, revoked_at__isnull=True)


class Invitation(TenantOwnedModel):
    tenant = models.ForeignKey(
        "msp.Tenant", on_delete=models.CASCADE, related_name="invitations", editable=False
    )
    email = models.EmailField(_("email"), max_length=254)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    client = models.ForeignKey(
        "msp.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="invitations",
        null=True,
    )
    # The inviter's suggestion for a new account; the invitee may choose another.
    username = models.CharField(_("username"), max_length=150, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    membership = models.OneToOneField(
        "msp.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            # One open invitation per address and tenant: inviting again refreshes it.
            models.UniqueConstraint(
                "tenant", Lower("email"), condition=OPEN, name="%(app_label)s_%(class)s_one_open_per_email"
            ),
            models.CheckConstraint(
                condition=(Q(role=Role.CLIENT) & Q(client__isnull=False))
                | (~Q(role=Role.CLIENT) & Q(client__isnull=True)),
                name="%(app_label)s_%(class)s_client_iff_client_role",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at", "-id"], name="msp_invitation_tenant_created")
        ]

    def __str__(self) -> str:
        return self.email

    @staticmethod
    def new_key() -> tuple[str, str]:
        """A fresh link token and its digest."""
        key = secrets.token_urlsafe(32)
        return key, invitation_digest(key)

    @property
    def status(self) -> str:
        if self.accepted_at:
            return InvitationStatus.ACCEPTED
        if self.declined_at:
            return InvitationStatus.DECLINED
        if self.revoked_at:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def is_pending(self) -> bool:
        return self.status == InvitationStatus.PENDING

    def get_status_display(self) -> str:
        return InvitationStatus(self.status).label
