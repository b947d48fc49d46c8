"""Ingest keys and monitoring settings in the browser (owner and admin): the key is shown
once, works at once, can be re-pointed, and a revoked key is refused."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from monitoring.models import IngestKey, MonitoringSettings, key_digest
from monitoring.services.keys import ingest_key_create
from msp.roles import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitoring/alerts/"


@pytest.fixture
def admin(seeded, make_member, client):
    member = make_member(seeded, Role.ADMIN)
    client.force_login(member.user)
    return member


def form(**overrides):
    data = {"name": "Zabbix HQ", "format": "native", "client": "", "asset_label": "instance", "field_map": ""}
    data.update(overrides)
    return data


def post_as_agent(secret, body):
    http = APIClient()
    http.credentials(HTTP_X_INGEST_KEY=secret)
    return http.post(URL, body, format="json")


def test_a_new_key_is_shown_once_and_works_at_once(admin, server, client):
    response = client.post(reverse("monitoring:key-create"), form())
    key = IngestKey.unscoped.get(name="Zabbix HQ")
    assert response.status_code == 302 and response["Location"] == reverse(
        "monitoring:key-created", args=[key.pk]
    )
    assert key.created_by == admin.user

    shown = client.get(response["Location"])
    assert shown["Cache-Control"] == "no-store"
    secret = shown.context["secret"]
    assert secret.startswith("mk_") and key_digest(secret) == key.digest and secret.startswith(key.prefix)
    html = shown.content.decode()
    assert f'value="{secret}"' in html and "shown only this once" in html and 'data-copy="#new-key"' in html
    assert secret not in IngestKey.unscoped.filter(pk=key.pk).values_list("digest", flat=True)[0]

    # Only once: a reload shows that it cannot be shown again.
    again = client.get(response["Location"])
    assert again.context["secret"] is None and secret not in again.content.decode()
    assert 'id="key-gone"' in again.content.decode()

    answer = post_as_agent(
        secret, {"hostname": "srv-files01.acme.lan", "check": "cpu", "severity": "warning"}
    )
    assert answer.status_code == 200 and answer.json()["results"][0]["result"] == "opened"

    listing = client.get(reverse("monitoring:keys")).content.decode()
    row = listing.split(f'data-key="{key.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Zabbix HQ" in row and f"{key.prefix}…" in row and "Active" in row and secret not in listing


def test_another_members_created_page_never_shows_the_secret(admin, seeded, make_member, client):
    client.post(reverse("monitoring:key-create"), form())
    key = IngestKey.unscoped.get(name="Zabbix HQ")
    other = make_member(seeded, Role.OWNER)
    client.force_login(other.user)
    assert client.get(reverse("monitoring:key-created", args=[key.pk])).context["secret"] is None


def test_the_form_refuses_a_bad_field_mapping_and_a_key_creating_assets_for_nobody(admin, acme, client):
    url = reverse("monitoring:key-create")
    bad_json = client.post(url, form(format="webhook", field_map="{hostname: agent.host"))
    assert bad_json.status_code == 200 and "field_map" in bad_json.context["form"].errors
    a_list = client.post(url, form(format="webhook", field_map='["agent.host"]'))
    assert a_list.context["form"].errors["field_map"] == [
        'The field mapping is a JSON object: {"hostname": "agent.hostname", ...}.'
    ]
    # The webhook adapter's own rules: a path is text, a severity maps to one of ours.
    wrong = client.post(
        url, form(format="webhook", field_map='{"hostname": 3, "severity_map": {"sev1": "urgent"}}')
    )
    errors = wrong.context["form"].errors["field_map"]
    assert "hostname: a path is text such as alert.severity (a|b: the first that is there)." in errors
    assert any("sev1 maps to urgent" in error for error in errors)
    nobody = client.post(url, form(create_assets="on"))
    assert nobody.context["form"].errors["create_assets"] == [
        "Name the client whose assets the key may create."
    ]
    assert not IngestKey.unscoped.exists()

    mapped = client.post(
        url,
        form(
            format="webhook",
            client=acme.pk,
            create_assets="on",
            field_map='{"hostname": "agent.hostname", "severity_map": {"sev1": "critical"}}',
        ),
    )
    assert mapped.status_code == 302
    key = IngestKey.unscoped.get()
    assert key.field_map == {"hostname": "agent.hostname", "severity_map": {"sev1": "critical"}}
    assert (key.client, key.create_assets) == (acme, True)


def test_edit_a_key_and_revoke_it(admin, seeded, server, client):
    key, secret = ingest_key_create(tenant=seeded, name="Prometheus")
    url = reverse("monitoring:key-update", args=[key.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"].initial["name"] == "Prometheus"
    saved = client.post(url, form(name="Prometheus HQ", format="alertmanager", asset_label="host"))
    assert saved.status_code == 302
    key.refresh_from_db()
    assert (key.name, key.format, key.asset_label) == ("Prometheus HQ", "alertmanager", "host")
    assert key.digest == key_digest(secret)  # editing never changes the secret

    revoke = reverse("monitoring:key-revoke", args=[key.pk])
    confirm = client.get(revoke)
    assert confirm.status_code == 200 and "Revoke the key" in confirm.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None  # asking is not doing
    assert client.post(revoke).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    answer = post_as_agent(
        secret, {"hostname": "srv-files01.acme.lan", "check": "cpu", "severity": "warning"}
    )
    assert answer.status_code == 401
    listing = client.get(reverse("monitoring:keys")).content.decode()
    row = listing.split(f'data-key="{key.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Revoked" in row and revoke not in row


def test_the_monitoring_settings(admin, seeded, client):
    url = reverse("monitoring:settings")
    assert client.get(url).context["form"].initial["offline_after_minutes"] == 30  # the default
    refused = client.post(url, {"offline_after_minutes": "0", "patch_age_days": "30"})
    assert refused.status_code == 200 and "offline_after_minutes" in refused.context["form"].errors
    assert not MonitoringSettings.unscoped.exists()
    assert client.post(url, {"offline_after_minutes": "120", "patch_age_days": "14"}).status_code == 302
    assert client.post(url, {"offline_after_minutes": "90", "patch_age_days": "14"}).status_code == 302
    row = MonitoringSettings.unscoped.get(tenant=seeded)
    assert (row.offline_after_minutes, row.patch_age_days) == (90, 14)
    assert "90 minutes without a heartbeat" in client.get(reverse("monitoring:keys")).content.decode()


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.ACCOUNT_MANAGER, Role.CLIENT])
def test_keys_and_settings_are_for_owners_and_admins(role, seeded, make_member, client):
    key, _secret = ingest_key_create(tenant=seeded, name="RMM")
    member = make_member(seeded, role)
    client.force_login(member.user)
    for url in (
        reverse("monitoring:keys"),
        reverse("monitoring:key-create"),
        reverse("monitoring:key-update", args=[key.pk]),
        reverse("monitoring:key-revoke", args=[key.pk]),
        reverse("monitoring:settings"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("monitoring:key-revoke", args=[key.pk])).status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None


def test_another_tenants_key_is_not_found(admin, other_tenant, client):
    theirs, _secret = ingest_key_create(tenant=other_tenant, name="Theirs")
    for name in ("monitoring:key-update", "monitoring:key-revoke", "monitoring:key-created"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert client.post(reverse("monitoring:key-revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
