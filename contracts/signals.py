"""Signals contracts/ listens to, and sends."""

from django.dispatch import receiver

from msp.signals import TenantSignal, demo_loaded, tenant_created


@receiver(tenant_created)
def seed_tiers_for_new_tenant(sender, tenant, **kwargs):
    from contracts.services import sla_seed, tiers_seed

    tiers_seed(tenant=tenant)
    sla_seed(tenant=tenant)


@receiver(demo_loaded)
def seed_sla_for_demo_tenant(sender, tenant, **kwargs):
    from contracts.services import sla_seed

    sla_seed(tenant=tenant)  # idempotent: for tenants created before SLA seeding existed


# Sent on commit when an hour block was bought (initial, manual or auto-renew), with
# `tenant_id`, `block_id` and `contract_id`: billing (downstream) invoices it; contracts/
# never imports billing/.
hour_block_purchased = TenantSignal()

# Sent on commit when an SLA calendar or policy changed in a way that moves due times, with
# `tenant_id` and `policy_ids` (the policies it touches): tickets/ recomputes the SLA clock
# of their open tickets. contracts/ never imports tickets/.
sla_terms_changed = TenantSignal()
