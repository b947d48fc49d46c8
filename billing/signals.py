"""What billing/ hears from upstream: a bought hour block is invoiced at once."""

from django.dispatch import receiver

from contracts.signals import hour_block_purchased
from msp.signals import demo_loaded


@receiver(hour_block_purchased)
def invoice_bought_block(sender, tenant_id, block_id, **kwargs):
    # Sent on commit already: the task finds the block.
    from billing.tasks import block_invoice_task

    block_invoice_task.delay(tenant_id, block_id)


@receiver(demo_loaded)
def seed_demo_tax_rates(sender, tenant, **kwargs):
    """The demo MSP's VAT catalogue (Italian): the standard and reduced rates, an exemption, a
    reverse charge and EU services; its German client is invoiced under the last."""
    from billing.services.taxes import tax_rates_seed_italy

    tax_rates_seed_italy(tenant=tenant, eu_clients=["Kaiser Maschinenbau GmbH"])


@receiver(demo_loaded)
def seed_demo_account_mappings(sender, tenant, **kwargs):
    """The demo MSP's accounts for the accountant's export (an Italian chart of accounts), so
    "Export for the accountant" gives files at once instead of a list of missing mappings."""
    from billing.services.exports import demo_account_mappings

    demo_account_mappings(tenant=tenant)
