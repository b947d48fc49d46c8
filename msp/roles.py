"""Roles and what each may do: the one place permissions are declared."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    TECHNICIAN = "technician", _("Technician")
    CLIENT = "client", _("Client contact")


STAFF_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.ACCOUNT_MANAGER, Role.TECHNICIAN})
MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})


# Every role holds it: a page for any active member of the tenant (the dashboard) names it.
# A view that names no permission at all is refused to everyone (msp.views.base).
ANY_MEMBER = "tenant.view"
# The client portal's pages: client contacts only (staff work in the MSP's own pages).
PORTAL = "portal.view"


def _crud(resource: str, *actions: str) -> set[str]:
    return {f"{resource}.{action}" for action in actions}


# Client contacts read their own company's rows (the scope limits them to it) and decide
# on the offers made to them; MSP-wide catalogues (tiers, services) are staff-only.
_CLIENT_CONTACT = (
    {ANY_MEMBER, PORTAL}
    | _crud("client", "view")
    | _crud("site", "view")
    | _crud("contact", "view")
    | _crud("asset", "view")
    | _crud("contract", "view")
    | {"offer.decide"}  # in the portal, on offers sent to them
    | _crud("ticket", "view", "add")  # their own company's tickets, in the portal
    | {"ticket.reply"}
    | _crud("invoice", "view")  # issued ones of their own company, in the portal
    | _crud("monthlyreport", "view")  # sent ones of their own company, in the portal
)
_TECHNICIAN = (
    # Monthly reports are the account's: what the client paid and what it would have cost.
    _CLIENT_CONTACT - {"offer.decide", PORTAL, "invoice.view", "monthlyreport.view"}
    | _crud("ticket", "change")
    | {"ticket.note", "ticket.assign"}
    | _crud("timeentry", "view", "add", "change", "delete")
    | _crud("worktype", "view")
    | _crud("site", "add", "change")
    | _crud("contact", "add", "change")
    | _crud("asset", "add", "change")
    | _crud("servicetier", "view")
    | _crud("recurringservice", "view")
    | _crud("notification", "view", "change")  # their own, in the app (contacts are mailed)
    | _crud("alert", "view")  # the alerts board, client health, the review of unknown machines
    | {"alert.review"}
    # Received e-mails (inbox/): the log, and filing those waiting for review (or discarding them).
    | _crud("inboundmessage", "view")
    | {"inboundmessage.review"}
    # The audit trail (audit/): who changed a contract's money or hours, from where. Staff
    # only: a client contact reads the contract, not the MSP's people and addresses.
    | {"contract.history", "servicetier.history"}  # a tier's prices, as the tier page shows them
)
_ACCOUNT_MANAGER = (
    _TECHNICIAN
    | _crud("client", "add", "change")
    | _crud("asset", "delete")
    | _crud("offer", "view", "add", "change", "delete")
    | {"offer.send", "offer.decide"}
    | _crud("contract", "add", "change")
    | _crud("hourblock", "view", "add")
    | _crud("invoice", "view", "add", "change", "delete")  # drafts, and issuing them
    | {"invoice.history"}  # the audit trail of an invoice, its payments and credit notes
    | _crud("taxrate", "view")  # the VAT rates a draft's lines may carry
    # E-invoices at the SdI: its receipts (read, uploaded), marking files sent, sending again.
    | _crud("sdireceipt", "view", "add")
    | {"einvoice.send"}
    # Monthly client reports: preview, generate and regenerate drafts, send, share by link.
    | _crud("monthlyreport", "view", "add", "change")
    | {"monthlyreport.send", "monthlyreport.share"}
)
_ADMIN = (
    _ACCOUNT_MANAGER
    | _crud("client", "delete")
    | _crud("site", "delete")
    | _crud("contact", "delete")
    | _crud("member", "view", "add", "change", "delete")
    | _crud("servicetier", "add", "change", "delete")
    | _crud("recurringservice", "add", "change", "delete")
    | _crud("contract", "delete")
    | _crud("ticket", "delete")
    | _crud("worktype", "add", "change", "delete")
    | _crud("slapolicy", "view", "add", "change", "delete")
    | _crud("businesscalendar", "view", "add", "change", "delete")
    | {"tenant.change", "timeentry.manage_all"}
    | _crud("ingestkey", "view", "add", "change", "delete")  # monitoring tools' credentials
    | _crud("mailbox", "view", "add", "change", "delete")  # support mailboxes (inbox/): IMAP, webhook
    | {"invoice.pay", "invoice.void", "billing.run", "billing.settings"}
    | _crud("taxrate", "add", "change", "delete")  # the VAT rate catalogue, exemptions included
    | _crud("exportbatch", "view", "add") | _crud("accountmapping", "view", "add", "change")  # the accountant's export
    | {"monthlyreport.run"}  # every client's report of a month at once
    | {"dashboard.tenant"}  # the whole MSP's figures on the dashboard (reports/): SLA, hours, utilisation
    | {"outboundemail.view", "outboundemail.retry"}  # the tenant's outgoing mail, failures included
)
_OWNER = _ADMIN | {"member.grant_owner"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(_OWNER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.ACCOUNT_MANAGER: frozenset(_ACCOUNT_MANAGER),
    Role.TECHNICIAN: frozenset(_TECHNICIAN),
    Role.CLIENT: frozenset(_CLIENT_CONTACT),
}


def role_has_perm(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
