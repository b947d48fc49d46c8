"""What billing/ hears from upstream: a bought hour block is invoiced at once."""

from django.dispatch import receiver

from contracts.signals import hour_block_purchased


@receiver(hour_block_purchased)
def invoice_bought_block(sender, tenant_id, block_id, **kwargs):
    # Sent on commit already: the task finds the block.
    from billing.tasks import block_invoice_task

    block_invoice_task.delay(tenant_id, block_id)
