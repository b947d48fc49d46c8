"""`exports/` and `exports/mappings/` as an accountant's integration uses them; staff without
the right, and other tenants, get nothing."""

import io
import zipfile

import pytest

from msp.roles import Role
from tests.billing import test_exports
from tests.billing.test_exports import NOVEMBER, xero_import
from tests.msp.test_api import api_for

pytestmark = pytest.mark.django_db

month = test_exports.month  # the fixture: November's documents and full mappings

URL = "/api/v1/exports/"
PERIOD = {key: value.isoformat() for key, value in NOVEMBER.items()}


def test_an_export_is_created_listed_read_and_downloaded(owner, month):
    api = api_for(owner)
    created = api.post(URL, {"format": "xero", **PERIOD}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["invoice_count"], body["credit_note_count"], body["payment_count"]) == (2, 1, 1)
    assert body["created_by"] == owner.user.username and body["problem_count"] == 1
    assert (
        body["problems"][0]["code"] == "vat_number"
        and body["problems"][0]["document"] == month["third"].number
    )

    download = api.get(body["download"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        documents = xero_import(archive.read("xero-sales-invoices.csv").decode())
    assert documents[month["first"].number]["total"] == month["first"].total.amount

    listed = api.get(URL).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert api.get(f"{URL}{body['id']}/").json()["problems"] == body["problems"]

    again = api.post(URL, {"format": "xero", **PERIOD}, format="json").json()
    assert (again["skipped_count"], again["download"]) == (4, None)
    assert api.get(f"{URL}{again['id']}/download/").status_code == 404


def test_bad_input_is_a_clear_400(owner, month):
    api = api_for(owner)
    wrong = api.post(URL, {"format": "sage", **PERIOD}, format="json")
    assert wrong.status_code == 400 and "format" in wrong.json()
    backwards = api.post(
        URL, {"format": "journal", "period_start": "2026-11-30", "period_end": "2026-11-01"}, format="json"
    )
    assert backwards.status_code == 400 and "ends before it starts" in str(backwards.json())
    unknown = api.post(URL, {"format": "journal", **PERIOD, "colour": "red"}, format="json")
    assert unknown.status_code == 400 and "colour" in unknown.json()
    mapping = api.post(
        f"{URL}mappings/", {"mappings": [{"kind": "bank", "key": "bitcoin", "account": "1"}]}, format="json"
    )
    assert mapping.status_code == 400 and "per payment method" in str(mapping.json())


def test_mappings_are_listed_and_set(owner, month):
    api = api_for(owner)
    rows = api.get(f"{URL}mappings/?page_size=200").json()["results"]
    card = next(row for row in rows if (row["kind"], row["key"]) == ("bank", "card"))
    assert card == {
        "kind": "bank",
        "key": "card",
        "label": "Card",
        "account": "",
        "qbo_name": "",
        "xero_tax_type": "",
    }
    answer = api.post(
        f"{URL}mappings/?page_size=200",
        {"mappings": [{"kind": "bank", "key": "card", "account": "1300"}]},
        format="json",
    )
    assert answer.status_code == 200
    card = next(row for row in answer.json()["results"] if (row["kind"], row["key"]) == ("bank", "card"))
    assert card["account"] == "1300"


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.TECHNICIAN, Role.CLIENT])
def test_only_owners_and_admins_export_and_map(tenant, make_member, role, month):
    api = api_for(make_member(tenant, role))
    assert api.get(URL).status_code == 403
    assert api.post(URL, {"format": "xero", **PERIOD}, format="json").status_code == 403
    assert api.get(f"{URL}mappings/").status_code == 403


def test_another_tenants_export_is_not_found(owner, other_tenant, make_member, month):
    from billing.services.exports import export_batch_create

    batch = export_batch_create(tenant=month["first"].tenant, format="journal", **NOVEMBER)
    stranger = api_for(make_member(other_tenant, Role.OWNER))
    assert stranger.get(f"{URL}{batch.pk}/").status_code == 404
    assert stranger.get(f"{URL}{batch.pk}/download/").status_code == 404
    assert stranger.get(URL).json()["results"] == []
