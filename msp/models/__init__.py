from msp.models.clients import Client, Contact, Site
from msp.models.idempotency import IdempotencyKey
from msp.models.mail import OutboundEmail, OutboundEmailStatus
from msp.models.tenancy import ApiToken, Membership, Tenant, User

__all__ = [
    "ApiToken",
    "Client",
    "Contact",
    "IdempotencyKey",
    "Membership",
    "OutboundEmail",
    "OutboundEmailStatus",
    "Site",
    "Tenant",
    "User",
]
