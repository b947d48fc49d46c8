"""À-la-carte services: monthly extras (per device or flat) offered beside the tiers."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money
from rest_framework.test import APIClient

from contracts.models import RecurringService
from msp.models import ApiToken
from msp.roles import Role
from tests.factories import RecurringServiceFactory

pytestmark = pytest.mark.django_db

SERVICES_URL = "/api/v1/recurring-services/"


def api_for(membership) -> APIClient:
    _token, key = ApiToken.issue(membership)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return http


def service_form(**overrides) -> dict:
    data = {
        "name": "Backup monitoring",
        "price": "15",
        "currency": "EUR",
        "unit": "per_device",
        "is_active": "on",
        "kinds": ["server", "laptop"],
        "description": "Daily backup checks",
    }
    data.update(overrides)
    return data


def test_owner_creates_edits_and_deletes_a_service(owner_client, tenant):
    form = owner_client.get(reverse("services:create")).content.decode()
    assert 'value="EUR" selected' in form  # the tenant's currency

    response = owner_client.post(reverse("services:create"), service_form(), follow=True)
    service = RecurringService.unscoped.get()
    assert response.redirect_chain[-1][0] == reverse("services:list")
    assert (service.tenant, service.price, service.kinds) == (
        tenant,
        Money("15.00", "EUR"),
        ["server", "laptop"],
    )
    body = response.content.decode()
    assert "Backup monitoring was created." in body and "Server, Laptop" in body and "€15.00" in body

    edit = owner_client.get(reverse("services:update", args=[service.pk])).content.decode()
    assert 'value="15.00"' in edit
    owner_client.post(
        reverse("services:update", args=[service.pk]),
        service_form(name="Antivirus", price="5.50", currency="USD", unit="flat", kinds=["server"]),
    )
    service.refresh_from_db()
    assert (service.name, service.price, service.unit, service.kinds) == (
        "Antivirus",
        Money("5.50", "USD"),
        "flat",
        [],  # a flat fee counts no devices
    )

    response = owner_client.post(reverse("services:delete", args=[service.pk]), follow=True)
    assert "Antivirus was deleted." in response.content.decode()
    assert not RecurringService.unscoped.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"price": "-1"}, "price", "An amount cannot be negative."),
        ({"price": ""}, "price", "This field is required."),
        ({"kinds": []}, "kinds", "Choose the asset kinds a per-device service is counted on."),
        (
            {"kinds": ["toaster"]},
            "kinds",
            "Select a valid choice. toaster is not one of the available choices.",
        ),
        ({"name": "backup MONITORING"}, "name", "A service named backup MONITORING already exists in EUR."),
    ],
)
def test_bad_service_input_is_refused_and_nothing_is_written(owner_client, tenant, overrides, field, message):
    RecurringServiceFactory(tenant=tenant, name="Backup monitoring", price=Money("15", "EUR"))
    response = owner_client.post(reverse("services:create"), service_form(**overrides))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert RecurringService.unscoped.count() == 1


def test_technicians_see_the_services_but_cannot_change_them(client, tenant, make_member):
    service = RecurringServiceFactory(tenant=tenant, name="Antivirus")
    client.force_login(make_member(tenant, Role.TECHNICIAN).user)
    listed = client.get(reverse("services:list")).content.decode()
    assert "Antivirus" in listed and reverse("services:update", args=[service.pk]) not in listed
    assert client.get(reverse("services:create")).status_code == 403
    assert client.post(reverse("services:update", args=[service.pk]), service_form()).status_code == 403
    assert client.post(reverse("services:delete", args=[service.pk])).status_code == 403
    assert RecurringService.unscoped.get().name == "Antivirus"


def test_the_tier_page_links_to_the_services(owner_client):
    assert reverse("services:list") in owner_client.get(reverse("tiers:list")).content.decode()


def test_service_list_uses_a_constant_number_of_queries(owner_client, tenant):
    def count():
        owner_client.get(reverse("services:list"))
        with CaptureQueriesContext(connection) as captured:
            owner_client.get(reverse("services:list"))
        return len(captured)

    RecurringServiceFactory.create_batch(2, tenant=tenant)
    small = count()
    RecurringServiceFactory.create_batch(15, tenant=tenant)
    assert count() == small


# --- the API ---------------------------------------------------------------------------


def test_api_creates_and_updates_a_service_with_money_and_currency(owner, tenant):
    http = api_for(owner)
    created = http.post(
        SERVICES_URL, {"name": "Antivirus", "price": "5", "kinds": ["desktop", "server"]}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body == {
        "id": body["id"],
        "name": "Antivirus",
        "description": "",
        "unit": "per_device",
        "kinds": ["server", "desktop"],
        "price": "5.00",
        "price_currency": "EUR",
        "is_active": True,
    }
    url = f"{SERVICES_URL}{body['id']}/"
    patched = http.patch(url, {"price": "7.25", "price_currency": "USD"}, format="json")
    assert patched.status_code == 200, patched.content
    assert (patched.json()["price"], patched.json()["price_currency"]) == ("7.25", "USD")
    assert RecurringService.unscoped.get().price == Money(Decimal("7.25"), "USD")
    # An amount alone keeps the service's own currency.
    assert http.patch(url, {"price": "8"}, format="json").json()["price_currency"] == "USD"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"price": "-5"}, "price"),
        ({"price": "5", "price_currency": "JPY"}, "price"),
        ({"price": "5", "kinds": ["toaster"]}, "kinds"),
        ({"price": "5", "kinds": []}, "kinds"),
        ({"kinds": ["server"]}, "price"),
        ({"price": "5", "colour": "red"}, "colour"),
    ],
)
def test_api_bad_service_input_is_refused(owner, payload, field):
    response = api_for(owner).post(
        SERVICES_URL, {"name": "Broken", "kinds": ["server"], **payload}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not RecurringService.unscoped.exists()


def test_api_technicians_read_services_but_cannot_write(tenant, make_member):
    RecurringServiceFactory(tenant=tenant, name="Antivirus")
    http = api_for(make_member(tenant, Role.TECHNICIAN))
    assert [r["name"] for r in http.get(SERVICES_URL).json()["results"]] == ["Antivirus"]
    assert (
        http.post(SERVICES_URL, {"name": "X", "price": "1", "kinds": ["server"]}, format="json").status_code
        == 403
    )
    assert api_for(make_member(tenant, Role.CLIENT)).get(SERVICES_URL).status_code == 403
