"""Signals contracts/ listens to, and sends."""

from django.dispatch import Signal, receiver

from msp.signals import tenant_created


@receiver(tenant_created)
def seed_tiers_for_new_tenant(sender, tenant, **kwargs):
    from contracts.services import tiers_seed

    tiers_seed(tenant=tenant)


# Sent on commit when an hour block was bought (initial, manual or auto-renew), with
# `block_id` and `contract_id`: billing (downstream) invoices it; contracts/ never imports billing/.
hour_block_purchased = Signal()
