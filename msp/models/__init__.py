from msp.models.clients import Client, Contact, Site
from msp.models.idempotency import IdempotencyKey
from msp.models.invitations import Invitation, InvitationStatus
from msp.models.mail import OutboundEmail, OutboundEmailStatus
from msp.models.notifications import Notification, NotificationKind, NotificationPreference
from msp.models.tenancy import ApiToken, Membership, SmtpSecurity, Tenant, User

__all__ = [
    "ApiToken",
    "Client",
    "Contact",
    "IdempotencyKey",
    "Invitation",
    "InvitationStatus",
    "Membership",
    "Notification",
    "NotificationKind",
    "NotificationPreference",
    "OutboundEmail",
    "OutboundEmailStatus",
    "Site",
    "SmtpSecurity",
    "Tenant",
    "User",
]
