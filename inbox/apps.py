from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = _("Support mailboxes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from inbox.threads import support_addresses, ticket_incoming
        from msp.mail import register_support_address
        from tickets.hooks import register_email_thread

        register_support_address(support_addresses)
        register_email_thread(ticket_incoming)
