"""Signals other apps listen to; msp never imports the apps downstream of it."""

from django.dispatch import Signal

# Sent on commit after a tenant is created (signup or create_tenant), with `tenant`.
# contracts/ seeds the Silver/Gold/Platinum tiers and a default SLA calendar from it.
tenant_created = Signal()

# Sent by `load_demo` after it built the demo MSP, with `tenant`: downstream apps add their
# demo data (inventory, an offer...) so the demo shows every capability.
demo_loaded = Signal()
