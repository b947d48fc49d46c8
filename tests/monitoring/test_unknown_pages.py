"""The review of unknown machines in the browser: make one an asset, link it, or discard it;
its next messages then file normally."""

import pytest
from django.urls import reverse

from assets.models import Asset
from monitoring.choices import UnknownState
from monitoring.models import UnknownSource
from msp.roles import Role
from tests.factories import AssetFactory, ClientFactory
from tests.monitoring.conftest import send

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitoring/alerts/"


@pytest.fixture
def ghost(agent):
    send(agent, {"hostname": "ghost-01", "check": "cpu", "severity": "warning"})
    send(
        agent,
        {"hostname": "ghost-01", "check": "disk_usage", "severity": "critical", "message": "D: is full"},
    )
    return UnknownSource.unscoped.get(hostname="ghost-01")


def test_the_review_list_shows_what_each_machine_sent(ghost, ingest_key, tech, client):
    page = client.get(reverse("monitoring:unknown"))
    assert page.status_code == 200
    html = page.content.decode()
    row = html.split(f'data-unknown="{ghost.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "ghost-01" in row and "disk_usage" in row and "Critical" in row and "D: is full" in row
    assert '<td class="num">2</td>' in row  # messages
    assert ingest_key.name in row and ingest_key.prefix in row
    assert reverse("monitoring:unknown-create", args=[ghost.pk]) in row
    assert reverse("monitoring:unknown-link", args=[ghost.pk]) in row
    assert reverse("monitoring:unknown-discard", args=[ghost.pk]) in row


def test_create_the_asset_then_its_next_message_opens_an_alert_on_it(agent, ghost, acme, tech, client):
    url = reverse("monitoring:unknown-create", args=[ghost.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert form.context["form"].initial["name"] == "ghost-01"  # from the hostname

    refused = client.post(url, {"client": acme.pk, "kind": "server", "name": ""})
    assert refused.status_code == 200 and "name" in refused.context["form"].errors
    assert not Asset.unscoped.filter(hostname="ghost-01").exists()

    response = client.post(url, {"client": acme.pk, "kind": "server", "name": "GHOST01"})
    asset = Asset.unscoped.get(hostname="ghost-01")
    assert response.status_code == 302 and response["Location"] == asset.get_absolute_url()
    assert (asset.client, asset.kind, asset.name, asset.monitored) == (acme, "server", "GHOST01", True)
    ghost.refresh_from_db()
    assert (ghost.state, ghost.asset) == (UnknownState.LINKED, asset)
    assert ghost.pk not in [u.pk for u in client.get(reverse("monitoring:unknown")).context["object_list"]]

    outcome = send(agent, {"hostname": "ghost-01", "check": "disk_usage", "severity": "critical"})[0]
    assert outcome["result"] == "opened" and outcome["asset"] == asset.pk and outcome["ticket"]

    # Done is done: a second post (another tab) changes nothing.
    again = client.post(url, {"client": acme.pk, "kind": "server", "name": "GHOST02"})
    assert again.status_code == 200 and "already dealt with" in again.content.decode()
    assert Asset.unscoped.filter(hostname="ghost-01").count() == 1


def test_create_refuses_a_serial_another_asset_has(agent, acme, tech, client):
    send(agent, {"serial": "SN-NEW", "check": "cpu", "severity": "info"})
    unknown = UnknownSource.unscoped.get(serial="SN-NEW")
    AssetFactory(
        tenant=acme.tenant, client=acme, name="OLD", hostname="", serial="SN-NEW"
    )  # typed in meanwhile
    page = client.post(
        reverse("monitoring:unknown-create", args=[unknown.pk]),
        {"client": acme.pk, "kind": "desktop", "name": "X"},
    )
    assert page.status_code == 200
    assert "Another asset already has this serial number." in page.content.decode()
    unknown.refresh_from_db()
    assert unknown.state == UnknownState.PENDING
    assert not Asset.unscoped.filter(name="X").exists()


def test_link_fills_in_what_the_asset_lacks_and_refuses_a_different_machine(
    agent, acme, laptop, tech, client
):
    printer = AssetFactory(
        tenant=acme.tenant, client=acme, kind="printer", name="ACME-PRN", hostname="", serial=""
    )
    send(agent, {"hostname": "prn-01", "serial": "SN-PRN-9", "check": "toner", "severity": "info"})
    unknown = UnknownSource.unscoped.get(hostname="prn-01")
    url = reverse("monitoring:unknown-link", args=[unknown.pk])

    # First the client, then one of its assets (searched).
    page = client.get(f"{url}?client={acme.pk}&q=PRN")
    assert page.status_code == 200
    assert [pk for pk, _label in page.context["form"].fields["asset"].widget.choices][1:] == [printer.pk]

    # The laptop has its own hostname and serial: another machine.
    refused = client.post(url, {"client": acme.pk, "asset": laptop.pk})
    assert refused.status_code == 200
    errors = refused.context["form"].errors["asset"]
    assert "LT-GIULIA already has the hostname lt-giulia." in errors
    assert "LT-GIULIA already has the serial number SN-LT-1." in errors

    # An asset of another client than the one picked.
    beta = ClientFactory(tenant=acme.tenant, name="Beta")
    beta_pc = AssetFactory(tenant=acme.tenant, client=beta, hostname="", serial="")
    wrong = client.post(url, {"client": acme.pk, "asset": beta_pc.pk})
    assert wrong.context["form"].errors["asset"] == ["Pick one of this client's assets."]

    done = client.post(url, {"client": acme.pk, "asset": printer.pk})
    assert done.status_code == 302 and done["Location"] == printer.get_absolute_url()
    printer.refresh_from_db()
    assert (printer.hostname, printer.serial, printer.monitored) == ("prn-01", "SN-PRN-9", True)
    outcome = send(agent, {"hostname": "PRN-01", "check": "toner", "severity": "warning"})[0]
    assert outcome["result"] == "opened" and outcome["asset"] == printer.pk


def test_discard_takes_it_off_the_list_until_it_speaks_again(agent, ghost, tech, client):
    url = reverse("monitoring:unknown-discard", args=[ghost.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert "ghost-01 was discarded." in response.content.decode()
    ghost.refresh_from_db()
    assert ghost.state == UnknownState.DISCARDED
    assert not response.context["object_list"]
    again = client.post(url, follow=True)
    assert "This machine was already dealt with." in again.content.decode()
    send(agent, {"hostname": "ghost-01", "check": "cpu", "severity": "warning"})
    pending = UnknownSource.unscoped.get(hostname="ghost-01", state=UnknownState.PENDING)
    assert pending.pk != ghost.pk and pending.messages == 1


def test_client_contacts_cannot_review_and_another_tenants_machine_is_not_found(
    ghost, seeded, acme, other_tenant, make_member, client
):
    contact = make_member(seeded, Role.CLIENT, client=acme)
    client.force_login(contact.user)
    assert client.get(reverse("monitoring:unknown")).status_code == 403
    assert client.post(reverse("monitoring:unknown-discard", args=[ghost.pk])).status_code == 403
    stranger = make_member(other_tenant, Role.OWNER)
    client.force_login(stranger.user)
    for name in ("monitoring:unknown-create", "monitoring:unknown-link"):
        assert client.get(reverse(name, args=[ghost.pk])).status_code == 404
    assert client.post(reverse("monitoring:unknown-discard", args=[ghost.pk])).status_code == 404
    ghost.refresh_from_db()
    assert ghost.state == UnknownState.PENDING
