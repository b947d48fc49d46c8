"""Every JSON endpoint refuses a document nested too deep with a 400 (issue 20: JSON nested
100,000 deep raised RecursionError inside the parser, a 500 on every JSON endpoint)."""

import pytest
from rest_framework.test import APIClient

from monitoring.services.keys import ingest_key_create
from msp.api.parsers import MAX_DEPTH
from msp.models import ApiToken, Client
from msp.roles import Role
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

DEEP = b"[" * 100_000 + b"]" * 100_000
JUST_TOO_DEEP = ('{"name": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}").encode()

INGESTION = {
    "/api/v1/monitoring/alerts/",
    "/api/v1/monitoring/alertmanager/",
    "/api/v1/monitoring/webhook/",
    "/api/v1/inbox/webhook/",  # a mailbox token's: tests/inbox/test_webhook.py
}


def _owner_api(tenant, make_member) -> APIClient:
    _token, key = ApiToken.issue(make_member(tenant, Role.OWNER))
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return http


def _collections_taking_json(http) -> list[str]:
    paths = http.get("/api/schema/", {"format": "json"}).json()["paths"]
    return [
        path
        for path, operations in paths.items()
        if "{" not in path
        and "post" in operations
        and "application/json" in operations["post"].get("requestBody", {}).get("content", {})
        and path not in INGESTION  # an ingest key's, below
    ]


@pytest.mark.parametrize("body", [DEEP, JUST_TOO_DEEP], ids=["100000-deep", "65-deep"])
def test_every_json_collection_refuses_deep_nesting_with_a_400(tenant, make_member, body):
    http = _owner_api(tenant, make_member)
    paths = _collections_taking_json(http)
    assert "/api/v1/clients/" in paths and "/api/v1/time-entries/" in paths
    for path in paths:
        response = http.post(path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.status_code, response.content[:200])
        assert "nested more than 64 levels" in response.json()["detail"], path
    assert not Client.unscoped.exists()


def test_a_detail_update_refuses_deep_nesting(tenant, make_member):
    http = _owner_api(tenant, make_member)
    acme = ClientFactory(tenant=tenant, name="Acme")
    response = http.patch(f"/api/v1/clients/{acme.pk}/", DEEP, content_type="application/json")
    assert response.status_code == 400
    acme.refresh_from_db()
    assert acme.name == "Acme"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/monitoring/alerts/", "application/json"),
        ("/api/v1/monitoring/alertmanager/", "application/json"),
        ("/api/v1/monitoring/webhook/", "application/json"),
        ("/api/v1/monitoring/webhook/", "text/plain"),  # read as JSON whatever it says
    ],
)
def test_ingestion_refuses_deep_nesting(tenant, path, content_type):
    _key, secret = ingest_key_create(tenant=tenant, name="RMM")
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    for body in (DEEP, JUST_TOO_DEEP):
        response = http.post(path, body, content_type=content_type)
        assert response.status_code == 400, response.content[:200]
        assert "nested more than 64 levels" in response.json()["detail"]


def test_ordinary_nesting_still_parses(tenant, make_member):
    http = _owner_api(tenant, make_member)
    response = http.post("/api/v1/clients/", {"name": "Acme", "currency": "EUR"}, format="json")
    assert response.status_code == 201, response.content
