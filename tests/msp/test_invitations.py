"""Membership needs consent (issue 20): inviting records an invitation, nobody joins until the
person behind the e-mailed link accepts, and the inviter learns nothing about the address.

Browser journeys with Django's test client (the inviter and the invitee in their own
browsers), the API through DRF's APIClient with a token, the real database throughout.
"""

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.test import Client as BrowserClient
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from msp.invitations import invitation_create, username_suggestion
from msp.models import ApiToken, Contact, Invitation, Membership, User
from msp.roles import Role
from tests.factories import PASSWORD, ClientFactory, ContactFactory, UserFactory

NEW_PASSWORD = "Violet-Harbour-Kettle-58"
INVITATIONS_URL = "/api/v1/invitations/"
MEMBERS_URL = "/api/v1/members/"

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return unescape(response.content.decode())


def api_for(membership) -> APIClient:
    _token, key = ApiToken.issue(membership)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return http


def _link_path(message) -> str:
    match = re.search(r"https?://[^\s/]+(/invitations/\S+/)", message.body)
    assert match, f"no invitation link in the email:\n{message.body}"
    return match.group(1)


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Post the invite form; the invitation e-mail goes out on commit, as in production."""

    def post(browser, **data):
        payload = {"email": "", "username": "", "role": Role.TECHNICIAN, "client": "", **data}
        with django_capture_on_commit_callbacks(execute=True):
            return browser.post(reverse("members:invite"), payload)

    return post


@pytest.fixture
def api_invite(owner, django_capture_on_commit_callbacks):
    http = api_for(owner)

    def post(url=INVITATIONS_URL, **data):
        with django_capture_on_commit_callbacks(execute=True):
            return http.post(url, data, format="json")

    post.http = http
    return post


def _signed_in(user) -> BrowserClient:
    browser = BrowserClient()
    browser.force_login(user)
    return browser


# --- the scenario of issue 20 ------------------------------------------------------------------


def test_an_owner_of_a_invites_a_user_of_b_who_joins_only_by_accepting(
    owner_client, tenant, other_tenant, make_member, invite
):
    marta = make_member(other_tenant, Role.OWNER, email="marta@bravo.example")

    response = invite(owner_client, email="MARTA@bravo.example", role=Role.ACCOUNT_MANAGER)

    assert response.status_code == 302
    # Nothing yet: no membership in Alpha, Marta's account untouched.
    assert list(Membership.unscoped.filter(user=marta.user).values_list("tenant_id", flat=True)) == [
        other_tenant.pk
    ]
    invitation = Invitation.unscoped.get(tenant=tenant)
    assert (invitation.email, invitation.role, invitation.status) == (
        "MARTA@bravo.example",
        Role.ACCOUNT_MANAGER,
        "pending",
    )
    listing = _html(owner_client.get(reverse("members:list")))
    assert "MARTA@bravo.example" in listing and "pending" in listing
    assert marta.user.username not in listing  # the inviter never sees her account
    [message] = mail.outbox
    assert message.to == ["MARTA@bravo.example"] and tenant.name in message.subject

    # Marta opens the link in her browser, where she is signed in to Bravo, and accepts.
    browser = _signed_in(marta.user)
    page = browser.get(_link_path(message))
    assert page.status_code == 200
    assert "Alpha MSP" in _html(page) and "Accept" in _html(page)
    accepted = browser.post(_link_path(message), {"action": "accept"})
    assert accepted.status_code == 302 and accepted["Location"] == reverse("dashboard")

    memberships = Membership.unscoped.filter(user=marta.user)
    assert {(m.tenant_id, m.role) for m in memberships} == {
        (other_tenant.pk, Role.OWNER),
        (tenant.pk, Role.ACCOUNT_MANAGER),
    }
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.membership.user == marta.user
    # She now works in Alpha (the switcher has both), and her password is hers.
    dashboard = browser.get(reverse("dashboard"))
    assert dashboard.context["request"].membership.tenant == tenant
    assert User.objects.get(pk=marta.user_id).check_password(PASSWORD)
    # The link is spent.
    again = browser.get(_link_path(message))
    assert again.status_code == 410 and "already accepted" in _html(again)


def _comparable(body: dict) -> str:
    """The answer without what differs by nature: ids, dates and the address itself."""
    varying = {"id", "email", "created_at", "sent_at", "expires_at"}
    return json.dumps({k: v for k, v in body.items() if k not in varying}, sort_keys=True)


@pytest.mark.parametrize("url", [INVITATIONS_URL, MEMBERS_URL])
def test_the_answer_is_the_same_for_an_existing_and_an_unknown_address(
    url, api_invite, other_tenant, make_member
):
    make_member(other_tenant, Role.OWNER, email="known@bravo.example", username="known-user")

    known = api_invite(url, email="known@bravo.example", role="technician")
    unknown = api_invite(url, email="nobody@nowhere.example", role="technician")

    assert known.status_code == unknown.status_code == (201 if url == INVITATIONS_URL else 202)
    assert known.content.replace(b"known@bravo.example", b"X") != b""  # a body, not empty
    assert _comparable(known.json()) == _comparable(unknown.json())
    assert set(known.json()) == set(unknown.json())
    assert b"known-user" not in known.content
    assert known.json()["status"] == "pending" and known.json()["membership"] is None
    # The e-mails are the same too (the tenant's owners see them on the outgoing mail page).
    first, second = mail.outbox
    assert first.subject == second.subject
    assert re.sub(r"/invitations/\S+/", "", first.body) == re.sub(r"/invitations/\S+/", "", second.body)
    assert not Membership.unscoped.filter(user__email="known@bravo.example", tenant__slug="alpha").exists()
    assert not User.objects.filter(email="nobody@nowhere.example").exists()


def test_the_browser_answer_is_the_same_for_an_existing_and_an_unknown_address(
    owner_client, other_tenant, make_member, invite
):
    make_member(other_tenant, Role.OWNER, email="known@bravo.example")

    known = invite(owner_client, email="known@bravo.example")
    unknown = invite(owner_client, email="nobody@nowhere.example")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    listing = _html(owner_client.get(reverse("members:list")))
    assert "known@bravo.example was invited; they join once they accept" in listing
    assert "nobody@nowhere.example was invited; they join once they accept" in listing


# --- the new person ------------------------------------------------------------------------------


def test_a_new_person_chooses_a_username_and_password_then_works_in_the_tenant(owner_client, tenant, invite):
    invite(owner_client, email="tina@example.com", username="tina")
    assert not User.objects.filter(email="tina@example.com").exists()  # created on acceptance
    path = _link_path(mail.outbox[0])

    invitee = BrowserClient()
    page = invitee.get(path)
    assert page.status_code == 200
    assert page.context["form"].initial["username"] == "tina"

    weak = invitee.post(
        path, {"action": "signup", "username": "tina", "password1": "12345", "password2": "12345"}
    )
    assert weak.status_code == 400 and weak.context["form"].errors["password1"]
    assert not User.objects.filter(email="tina@example.com").exists()

    done = invitee.post(
        path, {"action": "signup", "username": "tina", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert done.status_code == 302, _html(done)
    user = User.objects.get(username="tina")
    assert user.email == "tina@example.com" and user.check_password(NEW_PASSWORD)
    membership = Membership.unscoped.get(user=user)
    assert (membership.tenant_id, membership.role) == (tenant.pk, Role.TECHNICIAN)
    assert invitee.get(reverse("dashboard")).context["request"].membership == membership

    # Later, the ordinary login and password reset work for them.
    fresh = BrowserClient()
    assert fresh.post(reverse("login"), {"username": "tina", "password": NEW_PASSWORD}).status_code == 302


def test_a_new_person_may_not_take_a_taken_username(owner_client, make_member, tenant, invite):
    make_member(tenant, Role.TECHNICIAN, username="tina", email="tina@old.example")
    invite(owner_client, email="tina@example.com", username="tina")
    path = _link_path(mail.outbox[0])

    page = BrowserClient().get(path)
    assert page.context["form"].initial["username"] == "tina-2"  # the suggestion is free
    taken = BrowserClient().post(
        path, {"action": "signup", "username": "TINA", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert taken.status_code == 400 and taken.context["form"].errors["username"]
    assert Invitation.unscoped.get().status == "pending"


def test_an_existing_user_signs_in_to_accept(owner_client, tenant, other_tenant, make_member, invite):
    marta = make_member(other_tenant, Role.TECHNICIAN, email="marta@bravo.example", username="marta")
    invite(owner_client, email="marta@bravo.example")
    path = _link_path(mail.outbox[0])

    anonymous = BrowserClient()
    page = anonymous.get(path)
    assert page.status_code == 200 and page.context["form"] is None  # sign in, no new account
    assert f"{reverse('login')}?next=" in _html(page)
    signed_in = anonymous.post(f"{reverse('login')}?next={path}", {"username": "marta", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == path
    assert anonymous.post(path, {"action": "accept"}).status_code == 302
    assert Membership.unscoped.filter(user=marta.user, tenant=tenant).exists()


def test_another_signed_in_user_cannot_accept_for_the_invitee(
    owner_client, tenant, other_tenant, make_member, invite
):
    invite(owner_client, email="marta@bravo.example")
    mallory = make_member(other_tenant, Role.OWNER, email="mallory@bravo.example")
    browser = _signed_in(mallory.user)
    path = _link_path(mail.outbox[0])

    assert "whose address is not marta@bravo.example" in _html(browser.get(path))
    refused = browser.post(path, {"action": "accept"})

    assert refused.status_code == 400
    assert not Membership.unscoped.filter(tenant=tenant, user=mallory.user).exists()
    assert Invitation.unscoped.get().status == "pending"


def test_declining_joins_nobody_and_spends_the_link(owner_client, tenant, invite):
    invite(owner_client, email="tina@example.com")
    assert "tina@example.com" in _html(owner_client.get(reverse("members:list")))
    path = _link_path(mail.outbox[0])

    declined = BrowserClient().post(path, {"action": "decline"})

    assert declined.status_code == 200 and "You declined" in _html(declined)
    assert Invitation.unscoped.get().status == "declined"
    assert not User.objects.filter(email="tina@example.com").exists()
    closed = BrowserClient().post(
        path, {"action": "signup", "username": "tina", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert closed.status_code == 410 and "declined" in _html(closed)
    assert not User.objects.filter(email="tina@example.com").exists()
    assert "tina@example.com" not in _html(owner_client.get(reverse("members:list")))  # no longer open


def test_an_expired_link_is_a_clear_page(owner_client, tenant, invite):
    invite(owner_client, email="tina@example.com")
    Invitation.unscoped.update(expires_at=timezone.now() - timedelta(minutes=1))
    path = _link_path(mail.outbox[0])

    page = BrowserClient().get(path)
    signup = BrowserClient().post(
        path, {"action": "signup", "username": "tina", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert page.status_code == signup.status_code == 410
    assert "expired" in _html(page) and "invite you again" in _html(page)
    assert not User.objects.filter(email="tina@example.com").exists()
    # The inviter sees it expired and may send it again: a new link, a new expiry.
    listing = _html(owner_client.get(reverse("members:list")))
    assert "expired" in listing
    invitation = Invitation.unscoped.get()
    resent = owner_client.post(reverse("members:invitation-resend", args=[invitation.pk]))
    assert resent.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "pending" and invitation.expires_at > timezone.now() + timedelta(days=13)


def test_a_resent_invitation_has_a_new_link_and_the_old_one_stops(
    owner_client, invite, django_capture_on_commit_callbacks
):
    invite(owner_client, email="tina@example.com")
    invitation = Invitation.unscoped.get()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("members:invitation-resend", args=[invitation.pk]))

    old, new = (_link_path(m) for m in mail.outbox)
    assert old != new
    assert BrowserClient().get(old).status_code == 404
    assert BrowserClient().get(new).status_code == 200


def test_a_revoked_link_is_a_clear_page_and_joins_nobody(
    owner_client, tenant, other_tenant, make_member, invite
):
    marta = make_member(other_tenant, Role.TECHNICIAN, email="marta@bravo.example")
    invite(owner_client, email="marta@bravo.example")
    invitation = Invitation.unscoped.get()

    revoked = owner_client.post(reverse("members:invitation-revoke", args=[invitation.pk]), follow=True)
    assert "The invitation to marta@bravo.example was withdrawn." in _html(revoked)

    browser = _signed_in(marta.user)
    page = browser.get(_link_path(mail.outbox[0]))
    accept = browser.post(_link_path(mail.outbox[0]), {"action": "accept"})
    assert page.status_code == accept.status_code == 410
    assert "withdrawn" in _html(page)
    assert not Membership.unscoped.filter(tenant=tenant, user=marta.user).exists()


def test_an_unknown_link_is_404_not_500(db):
    page = BrowserClient().get(reverse("invitation", args=["not-a-real-key"]))
    assert page.status_code == 404 and "not valid" in _html(page)
    assert (
        BrowserClient().post(reverse("invitation", args=["x" * 300]), {"action": "accept"}).status_code == 404
    )


def test_accepting_twice_makes_one_membership(owner_client, tenant, other_tenant, make_member, invite):
    marta = make_member(other_tenant, Role.TECHNICIAN, email="marta@bravo.example")
    invite(owner_client, email="marta@bravo.example")
    path = _link_path(mail.outbox[0])
    first, second = _signed_in(marta.user), _signed_in(marta.user)  # two tabs
    first.get(path), second.get(path)

    assert first.post(path, {"action": "accept"}).status_code == 302
    late = second.post(path, {"action": "accept"})

    assert late.status_code == 410 and "already accepted" in _html(late)
    assert Membership.unscoped.filter(user=marta.user, tenant=tenant).count() == 1


def test_inviting_an_address_again_refreshes_its_invitation(owner_client, tenant, invite):
    invite(owner_client, email="tina@example.com")
    invite(owner_client, email="TINA@example.com", role=Role.ADMIN)

    [invitation] = Invitation.unscoped.all()
    assert invitation.role == Role.ADMIN
    assert len(mail.outbox) == 2
    assert BrowserClient().get(_link_path(mail.outbox[0])).status_code == 404  # replaced
    assert BrowserClient().get(_link_path(mail.outbox[1])).status_code == 200


def test_inviting_a_member_of_this_tenant_says_so(owner_client, tenant, make_member, invite):
    tech = make_member(tenant, Role.TECHNICIAN)

    response = invite(owner_client, email=tech.user.email, role=Role.ADMIN)

    assert response.status_code == 200 and "already a member" in _html(response)
    assert not Invitation.unscoped.exists() and mail.outbox == []


def test_a_client_contact_is_linked_to_its_contact_on_acceptance(owner_client, tenant, invite):
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    giulia = ContactFactory(tenant=tenant, client=acme, name="Giulia Rossi", email="giulia@acme.example")
    invite(owner_client, email="Giulia@Acme.example", role=Role.CLIENT, client=acme.pk)
    giulia.refresh_from_db()
    assert giulia.portal_access is False  # not before she accepts

    path = _link_path(mail.outbox[0])
    BrowserClient().post(
        path, {"action": "signup", "username": "giulia", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    membership = Membership.unscoped.get(user__username="giulia")
    assert (membership.role, membership.client_id) == (Role.CLIENT, acme.pk)
    giulia.refresh_from_db()
    assert giulia.portal_access is True
    assert Contact.unscoped.filter(client=acme).count() == 1


# --- e-mail lengths ----------------------------------------------------------------------------------


def _long_email(length: int) -> str:
    domain = "@" + "d" * 60 + "." + "e" * 60 + "." + "f" * 60 + ".example"
    return "a" * (length - len(domain)) + domain


def test_an_address_over_254_characters_is_a_400_and_a_form_error(owner_client, api_invite, invite):
    too_long = _long_email(255)
    assert len(too_long) == 255

    api = api_invite(email=too_long, role="technician")
    legacy = api_invite(MEMBERS_URL, email=too_long, role="technician")
    page = invite(owner_client, email=too_long)

    assert api.status_code == legacy.status_code == 400 and "email" in api.json()
    assert page.status_code == 200 and page.context["form"].errors["email"]
    assert not Invitation.unscoped.exists() and mail.outbox == []


def test_a_long_address_accepts_with_a_username_of_at_most_150(owner, api_invite):
    long_address = _long_email(254)
    assert api_invite(email=long_address, role="technician").status_code == 201
    invitation = Invitation.unscoped.get()
    path = _link_path(mail.outbox[0])

    suggested = BrowserClient().get(path).context["form"].initial["username"]
    assert 0 < len(suggested) <= 150 and suggested == username_suggestion(invitation)
    too_long = BrowserClient().post(
        path,
        {"action": "signup", "username": "u" * 151, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert too_long.status_code == 400 and too_long.context["form"].errors["username"]
    done = BrowserClient().post(
        path,
        {"action": "signup", "username": suggested, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert User.objects.get(username=suggested).email == long_address


def test_the_username_suggestion_fits_and_is_free(tenant, owner):
    invitation = invitation_create(by=owner, email=_long_email(200), role=Role.TECHNICIAN)
    local = invitation.email.split("@")[0]
    assert username_suggestion(invitation) == local[:150]
    UserFactory(username=local[:150])
    assert username_suggestion(invitation) == local[:148] + "-2"


# --- the API -------------------------------------------------------------------------------------------


def test_invitations_api_lists_revokes_and_resends(api_invite, owner, tenant, other_tenant, make_member):
    theirs = invitation_create(
        by=make_member(other_tenant, Role.OWNER), email="x@bravo.example", role="admin"
    )
    created = api_invite(email="tina@example.com", role="technician").json()
    http = api_invite.http

    listed = http.get(INVITATIONS_URL).json()
    assert [row["email"] for row in listed["results"]] == ["tina@example.com"]
    assert listed["results"][0]["invited_by"] == owner.user.username
    assert http.get(f"{INVITATIONS_URL}{theirs.pk}/").status_code == 404
    assert http.post(f"{INVITATIONS_URL}{theirs.pk}/revoke/").status_code == 404

    resent = api_invite(f"{INVITATIONS_URL}{created['id']}/resend/")
    assert resent.status_code == 200 and len(mail.outbox) == 2
    revoked = http.post(f"{INVITATIONS_URL}{created['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    again = http.post(f"{INVITATIONS_URL}{created['id']}/revoke/")
    assert again.status_code == 400 and "no longer open" in json.dumps(again.json())
    assert BrowserClient().get(_link_path(mail.outbox[1])).status_code == 410
    assert Invitation.unscoped.get(pk=theirs.pk).status == "pending"


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.ACCOUNT_MANAGER, Role.CLIENT])
def test_only_those_who_may_invite_see_invitations(tenant, make_member, owner, role):
    invitation = invitation_create(by=owner, email="tina@example.com", role=Role.TECHNICIAN)
    http = api_for(make_member(tenant, role))

    assert http.get(INVITATIONS_URL).status_code == 403
    assert (
        http.post(
            INVITATIONS_URL, {"email": "y@example.com", "role": "technician"}, format="json"
        ).status_code
        == 403
    )
    assert http.post(f"{INVITATIONS_URL}{invitation.pk}/revoke/").status_code in {403, 404}
    assert Invitation.unscoped.get(pk=invitation.pk).status == "pending"
    assert not Invitation.unscoped.filter(email="y@example.com").exists()


def test_an_admin_cannot_invite_an_owner(tenant, make_member):
    response = api_for(make_member(tenant, Role.ADMIN)).post(
        INVITATIONS_URL, {"email": "boss@example.com", "role": "owner"}, format="json"
    )
    assert response.status_code == 403 and not Invitation.unscoped.exists()


def test_members_post_no_longer_sets_a_password_or_an_inactive_member(api_invite):
    with_password = api_invite(MEMBERS_URL, email="t@example.com", role="technician", password=NEW_PASSWORD)
    inactive = api_invite(MEMBERS_URL, email="t@example.com", role="technician", is_active=False)

    assert with_password.status_code == inactive.status_code == 400
    assert "password" in with_password.json() and "is_active" in inactive.json()
    assert not Invitation.unscoped.exists() and not User.objects.filter(email="t@example.com").exists()


# --- tokens after joining a second tenant ----------------------------------------------------------


def test_token_requests_naming_no_tenant_keep_their_tenant_after_joining_another(
    tenant, other_tenant, make_member, django_capture_on_commit_callbacks
):
    """An integration of Marta's in Bravo asks for tokens without a slug; after she accepts
    Alpha's invitation it still gets Bravo's (her first membership), and may name Alpha."""
    marta = make_member(other_tenant, Role.TECHNICIAN, email="marta@bravo.example", username="marta")
    alpha_owner = make_member(tenant, Role.OWNER)

    def obtain(**extra):
        return APIClient().post(
            "/api/v1/auth/token/", {"username": "marta", "password": PASSWORD, **extra}, format="json"
        )

    before = obtain()
    assert (before.status_code, before.json()["tenant"]) == (200, "bravo")
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(by=alpha_owner, email="marta@bravo.example", role=Role.ADMIN)
    _signed_in(marta.user).post(_link_path(mail.outbox[0]), {"action": "accept"})
    assert Membership.unscoped.filter(user=marta.user).count() == 2

    after = obtain()
    assert after.status_code == 200 and (after.json()["tenant"], after.json()["role"]) == (
        "bravo",
        "technician",
    )
    named = obtain(tenant="alpha")
    assert (named.json()["tenant"], named.json()["role"]) == ("alpha", "admin")
    # An old token stays bound to the membership it was made for.
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {before.json()['token']}")
    assert http.get("/api/v1/clients/").status_code == 200
    assert http.get(MEMBERS_URL).status_code == 403  # still Bravo's technician, not Alpha's admin


def test_an_invitation_whose_inviter_has_gone_still_reads(api_invite, tenant):
    created = api_invite(email="tina@example.com", role="technician").json()
    Invitation.unscoped.update(invited_by=None)

    listed = api_invite.http.get(INVITATIONS_URL).json()["results"]
    one = api_invite.http.get(f"{INVITATIONS_URL}{created['id']}/").json()

    assert listed[0]["invited_by"] is None and one["invited_by"] is None
    assert listed[0]["status"] == one["status"] == "pending"
