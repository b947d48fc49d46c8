"""Recompute the SLA clock of every open ticket, tenant by tenant: after calendars changed
outside the browser (contracts' migration 0007 preloads national holidays into existing
calendars), e.g. `manage.py sla_recompute --tenant demo`. Idempotent."""

from django.core.management.base import BaseCommand, CommandError

from contracts.models import SlaPolicy
from msp.models import Tenant
from msp.scoping import scope_of
from tickets.services import sla_recompute_open


class Command(BaseCommand):
    help = "Recompute the SLA due times of open tickets (all tenants, or one with --tenant)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="the tenant's slug (default: every tenant)")

    def handle(self, *args, tenant=None, **options):
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with the slug {tenant!r}.")
        for each in tenants:
            with scope_of(each.pk):
                policies = list(SlaPolicy.objects.values_list("pk", flat=True))
                changed = sla_recompute_open(policy_ids=policies) if policies else 0
            self.stdout.write(f"{each.slug}: {changed} open tickets moved")
