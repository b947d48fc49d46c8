"""The assets API as an integrator uses it: CRUD, filters, CSV import, bad input, speed."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from assets.models import Asset
from msp.models import ApiToken
from msp.roles import Role
from tests.factories import AssetFactory, ClientFactory, ContactFactory, SiteFactory, tenant_today

ASSETS_URL = "/api/v1/assets/"
IMPORT_URL = "/api/v1/assets/import/"
SPEC_FIELDS = {
    "id",
    "client",
    "kind",
    "name",
    "hostname",
    "serial",
    "warranty_expires",
    "monitored",
    "last_seen",
}

pytestmark = pytest.mark.django_db


def api_for(membership) -> APIClient:
    _token, key = ApiToken.issue(membership)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return http


@pytest.fixture
def acme(tenant):
    return ClientFactory(tenant=tenant, name="Acme Dental")


@pytest.fixture
def tech_api(tenant, make_member):
    return api_for(make_member(tenant, Role.TECHNICIAN))


def detail(asset_or_pk) -> str:
    return f"{ASSETS_URL}{getattr(asset_or_pk, 'pk', asset_or_pk)}/"


def test_crud_through_the_api(tenant, acme, make_member, tech_api):
    site = SiteFactory(tenant=tenant, client=acme, name="Milano HQ")
    giulia = ContactFactory(tenant=tenant, client=acme)

    response = tech_api.post(
        ASSETS_URL,
        {
            "client": acme.pk,
            "kind": "server",
            "name": "DC01",
            "hostname": "dc01",
            "serial": "SRV-001",
            "site": site.pk,
            "assigned_contact": giulia.pk,
            "purchase_date": "2024-01-15",
            "warranty_expires": "2027-01-15",
            "monitored": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert SPEC_FIELDS <= set(body)
    assert {
        "site",
        "manufacturer",
        "model",
        "operating_system",
        "purchase_date",
        "patch_status",
        "missing_patches",
        "assigned_contact",
    } <= set(body)
    asset = Asset.unscoped.get(pk=body["id"])
    assert (asset.tenant, asset.client, asset.site, asset.assigned_contact) == (tenant, acme, site, giulia)
    assert body["warranty_expires"] == "2027-01-15" and body["last_seen"] is None

    response = tech_api.patch(detail(asset), {"name": "DC01-new", "missing_patches": 3}, format="json")
    assert response.status_code == 200, response.content
    asset.refresh_from_db()
    assert (asset.name, asset.missing_patches) == ("DC01-new", 3)

    assert tech_api.get(detail(asset)).json()["name"] == "DC01-new"
    assert tech_api.delete(detail(asset)).status_code == 403  # technicians may not delete
    manager_api = api_for(make_member(tenant, Role.ACCOUNT_MANAGER))
    assert manager_api.delete(detail(asset)).status_code == 204
    assert not Asset.unscoped.exists()


def test_bad_input_is_refused_with_a_clear_400(tenant, other_tenant, acme, tech_api):
    bravo = ClientFactory(tenant=tenant)
    bravo_site, bravo_contact = (
        SiteFactory(tenant=tenant, client=bravo),
        ContactFactory(tenant=tenant, client=bravo),
    )
    theirs = ClientFactory(tenant=other_tenant)
    AssetFactory(tenant=tenant, client=bravo, serial="TAKEN-1")
    base = {"client": acme.pk, "kind": "desktop", "name": "PC"}

    def refused(payload):
        response = tech_api.post(ASSETS_URL, {**base, **payload}, format="json")
        assert response.status_code == 400, response.content
        return response.json()

    assert refused({"site": bravo_site.pk}) == {"site": ["This site belongs to another client."]}
    assert refused({"assigned_contact": bravo_contact.pk}) == {
        "assigned_contact": ["This contact belongs to another client."]
    }
    assert refused({"purchase_date": "2024-05-01", "warranty_expires": "2024-04-30"}) == {
        "warranty_expires": ["The warranty cannot expire before the purchase date."]
    }
    assert refused({"serial": "TAKEN-1"}) == {"serial": ["Another asset already has this serial number."]}
    assert "client" in refused({"client": theirs.pk})
    assert "kind" in refused({"kind": "toaster"})
    assert refused({"colour": "red"}) == {"colour": ["Unknown field."]}
    assert "last_seen" not in refused({"last_seen": "2024-01-01T00:00:00Z", "kind": "bad"})
    assert Asset.unscoped.filter(tenant=tenant).count() == 1

    # An update is checked against the stored values too.
    asset = AssetFactory(tenant=tenant, client=acme, purchase_date="2024-05-01")
    response = tech_api.patch(detail(asset), {"warranty_expires": "2024-01-01"}, format="json")
    assert response.status_code == 400
    response = tech_api.patch(detail(asset), {"client": bravo.pk, "site": None}, format="json")
    assert response.status_code == 200  # moving to another client is allowed, with its own site


def test_filters_search_and_ordering(tenant, acme, tech_api):
    today = tenant_today(tenant)  # the tenant's day, as its pages judge dates
    bravo = ClientFactory(tenant=tenant)
    a = AssetFactory(
        tenant=tenant,
        client=acme,
        name="Alpha",
        kind="server",
        monitored=True,
        warranty_expires=today + timedelta(days=10),
    )
    b = AssetFactory(
        tenant=tenant,
        client=acme,
        name="Bravo",
        kind="desktop",
        hostname="front-desk",
        warranty_expires=today + timedelta(days=100),
    )
    c = AssetFactory(tenant=tenant, client=bravo, name="Charlie", kind="desktop", serial="QQ-7")

    def ids(query):
        response = tech_api.get(ASSETS_URL + query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert set(ids(f"?client={acme.pk}")) == {a.pk, b.pk}
    assert set(ids("?kind=desktop")) == {b.pk, c.pk}
    assert ids("?monitored=true") == [a.pk]
    assert set(ids("?monitored=false")) == {b.pk, c.pk}
    end = (today + timedelta(days=30)).isoformat()
    assert ids(f"?warranty_expires_after={today.isoformat()}&warranty_expires_before={end}") == [a.pk]
    assert ids("?warranty=30") == [a.pk]
    assert ids("?search=front") == [b.pk]
    assert ids("?search=qq-7") == [c.pk]
    assert ids("?ordering=-name") == [c.pk, b.pk, a.pk]
    assert tech_api.get(ASSETS_URL + "?kind=toaster").status_code == 400
    assert tech_api.get(ASSETS_URL + "?warranty_expires_after=not-a-date").status_code == 400


def test_other_tenants_and_other_clients_assets_are_invisible(tenant, other_tenant, acme, make_member):
    mine = AssetFactory(tenant=tenant, client=acme)
    sibling = AssetFactory(tenant=tenant, client=ClientFactory(tenant=tenant))
    theirs = AssetFactory(tenant=other_tenant)

    owner_api = api_for(make_member(tenant, Role.OWNER))
    assert {row["id"] for row in owner_api.get(ASSETS_URL).json()["results"]} == {mine.pk, sibling.pk}
    assert owner_api.get(detail(theirs)).status_code == 404
    assert owner_api.patch(detail(theirs), {"name": "x"}, format="json").status_code == 404

    contact_api = api_for(make_member(tenant, Role.CLIENT, client=acme))
    assert [row["id"] for row in contact_api.get(ASSETS_URL).json()["results"]] == [mine.pk]
    assert contact_api.get(detail(sibling)).status_code == 404
    assert contact_api.patch(detail(mine), {"name": "x"}, format="json").status_code == 403
    assert (
        contact_api.post(
            ASSETS_URL, {"client": acme.pk, "kind": "desktop", "name": "x"}, format="json"
        ).status_code
        == 403
    )
    assert contact_api.post(IMPORT_URL, "client,kind,name\n", content_type="text/csv").status_code == 403
    assert Asset.unscoped.count() == 3


# --- CSV import -----------------------------------------------------------------------

GOOD_AND_BAD = (
    "client,kind,name,hostname,serial,warranty_expires\n"
    "Acme Dental,server,DC01,dc01,SRV-001,2027-01-15\n"
    "Acme Dental,desktop,PC,pc-1,SRV-001,\n"
    "Acme Dental,desktop,PC 2,pc-2,DSK-2,31/02/2027\n"
    "Acme Dental,fridge,Fridge,,F-1,\n"
)


def test_import_a_multipart_file_then_reimport_is_a_no_op(acme, tech_api):
    upload = SimpleUploadedFile("assets.csv", GOOD_AND_BAD.encode(), content_type="text/csv")
    response = tech_api.post(IMPORT_URL, {"file": upload}, format="multipart")

    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("created", "updated", "unchanged", "rejected")} == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 3,
    }
    assert [(row["line"], row["status"]) for row in body["rows"]] == [
        (2, "created"),
        (3, "rejected"),
        (4, "rejected"),
        (5, "rejected"),
    ]
    created = Asset.unscoped.get(serial="SRV-001")
    assert body["rows"][0]["asset"] == created.pk
    assert "Duplicate serial" in body["rows"][1]["errors"][0]
    assert "Bad date “31/02/2027”" in body["rows"][2]["errors"][0]
    assert "Unknown kind “fridge”" in body["rows"][3]["errors"][0]

    again = tech_api.post(IMPORT_URL, GOOD_AND_BAD, content_type="text/csv")
    assert again.status_code == 200
    assert again.json()["rows"][0]["status"] == "unchanged"
    assert again.json()["created"] == 0 and again.json()["updated"] == 0
    assert Asset.unscoped.count() == 1


def test_import_a_raw_csv_body(acme, tech_api):
    response = tech_api.post(
        IMPORT_URL,
        b"client,kind,name,os\nAcme Dental,laptop,Dr Rossi,Windows 11\n",
        content_type="text/csv; charset=utf-8",
    )
    assert response.status_code == 200, response.content
    assert Asset.unscoped.get().operating_system == "Windows 11"


def test_an_all_rejected_import_answers_400_with_the_report_and_writes_nothing(acme, tech_api):
    response = tech_api.post(IMPORT_URL, "client,kind,name\nNobody,desktop,PC\n", content_type="text/csv")
    assert response.status_code == 400
    assert response.json()["rejected"] == 1
    assert "Unknown client “Nobody”" in response.json()["rows"][0]["errors"][0]
    assert not Asset.unscoped.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ("client,kind,name\nCafé,desktop,PC\n".encode("latin-1"), "text/csv", "not UTF-8"),
        (b"", "text/csv", "The file is empty"),
        (b"client,kind,colour\nAcme Dental,desktop,red\n", "text/csv", "Unknown columns: colour"),
        (b'client,kind,name\nAcme Dental,desktop,"PC', "text/csv", "not valid CSV"),
    ],
)
def test_a_malformed_import_is_refused_with_400(acme, tech_api, body, content_type, message):
    response = tech_api.post(IMPORT_URL, body, content_type=content_type)
    assert response.status_code == 400
    assert message in " ".join(response.json()["file"])
    assert not Asset.unscoped.exists()


def test_import_without_a_file_or_too_large_is_refused(acme, tech_api, monkeypatch):
    response = tech_api.post(IMPORT_URL, {}, format="multipart")
    assert response.status_code == 400 and response.json() == {"detail": "The multipart body holds no field."}
    response = tech_api.post(IMPORT_URL, {"note": "no file"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    assert tech_api.post(IMPORT_URL, {"a": 1}, format="json").status_code == 415
    monkeypatch.setattr("assets.api.views.MAX_IMPORT_BYTES", 10)
    response = tech_api.post(
        IMPORT_URL, b"client,kind,name\nAcme Dental,desktop,PC\n", content_type="text/csv"
    )
    assert response.status_code == 400
    upload = SimpleUploadedFile("a.csv", b"client,kind,name\nAcme Dental,desktop,PC\n")
    response = tech_api.post(IMPORT_URL, {"file": upload}, format="multipart")
    assert response.status_code == 400 and "larger than" in response.json()["file"][0]
    assert not Asset.unscoped.exists()


def test_schema_lists_the_asset_paths(db):
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/assets/", "/api/v1/assets/{id}/", "/api/v1/assets/import/"} <= set(paths)


# --- speed ------------------------------------------------------------------------------


def _count(http, url):
    with CaptureQueriesContext(connection) as captured:
        response = http.get(url)
    assert response.status_code == 200
    return len(captured), response.json()["count"]


@pytest.mark.parametrize("query", ["", "?warranty=90&ordering=name", "?search=a"])
def test_list_query_count_is_constant(tenant, tech_api, query):
    def grow(n):
        for _ in range(n):
            acme = ClientFactory(tenant=tenant)
            AssetFactory(
                tenant=tenant,
                client=acme,
                name="a",
                site=SiteFactory(tenant=tenant, client=acme),
                assigned_contact=ContactFactory(tenant=tenant, client=acme),
                warranty_expires=tenant_today(tenant),
            )

    grow(2)
    tech_api.get(ASSETS_URL + query)  # warm up: first-use updates (token last_used_at)
    few, few_count = _count(tech_api, ASSETS_URL + query)
    grow(25)
    many, many_count = _count(tech_api, ASSETS_URL + query)
    assert many_count > few_count
    assert few == many, f"{few} queries with little data, {many} with more"


def test_the_import_refuses_a_wide_header_with_a_short_400(acme, tech_api):
    text = "client,kind,name," + ",".join(f"c{i}" for i in range(20_000)) + "\nAcme Dental,desktop,PC\n"
    response = tech_api.post(IMPORT_URL, text.encode(), content_type="text/csv")
    assert response.status_code == 400
    assert "more than 100 columns" in response.json()["file"][0]
    assert len(response.content) < 1000
