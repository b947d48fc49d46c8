"""Signals tickets/ listens to."""

from datetime import timedelta

from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.signals import sla_terms_changed
from msp.signals import demo_loaded


@receiver(sla_terms_changed)
def recompute_open_tickets(sender, tenant_id, policy_ids, **kwargs):
    """Sent on commit already: hand the recomputation to a task of the tenant."""
    from tickets.tasks import sla_recompute_open_task

    sla_recompute_open_task.delay(tenant_id, list(policy_ids))


# (client, subject, priority, asset name prefix or "", hours ago); the subjects are written in
# the demo tenant's language (demo_loaded runs in it).
DEMO_TICKETS = [
    ("Acme Dental", _("Server ACME-SRV-01 is not responding"), "P1", "ACME-SRV", 1),
    ("Acme Dental", _("New starter needs a laptop and an account"), "P3", "", 30),
    ("Bellini Architetti", _("Plotter prints stripes"), "P3", "BEL-PLOT", 5),
    ("Castello Logistics", _("Backup job failed last night"), "P2", "CAS-SRV", 3),
    ("Castello Logistics", _("Password reset for the warehouse PC"), "P4", "CAS-PC", 2),
]


@receiver(demo_loaded)
def add_demo_tickets(sender, tenant, **kwargs):
    from assets.models import Asset
    from msp.models import Client, Contact
    from tickets.services import ticket_create

    clients = {c.name: c for c in Client.objects.all()}
    now = timezone.now()
    for client_name, subject, priority, prefix, hours_ago in DEMO_TICKETS:
        client = clients.get(client_name)
        if client is None:
            continue
        asset = (
            Asset.objects.filter(client=client, name__startswith=prefix).order_by("name").first()
            if prefix
            else None
        )
        ticket_create(
            tenant=tenant,
            client=client,
            subject=str(subject),
            priority=priority,
            source="phone",
            asset=asset,
            contact=Contact.objects.filter(client=client).order_by("pk").first(),
            now=now - timedelta(hours=hours_ago),
        )
