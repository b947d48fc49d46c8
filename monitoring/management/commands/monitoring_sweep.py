"""`monitoring_sweep [--tenant SLUG]`: the beat's proactive sweeps now, with progress."""

from django.core.management.base import BaseCommand, CommandError

from monitoring.sweeps import SweepResult, sweep, sweep_tenants
from msp.models import Tenant
from msp.progress import progress


class Command(BaseCommand):
    help = (
        "Raise the offline, warranty and missing-patch alerts due now, each crossing once "
        "(safe to re-run: what was raised is not raised again)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Only this tenant (its slug).")

    def handle(self, *args, tenant=None, **options):
        if tenant:
            tenants = list(Tenant.objects.filter(slug=tenant))
            if not tenants:
                raise CommandError(f"No tenant with the slug {tenant!r}.")
        else:
            # The tenants the beat would sweep: those with assets the checks judge.
            tenants = list(Tenant.objects.filter(pk__in=sweep_tenants()).order_by("pk"))
        total = SweepResult()
        for each in progress(tenants, label="sweep"):
            result = sweep(tenant=each)
            self.stdout.write(f"{each.slug}: {result}")
            total.opened.update(result.opened)
            total.repeated.update(result.repeated)
            total.resolved.update(result.resolved)
        self.stdout.write(self.style.SUCCESS(f"{len(tenants)} tenant(s) swept; {total}"))
