from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from audit.registry import track
        from billing import signals  # noqa: F401
        from billing.models import Invoice, Payment

        track(  # the audit trail (issue 20); a credit note is an invoice of its own
            Invoice,
            invoice="pk",
            fields=[
                "kind", "client", "status", "number", "currency", "period_start", "period_end",
                "issue_date", "due_date", "corrects", "subtotal", "tax", "total", "paid", "credited",
                "void_reason",
            ],
        )  # fmt: skip
        track(Payment, invoice="invoice_id", fields=["amount", "paid_at", "method", "reference"])
