"""The public REST API v1 as an integrator uses it: tokens, clients, contacts, members.

Every test speaks HTTP through DRF's APIClient with `Authorization: Token <key>`, the
way an RMM integration or a script would, and checks what was (or was not) written
through the unscoped managers.
"""

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from contracts.notifications import recipients
from msp.models import ApiToken, Client, Contact, Membership, User
from msp.roles import Role
from tests.factories import (
    PASSWORD,
    ClientFactory,
    ContactFactory,
    ContractFactory,
    SiteFactory,
    TenantFactory,
)

TOKEN_URL = "/api/v1/auth/token/"
CLIENTS_URL = "/api/v1/clients/"
CONTACTS_URL = "/api/v1/contacts/"
MEMBERS_URL = "/api/v1/members/"
STRONG_PASSWORD = "Plum-Orchard-Lantern-72"

pytestmark = pytest.mark.django_db


def api_for(membership) -> APIClient:
    """An APIClient carrying a fresh token of this membership."""
    _token, key = ApiToken.issue(membership)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return http


def obtain(username, password=PASSWORD, **extra):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password, **extra}, format="json")


def _client_names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def _flat(errors) -> str:
    return json.dumps(errors).lower()


@pytest.fixture
def owner_api(owner):
    return api_for(owner)


# --- tokens ----------------------------------------------------------------------------


def test_token_obtained_with_password_fixes_tenant_and_role(tenant, other_tenant, make_member):
    tech = make_member(tenant, Role.TECHNICIAN)
    mine = ClientFactory(tenant=tenant, name="Mine Ltd")
    ClientFactory(tenant=other_tenant, name="Theirs Ltd")

    response = obtain(tech.user.username)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"token", "tenant", "role"}
    assert body["tenant"] == "alpha"
    assert body["role"] == "technician"
    assert len(body["token"]) >= 20
    # Only a digest is stored, never the key itself.
    assert not ApiToken.objects.filter(digest=body["token"]).exists()

    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    listed = http.get(CLIENTS_URL)
    assert listed.status_code == 200
    assert _client_names(listed) == [mine.name]
    # The role is the technician's: adding clients is refused.
    assert http.post(CLIENTS_URL, {"name": "Nope"}, format="json").status_code == 403


def test_user_in_two_tenants_gets_the_first_unless_naming_one(tenant, other_tenant, make_member):
    membership = make_member(tenant, Role.TECHNICIAN)
    Membership.unscoped.create(tenant=other_tenant, user=membership.user, role=Role.ADMIN)
    ClientFactory(tenant=tenant, name="Alpha Client")
    ClientFactory(tenant=other_tenant, name="Bravo Client")

    # Naming none: the first membership, the one an integration always had (joining another
    # tenant later changes nothing for it).
    unnamed = obtain(membership.user.username)
    assert unnamed.status_code == 200, unnamed.content
    assert (unnamed.json()["tenant"], unnamed.json()["role"]) == ("alpha", "technician")

    chosen = obtain(membership.user.username, tenant="bravo")
    assert chosen.status_code == 200, chosen.content
    assert chosen.json()["tenant"] == "bravo"
    assert chosen.json()["role"] == "admin"
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {chosen.json()['token']}")
    assert _client_names(http.get(CLIENTS_URL)) == ["Bravo Client"]
    # Bravo's admin may see members; the token carries that role, not Alpha's.
    assert http.get(MEMBERS_URL).status_code == 200

    first = obtain(membership.user.username, tenant="alpha")
    assert first.status_code == 200
    assert (first.json()["tenant"], first.json()["role"]) == ("alpha", "technician")


def test_user_whose_first_membership_is_inactive_must_name_the_tenant(tenant, other_tenant, make_member):
    """Never silently another tenant: with the first membership off, the request says which."""
    membership = make_member(tenant, Role.TECHNICIAN)
    Membership.unscoped.create(tenant=other_tenant, user=membership.user, role=Role.ADMIN)
    third = TenantFactory(slug="charlie")
    Membership.unscoped.create(tenant=third, user=membership.user, role=Role.TECHNICIAN)
    Membership.unscoped.filter(pk=membership.pk).update(is_active=False)

    ambiguous = obtain(membership.user.username)

    assert ambiguous.status_code == 400
    assert "bravo" in _flat(ambiguous.json()) and "charlie" in _flat(ambiguous.json())
    assert not ApiToken.objects.exists()


def test_token_for_a_tenant_the_user_does_not_belong_to_is_refused(tenant, other_tenant, make_member):
    membership = make_member(tenant, Role.OWNER)

    response = obtain(membership.user.username, tenant="bravo")

    assert response.status_code == 400
    assert "tenant" in response.json()
    assert not ApiToken.objects.exists()


def test_wrong_password_answers_400_json_and_issues_nothing(owner):
    response = obtain(owner.user.username, password="not-the-password")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "wrong username or password" in _flat(response.json())
    assert not ApiToken.objects.exists()


def test_unknown_user_answers_like_a_wrong_password(db):
    response = obtain("nobody-here", password="whatever-123")
    assert response.status_code == 400
    assert "wrong username or password" in _flat(response.json())


def test_repeated_failures_block_even_the_right_password(owner):
    limit = settings.LOGIN_FAILURE_LIMIT
    for _ in range(limit):
        assert obtain(owner.user.username, password="guess-again").status_code == 400

    blocked = obtain(owner.user.username)

    assert blocked.status_code == 429, blocked.content
    assert blocked["Content-Type"].startswith("application/json")
    assert "too many" in _flat(blocked.json())
    assert not ApiToken.objects.exists()


def test_failure_limit_is_read_from_settings(owner, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        assert obtain(owner.user.username, password="guess-again").status_code == 400
    assert obtain(owner.user.username).status_code == 429


def test_block_lifts_when_the_counter_window_ends(owner):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        obtain(owner.user.username, password="guess-again")
    assert obtain(owner.user.username).status_code == 429

    cache.clear()  # what the end of LOGIN_FAILURE_WINDOW_SECONDS does to the counters

    assert obtain(owner.user.username).status_code == 200


def test_successful_attempts_do_not_count_towards_the_block(owner):
    limit = settings.LOGIN_FAILURE_LIMIT
    for _round in range(3):
        for _ in range(limit - 1):
            assert obtain(owner.user.username, password="guess-again").status_code == 400
        assert obtain(owner.user.username).status_code == 200
    # Many successes in a row never block either.
    for _ in range(limit + 1):
        assert obtain(owner.user.username).status_code == 200


def test_invalid_token_answers_401_json(owner):
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = http.get(CLIENTS_URL)

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    assert response.get("WWW-Authenticate", "").startswith("Token")


def test_no_credentials_get_nothing(tenant):
    ClientFactory(tenant=tenant)
    response = APIClient().get(CLIENTS_URL)
    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("application/json")
    assert "results" not in response.json()


def test_token_of_a_removed_or_deactivated_member_stops_working(tenant, make_member):
    membership = make_member(tenant, Role.TECHNICIAN)
    http = api_for(membership)
    assert http.get(CLIENTS_URL).status_code == 200

    Membership.unscoped.filter(pk=membership.pk).update(is_active=False)

    assert http.get(CLIENTS_URL).status_code == 401


# --- clients CRUD --------------------------------------------------------------------


def test_clients_list_is_paginated(owner_api, tenant):
    for i in range(3):
        ClientFactory(tenant=tenant, name=f"Client {i:02d}")

    response = owner_api.get(CLIENTS_URL, {"page_size": 2})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["previous"] is None
    assert body["next"] and "page=2" in body["next"]
    assert set(body["results"][0]) >= {"id", "name", "currency", "timezone", "billing_email"}

    second = owner_api.get(body["next"])
    assert second.status_code == 200
    assert len(second.json()["results"]) == 1
    assert second.json()["next"] is None
    seen = _client_names(response) + _client_names(second)
    assert sorted(seen) == ["Client 00", "Client 01", "Client 02"]


def test_page_size_is_capped_at_200(owner_api, tenant):
    Client.unscoped.bulk_create([Client(tenant=tenant, name=f"Bulk {i:03d}") for i in range(205)])

    big = owner_api.get(CLIENTS_URL, {"page_size": 500})
    exact = owner_api.get(CLIENTS_URL, {"page_size": 200})
    small = owner_api.get(CLIENTS_URL, {"page_size": 7})

    assert big.status_code == 200
    assert big.json()["count"] == 205
    assert len(big.json()["results"]) == 200
    assert big.json()["next"] is not None
    assert len(exact.json()["results"]) == 200
    assert len(small.json()["results"]) == 7


def test_clients_search_filters(owner_api, tenant):
    ClientFactory(tenant=tenant, name="Acme Dental", billing_email="ap@acme.example")
    ClientFactory(tenant=tenant, name="Bistro Roma", billing_email="conti@roma.example")
    ClientFactory(tenant=tenant, name="Carpenters", billing_email="money@acme-wood.example")

    by_name = owner_api.get(CLIENTS_URL, {"search": "dental"})
    by_email = owner_api.get(CLIENTS_URL, {"search": "acme"})
    nothing = owner_api.get(CLIENTS_URL, {"search": "zzz-no-match"})

    assert _client_names(by_name) == ["Acme Dental"]
    assert sorted(_client_names(by_email)) == ["Acme Dental", "Carpenters"]
    assert nothing.json()["count"] == 0


def test_client_create_update_delete_in_the_tokens_tenant(owner_api, tenant, other_tenant):
    created = owner_api.post(
        CLIENTS_URL,
        {
            "name": "  Nuova Srl ",
            "currency": "EUR",
            "timezone": "Europe/Rome",
            "billing_email": "a@nuova.example",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    row = Client.unscoped.get(pk=pk)
    assert row.tenant_id == tenant.pk
    assert row.name == "Nuova Srl"
    assert created.json()["name"] == "Nuova Srl"

    detail = owner_api.get(f"{CLIENTS_URL}{pk}/")
    assert detail.status_code == 200 and detail.json()["billing_email"] == "a@nuova.example"

    patched = owner_api.patch(f"{CLIENTS_URL}{pk}/", {"billing_email": "b@nuova.example"}, format="json")
    assert patched.status_code == 200, patched.content
    assert Client.unscoped.get(pk=pk).billing_email == "b@nuova.example"

    put = owner_api.put(
        f"{CLIENTS_URL}{pk}/",
        {"name": "Nuova Srl", "currency": "EUR", "timezone": "UTC", "billing_email": ""},
        format="json",
    )
    assert put.status_code == 200, put.content
    assert Client.unscoped.get(pk=pk).timezone == "UTC"

    deleted = owner_api.delete(f"{CLIENTS_URL}{pk}/")
    assert deleted.status_code == 204
    assert not Client.unscoped.filter(pk=pk).exists()
    assert not Client.unscoped.filter(tenant=other_tenant).exists()


def test_renaming_a_client_to_its_own_name_in_other_case_is_allowed(owner_api, tenant):
    acme = ClientFactory(tenant=tenant, name="Acme")
    response = owner_api.patch(f"{CLIENTS_URL}{acme.pk}/", {"name": "ACME"}, format="json")
    assert response.status_code == 200, response.content
    assert Client.unscoped.get(pk=acme.pk).name == "ACME"


def test_another_tenants_client_is_404_and_untouched(owner_api, other_tenant):
    theirs = ClientFactory(tenant=other_tenant, name="Theirs")
    url = f"{CLIENTS_URL}{theirs.pk}/"

    assert owner_api.get(url).status_code == 404
    assert owner_api.patch(url, {"name": "Hacked"}, format="json").status_code == 404
    assert owner_api.delete(url).status_code == 404
    assert Client.unscoped.get(pk=theirs.pk).name == "Theirs"
    assert "Theirs" not in _client_names(owner_api.get(CLIENTS_URL))


def test_same_client_name_in_another_tenant_is_fine(owner_api, tenant, other_tenant):
    ClientFactory(tenant=other_tenant, name="Acme")
    response = owner_api.post(CLIENTS_URL, {"name": "Acme"}, format="json")
    assert response.status_code == 201, response.content
    assert Client.unscoped.filter(name="Acme").count() == 2


# --- bad input ---------------------------------------------------------------------------


def test_duplicate_client_name_case_insensitive_is_refused(owner_api, tenant):
    ClientFactory(tenant=tenant, name="Acme Dental")

    response = owner_api.post(CLIENTS_URL, {"name": "acme dental"}, format="json")

    assert response.status_code == 400
    assert "already exists" in " ".join(response.json()["name"]).lower()
    assert Client.unscoped.filter(tenant=tenant).count() == 1


def test_renaming_onto_an_existing_name_is_refused(owner_api, tenant):
    ClientFactory(tenant=tenant, name="Acme")
    other = ClientFactory(tenant=tenant, name="Bistro")

    response = owner_api.patch(f"{CLIENTS_URL}{other.pk}/", {"name": "ACME"}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()
    assert Client.unscoped.get(pk=other.pk).name == "Bistro"


def test_unknown_field_is_named_and_nothing_written(owner_api, tenant):
    response = owner_api.post(CLIENTS_URL, {"name": "X", "colour": "red"}, format="json")

    assert response.status_code == 400
    assert "colour" in response.json()
    assert not Client.unscoped.exists()


def test_unknown_field_on_update_is_refused(owner_api, tenant):
    acme = ClientFactory(tenant=tenant, name="Acme")
    response = owner_api.patch(f"{CLIENTS_URL}{acme.pk}/", {"name": "Acme 2", "tenant": 999}, format="json")
    assert response.status_code == 400
    assert "tenant" in response.json()
    assert Client.unscoped.get(pk=acme.pk).name == "Acme"


def test_invalid_client_values_are_refused(owner_api):
    for body, field in [
        ({"name": ""}, "name"),
        ({"name": "A", "currency": "XXX"}, "currency"),
        ({"name": "A", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "A", "billing_email": "not-an-email"}, "billing_email"),
        ({}, "name"),
    ]:
        response = owner_api.post(CLIENTS_URL, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json(), (body, response.json())
    assert not Client.unscoped.exists()


def test_contact_with_a_site_of_another_client_is_refused(owner_api, tenant):
    acme, bistro = ClientFactory(tenant=tenant), ClientFactory(tenant=tenant)
    bistro_site = SiteFactory(client=bistro)

    response = owner_api.post(
        CONTACTS_URL, {"client": acme.pk, "site": bistro_site.pk, "name": "Anna"}, format="json"
    )

    assert response.status_code == 400
    assert "site" in response.json()
    assert not Contact.unscoped.exists()


def test_moving_a_contact_to_another_client_keeps_site_consistency(owner_api, tenant):
    acme, bistro = ClientFactory(tenant=tenant), ClientFactory(tenant=tenant)
    acme_site = SiteFactory(client=acme)
    contact = ContactFactory(client=acme, site=acme_site)

    response = owner_api.patch(f"{CONTACTS_URL}{contact.pk}/", {"client": bistro.pk}, format="json")

    assert response.status_code == 400
    assert "site" in response.json()
    assert Contact.unscoped.get(pk=contact.pk).client_id == acme.pk


def test_contact_for_another_tenants_client_does_not_exist(owner_api, tenant, other_tenant):
    theirs = ClientFactory(tenant=other_tenant)

    response = owner_api.post(CONTACTS_URL, {"client": theirs.pk, "name": "Spy"}, format="json")

    assert response.status_code == 400
    assert "does not exist" in " ".join(response.json()["client"]).lower()
    assert not Contact.unscoped.exists()


def test_contact_with_another_tenants_site_does_not_exist(owner_api, tenant, other_tenant):
    mine = ClientFactory(tenant=tenant)
    their_site = SiteFactory(client=ClientFactory(tenant=other_tenant))

    response = owner_api.post(
        CONTACTS_URL, {"client": mine.pk, "site": their_site.pk, "name": "X"}, format="json"
    )

    assert response.status_code == 400
    assert "site" in response.json()
    assert not Contact.unscoped.exists()


def test_malformed_json_is_400(owner_api):
    response = owner_api.post(CLIENTS_URL, data='{"name": "Broken",', content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    assert not Client.unscoped.exists()


def test_json_that_is_not_an_object_is_400(owner_api):
    response = owner_api.post(CLIENTS_URL, data='["name", "X"]', content_type="application/json")
    assert response.status_code == 400
    assert not Client.unscoped.exists()


# --- roles ---------------------------------------------------------------------------------


def test_technician_reads_clients_but_cannot_add_or_delete_them(tenant, make_member):
    acme = ClientFactory(tenant=tenant, name="Acme")
    http = api_for(make_member(tenant, Role.TECHNICIAN))

    assert _client_names(http.get(CLIENTS_URL)) == ["Acme"]
    refused = http.post(CLIENTS_URL, {"name": "New"}, format="json")
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/json")
    assert http.delete(f"{CLIENTS_URL}{acme.pk}/").status_code == 403
    assert list(Client.unscoped.values_list("name", flat=True)) == ["Acme"]


def test_technician_creates_contacts(tenant, make_member):
    acme = ClientFactory(tenant=tenant)
    site = SiteFactory(client=acme)
    http = api_for(make_member(tenant, Role.TECHNICIAN))

    response = http.post(
        CONTACTS_URL,
        {"client": acme.pk, "site": site.pk, "name": "Anna Rossi", "email": "anna@acme.example"},
        format="json",
    )

    assert response.status_code == 201, response.content
    contact = Contact.unscoped.get(pk=response.json()["id"])
    assert (contact.tenant_id, contact.client_id, contact.site_id) == (tenant.pk, acme.pk, site.pk)
    assert set(response.json()) >= {"id", "client", "name", "email", "phone", "portal_access"}


def test_client_contact_sees_only_its_own_client_and_contacts(tenant, make_member):
    acme, bistro = ClientFactory(tenant=tenant, name="Acme"), ClientFactory(tenant=tenant, name="Bistro")
    mine = ContactFactory(client=acme, name="Anna")
    theirs = ContactFactory(client=bistro, name="Bruno")
    http = api_for(make_member(tenant, Role.CLIENT, client=acme))

    assert _client_names(http.get(CLIENTS_URL)) == ["Acme"]
    contacts = http.get(CONTACTS_URL).json()["results"]
    assert [c["name"] for c in contacts] == ["Anna"]
    assert http.get(f"{CONTACTS_URL}{mine.pk}/").status_code == 200
    assert http.get(f"{CONTACTS_URL}{theirs.pk}/").status_code == 404
    assert http.get(f"{CLIENTS_URL}{bistro.pk}/").status_code == 404
    # Read only.
    assert http.post(CONTACTS_URL, {"client": acme.pk, "name": "New"}, format="json").status_code == 403
    assert http.patch(f"{CLIENTS_URL}{acme.pk}/", {"name": "Mine now"}, format="json").status_code == 403


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.ACCOUNT_MANAGER, Role.CLIENT])
def test_members_endpoint_refused_to_non_managers(tenant, make_member, role):
    membership = make_member(tenant, role)
    http = api_for(membership)

    listed = http.get(MEMBERS_URL)
    assert listed.status_code == 403
    assert listed["Content-Type"].startswith("application/json")
    assert http.get(f"{MEMBERS_URL}{membership.pk}/").status_code == 403
    created = http.post(MEMBERS_URL, {"email": "x@example.com", "role": "technician"}, format="json")
    assert created.status_code == 403
    assert not User.objects.filter(email="x@example.com").exists()
    assert http.patch(f"{MEMBERS_URL}{membership.pk}/", {"role": "owner"}, format="json").status_code == 403
    assert Membership.unscoped.get(pk=membership.pk).role == role


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_members_endpoint_works_for_owner_and_admin(tenant, other_tenant, make_member, role):
    me = make_member(tenant, role)
    colleague = make_member(tenant, Role.TECHNICIAN, username="colleague")
    make_member(other_tenant, Role.OWNER, username="stranger")

    response = api_for(me).get(MEMBERS_URL)

    assert response.status_code == 200
    rows = response.json()["results"]
    usernames = {row["username"] for row in rows}
    assert usernames == {me.user.username, "colleague"}
    row = next(r for r in rows if r["username"] == "colleague")
    assert row["role"] == "technician" and row["email"] == colleague.user.email
    assert "password" not in row


# --- members via the API ---------------------------------------------------------------------


def _accept(path: str, username: str) -> None:
    """The invitee opens the e-mailed link and chooses a username and password."""
    data = {
        "action": "signup",
        "username": username,
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
    }
    assert BrowserClient().post(path, data).status_code == 302


def _link(message) -> str:
    return re.search(r"https?://[^\s/]+(/invitations/\S+/)", message.body).group(1)


def test_owner_invites_a_technician_who_can_then_obtain_a_token(
    owner_api, tenant, mailoutbox, django_capture_on_commit_callbacks
):
    """POST members/ invites (202, the invitation); the member exists once they accept."""
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_api.post(
            MEMBERS_URL,
            {"email": "tina@example.com", "username": "tina", "role": "technician"},
            format="json",
        )

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["email"] == "tina@example.com" and body["role"] == "technician"
    assert body["status"] == "pending" and "username" not in body and "password" not in body
    assert not Membership.unscoped.filter(user__email="tina@example.com").exists()
    assert [m.to for m in mailoutbox] == [["tina@example.com"]]

    _accept(_link(mailoutbox[0]), "tina")

    membership = Membership.unscoped.get(user__username="tina")
    assert membership.tenant_id == tenant.pk and membership.role == Role.TECHNICIAN
    token = obtain("tina", password=STRONG_PASSWORD)
    assert token.status_code == 200, token.content
    assert (token.json()["tenant"], token.json()["role"]) == ("alpha", "technician")


def test_members_post_refuses_a_password(owner_api, tenant):
    """The invitee chooses their own password; nobody sets another person's any more."""
    response = owner_api.post(
        MEMBERS_URL,
        {"email": "weak@example.com", "username": "weak", "password": STRONG_PASSWORD, "role": "technician"},
        format="json",
    )

    assert response.status_code == 400
    assert "password" in response.json()
    assert not User.objects.filter(username="weak").exists()
    assert Membership.unscoped.filter(tenant=tenant).count() == 1


def test_admin_cannot_create_an_owner(tenant, make_member):
    admin = make_member(tenant, Role.ADMIN)

    response = api_for(admin).post(
        MEMBERS_URL,
        {"email": "boss@example.com", "username": "boss", "role": "owner"},
        format="json",
    )

    assert response.status_code == 403
    assert "owner" in _flat(response.json())
    assert not User.objects.filter(email="boss@example.com").exists()
    assert not Membership.unscoped.filter(role=Role.OWNER).exists()


def test_admin_cannot_promote_to_owner_or_touch_an_owner(tenant, make_member, owner):
    admin = make_member(tenant, Role.ADMIN)
    tech = make_member(tenant, Role.TECHNICIAN)
    http = api_for(admin)

    assert http.patch(f"{MEMBERS_URL}{tech.pk}/", {"role": "owner"}, format="json").status_code == 403
    assert http.patch(f"{MEMBERS_URL}{owner.pk}/", {"role": "technician"}, format="json").status_code == 403
    assert http.delete(f"{MEMBERS_URL}{owner.pk}/").status_code == 403
    assert Membership.unscoped.get(pk=tech.pk).role == Role.TECHNICIAN
    assert Membership.unscoped.get(pk=owner.pk).role == Role.OWNER


def test_client_role_without_client_is_refused(owner_api, tenant):
    response = owner_api.post(
        MEMBERS_URL, {"email": "c@example.com", "username": "cc", "role": "client"}, format="json"
    )

    assert response.status_code == 400
    assert "client" in response.json()
    assert not User.objects.filter(email="c@example.com").exists()


def test_client_role_with_another_tenants_client_is_refused(owner_api, tenant, other_tenant):
    theirs = ClientFactory(tenant=other_tenant)
    response = owner_api.post(
        MEMBERS_URL,
        {"email": "c@example.com", "username": "cc", "role": "client", "client": theirs.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "client" in response.json()
    assert not User.objects.filter(email="c@example.com").exists()


def test_client_role_with_own_client_sees_only_that_client(
    owner_api, tenant, django_capture_on_commit_callbacks
):
    acme = ClientFactory(tenant=tenant, name="Acme")
    ClientFactory(tenant=tenant, name="Bistro")

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_api.post(
            MEMBERS_URL, {"email": "cc@acme.example", "role": "client", "client": acme.pk}, format="json"
        )

    assert response.status_code == 202, response.content
    assert response.json()["client"] == acme.pk
    _accept(_link(mail.outbox[0]), "cc")
    assert Membership.unscoped.get(user__username="cc").client_id == acme.pk
    token = obtain("cc", password=STRONG_PASSWORD).json()["token"]
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert _client_names(http.get(CLIENTS_URL)) == ["Acme"]


def test_a_client_login_is_linked_to_its_contact_and_the_members_list_says_which(
    owner_api, tenant, django_capture_on_commit_callbacks
):
    acme = ClientFactory(tenant=tenant, name="Acme")
    contract = ContractFactory(client=acme, tenant=tenant)
    giulia = ContactFactory(tenant=tenant, client=acme, name="Giulia Rossi", email="giulia@acme.example")

    for email in ("GIULIA@acme.example", "sara@acme.example"):
        with django_capture_on_commit_callbacks(execute=True):
            answer = owner_api.post(
                MEMBERS_URL, {"email": email, "role": "client", "client": acme.pk}, format="json"
            )
        assert answer.status_code == 202, answer.content
    for message, username in zip(mail.outbox, ["giulia", "sara"], strict=True):
        _accept(_link(message), username)

    sara = Contact.unscoped.get(client=acme, email="sara@acme.example")
    assert sara.name == "sara" and sara.portal_access
    giulia.refresh_from_db()
    assert giulia.portal_access
    assert {"giulia@acme.example", "sara@acme.example"} <= set(recipients(contract))

    rows = {row["email"].lower(): row for row in owner_api.get(MEMBERS_URL).json()["results"]}
    assert rows["giulia@acme.example"]["contact"] == giulia.pk
    assert rows["sara@acme.example"]["contact"] == sara.pk
    assert [row["contact"] for email, row in rows.items() if "acme" not in email] == [None]  # the owner
    assert not any(row["contact_created"] for row in rows.values())
    sara_member = rows["sara@acme.example"]["id"]
    assert owner_api.get(f"{MEMBERS_URL}{sara_member}/").json()["contact"] == sara.pk

    # Made staff: no contact any more, and Sara's contact loses portal access (but stays).
    patched = owner_api.patch(f"{MEMBERS_URL}{sara_member}/", {"role": "technician"}, format="json")
    assert patched.status_code == 200, patched.content
    assert (patched.json()["contact"], patched.json()["contact_created"]) == (None, False)
    sara.refresh_from_db()
    assert sara.portal_access is False

    assert owner_api.delete(f"{MEMBERS_URL}{rows['giulia@acme.example']['id']}/").status_code == 204
    giulia.refresh_from_db()
    assert giulia.portal_access is False
    assert not {"giulia@acme.example", "sara@acme.example"} & set(recipients(contract))


def test_removing_the_last_owner_is_refused(owner_api, owner):
    response = owner_api.delete(f"{MEMBERS_URL}{owner.pk}/")

    assert response.status_code == 400
    assert "at least one active owner" in _flat(response.json())
    assert Membership.unscoped.filter(pk=owner.pk, role=Role.OWNER).exists()


def test_demoting_or_deactivating_the_last_owner_is_refused(owner_api, owner):
    demote = owner_api.patch(f"{MEMBERS_URL}{owner.pk}/", {"role": "admin"}, format="json")
    deactivate = owner_api.patch(f"{MEMBERS_URL}{owner.pk}/", {"is_active": False}, format="json")

    assert demote.status_code == 400 and "owner" in _flat(demote.json())
    assert deactivate.status_code == 400 and "owner" in _flat(deactivate.json())
    fresh = Membership.unscoped.get(pk=owner.pk)
    assert (fresh.role, fresh.is_active) == (Role.OWNER, True)


def test_an_owner_can_leave_when_another_owner_remains(owner_api, owner, tenant, make_member):
    second = make_member(tenant, Role.OWNER)
    ApiToken.issue(second)

    response = owner_api.delete(f"{MEMBERS_URL}{second.pk}/")

    assert response.status_code == 204
    assert not Membership.unscoped.filter(pk=second.pk).exists()
    assert not ApiToken.objects.filter(membership_id=second.pk).exists()


def test_removed_members_token_stops_working(owner_api, tenant, make_member):
    tech = make_member(tenant, Role.TECHNICIAN)
    tech_api = api_for(tech)
    assert tech_api.get(CLIENTS_URL).status_code == 200

    assert owner_api.delete(f"{MEMBERS_URL}{tech.pk}/").status_code == 204

    assert tech_api.get(CLIENTS_URL).status_code == 401
    assert User.objects.filter(pk=tech.user_id).exists()  # the person stays; the membership goes


def test_another_tenants_member_is_404(owner_api, other_tenant, make_member):
    stranger = make_member(other_tenant, Role.TECHNICIAN)
    url = f"{MEMBERS_URL}{stranger.pk}/"
    assert owner_api.get(url).status_code == 404
    assert owner_api.patch(url, {"role": "admin"}, format="json").status_code == 404
    assert owner_api.delete(url).status_code == 404
    assert Membership.unscoped.get(pk=stranger.pk).role == Role.TECHNICIAN


def test_adding_an_existing_member_again_is_refused(owner_api, tenant, make_member):
    tech = make_member(tenant, Role.TECHNICIAN)
    response = owner_api.post(MEMBERS_URL, {"email": tech.user.email, "role": "admin"}, format="json")
    assert response.status_code == 400
    assert Membership.unscoped.get(pk=tech.pk).role == Role.TECHNICIAN


def test_member_update_never_silently_ignores_email_or_username(owner_api, tenant, make_member):
    """A 200 must mean the change happened; otherwise the integrator needs a 400 saying why."""
    tech = make_member(tenant, Role.TECHNICIAN)
    before = (tech.user.username, tech.user.email)

    response = owner_api.patch(
        f"{MEMBERS_URL}{tech.pk}/", {"email": "moved@example.com", "username": "renamed"}, format="json"
    )

    user = User.objects.get(pk=tech.user_id)
    if response.status_code == 200:
        assert (user.username, user.email) == ("renamed", "moved@example.com")
        assert (response.json()["username"], response.json()["email"]) == ("renamed", "moved@example.com")
    else:
        assert response.status_code == 400, response.content
        assert (user.username, user.email) == before


def test_member_create_never_silently_ignores_is_active(owner_api, tenant):
    response = owner_api.post(
        MEMBERS_URL, {"email": "later@example.com", "role": "technician", "is_active": False}, format="json"
    )

    if response.status_code == 201:
        assert response.json()["is_active"] is False
        assert Membership.unscoped.get(pk=response.json()["id"]).is_active is False
    else:
        assert response.status_code == 400, response.content
        assert not User.objects.filter(email="later@example.com").exists()


def test_a_username_suggestion_is_checked_for_its_form_only(owner_api, tenant, other_tenant, make_member):
    """Whether a username is taken is the invitee's business when they accept (they pick a free
    one there): the inviter's suggestion is no probe of other tenants' accounts."""
    make_member(other_tenant, Role.TECHNICIAN, username="mario")

    taken = owner_api.post(
        MEMBERS_URL,
        {"email": "another.mario@example.com", "username": "mario", "role": "technician"},
        format="json",
    )
    malformed = owner_api.post(
        MEMBERS_URL,
        {"email": "m@example.com", "username": "mario rossi!", "role": "technician"},
        format="json",
    )

    assert taken.status_code == 202, taken.content
    assert malformed.status_code == 400 and "username" in malformed.json()
    assert not User.objects.filter(email="another.mario@example.com").exists()


def test_api_does_not_set_the_password_of_an_existing_user(owner_api, tenant, other_tenant, make_member):
    """A password in the body is refused, whoever the address is: it must not take over an
    account, and refusing only for existing accounts would tell which exist."""
    elsewhere = make_member(other_tenant, Role.OWNER)

    known = owner_api.post(
        MEMBERS_URL,
        {"email": elsewhere.user.email, "password": STRONG_PASSWORD, "role": "technician"},
        format="json",
    )
    unknown = owner_api.post(
        MEMBERS_URL,
        {"email": "new@example.com", "password": STRONG_PASSWORD, "role": "technician"},
        format="json",
    )

    assert known.status_code == unknown.status_code == 400
    assert known.content == unknown.content
    user = User.objects.get(pk=elsewhere.user_id)
    assert user.check_password(PASSWORD)
    assert Membership.unscoped.filter(user=user).count() == 1


# --- errors and documentation ------------------------------------------------------------------


def test_unknown_api_path_is_404_json(owner_api):
    for http in (owner_api, APIClient()):
        response = http.get("/api/v1/nope/")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert "detail" in response.json()


def test_schema_lists_the_clients_path(db):
    response = APIClient().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/clients/" in schema["paths"]
    assert "/api/v1/clients/{id}/" in schema["paths"]
    assert "/api/v1/auth/token/" in schema["paths"]
    assert "/api/v1/members/" in schema["paths"]


def test_no_api_path_an_integration_calls_ever_disappears(db):
    """tests/api_paths.txt lists the public API's paths (the schema's, issue 15 moved offers to
    sales/ without changing one): a path may be added, never removed or renamed silently."""
    schema = json.loads(APIClient().get("/api/schema/", {"format": "json"}).content)
    published = set((Path(__file__).resolve().parents[1] / "api_paths.txt").read_text().split())
    assert len(published) >= 30
    assert not published - set(schema["paths"]), "removing a public API path breaks integrations"


def test_swagger_ui_assets_are_served_by_the_project(db):
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    urls = re.findall(
        r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", html, re.IGNORECASE
    )
    assert urls, "the page loads no assets at all"
    for url in urls:
        parsed = urlparse(url)
        assert parsed.scheme in ("", "http", "https") and parsed.netloc in ("", "testserver"), url
        assert not url.startswith("//"), url
    # Every script and stylesheet the page names exists on this server.
    for url in urls:
        path = urlparse(url).path
        if path.endswith((".js", ".css")):
            asset = APIClient().get(path)
            assert asset.status_code == 200, path
    assert not re.search(r"""["'](?:https?:)?//(?!testserver)[^"']*\.(?:js|css)""", html), "CDN asset in page"


# --- speed ---------------------------------------------------------------------------------


def _clients_with_people(tenant, count):
    for _ in range(count):
        client = ClientFactory(tenant=tenant)
        site = SiteFactory(client=client)
        ContactFactory(client=client, site=site)
        ContactFactory(client=client)


def _count_queries(http, url):
    with CaptureQueriesContext(connection) as captured:
        response = http.get(url)
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.parametrize("url", [CLIENTS_URL, CONTACTS_URL, "/api/v1/sites/", MEMBERS_URL])
def test_list_query_count_is_constant(owner, tenant, make_member, url):
    http = api_for(owner)
    _clients_with_people(tenant, 3)
    for _ in range(2):
        make_member(tenant, Role.TECHNICIAN)
    http.get(url)  # warm up: first-use updates (token last_used_at)
    few, few_response = _count_queries(http, url)

    _clients_with_people(tenant, 27)
    for _ in range(10):
        make_member(tenant, Role.CLIENT)
    many, many_response = _count_queries(http, url)

    assert many_response.json()["count"] > few_response.json()["count"]
    assert few == many, f"{url}: {few} queries with little data, {many} with more"


def _serializer_classes(base):
    for cls in base.__subclasses__():
        yield cls
        yield from _serializer_classes(cls)


def test_serializer_fields_built_once_per_class_are_drfs_and_not_shared():
    """LeanModelSerializer copies the fields it introspected once: same fields as DRF
    builds, and no field object shared between two serializers (they bind to their parent)."""
    from django.urls import get_resolver
    from rest_framework import serializers

    from msp.api.base import LeanModelSerializer
    from msp.scoping import unscoped

    get_resolver().reverse_dict  # noqa: B018 - imports every view, so every serializer
    classes = [cls for cls in _serializer_classes(LeanModelSerializer) if hasattr(cls, "Meta")]
    assert len(classes) >= 15
    with unscoped():
        for cls in classes:
            first, second = cls().fields, cls().fields
            drf = serializers.ModelSerializer.get_fields(cls())
            assert list(first) == list(second) == list(drf), cls
            for name, field in first.items():
                assert type(field) is type(drf[name]), (cls, name)
                assert field.read_only == drf[name].read_only and field.required == drf[name].required
                assert field is not second[name] and field.parent is not second[name].parent
