"""`poll_mailboxes [--mailbox ID] [--tenant SLUG]`: poll support mailboxes now, with progress.

Every active mailbox with an IMAP server (or the one named, or a tenant's), due or not, with
no limit on the messages: a first poll of a full mailbox runs to the end here. A mailbox a
worker is polling at that moment is skipped, and said so."""

from django.core.management.base import BaseCommand, CommandError

from inbox.models import Mailbox
from inbox.polling import mailbox_poll
from msp.actors import Actor, Channel, acting
from msp.models import Tenant
from msp.progress import progress
from msp.scoping import scope_of


class Command(BaseCommand):
    help = "Poll the support mailboxes over IMAP now and file what arrived (safe to re-run)."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", type=int, help="Only this mailbox (its id).")
        parser.add_argument("--tenant", help="Only this tenant's mailboxes (its slug).")

    def handle(self, *args, mailbox=None, tenant=None, **options):
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with the slug {tenant!r}.")
        polled = failed = 0
        with acting(Actor(channel=Channel.COMMAND, via="poll_mailboxes")):
            for each in tenants:
                with scope_of(each.pk):
                    mailboxes = Mailbox.objects.filter(is_active=True).exclude(imap_host="").order_by("pk")
                    if mailbox is not None:
                        mailboxes = mailboxes.filter(pk=mailbox)
                    for box in mailboxes:
                        ok = self._poll(each, box)
                        polled += 1
                        failed += not ok
        if mailbox is not None and not polled:
            raise CommandError(f"No active mailbox with an IMAP server has the id {mailbox}.")
        summary = f"{polled} mailbox(es) polled, {failed} failed."
        self.stdout.write(self.style.ERROR(summary) if failed else self.style.SUCCESS(summary))

    def _poll(self, tenant, box) -> bool:
        label = f"{tenant.slug}: {box.address}"
        result = mailbox_poll(
            mailbox=box, each=lambda items, total: progress(items, total=total, label=label)
        )
        if result.skipped:
            self.stdout.write(f"{label}: skipped, {result.skipped}")
            return True
        if result.error:
            self.stdout.write(f"{label}: {result.filed} message(s) filed, then failed: {result.error}")
            return False
        self.stdout.write(f"{label}: {result.filed} message(s) filed")
        return True
