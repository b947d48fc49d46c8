"""Contracts: managed service, prepaid hours and break/fix, in the browser and the API."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money
from rest_framework.test import APIClient

from contracts.choices import ContractKind, ContractStatus
from contracts.models import Contract
from msp.models import ApiToken, Client
from msp.roles import Role
from tests.factories import ClientFactory, ContractFactory, ServiceTierFactory

pytestmark = pytest.mark.django_db

CONTRACTS_URL = "/api/v1/contracts/"


def api_for(membership) -> APIClient:
    _token, key = ApiToken.issue(membership)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return http


@pytest.fixture
def sales(tenant, make_member):
    return make_member(tenant, Role.ACCOUNT_MANAGER)


@pytest.fixture
def sales_client(client, sales):
    client.force_login(sales.user)
    return client


@pytest.fixture
def acme(tenant):
    return ClientFactory(tenant=tenant, name="Acme Dental", currency="USD")


@pytest.fixture
def gold_usd(tenant):
    return ServiceTierFactory(tenant=tenant, name="Gold", currency="USD", prices={"server": "250"})


def contract_form(client, **overrides) -> dict:
    data = {
        "client": client.pk,
        "kind": "managed",
        "name": "",
        "status": "active",
        "start_date": "2026-02-01",
        "end_date": "",
        "currency": "",
        "tier": "",
        "monthly_fee": "",
        "includes_labour": "",
        "hourly_rate": "",
        "overage_rate": "",
        "rounding_minutes": "1",
        "minimum_minutes": "0",
        "renew_threshold_minutes": "300",
        "renew_block_minutes": "600",
        "renew_block_price": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != "" or k in ("end_date", "currency", "tier")}


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code
    return response.context["form"].errors


# --- the browser -----------------------------------------------------------------------


def test_account_manager_adds_a_managed_contract_from_the_client_page(sales_client, acme, gold_usd):
    client_page = sales_client.get(acme.get_absolute_url()).content.decode()
    create_url = f"{reverse('contracts:create')}?client={acme.pk}"
    assert create_url in client_page and "No contracts yet." in client_page

    form = sales_client.get(create_url)
    assert form.context["form"].initial["client"] == acme
    assert form.context["form"].initial["currency"] == "USD"
    assert "Gold (USD)" in form.content.decode()

    response = sales_client.post(
        create_url,
        contract_form(
            acme,
            tier=gold_usd.pk,
            monthly_fee="750",
            hourly_rate="95",
            overage_rate="110",
            rounding_minutes="15",
        ),
        follow=True,
    )

    contract = Contract.unscoped.get()
    assert response.redirect_chain[-1][0] == contract.get_absolute_url()
    assert (contract.client, contract.kind, contract.tier, contract.currency) == (
        acme,
        "managed",
        gold_usd,
        "USD",
    )
    assert contract.hourly_rate == Money("95.00", "USD") and contract.overage_rate == Money("110.00", "USD")
    assert contract.monthly_fee == Money("750.00", "USD")
    assert (contract.start_date, contract.end_date, contract.rounding_minutes) == (date(2026, 2, 1), None, 15)
    body = response.content.decode()
    assert "was created." in body and "month to month" in body and "$95.00" in body
    assert "up to the next 15 min" in body
    assert str(contract) in sales_client.get(acme.get_absolute_url()).content.decode()


def test_a_tier_in_another_currency_is_refused(sales_client, acme, tenant):
    gold_eur = ServiceTierFactory(tenant=tenant, name="Gold", currency="EUR")
    errors = form_errors(
        sales_client.post(reverse("contracts:create"), contract_form(acme, tier=gold_eur.pk))
    )
    assert errors["tier"] == [
        "Gold is priced in EUR, but this contract is billed in USD: totals never mix currencies. "
        "Choose a tier priced in USD."
    ]
    assert not Contract.unscoped.exists()


def test_an_end_date_before_the_start_is_refused(sales_client, acme, gold_usd):
    errors = form_errors(
        sales_client.post(
            reverse("contracts:create"), contract_form(acme, tier=gold_usd.pk, end_date="2026-01-31")
        )
    )
    assert errors["end_date"] == ["The end date is before the start date."]
    assert not Contract.unscoped.exists()


def test_a_managed_contract_needs_a_tier_and_only_managed_ones_have_one(sales_client, acme, gold_usd):
    errors = form_errors(sales_client.post(reverse("contracts:create"), contract_form(acme)))
    assert errors["tier"] == ["Choose the service tier of a managed contract."]
    errors = form_errors(
        sales_client.post(
            reverse("contracts:create"), contract_form(acme, kind="break_fix", tier=gold_usd.pk)
        )
    )
    assert errors["tier"] == ["Only managed contracts have a tier; leave it empty."]
    assert not Contract.unscoped.exists()


def test_one_active_managed_contract_per_client_but_prepaid_and_break_fix_beside_it(
    sales_client, acme, gold_usd
):
    first = ContractFactory(client=acme, tier=gold_usd, name="Gold for Acme")

    errors = form_errors(
        sales_client.post(reverse("contracts:create"), contract_form(acme, tier=gold_usd.pk))
    )
    assert errors["__all__"] == [
        "Acme Dental already has an active managed contract (Gold for Acme). A client has one managed "
        "contract: end that one first, or make this one prepaid hours or break/fix."
    ]
    assert Contract.unscoped.count() == 1

    for kind in ("prepaid_hours", "break_fix"):
        response = sales_client.post(
            reverse("contracts:create"), contract_form(acme, kind=kind, hourly_rate="90")
        )
        assert response.status_code == 302, response.context["form"].errors
    # Ending the first managed contract makes room for a new one.
    sales_client.post(
        reverse("contracts:update", args=[first.pk]),
        contract_form(acme, tier=gold_usd.pk, status="ended", end_date="2026-03-31"),
    )
    first.refresh_from_db()
    assert first.status == ContractStatus.ENDED
    assert (
        sales_client.post(reverse("contracts:create"), contract_form(acme, tier=gold_usd.pk)).status_code
        == 302
    )
    assert Contract.unscoped.filter(kind="managed", status="active").count() == 1
    assert Contract.unscoped.count() == 4


def test_a_prepaid_hours_contract_with_auto_renew(sales_client, acme):
    response = sales_client.post(
        reverse("contracts:create"),
        contract_form(
            acme,
            kind="prepaid_hours",
            auto_renew="on",
            renew_threshold_minutes="300",
            renew_block_minutes="600",
            renew_block_price="900",
            overage_rate="120",
            minimum_minutes="15",
        ),
    )
    assert response.status_code == 302, response.context["form"].errors
    contract = Contract.unscoped.get()
    assert (contract.auto_renew, contract.renew_threshold_minutes, contract.renew_block_minutes) == (
        True,
        300,
        600,
    )
    assert contract.renew_block_price == Money("900.00", "USD")
    page = sales_client.get(contract.get_absolute_url()).content.decode()
    assert "10 h for" in page and "less than 5 h remain" in page


def test_auto_renew_rules(sales_client, acme, gold_usd):
    errors = form_errors(
        sales_client.post(
            reverse("contracts:create"),
            contract_form(acme, tier=gold_usd.pk, auto_renew="on", renew_block_price="900"),
        )
    )
    assert errors["auto_renew"] == ["Only prepaid hours contracts renew hour blocks."]
    errors = form_errors(
        sales_client.post(
            reverse("contracts:create"), contract_form(acme, kind="prepaid_hours", auto_renew="on")
        )
    )
    assert errors["renew_block_price"] == ["Give the price of the renewal block."]
    errors = form_errors(
        sales_client.post(
            reverse("contracts:create"),
            contract_form(
                acme, kind="break_fix", rounding_minutes="0", minimum_minutes="-5", hourly_rate="-1"
            ),
        )
    )
    assert set(errors) >= {"rounding_minutes", "minimum_minutes", "hourly_rate"}
    assert not Contract.unscoped.exists()


def test_fields_the_page_hides_for_a_kind_keep_their_values(sales_client, acme):
    """The page's script disables the groups of other kinds; the form copes with their absence."""
    data = contract_form(acme, kind="break_fix", hourly_rate="80")
    for name in ("tier", "monthly_fee", "includes_labour", "renew_threshold_minutes", "renew_block_minutes"):
        data.pop(name, None)
    assert sales_client.post(reverse("contracts:create"), data).status_code == 302
    contract = Contract.unscoped.get()
    assert (contract.renew_threshold_minutes, contract.renew_block_minutes, contract.tier) == (300, 600, None)
    form = sales_client.get(reverse("contracts:update", args=[contract.pk])).content.decode()
    assert 'data-for-kind="managed"' in form and 'data-for-kind="prepaid_hours"' in form
    assert "data-contract-kind" in form


def test_a_contract_stays_with_its_client(sales_client, acme, tenant):
    other = ClientFactory(tenant=tenant, currency="USD")
    contract = ContractFactory(client=acme, kind="break_fix", tier=None)
    response = sales_client.post(
        reverse("contracts:update", args=[contract.pk]), contract_form(other, kind="break_fix", name="Moved?")
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.client == acme and contract.name == "Moved?"


def test_the_detail_page_shows_the_frozen_offer_lines(sales_client, acme, gold_usd):
    contract = ContractFactory(
        client=acme,
        tier=gold_usd,
        monthly_fee=Money("1950.00", "USD"),
        lines=[
            {"kind": "server", "label": "Server", "quantity": 2, "unit_price": "350.00", "amount": "700.00"},
            {
                "kind": "desktop",
                "label": "Desktop",
                "quantity": 15,
                "unit_price": "60.00",
                "amount": "900.00",
            },
        ],
    )
    body = sales_client.get(contract.get_absolute_url()).content.decode()
    assert "Monthly fee lines" in body
    assert "Desktop" in body and "$900.00" in body and "$700.00" in body and "$1,950.00" in body
    # One money style: no "700.00 USD" beside "$1,950.00".
    # (up to the History panel, which shows the contract's currency field as it was set)
    assert "USD" not in body.split("Monthly fee lines")[1].split('data-testid="history"')[0]


def test_a_contract_is_deleted_unless_something_depends_on_it(owner_client, tenant):
    from djmoney.money import Money

    from contracts.services.hours import block_purchase

    acme = ClientFactory(tenant=tenant, currency="EUR")
    contract = ContractFactory(client=acme, kind="prepaid_hours", tier=None, name="Ad hoc")
    block_purchase(contract=contract, minutes=600, price=Money("900", "EUR"))
    confirm = owner_client.get(reverse("contracts:delete", args=[contract.pk])).content.decode()
    assert (
        "Ad hoc cannot be deleted while other records depend on it (1 hour block, 1 ledger entry)." in confirm
    )
    response = owner_client.post(reverse("contracts:delete", args=[contract.pk]), follow=True)
    assert "End it instead." in response.content.decode()
    assert Contract.unscoped.filter(pk=contract.pk).exists()
    # HTTP DELETE would skip the service (and answered 500 on the protected rows): refused.
    assert owner_client.delete(reverse("contracts:delete", args=[contract.pk])).status_code == 405
    assert Contract.unscoped.filter(pk=contract.pk).exists()

    unused = ContractFactory(client=acme, kind="break_fix", tier=None, name="Unused")
    response = owner_client.post(reverse("contracts:delete", args=[unused.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("contracts:list")
    assert not Contract.unscoped.filter(pk=unused.pk).exists()


def test_account_managers_cannot_delete_and_technicians_only_read(
    client, tenant, make_member, gold_usd, acme
):
    contract = ContractFactory(client=acme, tier=gold_usd)
    client.force_login(make_member(tenant, Role.ACCOUNT_MANAGER).user)
    assert client.post(reverse("contracts:delete", args=[contract.pk])).status_code == 403
    client.force_login(make_member(tenant, Role.TECHNICIAN).user)
    assert client.get(reverse("contracts:list")).status_code == 200
    assert client.get(contract.get_absolute_url()).status_code == 200
    assert client.get(reverse("contracts:create")).status_code == 403
    assert (
        client.post(reverse("contracts:update", args=[contract.pk]), contract_form(acme)).status_code == 403
    )
    assert Contract.unscoped.count() == 1


def test_client_contacts_see_their_own_contracts_only(client, tenant, make_member, acme, gold_usd):
    own = ContractFactory(client=acme, tier=gold_usd, name="Acme managed")
    sibling = ContractFactory(
        client=ClientFactory(tenant=tenant), kind="break_fix", tier=None, name="Sibling deal"
    )
    contact = make_member(tenant, Role.CLIENT, client=acme)
    client.force_login(contact.user)

    listed = client.get(reverse("contracts:list")).content.decode()
    assert "Acme managed" in listed and "Sibling deal" not in listed
    detail = client.get(own.get_absolute_url())
    assert detail.status_code == 200
    assert reverse("contracts:update", args=[own.pk]) not in detail.content.decode()
    assert reverse("tiers:detail", args=[gold_usd.pk]) not in detail.content.decode()  # tiers are staff-only
    assert client.get(sibling.get_absolute_url()).status_code == 404
    assert "Acme managed" in client.get(acme.get_absolute_url()).content.decode()  # "My company"

    nav = [item["label"] for item in client.get(reverse("dashboard")).context["nav_items"]]
    assert "Contracts" not in nav and "Tiers" not in nav

    rows = api_for(contact).get(CONTRACTS_URL).json()["results"]
    assert [r["name"] for r in rows] == ["Acme managed"]


def test_navigation_shows_contracts_and_tiers_to_staff(owner_client, client, tenant, make_member):
    nav = [str(item["label"]) for item in owner_client.get(reverse("dashboard")).context["nav_items"]]
    assert nav.index("Contracts") < nav.index("Tiers") < nav.index("Members")
    client.force_login(make_member(tenant, Role.TECHNICIAN).user)
    nav = [str(item["label"]) for item in client.get(reverse("dashboard")).context["nav_items"]]
    assert "Contracts" in nav and "Tiers" in nav


def test_the_contract_list_filters_by_client_kind_and_status(sales_client, tenant, acme, gold_usd):
    bellini = ClientFactory(tenant=tenant, name="Bellini")
    ContractFactory(client=acme, tier=gold_usd, name="Acme managed")
    ContractFactory(client=acme, kind="prepaid_hours", tier=None, name="Acme hours", status="ended")
    ContractFactory(client=bellini, kind="break_fix", tier=None, name="Bellini fix")

    def names(query):
        response = sales_client.get(reverse("contracts:list") + query)
        return sorted(str(c) for c in response.context["object_list"])

    assert names("") == ["Acme hours", "Acme managed", "Bellini fix"]
    assert names(f"?client={acme.pk}") == ["Acme hours", "Acme managed"]
    assert names("?kind=break_fix") == ["Bellini fix"]
    assert names("?status=ended") == ["Acme hours"]
    assert names(f"?client={acme.pk}&status=active") == ["Acme managed"]
    assert names("?q=bellini") == ["Bellini fix"]
    partial = sales_client.get(reverse("contracts:list") + "?kind=managed", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "Acme managed" in partial.content.decode()


def _queries(http, url) -> int:
    http.get(url)  # warm up
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured)


def _grow_contracts(tenant, n):
    for _ in range(n):
        acme = ClientFactory(tenant=tenant)
        ContractFactory(client=acme)
        ContractFactory(client=acme, kind=ContractKind.PREPAID_HOURS, tier=None, renew_block_price=None)


def test_contract_pages_use_a_constant_number_of_queries(owner_client, tenant):
    _grow_contracts(tenant, 2)
    small_list = _queries(owner_client, reverse("contracts:list"))
    acme = Client.unscoped.filter(tenant=tenant).first()
    small_client = _queries(owner_client, acme.get_absolute_url())
    _grow_contracts(tenant, 12)
    for _ in range(5):
        ContractFactory(client=acme, kind=ContractKind.BREAK_FIX, tier=None)
    assert _queries(owner_client, reverse("contracts:list")) == small_list
    assert _queries(owner_client, acme.get_absolute_url()) == small_client


# --- the API ---------------------------------------------------------------------------


def test_api_creates_a_managed_contract_in_the_clients_currency(sales, acme, gold_usd):
    http = api_for(sales)
    response = http.post(
        CONTRACTS_URL,
        {
            "client": acme.pk,
            "kind": "managed",
            "tier": gold_usd.pk,
            "start_date": "2026-02-01",
            "hourly_rate": "95",
            "rounding_minutes": 15,
            "minimum_minutes": 15,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["currency"] == "USD"
    assert (body["hourly_rate"], body["hourly_rate_currency"]) == ("95.00", "USD")
    assert (body["overage_rate"], body["overage_rate_currency"]) == (None, None)
    assert body["balance_minutes"] is None
    assert body["end_date"] is None and body["status"] == "active" and body["lines"] == []
    for field in (
        "id", "client", "kind", "tier", "start_date", "end_date", "hourly_rate", "rounding_minutes",
        "minimum_minutes", "auto_renew", "renew_threshold_minutes", "renew_block_minutes",
        "renew_block_price", "renew_block_price_currency", "monthly_fee", "monthly_fee_currency",
    ):  # fmt: skip
        assert field in body
    contract = Contract.unscoped.get()
    assert contract.hourly_rate == Money("95.00", "USD") and contract.tenant == acme.tenant

    detail = http.get(f"{CONTRACTS_URL}{contract.pk}/").json()
    assert detail == body


def _post(http, acme, **fields):
    payload = {"client": acme.pk, "kind": "break_fix", "start_date": "2026-02-01", **fields}
    return http.post(CONTRACTS_URL, payload, format="json")


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        (
            {"hourly_rate": "95", "hourly_rate_currency": "EUR"},
            "hourly_rate",
            "in usd, the contract's currency",
        ),
        ({"end_date": "2026-01-01"}, "end_date", "before the start date"),
        ({"hourly_rate": "-10"}, "hourly_rate", "cannot be negative"),
        ({"rounding_minutes": 0}, "rounding_minutes", ""),
        ({"minimum_minutes": -1}, "minimum_minutes", ""),
        ({"auto_renew": True, "renew_block_price": "900"}, "auto_renew", "only prepaid hours"),
        ({"kind": "prepaid_hours", "auto_renew": True}, "renew_block_price", "price of the renewal block"),
        ({"kind": "subscription"}, "kind", ""),
        ({"currency": "JPY"}, "currency", ""),
        ({"balance_minutes": 600, "colour": "red"}, "colour", "unknown field"),
    ],
)
def test_api_bad_contract_input_is_refused_and_nothing_is_written(sales, acme, fields, field, text):
    response = _post(api_for(sales), acme, **fields)
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert text in str(errors[field]).lower()
    assert not Contract.unscoped.exists()


def test_api_refuses_a_tier_in_another_currency_and_a_second_active_managed_contract(
    sales, acme, gold_usd, tenant
):
    http = api_for(sales)
    gold_eur = ServiceTierFactory(tenant=tenant, name="Gold", currency="EUR")
    refused = _post(http, acme, kind="managed", tier=gold_eur.pk)
    assert refused.status_code == 400
    assert "totals never mix currencies" in refused.json()["tier"][0]

    assert _post(http, acme, kind="managed", tier=gold_usd.pk).status_code == 201
    second = _post(http, acme, kind="managed", tier=gold_usd.pk)
    assert second.status_code == 400
    assert "already has an active managed contract" in second.json()["non_field_errors"][0]
    assert Contract.unscoped.count() == 1


def test_api_updates_keep_the_rules(sales, acme, gold_usd, tenant):
    http = api_for(sales)
    contract = ContractFactory(client=acme, tier=gold_usd, hourly_rate=Money("90", "USD"))
    url = f"{CONTRACTS_URL}{contract.pk}/"

    moved = http.patch(url, {"client": ClientFactory(tenant=tenant, currency="USD").pk}, format="json")
    assert moved.status_code == 400 and "cannot move to another client" in moved.json()["client"][0]
    # Changing the currency alone would leave the rate and the tier in USD: refused.
    recurrency = http.patch(url, {"currency": "EUR"}, format="json")
    assert recurrency.status_code == 400 and {"tier", "hourly_rate"} <= set(recurrency.json())
    contract.refresh_from_db()
    assert (contract.client, contract.currency) == (acme, "USD")

    ok = http.patch(url, {"end_date": "2026-12-31", "overage_rate": "130"}, format="json")
    assert ok.status_code == 200, ok.content
    assert (ok.json()["end_date"], ok.json()["overage_rate"], ok.json()["overage_rate_currency"]) == (
        "2026-12-31",
        "130.00",
        "USD",
    )


def test_api_filters_and_permissions(tenant, make_member, acme, gold_usd):
    ContractFactory(client=acme, tier=gold_usd, name="Managed")
    ContractFactory(client=acme, kind="break_fix", tier=None, name="Fix")
    tech = api_for(make_member(tenant, Role.TECHNICIAN))
    assert [r["name"] for r in tech.get(CONTRACTS_URL + "?kind=break_fix").json()["results"]] == ["Fix"]
    assert _post(tech, acme).status_code == 403
    sales = api_for(make_member(tenant, Role.ACCOUNT_MANAGER))
    fix = Contract.unscoped.get(name="Fix")
    assert sales.delete(f"{CONTRACTS_URL}{fix.pk}/").status_code == 403
    owner = api_for(make_member(tenant, Role.OWNER))
    assert owner.delete(f"{CONTRACTS_URL}{fix.pk}/").status_code == 204
    assert list(Contract.unscoped.values_list("name", flat=True)) == ["Managed"]


def test_api_contract_list_uses_a_constant_number_of_queries(owner, tenant):
    http = api_for(owner)

    def count():
        http.get(CONTRACTS_URL)
        with CaptureQueriesContext(connection) as captured:
            assert http.get(CONTRACTS_URL).status_code == 200
        return len(captured)

    _grow_contracts(tenant, 2)
    small = count()
    _grow_contracts(tenant, 12)
    assert count() == small


def test_a_client_with_contracts_cannot_be_deleted(owner_client, owner, tenant):
    """Contracts protect their client: the browser and the API refuse clearly, not with a 500."""
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    ContractFactory(client=acme, kind="break_fix", tier=None)

    response = owner_client.post(reverse("clients:delete", args=[acme.pk]), follow=True)
    assert response.redirect_chain[-1][0] == acme.get_absolute_url()
    assert "Acme Dental cannot be deleted while other records depend on it (1 contract)." in (
        response.content.decode()
    )
    refused = api_for(owner).delete(f"/api/v1/clients/{acme.pk}/")
    assert refused.status_code == 409
    assert "1 contract" in refused.json()["detail"]
    assert Client.unscoped.filter(pk=acme.pk).exists() and Contract.unscoped.count() == 1
