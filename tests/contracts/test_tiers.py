"""Service tiers: compared side by side, edited with their per-kind prices, seeded on signup."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money
from rest_framework.test import APIClient

from contracts.models import Contract, ServiceTier, TierPrice
from contracts.services import tier_clean_features, tier_clean_prices
from contracts.templatetags.contract_terms import minutes
from msp.models import ApiToken, Tenant
from msp.roles import Role
from msp.services import tenant_create
from tests.factories import ClientFactory, ContractFactory, ServiceTierFactory

pytestmark = pytest.mark.django_db

TIERS_URL = "/api/v1/tiers/"


def api_for(membership) -> APIClient:
    _token, key = ApiToken.issue(membership)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return http


def prices_of(tier) -> dict[str, Decimal]:
    return {p.kind: p.price.amount for p in TierPrice.unscoped.filter(tier=tier)}


def tier_form(**overrides) -> dict:
    data = {
        "name": "Diamond",
        "position": "3",
        "currency": "EUR",
        "is_active": "on",
        "description": "",
        "features": ["monitoring", "patch_management", "all_inclusive_support"],
        "onsite_discount_percent": "30",
        "review_meeting_hours": "2",
        "sla_first_response_minutes": "60",
        "sla_server_first_response_minutes": "30",
        "price_server": "400",
        "price_desktop": "70.50",
        "price_laptop": "",
        "price_network": "",
        "price_printer": "",
        "price_other": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def owner_api(owner):
    return api_for(owner)


# --- the browser -----------------------------------------------------------------------


def test_owner_creates_a_tier_with_its_prices_and_features_on_one_page(owner_client, tenant):
    page = owner_client.get(reverse("tiers:create")).content.decode()
    for name in ("price_server", "price_desktop", "price_network", "price_printer", "features"):
        assert f'name="{name}"' in page

    response = owner_client.post(reverse("tiers:create"), tier_form(), follow=True)

    tier = ServiceTier.unscoped.get(name="Diamond")
    assert tier.tenant == tenant and tier.currency == "EUR"
    assert prices_of(tier) == {"server": Decimal("400.00"), "desktop": Decimal("70.50")}
    assert tier.features == ["monitoring", "patch_management", "all_inclusive_support"]
    assert (tier.onsite_discount_percent, tier.includes_labour, tier.after_hours_support) == (30, True, False)
    assert (tier.sla_first_response_minutes, tier.sla_server_first_response_minutes) == (60, 30)
    assert TierPrice.unscoped.filter(tier=tier).values_list("tenant", flat=True).distinct().get() == tenant.pk
    assert response.redirect_chain[-1][0] == tier.get_absolute_url()
    body = response.content.decode()
    assert "Diamond was created." in body
    assert "€400.00" in body and "€70.50" in body and "1 h" in body and "30 min" in body


def test_editing_a_tier_replaces_its_prices(owner_client, tenant):
    tier = ServiceTierFactory(tenant=tenant, name="Gold", prices={"server": "350", "desktop": "60"})

    form = owner_client.get(reverse("tiers:update", args=[tier.pk])).content.decode()
    assert 'value="350.00"' in form and 'value="60.00"' in form

    response = owner_client.post(
        reverse("tiers:update", args=[tier.pk]),
        tier_form(name="Gold", price_server="375", price_desktop="", price_printer="20"),
    )

    assert response.status_code == 302
    assert prices_of(tier) == {"server": Decimal("375.00"), "printer": Decimal("20.00")}


def test_a_negative_price_is_refused_and_nothing_is_written(owner_client, tenant):
    response = owner_client.post(reverse("tiers:create"), tier_form(price_server="-5"))
    assert response.status_code == 200
    assert response.context["form"].errors["price_server"] == ["An amount cannot be negative."]
    assert not ServiceTier.unscoped.exists() and not TierPrice.unscoped.exists()

    tier = ServiceTierFactory(tenant=tenant, name="Gold", prices={"server": "350"})
    response = owner_client.post(
        reverse("tiers:update", args=[tier.pk]), tier_form(name="Renamed", price_server="-1")
    )
    assert response.status_code == 200
    tier.refresh_from_db()
    assert tier.name == "Gold" and prices_of(tier) == {"server": Decimal("350.00")}


def test_a_duplicate_tier_name_in_the_same_currency_is_refused(owner_client, tenant, other_tenant):
    ServiceTierFactory(tenant=tenant, name="Gold")
    ServiceTierFactory(tenant=other_tenant, name="Silver")  # another tenant's names do not clash

    response = owner_client.post(reverse("tiers:create"), tier_form(name=" gold "))
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["A tier named gold already exists in EUR."]
    assert ServiceTier.unscoped.filter(tenant=tenant).count() == 1

    assert (
        owner_client.post(reverse("tiers:create"), tier_form(name="Gold", currency="USD")).status_code == 302
    )
    assert owner_client.post(reverse("tiers:create"), tier_form(name="Silver")).status_code == 302
    gold_usd = ServiceTier.unscoped.get(tenant=tenant, name="Gold", currency="USD")
    assert {p.price.currency.code for p in TierPrice.unscoped.filter(tier=gold_usd)} == {"USD"}


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.ACCOUNT_MANAGER])
def test_technicians_and_account_managers_view_tiers_but_cannot_change_them(
    client, tenant, make_member, role
):
    tier = ServiceTierFactory(tenant=tenant, name="Gold", prices={"server": "350"})
    client.force_login(make_member(tenant, role).user)

    listed = client.get(reverse("tiers:list"))
    assert listed.status_code == 200 and "Gold" in listed.content.decode()
    assert reverse("tiers:create") not in listed.content.decode()
    detail = client.get(tier.get_absolute_url())
    assert (
        detail.status_code == 200 and reverse("tiers:update", args=[tier.pk]) not in detail.content.decode()
    )

    assert client.get(reverse("tiers:create")).status_code == 403
    assert client.post(reverse("tiers:create"), tier_form()).status_code == 403
    assert (
        client.post(reverse("tiers:update", args=[tier.pk]), tier_form(price_server="1")).status_code == 403
    )
    assert client.post(reverse("tiers:delete", args=[tier.pk])).status_code == 403
    assert list(ServiceTier.unscoped.values_list("name", flat=True)) == ["Gold"]
    assert prices_of(tier) == {"server": Decimal("350.00")}


def test_client_contacts_cannot_see_the_tier_catalogue(client, tenant, make_member):
    tier = ServiceTierFactory(tenant=tenant)
    client.force_login(make_member(tenant, Role.CLIENT).user)
    assert client.get(reverse("tiers:list")).status_code == 403
    assert client.get(tier.get_absolute_url()).status_code == 403


def test_an_unused_tier_is_deleted_with_its_prices(owner_client, tenant):
    tier = ServiceTierFactory(tenant=tenant, name="Bronze", prices={"server": "100"})
    response = owner_client.post(reverse("tiers:delete", args=[tier.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("tiers:list")
    assert "Bronze was deleted." in response.content.decode()
    assert not ServiceTier.unscoped.exists() and not TierPrice.unscoped.exists()


def test_a_tier_a_contract_uses_cannot_be_deleted(owner_client, tenant):
    tier = ServiceTierFactory(tenant=tenant, name="Gold", prices={"server": "350"})
    ContractFactory(client=ClientFactory(tenant=tenant), tier=tier)

    confirm = owner_client.get(reverse("tiers:delete", args=[tier.pk])).content.decode()
    assert "Gold cannot be deleted while other records depend on it (1 contract)." in confirm
    assert "Mark it as not offered instead" in confirm

    response = owner_client.post(reverse("tiers:delete", args=[tier.pk]), follow=True)
    assert response.redirect_chain[-1][0] == tier.get_absolute_url()
    assert (
        "Gold cannot be deleted: it is used by 1 contract. Mark it as not offered instead."
        in response.content.decode()
    )
    assert ServiceTier.unscoped.filter(pk=tier.pk).exists() and prices_of(tier)


def test_a_tier_currency_cannot_change_under_its_contracts(owner_client, tenant):
    used = ServiceTierFactory(tenant=tenant, name="Gold", prices={"server": "350"})
    ContractFactory(client=ClientFactory(tenant=tenant), tier=used)
    response = owner_client.post(
        reverse("tiers:update", args=[used.pk]), tier_form(name="Gold", currency="USD", price_server="350")
    )
    assert response.status_code == 200
    assert "Contracts billed in EUR use this tier" in response.context["form"].errors["currency"][0]
    used.refresh_from_db()
    assert used.currency == "EUR"

    free = ServiceTierFactory(tenant=tenant, name="Silver", prices={"server": "150"})
    response = owner_client.post(
        reverse("tiers:update", args=[free.pk]),
        tier_form(name="Silver", currency="GBP", price_server="150", price_desktop=""),
    )
    assert response.status_code == 302
    assert [p.price for p in TierPrice.unscoped.filter(tier=free)] == [Money("150.00", "GBP")]


def test_the_tier_list_shows_the_tiers_side_by_side(owner_client, tenant):
    ServiceTierFactory(
        tenant=tenant,
        name="Silver",
        position=0,
        prices={"server": "150", "desktop": "25"},
        features=["monitoring"],
    )
    ServiceTierFactory(
        tenant=tenant,
        name="Platinum",
        position=2,
        prices={"server": "350", "network": "350", "desktop": "60"},
        features=["monitoring", "patch_management", "all_inclusive_support"],
        onsite_discount_percent=Decimal("50"),
        includes_labour=True,
        sla_first_response_minutes=120,
    )
    ServiceTierFactory(tenant=tenant, name="Legacy", position=5, is_active=False, features=[])

    response = owner_client.get(reverse("tiers:list"))

    body = response.content.decode()
    tiers = response.context["tiers"]
    assert [t.name for t in tiers] == ["Silver", "Platinum", "Legacy"]
    rows = {row["label"]: row["cells"] for row in response.context["price_rows"]}
    assert rows["Server"] == [Money("150", "EUR"), Money("350", "EUR"), None]
    assert rows["Network device"] == [None, Money("350", "EUR"), None]
    features = {row["label"]: row["cells"] for row in response.context["feature_rows"]}
    assert features["Monitoring"] == [True, True, False]
    assert features["Patch management"] == [False, True, False]
    assert "€350.00" in body and "50 %" in body and "2 h" in body and "not offered" in body
    assert body.count("✓") >= 4
    assert reverse("services:list") in body and reverse("tiers:create") in body


def _queries(http, url) -> int:
    http.get(url)  # warm up: the first request of a session does one-off work
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured)


def test_the_tier_list_uses_a_constant_number_of_queries(owner_client, tenant):
    def grow(n):
        for _ in range(n):
            ServiceTierFactory(tenant=tenant, prices={"server": "350", "network": "350", "desktop": "60"})

    grow(2)
    small = _queries(owner_client, reverse("tiers:list"))
    grow(10)
    assert _queries(owner_client, reverse("tiers:list")) == small


# --- seeds -----------------------------------------------------------------------------


def _assert_seeded(tenant):
    tiers = {t.name: t for t in ServiceTier.unscoped.filter(tenant=tenant)}
    assert set(tiers) == {"Silver", "Gold", "Platinum"}
    platinum = tiers["Platinum"]
    assert prices_of(platinum)["server"] == Decimal("350.00")
    assert prices_of(platinum)["network"] == Decimal("350.00")
    assert prices_of(platinum)["desktop"] == Decimal("60.00")
    assert {p.price.currency.code for p in TierPrice.unscoped.filter(tier=platinum)} == {
        tenant.default_currency
    }
    assert platinum.onsite_discount_percent == 50 and platinum.includes_labour
    assert (platinum.sla_first_response_minutes, platinum.sla_server_first_response_minutes) == (120, 60)
    assert not tiers["Silver"].includes_labour
    assert len(tiers["Silver"].features) < len(tiers["Gold"].features) < len(platinum.features)


def test_signup_seeds_silver_gold_and_platinum_with_the_spec_prices(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup = tenant_create(
            name="Rossi IT",
            slug="rossi-it",
            owner_username="rossi",
            owner_email="rossi@example.com",
            owner_password="Plum-Orchard-Lantern-72",
        )
    _assert_seeded(signup.tenant)


def test_load_demo_seeds_the_tiers(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    _assert_seeded(Tenant.objects.get(slug="demo"))


# --- the API ---------------------------------------------------------------------------


def test_api_prices_are_an_object_of_kind_to_amount_read_and_written(owner_api, tenant):
    created = owner_api.post(
        TIERS_URL,
        {
            "name": "Diamond",
            "prices": {"server": "400", "desktop": "70.5"},
            "features": ["monitoring", "asset_management", "monitoring"],
            "onsite_discount_percent": "25.00",
            "sla_first_response_minutes": 90,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["prices"] == {"server": "400.00", "desktop": "70.50"}
    assert body["currency"] == "EUR"  # the tenant's
    assert body["features"] == ["asset_management", "monitoring"]
    assert body["onsite_discount_percent"] == "25.00"
    tier = ServiceTier.unscoped.get(pk=body["id"])
    assert tier.tenant == tenant and prices_of(tier) == {
        "server": Decimal("400.00"),
        "desktop": Decimal("70.50"),
    }

    url = f"{TIERS_URL}{tier.pk}/"
    assert owner_api.get(url).json()["prices"] == {"server": "400.00", "desktop": "70.50"}

    patched = owner_api.patch(url, {"prices": {"network": "350.00", "desktop": "60"}}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["prices"] == {"desktop": "60.00", "network": "350.00"}
    assert prices_of(tier) == {"network": Decimal("350.00"), "desktop": Decimal("60.00")}

    renamed = owner_api.patch(url, {"name": "Diamond+"}, format="json")
    assert renamed.json()["prices"] == {"desktop": "60.00", "network": "350.00"}  # untouched

    listed = owner_api.get(TIERS_URL).json()
    assert listed["count"] == 1 and listed["results"][0]["prices"] == {
        "desktop": "60.00",
        "network": "350.00",
    }


@pytest.mark.parametrize(
    ("payload", "field", "text"),
    [
        ({"prices": {"server": "-1"}}, "prices", "cannot be negative"),
        ({"prices": {"toaster": "10"}}, "prices", "unknown asset kind"),
        ({"prices": {"server": "abc"}}, "prices", "valid number"),
        ({"prices": ["server", "10"]}, "prices", "object of asset kind"),
        ({"features": ["monitoring", "free_pizza"]}, "features", "free_pizza"),
        ({"onsite_discount_percent": "150"}, "onsite_discount_percent", "100"),
        ({"sla_first_response_minutes": 0}, "sla_first_response_minutes", "at least one minute"),
        ({"currency": "JPY"}, "currency", "jpy"),
        ({"colour": "gold"}, "colour", "unknown field"),
    ],
)
def test_api_bad_tier_input_is_refused_and_nothing_is_written(owner_api, payload, field, text):
    response = owner_api.post(TIERS_URL, {"name": "Broken", **payload}, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert text in str(errors[field]).lower(), errors
    assert not ServiceTier.unscoped.exists() and not TierPrice.unscoped.exists()


def test_api_billing_flags_follow_the_features_they_are_sold_as(owner_api, tenant):
    created = owner_api.post(
        TIERS_URL, {"name": "Night", "features": ["monitoring", "after_hours_support"]}, format="json"
    ).json()
    assert (created["after_hours_support"], created["includes_labour"]) == (True, False)

    url = f"{TIERS_URL}{created['id']}/"
    patched = owner_api.patch(url, {"includes_labour": True}, format="json").json()
    assert patched["features"] == ["monitoring", "all_inclusive_support", "after_hours_support"]
    patched = owner_api.patch(url, {"after_hours_support": False}, format="json").json()
    assert patched["features"] == ["monitoring", "all_inclusive_support"]

    clash = owner_api.patch(
        url, {"includes_labour": False, "features": ["all_inclusive_support"]}, format="json"
    )
    assert clash.status_code == 400
    assert "All-inclusive support" in clash.json()["includes_labour"][0]
    tier = ServiceTier.unscoped.get(pk=created["id"])
    assert tier.includes_labour and not tier.after_hours_support


def test_api_bad_prices_on_update_change_nothing(owner_api, tenant):
    tier = ServiceTierFactory(tenant=tenant, name="Gold", prices={"server": "350"})
    response = owner_api.patch(
        f"{TIERS_URL}{tier.pk}/",
        {"name": "Changed", "prices": {"server": "1", "toaster": "2"}},
        format="json",
    )
    assert response.status_code == 400
    assert "toaster" in response.json()["prices"]
    tier.refresh_from_db()
    assert tier.name == "Gold" and prices_of(tier) == {"server": Decimal("350.00")}


def test_api_technicians_read_tiers_but_cannot_write_them(tenant, make_member):
    tier = ServiceTierFactory(tenant=tenant, name="Gold", prices={"server": "350"})
    tech = api_for(make_member(tenant, Role.TECHNICIAN))
    assert tech.get(TIERS_URL).json()["results"][0]["prices"] == {"server": "350.00"}
    assert tech.post(TIERS_URL, {"name": "Mine"}, format="json").status_code == 403
    assert tech.patch(f"{TIERS_URL}{tier.pk}/", {"prices": {}}, format="json").status_code == 403
    assert tech.delete(f"{TIERS_URL}{tier.pk}/").status_code == 403
    assert prices_of(tier) == {"server": Decimal("350.00")}
    contact = api_for(make_member(tenant, Role.CLIENT))
    assert contact.get(TIERS_URL).status_code == 403


def test_api_refuses_to_delete_a_tier_in_use(owner_api, tenant):
    used = ServiceTierFactory(tenant=tenant, name="Gold")
    ContractFactory(client=ClientFactory(tenant=tenant), tier=used)
    free = ServiceTierFactory(tenant=tenant, name="Bronze")

    refused = owner_api.delete(f"{TIERS_URL}{used.pk}/")
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Gold cannot be deleted: it is used by 1 contract.")
    assert owner_api.delete(f"{TIERS_URL}{free.pk}/").status_code == 204
    assert list(ServiceTier.unscoped.values_list("name", flat=True)) == ["Gold"]
    assert Contract.unscoped.count() == 1


def test_api_tier_list_uses_a_constant_number_of_queries(owner_api, tenant):
    def grow(n):
        for _ in range(n):
            ServiceTierFactory(tenant=tenant, prices={"server": "350", "desktop": "60"})

    def count():
        owner_api.get(TIERS_URL)
        with CaptureQueriesContext(connection) as captured:
            assert owner_api.get(TIERS_URL).status_code == 200
        return len(captured)

    grow(2)
    small = count()
    grow(10)
    assert count() == small


# --- units -----------------------------------------------------------------------------


def test_features_are_checked_against_the_fixed_list_and_normalised():
    assert tier_clean_features(["monthly_report", "monitoring", "monitoring"]) == [
        "monitoring",
        "monthly_report",
    ]
    with pytest.raises(ValidationError, match="free_pizza"):
        tier_clean_features(["free_pizza"])
    with pytest.raises(ValidationError):
        tier_clean_features("monitoring")


def test_prices_are_checked_and_quantised():
    assert tier_clean_prices({"server": "350", "desktop": None, "printer": ""}) == {
        "server": Decimal("350.00")
    }
    for bad in ({"server": "-0.01"}, {"toaster": "1"}, {"server": "NaN"}, {"server": "1e20"}, ["server"]):
        with pytest.raises(ValidationError):
            tier_clean_prices(bad)


def test_minutes_read_as_hours_and_minutes():
    assert [minutes(v) for v in (None, 45, 60, 90, 120)] == ["", "45 min", "1 h", "1 h 30 min", "2 h"]
