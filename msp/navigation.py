"""The main navigation, by role: an entry shows when the member has its permission."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from msp.roles import ANY_MEMBER

# (label, url name, permission needed, url-name prefix that marks it active): the staff's.
# Client contacts get the portal's own navigation (PORTAL_NAV) and never these.
NAV = [
    (_("Dashboard"), "dashboard", ANY_MEMBER, "dashboard"),
    (_("Clients"), "clients:list", "client.view", "clients:"),
    (_("Tickets"), "tickets:list", "ticket.change", "tickets:"),
    (_("Contacts"), "contacts:list", "contact.view", "contacts:"),
    (_("Assets"), "assets:list", "asset.view", "assets:"),
    (_("Offers"), "offers:list", "offer.view", "offers:"),
    (_("Contracts"), "contracts:list", "contract.view", "contracts:"),
    (_("Timesheet"), "timesheet:week", "timeentry.view", "timesheet:"),
    (_("Invoices"), "billing:list", "invoice.view", "billing:"),
    (_("Reports"), "monthly_reports:list", "monthlyreport.view", "monthly_reports:"),
    (_("Monitoring"), "monitoring:board", "alert.view", "monitoring:"),
    (_("Inbox"), "inbox:review", "inboundmessage.view", "inbox:"),
    (_("Tiers"), "tiers:list", "servicetier.view", "tiers:"),
    (_("SLA"), "sla:list", "businesscalendar.view", "sla:"),
    (_("Members"), "members:list", "member.view", "members:"),
    (_("Settings"), "tenant_settings", "tenant.change", "tenant_settings"),
    (_("Outgoing mail"), "mail:list", "outboundemail.view", "mail:"),
    (_("API"), "api-docs", "client.view", "api-"),
]


# The client portal's navigation: (label, url name, permission, url-name prefixes that mark
# it active). Only client contacts see it; staff pages they may open (their company's page,
# a contract) show it too, so a client contact never meets the MSP's own navigation.
PORTAL_NAV = [
    (_("Home"), "dashboard", ANY_MEMBER, ("dashboard",)),
    (_("Hours"), "portal:hours", "contract.view", ("portal:hours", "contracts:")),
    (_("Tickets"), "portal:tickets", "ticket.view", ("portal:ticket",)),
    (_("Assets"), "portal:assets", "asset.view", ("portal:asset", "assets:")),
    (_("Invoices"), "portal:invoices", "invoice.view", ("portal:invoice",)),
    (_("Reports"), "portal:reports", "monthlyreport.view", ("portal:report",)),
    (_("Offers"), "portal:offers", "offer.decide", ("portal:offer",)),
]


def portal_nav_items(membership, current: str) -> list[dict]:
    return [
        {"label": label, "url": reverse(url_name), "active": current.startswith(prefixes)}
        for label, url_name, permission, prefixes in PORTAL_NAV
        if membership.has_perm(permission)
    ]


def nav_items(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    if membership.is_client:
        return portal_nav_items(membership, current)
    items = []
    for label, url_name, permission, prefix in NAV:
        if not membership.has_perm(permission):
            continue
        items.append({"label": label, "url": reverse(url_name), "active": current.startswith(prefix)})
    return items
