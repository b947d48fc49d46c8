from django.db.models import Sum
from djmoney.money import Money

from contracts.choices import ContractKind
from contracts.models import BlockOrigin, Contract, LedgerEntry
from contracts.services.hours import block_purchase
from msp.models import ApiToken
from tests.factories import ContractFactory, TicketFactory


def api_for(membership):
    """An API client holding a fresh token of ``membership``."""
    from rest_framework.test import APIClient

    _token, key = ApiToken.issue(membership)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return http


def prepaid(client=None, block_minutes=600, **kwargs):
    defaults = {
        "kind": ContractKind.PREPAID_HOURS,
        "auto_renew": True,
        "renew_threshold_minutes": 5 * 60,
        "renew_block_minutes": 10 * 60,
        "renew_block_price": Money("900.00", "EUR"),
    }
    if client is not None:
        defaults["client"] = client
        defaults["tenant"] = client.tenant
    else:
        defaults["client__currency"] = "EUR"
    contract = ContractFactory(**{**defaults, **kwargs})
    if block_minutes:
        block_purchase(
            contract=contract,
            minutes=block_minutes,
            price=Money("900.00", contract.currency),
            origin=BlockOrigin.INITIAL,
        )
    return Contract.unscoped.get(pk=contract.pk)


def ticket_on(contract, **kwargs):
    return TicketFactory(tenant=contract.tenant, client=contract.client, contract=contract, **kwargs)


def balance(contract) -> int:
    """The contract's balance, asserting that the ledger sums to it."""
    contract = Contract.unscoped.get(pk=contract.pk)
    total = LedgerEntry.unscoped.filter(contract=contract).aggregate(s=Sum("minutes"))["s"] or 0
    assert total == contract.balance_minutes
    return contract.balance_minutes
