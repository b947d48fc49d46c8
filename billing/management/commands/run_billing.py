"""`run_billing --period 2026-11`: the monthly run for every tenant (or one), with progress."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billing.periods import Period
from billing.services.run import billing_run
from msp.actors import Actor, Channel, acting
from msp.models import Tenant
from msp.progress import progress


class Command(BaseCommand):
    help = "Build the period's invoices for every client with something billable (safe to re-run)."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="The month to bill, YYYY-MM.")
        parser.add_argument("--tenant", help="Only this tenant (its slug).")

    def handle(self, *args, period, tenant=None, **options):
        try:
            month = Period.parse(period)
        except ValidationError as error:
            raise CommandError(error.messages[0]) from error
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with the slug {tenant!r}.")
        made = 0
        # The audit trail names this command as the author of the invoices (msp.actors).
        with acting(Actor(channel=Channel.COMMAND, via="run_billing")):
            made = self._run(tenants, month)
        self.stdout.write(self.style.SUCCESS(f"{month}: {made} invoice(s) made."))

    def _run(self, tenants, month) -> int:
        made = 0
        for each in tenants:
            result = billing_run(
                tenant=each,
                period=month,
                each=lambda items, total, name=each.slug: progress(items, total=total, label=name),
            )
            made += len(result.invoices)
            self.stdout.write(
                f"{each.slug}: {len(result.invoices)} invoice(s) for {result.clients} client(s)"
            )
        return made
