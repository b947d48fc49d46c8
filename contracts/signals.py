"""Signals contracts/ listens to, and sends."""

from django.dispatch import receiver

from msp.signals import tenant_created


@receiver(tenant_created)
def seed_tiers_for_new_tenant(sender, tenant, **kwargs):
    from contracts.services import tiers_seed

    tiers_seed(tenant=tenant)
