from msp.models.clients import Client, Contact, Site
from msp.models.idempotency import IdempotencyKey
from msp.models.tenancy import ApiToken, Membership, Tenant, User

__all__ = ["ApiToken", "Client", "Contact", "IdempotencyKey", "Membership", "Site", "Tenant", "User"]
