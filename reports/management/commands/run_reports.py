"""`run_reports --period 2026-10`: every client's monthly report, for every tenant (or one),
with progress. Safe to re-run: a report made before is kept as it is."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billing.periods import Period
from msp.actors import Actor, Channel, acting
from msp.models import Tenant
from msp.progress import progress
from reports.services import generate_month


class Command(BaseCommand):
    help = "Generate the month's report for every client with something to report (safe to re-run)."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="The month to report, YYYY-MM.")
        parser.add_argument("--tenant", help="Only this tenant (its slug).")
        parser.add_argument(
            "--no-pdf",
            action="store_true",
            help="Store figures and HTML only (PDFs are made when first asked for).",
        )
        sending = parser.add_mutually_exclusive_group()
        sending.add_argument(
            "--send",
            action="store_true",
            default=None,
            help="E-mail the reports made (whatever the setting).",
        )
        sending.add_argument(
            "--no-send", dest="send", action="store_false", help="Keep the reports made as drafts."
        )

    def handle(self, *args, period, tenant=None, no_pdf=False, send=None, **options):
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
        # The audit trail names this command as the author (msp.actors).
        with acting(Actor(channel=Channel.COMMAND, via="run_reports")):
            for each in tenants:
                run = generate_month(
                    each,
                    month,
                    pdf=not no_pdf,
                    send=send,
                    each=lambda items, total, name=each.slug: progress(
                        items, total=total, label=name, stream=self.stderr._out
                    ),
                )
                made += len(run.generated)
                line = (
                    f"{each.slug}: {len(run.generated)} report(s) made, {run.existing} already there, "
                    f"{run.sent} sent, for {run.clients} client(s)"
                )
                self.stdout.write(line)
                if run.no_recipient:
                    self.stdout.write(
                        self.style.WARNING(
                            f"  kept as drafts, nobody to send to: {', '.join(run.no_recipient)}"
                        )
                    )
                if run.failed:
                    self.stdout.write(self.style.ERROR(f"  failed (see the log): {', '.join(run.failed)}"))
        self.stdout.write(self.style.SUCCESS(f"{month}: {made} report(s) made."))
