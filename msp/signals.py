"""Signals other apps listen to; msp never imports the apps downstream of it."""

from django.dispatch import Signal

from msp.scoping import scope_of


class TenantSignal(Signal):
    """A signal about one tenant: sent with `tenant` or `tenant_id`, its receivers run in that
    tenant's scope (they query through the default managers, like a view)."""

    def send(self, sender, **named):
        with scope_of(_tenant_id(named)):
            return super().send(sender, **named)

    def send_robust(self, sender, **named):
        with scope_of(_tenant_id(named)):
            return super().send_robust(sender, **named)


def _tenant_id(named: dict) -> int:
    return named["tenant"].pk if "tenant" in named else named["tenant_id"]


# Sent on commit after a tenant is created (signup or create_tenant), with `tenant`.
# contracts/ seeds the Silver/Gold/Platinum tiers and a default SLA calendar from it.
tenant_created = TenantSignal()

# Sent by `load_demo` after it built the demo MSP, with `tenant`: downstream apps add their
# demo data (inventory, an offer...) so the demo shows every capability.
demo_loaded = TenantSignal()
