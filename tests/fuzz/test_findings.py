"""What schemathesis found, each pinned by a request of its own (the fuzz finds them by
chance; these find them every time): each was a 500, or an answer the schema did not
declare, and is now a 4xx in the declared shape that changes nothing."""

import json

import pytest
from rest_framework.test import APIClient

from msp.api.base import MAX_ID
from msp.models import ApiToken, Client, Notification
from msp.roles import Role
from tests.factories import ClientFactory, NotificationFactory
from tests.fuzz.harness import load_schema

pytestmark = pytest.mark.django_db


def api_for(membership) -> APIClient:
    _token, key = ApiToken.issue(membership)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return http


@pytest.fixture
def owner_api(tenant, make_member):
    return api_for(make_member(tenant, Role.OWNER))


def test_notification_ids_past_the_key_range_are_refused(owner_api):
    response = owner_api.post("/api/v1/notifications/read/", {"ids": [MAX_ID + 1]}, format="json")

    assert response.status_code == 400
    assert "ids" in response.json()


def test_a_non_numeric_id_is_not_found(tenant, make_member):
    owner = make_member(tenant, Role.OWNER)
    NotificationFactory(tenant=tenant, membership=owner, title="Mine")

    response = api_for(owner).patch("/api/v1/notifications/N%F0%92%97/", {"read": True}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert not Notification.unscoped.filter(read_at__isnull=False).exists()


def test_a_search_with_a_nul_character_names_the_parameter(owner_api):
    response = owner_api.get("/api/v1/clients/", {"search": "a\x00b"})

    assert response.status_code == 400
    assert response.json() == {"search": ["Null characters are not allowed."]}


def test_a_number_sent_as_text_is_refused(owner_api):
    response = owner_api.post("/api/v1/clients/", {"name": "Acme", "phone": -1649}, format="json")

    assert response.status_code == 400
    assert response.json() == {"phone": ["Not a valid string."]}
    assert not Client.unscoped.exists()


def test_text_longer_than_its_field_is_refused_before_trimming(owner_api):
    response = owner_api.post("/api/v1/clients/", {"name": "Acme" + "\x1f" * 300}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()
    assert not Client.unscoped.exists()


def test_a_multipart_body_without_a_field_is_refused(tenant, make_member):
    owner = make_member(tenant, Role.OWNER)
    NotificationFactory(tenant=tenant, membership=owner, title="Unread")

    response = api_for(owner).generic(
        "POST",
        "/api/v1/notifications/read/",
        b"--b\r\n30319--b--\r\n",
        content_type="multipart/form-data; boundary=b",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The multipart body holds no field."}
    assert Notification.unscoped.get().read_at is None


def test_djangos_own_refusal_under_the_api_is_json(owner_api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = "&".join(f"ids={i}" for i in range(1, 10))

    response = owner_api.generic(
        "POST", "/api/v1/notifications/read/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "The request could not be read."}


def test_an_offer_pdf_refused_says_json(tenant, make_member):
    client = ClientFactory(tenant=tenant)
    contact = make_member(tenant, Role.CLIENT, client=client)

    response = api_for(contact).get("/api/v1/offers/1/pdf/?format=pdf")

    assert response.status_code in (403, 404)
    assert response["Content-Type"] == "application/json"
    assert "detail" in json.loads(response.content)


def test_the_schema_declares_nullable_contract_amounts_and_every_error():
    raw = load_schema().raw_schema
    contract = raw["components"]["schemas"]["Contract"]["properties"]
    for name in ("monthly_fee", "hourly_rate", "overage_rate", "renew_block_price"):
        assert contract[f"{name}_currency"]["nullable"] is True
    assert contract["balance_minutes"]["nullable"] is True
    for path, operations in raw["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert "400" in declared, (method, path)
            if operation.get("security") and {} not in operation["security"]:
                assert {"401", "403"} <= declared, (method, path)
            if "{" in path:
                assert "404" in declared, (method, path)
    assert "429" in raw["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    import_400 = raw["paths"]["/api/v1/assets/import/"]["post"]["responses"]["400"]
    assert len(import_400["content"]["application/json"]["schema"]["oneOf"]) == 2
