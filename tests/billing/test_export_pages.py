"""The accountant's export in the browser: export a period, see what was left out and why, fix
a mapping, export again; only owners and admins."""

import pytest
from django.urls import reverse

from billing.models import ExportBatch
from msp.roles import Role
from tests.billing import test_exports
from tests.billing.test_exports import NOVEMBER

pytestmark = pytest.mark.django_db

month = test_exports.month  # the fixture: November's documents and full mappings

PERIOD = {key: value.isoformat() for key, value in NOVEMBER.items()}


def test_the_owner_exports_a_period_sees_the_problems_fixes_a_mapping_and_exports_the_rest(
    owner_client, month
):
    page = owner_client.get(reverse("billing:exports"))
    assert page.status_code == 200 and "Nothing exported yet." in page.text
    assert reverse("billing:exports") in owner_client.get(reverse("billing:list")).text

    owner_client.post(
        reverse("billing:export-mappings"), {"sales|labour|account": "", "sales|labour|qbo_name": "Labour"}
    )
    answer = owner_client.post(reverse("billing:exports"), {"format": "xero", **PERIOD}, follow=True)
    assert answer.status_code == 200
    batch = ExportBatch.unscoped.get()
    assert answer.redirect_chain[-1][0] == batch.get_absolute_url()
    text = answer.text
    assert "Exported 1 invoices, 0 credit notes and 1 payments." in text
    assert "No account code for sales of Labour." in text
    assert "Initech has no VAT number" in text
    assert month["first"].number in text and month["note"].number in text

    download = owner_client.get(reverse("billing:export-download", args=[batch.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert 'filename="xero-2026-11-01-2026-11-30.zip"' in download["Content-Disposition"]

    mappings = owner_client.get(reverse("billing:export-mappings"))
    assert mappings.status_code == 200 and 'name="sales|labour|account"' in mappings.text
    saved = owner_client.post(
        reverse("billing:export-mappings"),
        {"sales|labour|account": "4002", "sales|labour|qbo_name": "Labour"},
        follow=True,
    )
    assert "Account mappings saved." in saved.text and 'value="4002"' in saved.text

    again = owner_client.post(reverse("billing:exports"), {"format": "xero", **PERIOD}, follow=True)
    assert "Exported 1 invoices, 1 credit notes and 0 payments." in again.text
    history = owner_client.get(reverse("billing:exports")).text
    assert history.count(reverse("billing:export-download", args=[batch.pk])) == 1


def test_nothing_new_says_so_and_bad_input_is_a_form_error(owner_client, month):
    owner_client.post(reverse("billing:exports"), {"format": "journal", **PERIOD})
    second = owner_client.post(reverse("billing:exports"), {"format": "journal", **PERIOD}, follow=True)
    assert "Nothing new to export: the 4 documents of this period were exported already" in second.text
    backwards = owner_client.post(
        reverse("billing:exports"),
        {"format": "journal", "period_start": "2026-11-30", "period_end": "2026-11-01"},
    )
    assert backwards.status_code == 400 and "The period ends before it starts." in backwards.text
    too_long = owner_client.post(reverse("billing:export-mappings"), {"bank|card|account": "x" * 101})
    assert too_long.status_code == 400 and "At most 100 characters." in too_long.text
    assert ExportBatch.unscoped.count() == 2


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.TECHNICIAN])
def test_other_staff_cannot_export_or_map(client, tenant, make_member, role, month):
    client.force_login(make_member(tenant, role).user)
    assert client.get(reverse("billing:exports")).status_code == 403
    assert client.post(reverse("billing:exports"), {"format": "xero", **PERIOD}).status_code == 403
    assert client.get(reverse("billing:export-mappings")).status_code == 403
    assert client.post(reverse("billing:export-mappings"), {"bank|card|account": "1"}).status_code == 403
    assert reverse("billing:exports") not in client.get(reverse("billing:list")).text


def test_an_admin_may_map_and_export(client, tenant, make_member, month):
    client.force_login(make_member(tenant, Role.ADMIN).user)
    assert client.post(reverse("billing:export-mappings"), {"bank|card|account": "1300"}).status_code == 302
    assert client.post(reverse("billing:exports"), {"format": "qbo", **PERIOD}).status_code == 302
