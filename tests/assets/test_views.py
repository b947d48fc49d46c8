"""Assets in the browser: the inventory list with its filters, and day-to-day CRUD."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assets.models import Asset
from msp.roles import Role
from tests.factories import AssetFactory, ClientFactory, ContactFactory, SiteFactory, tenant_today

pytestmark = pytest.mark.django_db


def _form(client, **overrides):
    data = {
        "client": client.pk,
        "kind": "server",
        "name": "DC01",
        "hostname": "dc01.acme.local",
        "serial": "SRV-001",
        "manufacturer": "Dell",
        "model": "R740",
        "operating_system": "Windows Server 2022",
        "purchase_date": "2024-01-15",
        "warranty_expires": "2027-01-15",
        "patch_status": "up_to_date",
        "missing_patches": "0",
        "monitored": "on",
        "notes": "",
        "site": "",
        "assigned_contact": "",
    }
    data.update(overrides)
    return data


def test_technician_creates_edits_and_an_account_manager_deletes_an_asset(client, tenant, make_member):
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    site = SiteFactory(tenant=tenant, client=acme, name="Milano HQ")
    giulia = ContactFactory(tenant=tenant, client=acme, name="Giulia Rossi")
    tech = make_member(tenant, Role.TECHNICIAN)
    client.force_login(tech.user)

    page = client.get(reverse("assets:create") + f"?client={acme.pk}")
    assert page.status_code == 200
    assert page.context["form"].initial["client"] == acme.pk
    assert list(page.context["form"].fields["site"].queryset) == [site]

    response = client.post(
        reverse("assets:create"), _form(acme, site=site.pk, assigned_contact=giulia.pk), follow=True
    )
    asset = Asset.unscoped.get(serial="SRV-001")
    assert (asset.tenant, asset.client, asset.site, asset.assigned_contact) == (tenant, acme, site, giulia)
    assert asset.monitored is True
    assert response.redirect_chain[-1][0] == asset.get_absolute_url()
    page = response.content.decode()
    assert "DC01 was created." in page
    assert "Milano HQ" in page and "Giulia Rossi" in page and "Up to date" in page

    response = client.post(
        reverse("assets:update", args=[asset.pk]), _form(acme, name="DC01-new", site=site.pk), follow=True
    )
    asset.refresh_from_db()
    assert asset.name == "DC01-new"
    assert "Your changes to DC01-new were saved." in response.content.decode()
    # A technician may not delete, and is not offered the button.
    assert reverse("assets:delete", args=[asset.pk]) not in response.content.decode()
    assert client.post(reverse("assets:delete", args=[asset.pk])).status_code == 403

    client.force_login(make_member(tenant, Role.ACCOUNT_MANAGER).user)
    response = client.post(reverse("assets:delete", args=[asset.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("assets:list")
    assert not Asset.unscoped.exists()


def test_form_refuses_another_clients_site_and_contact_and_warranty_before_purchase(owner_client, tenant):
    acme, bravo = ClientFactory(tenant=tenant), ClientFactory(tenant=tenant)
    bravo_site = SiteFactory(tenant=tenant, client=bravo)
    bravo_contact = ContactFactory(tenant=tenant, client=bravo)

    response = owner_client.post(
        reverse("assets:create"),
        _form(acme, site=bravo_site.pk, assigned_contact=bravo_contact.pk, warranty_expires="2023-12-31"),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["site"] == ["This site belongs to another client."]
    assert errors["assigned_contact"] == ["This contact belongs to another client."]
    assert errors["warranty_expires"] == ["The warranty cannot expire before the purchase date."]
    assert not Asset.unscoped.exists()


def test_a_serial_already_used_in_the_tenant_is_a_form_error(owner_client, tenant, other_tenant):
    acme = ClientFactory(tenant=tenant)
    existing = AssetFactory(tenant=tenant, client=ClientFactory(tenant=tenant), serial="SRV-001")
    AssetFactory(tenant=other_tenant, serial="OTHER-1")  # another tenant's serials do not clash

    response = owner_client.post(reverse("assets:create"), _form(acme, serial=" SRV-001 "))
    assert response.context["form"].errors["serial"] == ["Another asset already has this serial number."]
    assert Asset.unscoped.filter(tenant=tenant).count() == 1

    assert owner_client.post(reverse("assets:create"), _form(acme, serial="OTHER-1")).status_code == 302
    # Saving an asset keeps its own serial; blank serials never clash.
    response = owner_client.post(
        reverse("assets:update", args=[existing.pk]), _form(existing.client, serial="SRV-001")
    )
    assert response.status_code == 302
    assert owner_client.post(reverse("assets:create"), _form(acme, serial="", name="a")).status_code == 302
    assert owner_client.post(reverse("assets:create"), _form(acme, serial="", name="b")).status_code == 302


def test_another_tenants_client_cannot_be_chosen(owner_client, tenant, other_tenant):
    theirs = ClientFactory(tenant=other_tenant)
    response = owner_client.post(reverse("assets:create"), _form(theirs))
    assert "client" in response.context["form"].errors
    page = owner_client.get(reverse("assets:create") + f"?client={theirs.pk}")
    assert "client" not in page.context["form"].initial
    assert not Asset.unscoped.exists()


def test_list_filters_by_client_kind_search_and_warranty_window(owner_client, tenant):
    today = tenant_today(tenant)  # the tenant's day, as its pages judge dates
    acme, bravo = ClientFactory(tenant=tenant, name="Acme"), ClientFactory(tenant=tenant, name="Bravo")
    expired = AssetFactory(tenant=tenant, client=acme, name="Old", warranty_expires=today - timedelta(days=1))
    soon = AssetFactory(tenant=tenant, client=acme, name="Soon", warranty_expires=today + timedelta(days=20))
    in_50 = AssetFactory(
        tenant=tenant, client=bravo, name="Fifty", warranty_expires=today + timedelta(days=50), kind="server"
    )
    in_90 = AssetFactory(
        tenant=tenant, client=bravo, name="Ninety", warranty_expires=today + timedelta(days=90)
    )
    later = AssetFactory(
        tenant=tenant,
        client=bravo,
        name="Later",
        warranty_expires=today + timedelta(days=91),
        hostname="web-7",
    )
    unknown = AssetFactory(tenant=tenant, client=bravo, name="Unknown", serial="ZX-99")

    def names(query):
        response = owner_client.get(reverse("assets:list") + query)
        assert response.status_code == 200
        return {a.name for a in response.context["object_list"]}

    assert names("") == {a.name for a in (expired, soon, in_50, in_90, later, unknown)}
    assert names("?warranty=30") == {"Soon"}
    assert names("?warranty=60") == {"Soon", "Fifty"}
    assert names("?warranty=90") == {"Soon", "Fifty", "Ninety"}
    assert names("?warranty=expired") == {"Old"}
    assert names(f"?client={acme.pk}") == {"Old", "Soon"}
    assert names("?kind=server") == {"Fifty"}
    assert names(f"?client={bravo.pk}&warranty=90&kind=desktop") == {"Ninety"}
    assert names("?q=web-7") == {"Later"}
    assert names("?q=zx-9") == {"Unknown"}
    assert names("?q=ninety") == {"Ninety"}
    assert names("?warranty=bogus") == names("")  # an invalid filter is ignored, not an error

    page = owner_client.get(reverse("assets:list") + "?warranty=90").content.decode()
    assert "expiring soon" in page
    page = owner_client.get(reverse("assets:list") + "?warranty=expired").content.decode()
    assert "expired" in page


def test_htmx_search_answers_the_table_only(owner_client, tenant):
    AssetFactory(client__tenant=tenant, name="Reception PC")
    response = owner_client.get(reverse("assets:list") + "?q=recep", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "Reception PC" in html
    assert "<html" not in html and 'class="toolbar"' not in html


def test_list_is_paginated(owner_client, tenant):
    acme = ClientFactory(tenant=tenant)
    for _ in range(30):
        AssetFactory(tenant=tenant, client=acme)
    response = owner_client.get(reverse("assets:list"))
    assert len(response.context["object_list"]) == 25
    assert len(owner_client.get(reverse("assets:list") + "?page=2").context["object_list"]) == 5


def test_detail_shows_warranty_and_patch_badges(owner_client, tenant):
    today = tenant_today(tenant)  # the tenant's day, as its pages judge dates
    asset = AssetFactory(  # its client in its tenant: on PostgreSQL another tenant's is fenced off
        tenant=tenant,
        client=ClientFactory(tenant=tenant),
        warranty_expires=today - timedelta(days=3),
        patch_status="missing",
        missing_patches=4,
    )
    page = owner_client.get(asset.get_absolute_url()).content.decode()
    assert "badge-danger" in page and "expired" in page
    assert "Patches missing (4)" in page


def test_client_contact_sees_its_companys_assets_but_cannot_change_them(client, tenant, make_member):
    mine, other = (
        ClientFactory(tenant=tenant, name="Mine Ltd"),
        ClientFactory(tenant=tenant, name="Other Ltd"),
    )
    my_asset = AssetFactory(tenant=tenant, client=mine, name="My laptop")
    their_asset = AssetFactory(tenant=tenant, client=other, name="Their laptop")
    client.force_login(make_member(tenant, Role.CLIENT, client=mine).user)

    assert list(client.get(reverse("assets:list")).context["object_list"]) == [my_asset]
    page = client.get(my_asset.get_absolute_url())
    assert page.status_code == 200
    assert reverse("assets:update", args=[my_asset.pk]) not in page.content.decode()
    assert client.get(their_asset.get_absolute_url()).status_code == 404
    assert client.get(reverse("assets:create")).status_code == 403
    assert client.post(reverse("assets:create"), _form(mine)).status_code == 403
    assert client.post(reverse("assets:update", args=[my_asset.pk]), _form(mine)).status_code == 403
    assert client.post(reverse("assets:delete", args=[my_asset.pk])).status_code == 403
    assert Asset.unscoped.count() == 2

    company = client.get(mine.get_absolute_url()).content.decode()
    assert "1 asset" in company and "Add asset" not in company
    # The MSP-wide list is not in a client contact's navigation.
    assert f'href="{reverse("assets:list")}"' not in client.get(reverse("dashboard")).content.decode()


def test_client_page_links_to_its_assets(owner_client, tenant):
    acme = ClientFactory(tenant=tenant)
    AssetFactory.create_batch(3, tenant=tenant, client=acme)
    AssetFactory(tenant=tenant)  # another client's
    page = owner_client.get(acme.get_absolute_url()).content.decode()
    assert "3 assets" in page
    assert f"{reverse('assets:list')}?client={acme.pk}" in page
    assert f"{reverse('assets:create')}?client={acme.pk}" in page
    assert f'href="{reverse("assets:list")}"' in page  # the navigation entry


def _queries(http, url) -> int:
    http.get(url)  # warm up: the first request of a session does one-off work
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("query", ["", "?warranty=90", "?q=a"])
def test_list_uses_a_constant_number_of_queries(owner_client, tenant, query):
    today = tenant_today(tenant)  # the tenant's day, as its pages judge dates

    def grow(n):
        for i in range(n):
            acme = ClientFactory(tenant=tenant)
            AssetFactory(
                tenant=tenant,
                client=acme,
                name=f"a{i}",
                site=SiteFactory(tenant=tenant, client=acme),
                assigned_contact=ContactFactory(tenant=tenant, client=acme),
                warranty_expires=today + timedelta(days=10),
            )

    grow(2)
    small = _queries(owner_client, reverse("assets:list") + query)
    grow(20)
    assert _queries(owner_client, reverse("assets:list") + query) == small


def test_detail_uses_a_constant_number_of_queries(owner_client, tenant):
    acme = ClientFactory(tenant=tenant)
    asset = AssetFactory(
        tenant=tenant,
        client=acme,
        site=SiteFactory(tenant=tenant, client=acme),
        assigned_contact=ContactFactory(tenant=tenant, client=acme),
    )
    few = _queries(owner_client, asset.get_absolute_url())
    AssetFactory.create_batch(10, tenant=tenant, client=acme)
    assert _queries(owner_client, asset.get_absolute_url()) == few
