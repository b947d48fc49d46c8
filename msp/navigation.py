"""The main navigation, by role: an entry shows when the member has its permission."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from msp.roles import ANY_MEMBER

# (label, url name, permission needed, url-name prefix that marks it active). Client
# contacts get "My company" instead of the MSP-wide lists, so those are staff-only.
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
    (_("Tiers"), "tiers:list", "servicetier.view", "tiers:"),
    (_("SLA"), "sla:list", "businesscalendar.view", "sla:"),
    (_("Members"), "members:list", "member.view", "members:"),
    (_("Settings"), "tenant_settings", "tenant.change", "tenant_settings"),
    (_("Outgoing mail"), "mail:list", "outboundemail.view", "mail:"),
    (_("API"), "api-docs", "client.view", "api-"),
]
STAFF_ONLY = {
    "clients:list",
    "contacts:list",
    "api-docs",
    "assets:list",
    "contracts:list",
    "offers:list",
    "tiers:list",
    "tickets:list",
    "billing:list",
    "monthly_reports:list",  # client contacts read their sent reports in the portal
    "monitoring:board",
}


def nav_items(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    items = []
    if membership.is_client and membership.client_id:
        items.append(
            {
                "label": _("My company"),
                "url": reverse("clients:detail", args=[membership.client_id]),
                "active": current.startswith("clients:"),
            }
        )
        if membership.has_perm("ticket.view"):
            items.append(
                {
                    "label": _("Tickets"),
                    "url": reverse("portal:tickets"),
                    "active": current.startswith("portal:ticket"),
                }
            )
        if membership.has_perm("contract.view"):
            items.append(
                {
                    "label": _("Prepaid hours"),
                    "url": reverse("portal:hours"),
                    "active": current.startswith("portal:hours"),
                }
            )
        if membership.has_perm("invoice.view"):
            items.append(
                {
                    "label": _("Invoices"),
                    "url": reverse("portal:invoices"),
                    "active": current.startswith("portal:invoice"),
                }
            )
        if membership.has_perm("offer.decide"):
            items.append(
                {
                    "label": _("Offers"),
                    "url": reverse("portal:offers"),
                    "active": current.startswith("portal:offer"),
                }
            )
    for label, url_name, permission, prefix in NAV:
        if not membership.has_perm(permission):
            continue
        if membership.is_client and url_name in STAFF_ONLY:
            continue
        items.append({"label": label, "url": reverse(url_name), "active": current.startswith(prefix)})
    return items
