"""Members in the browser: an MSP owner invites, edits and removes the people of the tenant.

Uses Django's test client signed in with `force_login`, the way the pages are used; the
invitation is followed through the email to the invitation page, where the invitee chooses a
username and password, and a login (tests/msp/test_invitations.py has the rest of it).
"""

import re
from html import unescape
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.test import Client as BrowserClient
from django.urls import reverse

from contracts.notifications import recipients
from msp.models import ApiToken, Contact, Invitation, Membership, User
from msp.roles import Role
from tests.factories import ClientFactory, ContactFactory, ContractFactory

NEW_PASSWORD = "Violet-Harbour-Kettle-58"
LAST_OWNER = "A tenant needs at least one active owner."

pytestmark = pytest.mark.django_db


def browser_as(membership) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(membership.user)
    return browser


def _html(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Post the invite form; the invitation email goes out on commit, as in production."""

    def post(browser, **data):
        payload = {"email": "", "username": "", "role": Role.TECHNICIAN, "client": "", **data}
        with django_capture_on_commit_callbacks(execute=True):
            return browser.post(reverse("members:invite"), payload)

    return post


def _edit(browser, member, **data):
    payload = {"role": member.role, "client": member.client_id or "", **data}
    if payload.pop("is_active", member.is_active):
        payload["is_active"] = "on"
    return browser.post(reverse("members:update", args=[member.pk]), payload)


def _link_path(body: str) -> str:
    match = re.search(r"https?://[^\s/]+(/\S+)", body)
    assert match, f"no link in the email:\n{body}"
    return match.group(1)


# --- inviting ----------------------------------------------------------------------------


def _accept_as_new(path, username, password=NEW_PASSWORD, browser=None):
    browser = browser or BrowserClient()
    data = {"action": "signup", "username": username, "password1": password, "password2": password}
    return browser.post(path, data)


def test_owner_invites_a_technician_who_sets_a_password_and_logs_in(owner_client, owner, tenant, invite):
    response = invite(owner_client, email="tina@example.com", username="tina")

    assert response.status_code == 302
    assert response["Location"] == reverse("members:list")
    assert not User.objects.filter(email="tina@example.com").exists()  # not until she accepts

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["tina@example.com"]
    assert tenant.name in message.subject
    path = _link_path(message.body)
    assert path.startswith("/invitations/")

    # The invitee, in their own browser, follows the link and chooses a username and password.
    invitee = BrowserClient()
    form_page = invitee.get(path)
    assert form_page.status_code == 200
    assert form_page.context["form"].initial["username"] == "tina"
    done = _accept_as_new(path, "tina", browser=invitee)
    assert done.status_code == 302
    user = User.objects.get(email="tina@example.com")
    assert user.username == "tina" and user.check_password(NEW_PASSWORD)
    membership = Membership.unscoped.get(user=user)
    assert (membership.tenant_id, membership.role, membership.client_id) == (tenant.pk, Role.TECHNICIAN, None)

    # The link is single use.
    assert BrowserClient().get(path).status_code == 410

    login = BrowserClient()
    assert login.post(reverse("login"), {"username": "tina", "password": NEW_PASSWORD}).status_code == 302
    dashboard = login.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert dashboard.context["request"].membership == membership


def test_invitee_must_choose_a_strong_password(owner_client, invite):
    invite(owner_client, email="tina@example.com")

    weak = _accept_as_new(_link_path(mail.outbox[0].body), "tina", password="12345")

    assert weak.status_code == 400
    assert weak.context["form"].errors
    assert not User.objects.filter(email="tina@example.com").exists()


def test_username_suggestion_defaults_to_the_email(owner_client, invite):
    invite(owner_client, email="paolo@example.com")
    page = BrowserClient().get(_link_path(mail.outbox[0].body))
    assert page.context["form"].initial["username"] == "paolo@example.com"


def test_inviting_an_existing_member_again_changes_nothing(owner_client, tenant, make_member, invite):
    tech = make_member(tenant, Role.TECHNICIAN)

    response = invite(owner_client, email=tech.user.email, role=Role.ADMIN)

    assert response.status_code == 200
    assert "already a member" in _html(response)
    assert Membership.unscoped.get(pk=tech.pk).role == Role.TECHNICIAN
    assert Membership.unscoped.filter(user=tech.user).count() == 1
    assert mail.outbox == []


def test_invite_a_client_contact_needs_a_client_of_this_tenant(owner_client, tenant, other_tenant, invite):
    acme = ClientFactory(tenant=tenant, name="Acme")
    theirs = ClientFactory(tenant=other_tenant, name="Theirs")

    missing = invite(owner_client, email="c1@acme.example", role=Role.CLIENT)
    foreign = invite(owner_client, email="c2@acme.example", role=Role.CLIENT, client=theirs.pk)
    assert missing.status_code == 200 and missing.context["form"].errors["client"]
    assert foreign.status_code == 200 and foreign.context["form"].errors["client"]
    assert not Invitation.unscoped.exists()

    good = invite(owner_client, email="c3@acme.example", role=Role.CLIENT, client=acme.pk)
    assert good.status_code == 302
    assert Invitation.unscoped.get(email="c3@acme.example").client_id == acme.pk
    assert len(mail.outbox) == 1


def test_a_client_login_is_one_of_the_clients_contacts(owner_client, tenant, invite):
    """Accepted, the client user's contact is created (or the one with its email linked);
    removed, the contact stays but loses portal access."""
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    contract = ContractFactory(client=acme, tenant=tenant)
    giulia = ContactFactory(tenant=tenant, client=acme, name="Giulia Rossi", email="giulia@acme.example")

    linked = invite(owner_client, email="Giulia@Acme.example", role=Role.CLIENT, client=acme.pk)
    created = invite(owner_client, email="marco.bianchi@acme.example", role=Role.CLIENT, client=acme.pk)
    assert linked.status_code == created.status_code == 302
    assert not Contact.unscoped.filter(email="marco.bianchi@acme.example").exists()  # not yet
    for message, username in zip(mail.outbox, ["giulia", "marco"], strict=True):
        assert _accept_as_new(_link_path(message.body), username).status_code == 302

    marco = Contact.unscoped.get(client=acme, email="marco.bianchi@acme.example")
    giulia.refresh_from_db()
    assert giulia.portal_access and marco.portal_access and marco.name == "marco.bianchi"
    assert Contact.unscoped.filter(client=acme).count() == 2
    assert {"giulia@acme.example", "marco.bianchi@acme.example"} <= set(recipients(contract))
    contact_page = _html(owner_client.get(reverse("contacts:detail", args=[marco.pk])))
    assert "marco.bianchi@acme.example" in contact_page

    membership = Membership.unscoped.get(user__email="marco.bianchi@acme.example")
    edited = _edit(owner_client, membership, is_active=True)
    assert edited.status_code == 302
    assert "Member updated. Their login is linked to the contact marco.bianchi at Acme Dental." in _html(
        owner_client.get(reverse("members:list"))
    )

    owner_client.post(reverse("members:delete", args=[membership.pk]))
    marco.refresh_from_db()
    assert marco.portal_access is False
    assert "marco.bianchi@acme.example" not in recipients(contract)


def test_making_a_member_a_client_contact_in_the_browser_links_their_contact(
    owner_client, tenant, make_member
):
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    tech = make_member(
        tenant, Role.TECHNICIAN, email="tina@acme.example", first_name="Tina", last_name="Conti"
    )

    response = _edit(owner_client, tech, role=Role.CLIENT, client=acme.pk)

    assert response.status_code == 302
    assert "The contact Tina Conti was created at Acme Dental for their login." in _html(
        owner_client.get(reverse("members:list"))
    )
    contact = Contact.unscoped.get(client=acme)
    assert (contact.email, contact.portal_access) == ("tina@acme.example", True)

    assert _edit(owner_client, Membership.unscoped.get(pk=tech.pk), role=Role.TECHNICIAN).status_code == 302
    contact.refresh_from_db()
    assert contact.portal_access is False


def test_invite_form_is_not_offered_owner_role_for_admin(tenant, make_member, invite):
    admin = make_member(tenant, Role.ADMIN)
    browser = browser_as(admin)

    page = browser.get(reverse("members:invite"))
    assert page.status_code == 200
    assert Role.OWNER not in [value for value, _label in page.context["form"].fields["role"].choices]

    response = invite(browser, email="boss@example.com", role=Role.OWNER)

    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert not Invitation.unscoped.exists()
    assert mail.outbox == []


def test_owner_may_invite_another_owner(owner_client, tenant, invite):
    response = invite(owner_client, email="co@example.com", role=Role.OWNER)
    assert response.status_code == 302
    assert Invitation.unscoped.get(email="co@example.com").role == Role.OWNER


# --- editing ---------------------------------------------------------------------------------


def test_owner_changes_a_members_role(owner_client, tenant, make_member):
    tech = make_member(tenant, Role.TECHNICIAN)

    page = owner_client.get(reverse("members:update", args=[tech.pk]))
    assert page.status_code == 200
    assert page.context["form"].initial["role"] == Role.TECHNICIAN

    response = _edit(owner_client, tech, role=Role.ACCOUNT_MANAGER)

    assert response.status_code == 302
    assert response["Location"] == reverse("members:list")
    assert Membership.unscoped.get(pk=tech.pk).role == Role.ACCOUNT_MANAGER
    listing = _html(owner_client.get(reverse("members:list")))
    assert "Member updated." in listing
    assert "Account manager" in listing


def test_owner_turns_a_technician_into_a_client_contact_and_back(owner_client, tenant, make_member):
    tech = make_member(tenant, Role.TECHNICIAN)
    acme = ClientFactory(tenant=tenant)

    assert _edit(owner_client, tech, role=Role.CLIENT).status_code == 200  # needs a client
    assert Membership.unscoped.get(pk=tech.pk).role == Role.TECHNICIAN

    assert _edit(owner_client, tech, role=Role.CLIENT, client=acme.pk).status_code == 302
    assert Membership.unscoped.get(pk=tech.pk).client_id == acme.pk

    back = Membership.unscoped.get(pk=tech.pk)
    assert _edit(owner_client, back, role=Role.TECHNICIAN).status_code == 302
    back.refresh_from_db()
    assert (back.role, back.client_id) == (Role.TECHNICIAN, None)


def test_deactivating_a_member_locks_them_out(owner_client, tenant, make_member):
    tech = make_member(tenant, Role.TECHNICIAN)
    tech_browser = browser_as(tech)
    assert tech_browser.get(reverse("dashboard")).status_code == 200

    assert _edit(owner_client, tech, is_active=False).status_code == 302

    assert Membership.unscoped.get(pk=tech.pk).is_active is False
    assert tech_browser.get(reverse("clients:list")).status_code == 302  # to "no organisation"


def test_admin_cannot_promote_to_owner(tenant, make_member):
    admin = make_member(tenant, Role.ADMIN)
    tech = make_member(tenant, Role.TECHNICIAN)

    response = _edit(browser_as(admin), tech, role=Role.OWNER)

    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert Membership.unscoped.get(pk=tech.pk).role == Role.TECHNICIAN


def test_admin_cannot_demote_an_owner(owner, tenant, make_member):
    admin = make_member(tenant, Role.ADMIN)
    make_member(tenant, Role.OWNER)  # not the last owner: only the admin's rank stops it

    response = _edit(browser_as(admin), owner, role=Role.TECHNICIAN)

    assert response.status_code == 200
    assert "Only an owner" in _html(response)
    assert Membership.unscoped.get(pk=owner.pk).role == Role.OWNER


def test_deactivating_the_last_owner_is_refused_visibly(owner_client, owner):
    response = _edit(owner_client, owner, is_active=False)

    assert response.status_code == 200
    assert LAST_OWNER in _html(response)
    fresh = Membership.unscoped.get(pk=owner.pk)
    assert (fresh.role, fresh.is_active) == (Role.OWNER, True)


def test_demoting_the_last_owner_is_refused_visibly(owner_client, owner, tenant, make_member):
    make_member(tenant, Role.ADMIN)
    former = make_member(tenant, Role.OWNER)
    Membership.unscoped.filter(pk=former.pk).update(is_active=False)  # an inactive owner does not count

    response = _edit(owner_client, owner, role=Role.ADMIN)

    assert response.status_code == 200
    assert LAST_OWNER in _html(response)
    assert Membership.unscoped.get(pk=owner.pk).role == Role.OWNER


def test_an_owner_may_step_down_when_another_owner_remains(owner_client, owner, tenant, make_member):
    make_member(tenant, Role.OWNER)

    response = _edit(owner_client, owner, role=Role.ADMIN)

    assert response.status_code == 302
    assert Membership.unscoped.get(pk=owner.pk).role == Role.ADMIN


def test_editing_another_tenants_member_is_404(owner_client, other_tenant, make_member):
    stranger = make_member(other_tenant, Role.TECHNICIAN)

    assert owner_client.get(reverse("members:update", args=[stranger.pk])).status_code == 404
    assert _edit(owner_client, stranger, role=Role.ADMIN).status_code == 404
    assert owner_client.post(reverse("members:delete", args=[stranger.pk])).status_code == 404
    assert Membership.unscoped.get(pk=stranger.pk).role == Role.TECHNICIAN


# --- removing --------------------------------------------------------------------------------


def test_removing_a_member_deletes_their_api_tokens(owner_client, tenant, make_member):
    tech = make_member(tenant, Role.TECHNICIAN)
    ApiToken.issue(tech)
    ApiToken.issue(tech)
    kept = make_member(tenant, Role.TECHNICIAN)
    ApiToken.issue(kept)

    confirm = owner_client.get(reverse("members:delete", args=[tech.pk]))
    assert confirm.status_code == 200
    response = owner_client.post(reverse("members:delete", args=[tech.pk]), follow=True)

    assert response.status_code == 200
    assert "Member removed." in _html(response)
    assert not Membership.unscoped.filter(pk=tech.pk).exists()
    assert not ApiToken.objects.filter(membership_id=tech.pk).exists()
    assert ApiToken.objects.filter(membership=kept).count() == 1
    assert User.objects.filter(pk=tech.user_id).exists()  # the person stays, the membership goes
    assert tech.user.username not in _html(owner_client.get(reverse("members:list")))


def test_removing_the_last_owner_is_refused_visibly(owner_client, owner):
    ApiToken.issue(owner)

    response = owner_client.post(reverse("members:delete", args=[owner.pk]), follow=True)

    assert response.status_code == 200
    assert LAST_OWNER in _html(response)
    assert Membership.unscoped.filter(pk=owner.pk).exists()
    assert ApiToken.objects.filter(membership=owner).count() == 1


def test_admin_cannot_remove_an_owner(owner, tenant, make_member):
    admin = make_member(tenant, Role.ADMIN)
    make_member(tenant, Role.OWNER)

    response = browser_as(admin).post(reverse("members:delete", args=[owner.pk]), follow=True)

    assert "Only an owner" in _html(response)
    assert Membership.unscoped.filter(pk=owner.pk).exists()


# --- who may use these pages ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.ACCOUNT_MANAGER, Role.CLIENT])
def test_non_managers_get_403_on_every_members_page(
    tenant, make_member, owner, role, django_capture_on_commit_callbacks
):
    me = make_member(tenant, role)
    browser = browser_as(me)

    for url in (reverse("members:list"), reverse("members:invite")):
        assert browser.get(url).status_code == 403, url
    # A client contact cannot even see memberships (they are not its company's rows): for
    # it a member's own page may answer 404 as well as 403. Staff get 403.
    refused = {403, 404} if role == Role.CLIENT else {403}
    for url in (reverse("members:update", args=[owner.pk]), reverse("members:delete", args=[owner.pk])):
        assert browser.get(url).status_code in refused, url

    with django_capture_on_commit_callbacks(execute=True):
        invite = browser.post(reverse("members:invite"), {"email": "x@example.com", "role": Role.OWNER})
    edit = browser.post(reverse("members:update", args=[me.pk]), {"role": Role.OWNER, "is_active": "on"})
    remove = browser.post(reverse("members:delete", args=[owner.pk]))

    assert invite.status_code == 403
    assert edit.status_code in refused and remove.status_code in refused
    assert not Invitation.unscoped.exists()
    assert Membership.unscoped.get(pk=me.pk).role == role
    assert Membership.unscoped.filter(pk=owner.pk).exists()
    assert mail.outbox == []


def test_members_list_shows_this_tenants_people_only(owner_client, owner, tenant, other_tenant, make_member):
    make_member(tenant, Role.TECHNICIAN, username="tecnico")
    make_member(other_tenant, Role.TECHNICIAN, username="straniero")

    html = _html(owner_client.get(reverse("members:list")))

    assert "tecnico" in html and owner.user.username in html
    assert "straniero" not in html


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("members:list"))
    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("login")
