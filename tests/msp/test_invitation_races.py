"""On PostgreSQL: one invitation accepted at the same moment from several connections (a double
click, two tabs) makes one membership; the others are told it was already accepted."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as BrowserClient

from msp.invitations import InvitationClosed, invitation_accept, invitation_accept_new_user, invitation_create
from msp.models import Contact, Invitation, Membership, User
from msp.roles import Role
from tests.concurrency import run_at_once
from tests.factories import ClientFactory, MembershipFactory, TenantFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PASSWORD = "Violet-Harbour-Kettle-58"


def test_an_existing_user_accepting_at_once_joins_once():
    alpha, bravo = TenantFactory(), TenantFactory()
    owner = MembershipFactory(tenant=alpha, role=Role.OWNER)
    marta = MembershipFactory(tenant=bravo, role=Role.OWNER, user=UserFactory(email="marta@bravo.example"))
    acme = ClientFactory(tenant=alpha)

    for round_ in range(5):
        invitation = invitation_create(by=owner, email="marta@bravo.example", role=Role.CLIENT, client=acme)
        joined, closed = [], []

        def accept(invitation=invitation, joined=joined, closed=closed):
            try:
                joined.append(invitation_accept(invitation=invitation, user=marta.user))
            except InvitationClosed:
                closed.append(True)

        assert run_at_once([accept] * 4) == []
        assert (len(joined), len(closed)) == (1, 3), round_
        assert Membership.unscoped.filter(tenant=alpha, user=marta.user).count() == 1
        assert Invitation.unscoped.get(pk=invitation.pk).membership == joined[0].membership
        assert Contact.unscoped.filter(client=acme, portal_access=True).count() == 1
        Membership.unscoped.filter(tenant=alpha, user=marta.user).delete()


def test_a_new_person_submitting_twice_at_once_gets_one_account_and_never_a_500():
    alpha = TenantFactory()
    owner = MembershipFactory(tenant=alpha, role=Role.OWNER)
    statuses = []

    for round_ in range(5):
        email = f"tina{round_}@example.com"
        invitation = invitation_create(by=owner, email=email, role=Role.TECHNICIAN)
        key, invitation.digest = Invitation.new_key()
        Invitation.unscoped.filter(pk=invitation.pk).update(digest=invitation.digest)
        data = {"action": "signup", "username": f"tina{round_}", "password1": PASSWORD, "password2": PASSWORD}

        def submit(key=key, data=data):
            statuses.append(BrowserClient().post(f"/invitations/{key}/", data).status_code)

        assert run_at_once([submit] * 3) == []
        assert User.objects.filter(email=email).count() == 1
        assert Membership.unscoped.filter(tenant=alpha, user__email=email).count() == 1
    # One redirect (to the dashboard) per round; the others see the link spent (410) or, having
    # read the username as free before the winner committed, a form error (400).
    assert statuses.count(302) == 5 and set(statuses) <= {302, 400, 410}, statuses


def test_the_same_address_invited_at_once_has_one_open_invitation():
    alpha = TenantFactory()
    owner = MembershipFactory(tenant=alpha, role=Role.OWNER)

    errors = run_at_once(
        [lambda: invitation_create(by=owner, email="Same@Example.com", role=Role.TECHNICIAN)] * 4
    )

    assert errors == []
    assert Invitation.unscoped.filter(tenant=alpha).count() == 1


def test_accepting_a_new_account_with_a_username_taken_meanwhile_is_a_form_error():
    alpha = TenantFactory()
    owner = MembershipFactory(tenant=alpha, role=Role.OWNER)
    invitation = invitation_create(by=owner, email="late@example.com", role=Role.TECHNICIAN)
    UserFactory(username="late")

    with pytest.raises(ValidationError) as raised:
        invitation_accept_new_user(invitation=invitation, username="LATE", password=PASSWORD)

    assert "username" in str(raised.value)
    assert Invitation.unscoped.get(pk=invitation.pk).status == "pending"
