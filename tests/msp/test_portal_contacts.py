"""A client's portal login is one of its contacts (msp.services, msp.invitations).

A client contact's invitation accepted, or a member made one, finds the client's Contact with the
login's email (any case) or creates it, and gives it portal access; so the e-mails sent to
a client's portal contacts (hour warnings, offers, reports) reach the person who logs in.
Removing the login, deactivating it, making it staff or moving it to another client turns
that access off again; the contact stays. The real database throughout.
"""

import pytest
from django.core import mail
from django.db import DatabaseError

from contracts.notifications import recipients
from msp.invitations import invitation_accept, invitation_accept_new_user, invitation_create
from msp.models import Contact, Invitation, Membership, User
from msp.roles import Role
from msp.services import member_remove, member_update
from tests.factories import ClientFactory, ContactFactory, ContractFactory, UserFactory

NEW_PASSWORD = "Violet-Harbour-Kettle-58"

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(tenant):
    return ClientFactory(tenant=tenant, name="Acme Dental")


@pytest.fixture
def contract(acme):
    return ContractFactory(client=acme, tenant=acme.tenant)


def _join(owner, email, role=Role.CLIENT, client=None, user=None):
    """Invite `email` and accept: as `user` (an existing account), else as a new person."""
    invitation = invitation_create(by=owner, email=email, role=role, client=client)
    if user is not None:
        return invitation_accept(invitation=invitation, user=user)
    username = f"{email.split('@')[0]}-{Invitation.unscoped.count()}"
    return invitation_accept_new_user(invitation=invitation, username=username, password=NEW_PASSWORD)


def _invite(owner, email, client):
    return _join(owner, email, client=client)


def test_a_pending_invitation_links_no_contact(owner, acme, contract):
    giulia = ContactFactory(tenant=acme.tenant, client=acme, email="giulia@acme.example")

    invitation_create(by=owner, email="giulia@acme.example", role=Role.CLIENT, client=acme)

    assert _access(giulia) is False
    assert "giulia@acme.example" not in recipients(contract)


def test_inviting_a_client_user_creates_its_contact_with_portal_access(owner, acme, contract):
    assert "mario.rossi@acme.example" not in recipients(contract)

    saved = _invite(owner, "mario.rossi@acme.example", acme)

    contact = Contact.unscoped.get(client=acme)
    assert (contact.name, contact.email, contact.portal_access) == (
        "mario.rossi",
        "mario.rossi@acme.example",
        True,
    )
    assert (contact.tenant_id, contact.site_id) == (acme.tenant_id, None)
    assert saved.portal_contact.contact == contact and saved.portal_contact.created is True
    assert saved.portal_contact.contact.portal_access is True
    assert saved.membership.client == acme
    assert "mario.rossi@acme.example" in recipients(contract)


def test_inviting_links_the_contact_with_the_same_email_in_any_case(owner, acme, contract):
    giulia = ContactFactory(tenant=acme.tenant, client=acme, name="Giulia Rossi", email="Giulia@Acme.example")
    other = ContactFactory(tenant=acme.tenant, client=acme, name="Marco Bianchi", email="marco@acme.example")

    saved = _invite(owner, "giulia@acme.EXAMPLE", acme)

    assert saved.portal_contact.contact == giulia and saved.portal_contact.created is False
    assert Contact.unscoped.filter(client=acme).count() == 2
    giulia.refresh_from_db()
    other.refresh_from_db()
    assert (giulia.name, giulia.email, giulia.portal_access) == ("Giulia Rossi", "Giulia@Acme.example", True)
    assert other.portal_access is False
    assert "Giulia@Acme.example" in recipients(contract)


def test_an_existing_users_name_names_the_new_contact(owner, acme, other_tenant, make_member):
    elsewhere = make_member(
        other_tenant, Role.OWNER, email="anna@acme.example", first_name="Anna", last_name="Romano"
    )

    saved = _join(owner, "ANNA@acme.example", client=acme, user=elsewhere.user)

    assert saved.membership.user == elsewhere.user
    contact = saved.portal_contact.contact
    assert (contact.name, contact.email, contact.portal_access) == ("Anna Romano", "anna@acme.example", True)


def test_only_this_clients_contacts_are_touched(owner, tenant, other_tenant, acme):
    bistro = ClientFactory(tenant=tenant, name="Bistro")
    theirs = ClientFactory(tenant=other_tenant, name="Theirs")
    same_email = [
        ContactFactory(tenant=tenant, client=bistro, email="luca@acme.example"),
        ContactFactory(tenant=other_tenant, client=theirs, email="luca@acme.example"),
    ]

    saved = _invite(owner, "luca@acme.example", acme)

    assert saved.portal_contact.created is True and saved.portal_contact.contact.client_id == acme.pk
    assert [Contact.unscoped.get(pk=c.pk).portal_access for c in same_email] == [False, False]


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.ACCOUNT_MANAGER, Role.ADMIN])
def test_staff_invitations_have_no_contact(owner, tenant, acme, role):
    ContactFactory(tenant=tenant, client=acme, email="staff@acme.example")

    saved = _join(owner, "staff@acme.example", role=role)

    assert saved.portal_contact is None
    assert Contact.unscoped.get(client=acme).portal_access is False


def test_an_acceptance_that_fails_leaves_no_contact_user_or_membership(owner, acme, monkeypatch):
    invitation = invitation_create(by=owner, email="nobody@acme.example", role=Role.CLIENT, client=acme)

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Contact, "save", broken)
    with pytest.raises(DatabaseError):
        invitation_accept_new_user(invitation=invitation, username="nobody", password=NEW_PASSWORD)

    assert not User.objects.filter(email="nobody@acme.example").exists()
    assert not Membership.unscoped.filter(client=acme).exists()
    assert not Contact.unscoped.filter(client=acme).exists()
    assert Invitation.unscoped.get(pk=invitation.pk).status == "pending"  # it may be accepted again
    assert mail.outbox == []  # the invitation's e-mail waits for a commit that never came in this test


# --- changing and removing the login ------------------------------------------------------------


def _access(contact) -> bool:
    return Contact.unscoped.get(pk=contact.pk).portal_access


def test_making_a_technician_a_client_contact_links_them_and_back_turns_it_off(
    owner, tenant, acme, contract, make_member
):
    tech = make_member(tenant, Role.TECHNICIAN, email="tina@acme.example")

    saved = member_update(by=owner, membership=tech, role=Role.CLIENT, client=acme, is_active=True)

    contact = saved.portal_contact.contact
    assert saved.portal_contact.created is True and _access(contact) is True
    assert "tina@acme.example" in recipients(contract)

    saved = member_update(by=owner, membership=tech, role=Role.TECHNICIAN, client=None, is_active=True)

    assert saved.portal_contact is None
    assert _access(contact) is False and Contact.unscoped.filter(pk=contact.pk).exists()
    assert "tina@acme.example" not in recipients(contract)


def test_deactivating_turns_portal_access_off_and_reactivating_on(owner, acme, contract):
    membership = _invite(owner, "sara@acme.example", acme).membership
    contact = Contact.unscoped.get(client=acme)

    saved = member_update(by=owner, membership=membership, role=Role.CLIENT, client=acme, is_active=False)
    assert saved.portal_contact.contact == contact and saved.portal_contact.created is False
    assert _access(contact) is False
    assert "sara@acme.example" not in recipients(contract)

    member_update(by=owner, membership=membership, role=Role.CLIENT, client=acme, is_active=True)
    assert _access(contact) is True
    assert Contact.unscoped.filter(client=acme).count() == 1


def test_moving_a_login_to_another_client_moves_the_portal_access(owner, tenant, acme):
    bistro = ClientFactory(tenant=tenant, name="Bistro")
    membership = _invite(owner, "paolo@acme.example", acme).membership
    at_acme = Contact.unscoped.get(client=acme)

    saved = member_update(by=owner, membership=membership, role=Role.CLIENT, client=bistro, is_active=True)

    at_bistro = saved.portal_contact.contact
    assert at_bistro.client_id == bistro.pk and saved.portal_contact.created is True
    assert (_access(at_acme), _access(at_bistro)) == (False, True)


def test_removing_the_login_turns_portal_access_off_and_keeps_the_contact(owner, acme, contract):
    giulia = ContactFactory(tenant=acme.tenant, client=acme, email="giulia@acme.example")
    membership = _invite(owner, "giulia@acme.example", acme).membership
    assert _access(giulia) is True

    member_remove(by=owner, membership=membership)

    assert _access(giulia) is False
    assert not Membership.unscoped.filter(pk=membership.pk).exists()
    assert "giulia@acme.example" not in recipients(contract)


def test_access_stays_on_while_another_active_login_has_the_email(owner, tenant, acme):
    """Two users may share an address (an office mailbox): removing one keeps the contact's access."""
    first = _invite(owner, "office@acme.example", acme).membership
    twin = UserFactory(username="office2", email="OFFICE@acme.example")
    second = Membership.unscoped.create(tenant=tenant, user=twin, role=Role.CLIENT, client=acme)
    contact = Contact.unscoped.get(client=acme)

    member_remove(by=owner, membership=first)
    assert _access(contact) is True

    member_remove(by=owner, membership=second)
    assert _access(contact) is False


def test_another_tenants_login_with_the_same_email_is_not_counted(owner, acme, other_tenant):
    theirs = ClientFactory(tenant=other_tenant)
    Membership.unscoped.create(
        tenant=other_tenant, client=theirs, role=Role.CLIENT, user=UserFactory(email="shared@acme.example")
    )
    membership = _invite(owner, "shared@acme.example", acme).membership
    contact = Contact.unscoped.get(client=acme)

    member_remove(by=owner, membership=membership)

    assert _access(contact) is False
