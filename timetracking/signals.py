"""Signals timetracking/ listens to: work types for new tenants; prepaid hours in the demo."""

from datetime import timedelta
from decimal import Decimal

from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from msp.signals import demo_loaded, tenant_created

DEMO_CLIENT = "Acme Dental"  # the demo's client login belongs to it: the portal shows its hours
# (minutes, work type, note), written in the demo tenant's language (demo_loaded runs in it)
DEMO_ENTRIES = [
    (15, gettext_lazy("Standard"), gettext_lazy("Phone call: Outlook asks for the password again")),
    (45, gettext_lazy("Standard"), gettext_lazy("Remote session: rebuilt the Outlook profile")),
    (30, gettext_lazy("After hours"), gettext_lazy("Evening check that mail syncs on every PC")),
]


@receiver(tenant_created)
def seed_work_types_for_new_tenant(sender, tenant, **kwargs):
    from timetracking.services import work_types_seed

    work_types_seed(tenant=tenant)


@receiver(demo_loaded)
def seed_work_types_for_demo(sender, tenant, **kwargs):
    from timetracking.services import work_types_seed

    work_types_seed(tenant=tenant)
    _demo_prepaid_hours(tenant)


def _demo_prepaid_hours(tenant) -> None:
    """A 10 h prepaid contract (auto-renew under 5 h) for the demo client, with a ticket and
    a few entries drawn from it, so the contract page, the ticket and the portal show hours."""
    from django.contrib.auth import get_user_model
    from djmoney.money import Money

    from contracts.choices import ContractKind
    from contracts.models import BlockOrigin, Contract
    from contracts.services.hours import block_purchase
    from msp.models import Client, Contact, Membership
    from msp.roles import Role
    from tickets.services import ticket_create
    from timetracking.models import WorkType
    from timetracking.services import time_entry_create

    client = Client.objects.filter(name=DEMO_CLIENT).first()
    if client is None or Contract.objects.filter(client=client, kind=ContractKind.PREPAID_HOURS).exists():
        return
    technician = Membership.objects.filter(role=Role.TECHNICIAN).select_related("user").order_by("pk").first()
    user = (
        technician.user if technician else get_user_model().objects.filter(memberships__tenant=tenant).first()
    )
    currency = client.currency
    contract = Contract.objects.create(
        tenant=tenant,
        client=client,
        kind=ContractKind.PREPAID_HOURS,
        name=_("Prepaid hours · %(client)s") % {"client": client.name},
        start_date=timezone.localdate() - timedelta(days=30),
        currency=currency,
        hourly_rate=Money(Decimal("90.00"), currency),
        auto_renew=True,
        renew_threshold_minutes=300,
        renew_block_minutes=600,
        renew_block_price=Money(Decimal("900.00"), currency),
    )
    block_purchase(
        contract=contract, minutes=600, price=Money(Decimal("900.00"), currency), origin=BlockOrigin.INITIAL
    )
    # The demo's tickets were opened before this contract existed: bill them to it, as the
    # default rule would have (prepaid hours with a balance first).
    from tickets.models import Ticket

    Ticket.objects.filter(client=client, contract__isnull=True).update(contract=contract)
    if user is None:
        return
    ticket = ticket_create(
        tenant=tenant,
        client=client,
        subject=_("Outlook keeps asking for the password"),
        priority="P3",
        source="phone",
        contract=contract,
        contact=Contact.objects.filter(client=client).order_by("pk").first(),
    )
    work_types = {w.name: w for w in WorkType.objects.all()}
    for minutes, work_type, note in DEMO_ENTRIES:
        time_entry_create(
            ticket=ticket,
            technician=user,
            minutes=minutes,
            work_type=work_types.get(str(work_type)),
            note=str(note),
        )
