"""A client's portal login is one of its contacts (msp.services).

Inviting a client contact, or making a member one, finds the client's Contact with the
login's email (any case) or creates it, and gives it portal access; so the e-mails sent to
a client's portal contacts (hour warnings, offers, reports) reach the person who logs in.
Removing the login, deactivating it, making it staff or moving it to another client turns
that access off again; the contact stays. The real database throughout.
"""

import pytest
from django.core import mail
from django.db import DatabaseError

from contracts.notifications import recipients
from msp.models import Contact, Membership, User
from msp.roles import Role
from msp.services import member_invite, member_remove, member_update
from tests.factories import ClientFactory, ContactFactory, ContractFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(tenant):
    return ClientFactory(tenant=tenant, name="Acme Dental")


@pytest.fixture
def contract(acme):
    return ContractFactory(client=acme, tenant=acme.tenant)


def _invite(owner, email, client, **kwargs):
    return member_invite(by=owner, email=email, role=Role.CLIENT, client=client, **kwargs)


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

    saved = _invite(owner, "ANNA@acme.example", acme)

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

    saved = member_invite(by=owner, email="staff@acme.example", role=role)

    assert saved.portal_contact is None
    assert Contact.unscoped.get(client=acme).portal_access is False


def test_an_invitation_that_fails_leaves_no_contact_user_or_email(owner, acme, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Contact, "save", broken)
    with pytest.raises(DatabaseError):
        _invite(owner, "nobody@acme.example", acme)

    assert not User.objects.filter(email="nobody@acme.example").exists()
    assert not Membership.unscoped.filter(client=acme).exists()
    assert not Contact.unscoped.filter(client=acme).exists()
    assert mail.outbox == []


def test_an_inactive_client_login_is_linked_without_portal_access(owner, acme, contract):
    saved = _invite(owner, "later@acme.example", acme, is_active=False)

    assert saved.portal_contact.created is True and saved.portal_contact.contact.portal_access is False
    assert "later@acme.example" not in recipients(contract)


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
