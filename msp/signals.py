"""Signals other apps listen to; msp never imports the apps downstream of it."""

from contextlib import contextmanager, nullcontext

from django.dispatch import Signal
from django.utils import translation

from msp.scoping import scope_of


class TenantSignal(Signal):
    """A signal about one tenant: sent with `tenant` or `tenant_id`, its receivers run in that
    tenant's scope (they query through the default managers, like a view).

    With ``in_tenant_language``, they also run in the tenant's language: the rows they seed
    (work types, services, calendars, demo tickets) are named as its members read."""

    def __init__(self, *args, in_tenant_language: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.in_tenant_language = in_tenant_language

    def send(self, sender, **named):
        with scope_of(_tenant_id(named)), self._language(named):
            return super().send(sender, **named)

    def send_robust(self, sender, **named):
        with scope_of(_tenant_id(named)), self._language(named):
            return super().send_robust(sender, **named)

    def _language(self, named: dict):
        if not self.in_tenant_language:
            return nullcontext()
        return _tenant_language(named)


@contextmanager
def _tenant_language(named: dict):
    tenant = named.get("tenant")
    if tenant is None:
        from msp.models import Tenant

        tenant = Tenant.objects.get(pk=named["tenant_id"])
    with translation.override(tenant.language):
        yield


def _tenant_id(named: dict) -> int:
    return named["tenant"].pk if "tenant" in named else named["tenant_id"]


# Sent on commit after a tenant is created (signup or create_tenant), with `tenant`.
# contracts/ seeds the Silver/Gold/Platinum tiers and a default SLA calendar from it; the
# receivers run in the tenant's language, so what they seed is named in it.
tenant_created = TenantSignal(in_tenant_language=True)

# Sent by `load_demo` after it built the demo MSP, with `tenant`: downstream apps add their
# demo data (inventory, an offer...) so the demo shows every capability.
demo_loaded = TenantSignal(in_tenant_language=True)
