"""Minutes and money have real limits (issue 20, finding 4): a block, a renewal setting or a
balance that would pass them is a 400 (a form error in the browser) that changes nothing,
never PostgreSQL's `integer out of range` 500 on `balance_minutes`."""

import pytest
from djmoney.money import Money

from contracts.limits import MAX_BALANCE_MINUTES, MAX_BLOCK_MINUTES
from contracts.models import Contract, HourBlock, LedgerEntry
from contracts.services.hours import block_purchase
from msp.roles import Role
from tests.factories import ClientFactory, TicketFactory
from tests.timetracking.helpers import api_for, prepaid

pytestmark = pytest.mark.django_db
INT_MAX = 2**31 - 1


@pytest.fixture
def acme(tenant):
    return ClientFactory(tenant=tenant, name="Acme", currency="EUR")


@pytest.fixture
def contract(acme):
    return prepaid(acme, block_minutes=600)


@pytest.fixture
def owner_api(tenant, make_member):
    return api_for(make_member(tenant, Role.OWNER))


def _blocks_url(contract):
    return f"/api/v1/contracts/{contract.pk}/blocks/"


def _unchanged(contract, balance=600, blocks=1):
    contract.refresh_from_db()
    assert contract.balance_minutes == balance
    assert HourBlock.unscoped.filter(contract=contract).count() == blocks
    assert LedgerEntry.unscoped.filter(contract=contract).count() == blocks


def test_a_block_past_the_limit_is_a_400(owner_api, contract):
    for minutes in (INT_MAX - 600, INT_MAX, MAX_BLOCK_MINUTES + 1):
        response = owner_api.post(
            _blocks_url(contract), {"minutes": minutes, "price": "10.00"}, format="json"
        )
        assert response.status_code == 400, response.content
        assert "minutes" in response.json()
    _unchanged(contract)
    response = owner_api.post(
        _blocks_url(contract), {"minutes": MAX_BLOCK_MINUTES, "price": "10.00"}, format="json"
    )
    assert response.status_code == 201


def test_blocks_cannot_take_the_balance_past_its_limit(owner_api, contract):
    bought = 600
    while bought + MAX_BLOCK_MINUTES <= MAX_BALANCE_MINUTES:
        block_purchase(contract=contract, minutes=MAX_BLOCK_MINUTES, price=Money("1.00", "EUR"))
        bought += MAX_BLOCK_MINUTES
    blocks = HourBlock.unscoped.filter(contract=contract).count()
    response = owner_api.post(
        _blocks_url(contract), {"minutes": MAX_BLOCK_MINUTES, "price": "10.00"}, format="json"
    )
    assert response.status_code == 400
    assert "balance" in str(response.json())
    _unchanged(contract, balance=bought, blocks=blocks)


@pytest.mark.parametrize("field", ["renew_block_minutes", "renew_threshold_minutes"])
def test_renewal_settings_past_the_limit_are_a_400(owner_api, contract, field):
    for minutes in (MAX_BLOCK_MINUTES + 1, INT_MAX):
        response = owner_api.patch(f"/api/v1/contracts/{contract.pk}/", {field: minutes}, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()
    saved = Contract.unscoped.get(pk=contract.pk)
    assert (saved.renew_block_minutes, saved.renew_threshold_minutes) == (600, 300)


def test_a_technicians_entry_on_the_most_renewing_contract_stays_in_range(
    tenant, make_member, owner_api, acme
):
    """The renewal settings at their limits, and a day's entry that renews: a 201, never a 500."""
    contract = prepaid(acme, block_minutes=MAX_BLOCK_MINUTES)
    response = owner_api.patch(
        f"/api/v1/contracts/{contract.pk}/",
        {"renew_block_minutes": MAX_BLOCK_MINUTES, "renew_threshold_minutes": MAX_BLOCK_MINUTES},
        format="json",
    )
    assert response.status_code == 200, response.content
    tech = make_member(tenant, Role.TECHNICIAN)
    ticket = TicketFactory(tenant=tenant, client=acme, contract=contract)
    http = api_for(tech)
    for _n in range(3):
        answer = http.post("/api/v1/time-entries/", {"ticket": ticket.pk, "minutes": 24 * 60}, format="json")
        assert answer.status_code == 201, answer.content
    contract.refresh_from_db()
    assert 0 < contract.balance_minutes <= MAX_BALANCE_MINUTES


def test_a_tiers_lists_are_bounded_and_not_echoed(owner_api):
    prices = {f"kind{n}": "1.00" for n in range(10_000)}
    response = owner_api.post("/api/v1/tiers/", {"name": "Gold", "prices": prices}, format="json")
    assert response.status_code == 400 and len(response.content) < 1000
    assert "at most one price per asset kind" in response.json()["prices"][0]
    response = owner_api.post(
        "/api/v1/tiers/", {"name": "Gold", "features": ["backup"] * 10_000}, format="json"
    )
    assert response.status_code == 400 and "features" in response.json()
