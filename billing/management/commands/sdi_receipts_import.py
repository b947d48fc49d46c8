"""`sdi_receipts_import [--tenant SLUG]`: import the SdI receipts waiting in the watched folder.

Each tenant's files in SDI_RECEIPTS_DIR/<slug>/, with a progress bar; imported ones go to
done/, refused ones to failed/ with a .error.txt saying why (billing.einvoice.folder)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from billing.einvoice.folder import sdi_folder_import
from msp.actors import Actor, Channel, acting
from msp.models import Tenant
from msp.progress import progress


class Command(BaseCommand):
    help = "Import the SdI receipts waiting in the watched folder (safe to re-run)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Only this tenant (its slug).")

    def handle(self, *args, tenant=None, **options):
        if not settings.SDI_RECEIPTS_DIR:
            raise CommandError("SDI_RECEIPTS_DIR is empty: the watched folder is off.")
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with the slug {tenant!r}.")
        imported = failed = 0
        with acting(Actor(channel=Channel.COMMAND, via="sdi_receipts_import")):
            for each in tenants:
                result = sdi_folder_import(
                    tenant=each,
                    each=lambda items, total, name=each.slug: (
                        progress(items, total=total, label=name) if total else items
                    ),
                )
                imported += result.imported
                failed += len(result.failed)
                if result.imported or result.duplicates or result.failed:
                    self.stdout.write(
                        f"{each.slug}: {result.imported} imported, {result.duplicates} already imported, "
                        f"{len(result.failed)} refused"
                    )
                for name, why in result.failed:
                    self.stdout.write(f"  {name}: {why}")
        summary = f"{imported} receipt(s) imported, {failed} refused."
        self.stdout.write(self.style.ERROR(summary) if failed else self.style.SUCCESS(summary))
