"""The VAT rate catalogue's writes: the Italian rates an MSP usually needs."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from billing.models import ClientBillingTerms, TaxNature, TaxRate
from msp.models import Client
from msp.scoping import scope_of


def tax_rates_seed_italy(*, tenant, eu_clients: list[str] = ()) -> list[TaxRate]:
    """22 % and 10 %, N4 exempt (art. 10), N6.7 reverse charge and N2.1 services to EU
    businesses (art. 7-ter), once (a rate whose code exists is left as it is); the clients
    named in `eu_clients` are billed under N2.1. Runs in the tenant's language (the names)."""
    rows = [
        (_("Standard rate 22 %"), "22", Decimal("22"), "", ""),
        (_("Reduced rate 10 %"), "10", Decimal("10"), "", ""),
        (_("Exempt (art. 10)"), "N4", Decimal("0"), TaxNature.N4, "Art. 10 DPR 633/72"),
        (_("Reverse charge: construction services"), "N6.7", Decimal("0"), TaxNature.N6_7,
         "Art. 17 c. 6 lett. a-ter DPR 633/72"),
        (_("Services to EU businesses"), "N2.1", Decimal("0"), TaxNature.N2_1, "Art. 7-ter DPR 633/72"),
    ]  # fmt: skip
    with scope_of(tenant.pk):
        rates = [
            TaxRate.objects.get_or_create(
                tenant=tenant,
                code=code,
                defaults={"name": name, "rate": rate, "nature": nature, "legal_reference": law},
            )[0]
            for name, code, rate, nature, law in rows
        ]
        eu = rates[-1]
        for client in Client.objects.filter(name__in=list(eu_clients)):
            ClientBillingTerms.objects.update_or_create(
                client=client, defaults={"tenant": tenant, "vat": eu, "tax_rate": None}
            )
    return rates
