from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from audit.registry import track
        from contracts import notifications, signals  # noqa: F401
        from contracts.models import Contract, HourBlock, TierPrice

        # The audit trail (issue 20): terms, rates and renewal settings; blocks; tier prices.
        track(
            Contract,
            contract="pk",
            fields=[
                "client", "kind", "name", "tier", "status", "start_date", "end_date", "currency",
                "monthly_fee", "hourly_rate", "overage_rate", "rounding_minutes", "minimum_minutes",
                "includes_labour", "auto_renew", "renew_threshold_minutes", "renew_block_minutes",
                "renew_block_price", "blocks_need_payment", "notice_days", "term_end", "trial_end",
            ],
        )  # fmt: skip
        track(
            HourBlock,
            contract="contract_id",
            fields=[
                "minutes",
                "price",
                "origin",
                "purchased_at",
                "expires_at",
                "invoiced_at",
                "invoice_ref",
                "paid_at",
            ],
        )
        track(TierPrice, tier="tier_id", fields=["tier", "kind", "price"])
