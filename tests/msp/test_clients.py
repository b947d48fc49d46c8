"""Clients, sites and contacts in the browser: the day-to-day CRUD of an MSP."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from msp.models import Client, Contact, Site
from msp.roles import Role
from tests.factories import ClientFactory, ContactFactory, SiteFactory


@pytest.mark.django_db
def test_account_manager_creates_a_client_then_a_site_and_a_contact(client, tenant, make_member):
    member = make_member(tenant, Role.ACCOUNT_MANAGER)
    client.force_login(member.user)

    response = client.post(
        reverse("clients:create"),
        {
            "name": "Acme Dental",
            "currency": "EUR",
            "timezone": "Europe/Rome",
            "billing_email": "a@acme.example",
        },
        follow=True,
    )
    acme = Client.unscoped.get(name="Acme Dental")
    assert acme.tenant == tenant
    assert response.redirect_chain[-1][0] == acme.get_absolute_url()
    assert "Acme Dental was created." in response.content.decode()

    client.post(
        reverse("clients:site-create", args=[acme.pk]), {"name": "Milano HQ", "address": "Via Roma 1"}
    )
    site = Site.unscoped.get(client=acme)
    response = client.post(
        reverse("clients:contact-create", args=[acme.pk]),
        {"name": "Giulia Rossi", "email": "giulia@acme.example", "phone": "+39 02 1", "site": site.pk},
        follow=True,
    )
    contact = Contact.unscoped.get(client=acme)
    assert (contact.tenant, contact.site, contact.name) == (tenant, site, "Giulia Rossi")
    page = client.get(acme.get_absolute_url()).content.decode()
    assert "Milano HQ" in page and "Giulia Rossi" in page


@pytest.mark.django_db
def test_a_duplicate_client_name_is_refused_and_nothing_is_written(owner_client, tenant, other_tenant):
    ClientFactory(tenant=tenant, name="Acme Dental")
    ClientFactory(tenant=other_tenant, name="Bravo Bakery")  # another tenant's names do not clash
    before = Client.unscoped.count()

    response = owner_client.post(
        reverse("clients:create"), {"name": "  acme dental ", "currency": "EUR", "timezone": "Europe/Rome"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["A client with this name already exists."]
    assert Client.unscoped.count() == before

    response = owner_client.post(
        reverse("clients:create"), {"name": "Bravo Bakery", "currency": "EUR", "timezone": "Europe/Rome"}
    )
    assert response.status_code == 302
    assert Client.unscoped.filter(name="Bravo Bakery").count() == 2


@pytest.mark.django_db
def test_a_contact_cannot_be_put_at_another_clients_site(owner_client, tenant):
    acme, other = ClientFactory(tenant=tenant), ClientFactory(tenant=tenant)
    foreign_site = SiteFactory(tenant=tenant, client=other)
    response = owner_client.post(
        reverse("clients:contact-create", args=[acme.pk]), {"name": "X", "site": foreign_site.pk}
    )
    assert response.status_code == 200 and "site" in response.context["form"].errors
    assert not Contact.unscoped.exists()


@pytest.mark.django_db
def test_client_list_searches_and_paginates(owner_client, tenant):
    for n in range(30):
        ClientFactory(tenant=tenant, name=f"Studio {n:02d}")
    ContactFactory(tenant=tenant, client=ClientFactory(tenant=tenant, name="Zeta Hotels"), name="Paola Neri")

    page = owner_client.get(reverse("clients:list"))
    assert page.context["paginator"].count == 31 and len(page.context["object_list"]) == 25
    assert [
        c.name for c in owner_client.get(reverse("clients:list"), {"q": "studio 0"}).context["object_list"]
    ] == [f"Studio {n:02d}" for n in range(10)]
    # Search reaches the client's contacts too.
    assert [
        c.name for c in owner_client.get(reverse("clients:list"), {"q": "neri"}).context["object_list"]
    ] == ["Zeta Hotels"]
    # The htmx live search gets only the table, not the whole page.
    partial = owner_client.get(
        reverse("clients:list"), {"q": "zeta"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Zeta Hotels" in partial and "<html" not in partial


@pytest.mark.django_db
def test_technician_may_not_create_or_delete_clients(client, tenant, make_member):
    acme = ClientFactory(tenant=tenant)
    client.force_login(make_member(tenant, Role.TECHNICIAN).user)
    assert client.get(reverse("clients:create")).status_code == 403
    assert client.post(reverse("clients:delete", args=[acme.pk])).status_code == 403
    assert Client.unscoped.filter(pk=acme.pk).exists()
    page = client.get(acme.get_absolute_url()).content.decode()
    assert reverse("clients:delete", args=[acme.pk]) not in page  # no button they cannot use


@pytest.mark.django_db
def test_client_contact_sees_only_its_own_company(client, tenant, make_member):
    mine, other = (
        ClientFactory(tenant=tenant, name="Mine Ltd"),
        ClientFactory(tenant=tenant, name="Other Ltd"),
    )
    client.force_login(make_member(tenant, Role.CLIENT, client=mine).user)
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(other.get_absolute_url()).status_code == 404
    listed = client.get(reverse("clients:list")).context["object_list"]
    assert list(listed) == [mine]


@pytest.mark.django_db
def test_owner_deletes_a_client_with_its_sites_and_contacts(owner_client, tenant):
    acme = ClientFactory(tenant=tenant)
    SiteFactory(tenant=tenant, client=acme)
    ContactFactory(tenant=tenant, client=acme)
    response = owner_client.post(reverse("clients:delete", args=[acme.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("clients:list")
    assert not Client.unscoped.exists() and not Site.unscoped.exists() and not Contact.unscoped.exists()


def _queries(http, url) -> int:
    http.get(url)  # the first request of a session does one-off work (session, user)
    with CaptureQueriesContext(connection) as captured:
        assert http.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["clients:list", "contacts:list", "dashboard", "members:list"])
def test_list_pages_use_a_constant_number_of_queries(owner_client, tenant, make_member, url_name):
    def grow(n):
        for _ in range(n):
            acme = ClientFactory(tenant=tenant)
            site = SiteFactory(tenant=tenant, client=acme)
            ContactFactory(tenant=tenant, client=acme, site=site)
            make_member(tenant, Role.TECHNICIAN)

    grow(2)
    small = _queries(owner_client, reverse(url_name))
    grow(20)
    assert _queries(owner_client, reverse(url_name)) == small


@pytest.mark.django_db
def test_client_page_uses_a_constant_number_of_queries(owner_client, tenant):
    acme = ClientFactory(tenant=tenant)
    for _ in range(2):
        ContactFactory(tenant=tenant, client=acme, site=SiteFactory(tenant=tenant, client=acme))
    small = _queries(owner_client, acme.get_absolute_url())
    for _ in range(20):
        ContactFactory(tenant=tenant, client=acme, site=SiteFactory(tenant=tenant, client=acme))
    assert _queries(owner_client, acme.get_absolute_url()) == small


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.OWNER, ["Clients", "Contacts", "Members", "Settings"], []),
        (Role.TECHNICIAN, ["Clients", "Contacts"], ["Members", "Settings", "New client"]),
        # Client contacts get the portal's own navigation, never the MSP's.
        (
            Role.CLIENT,
            ["Home", "Tickets", "Assets"],
            ["Dashboard", "Clients", "Contacts", "Members", "Settings", "New client"],
        ),
    ],
)
def test_navigation_and_actions_follow_the_role(client, tenant, make_member, role, shown, hidden):
    client.force_login(make_member(tenant, role).user)
    response = client.get(reverse("dashboard"))
    labels = [str(item["label"]) for item in response.context["nav_items"]]
    page = response.content.decode()
    for label in shown:
        assert label in labels
    for label in hidden:
        assert label not in labels and f">{label}<" not in page
