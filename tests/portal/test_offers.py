"""The client portal's offers: a contact sees what was sent to its company, and decides."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Contract
from contracts.services import tiers_seed
from msp.roles import Role
from sales.choices import OfferStatus
from sales.models import Offer, OfferOption
from tests.factories import ClientFactory, OfferFactory


@pytest.fixture
def acme(tenant):
    tiers_seed(tenant=tenant)
    return ClientFactory(tenant=tenant, name="Acme Dental")


@pytest.fixture
def contact(tenant, acme, make_member):
    return make_member(tenant, Role.CLIENT, client=acme, first_name="Jane", last_name="Doe")


@pytest.fixture
def contact_client(client, contact):
    client.force_login(contact.user)
    return client


def option(offer, name) -> OfferOption:
    return OfferOption.unscoped.get(offer=offer, name=name)


@pytest.mark.django_db
def test_contact_lists_sent_and_decided_offers_of_its_company_never_drafts(contact_client, tenant, acme):
    OfferFactory(tenant=tenant, client=acme, title="Still a draft")
    OfferFactory(tenant=tenant, client=acme, title="Sent to you", status="sent")
    OfferFactory(tenant=tenant, client=acme, title="Last year", status="declined")
    OfferFactory(tenant=tenant, client=ClientFactory(tenant=tenant), title="Someone else's", status="sent")
    response = contact_client.get(reverse("portal:offers"))
    assert response.status_code == 200
    assert {o.title for o in response.context["object_list"]} == {"Sent to you", "Last year"}
    html = response.content.decode()
    assert "Still a draft" not in html and "Someone else" not in html


@pytest.mark.django_db
def test_contact_opens_its_offer_but_not_a_draft_or_another_clients(contact_client, tenant, acme):
    sent = OfferFactory(tenant=tenant, client=acme, title="Sent to you", status="sent")
    draft = OfferFactory(tenant=tenant, client=acme, status="draft")
    sibling = OfferFactory(tenant=tenant, client=ClientFactory(tenant=tenant), status="sent")
    response = contact_client.get(reverse("portal:offer", args=[sent.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Silver", "Gold", "Platinum"):
        assert f"Accept {name}" in html
    assert reverse("portal:offer-decline", args=[sent.pk]) in html
    assert reverse("portal:offer-pdf", args=[sent.pk]) in html
    for other in (draft, sibling):
        for name in ("portal:offer", "portal:offer-pdf"):
            assert contact_client.get(reverse(name, args=[other.pk])).status_code == 404
        for name in ("portal:offer-accept", "portal:offer-decline"):
            gold = option(other, "Gold")
            assert contact_client.post(reverse(name, args=[other.pk]), {"option": gold.pk}).status_code == 404
    assert not Contract.unscoped.exists()
    assert Offer.unscoped.get(pk=draft.pk).status == OfferStatus.DRAFT


@pytest.mark.django_db
def test_contact_accepts_gold_sees_the_contract_and_cannot_accept_twice(
    contact_client, contact, tenant, acme
):
    offer = OfferFactory(tenant=tenant, client=acme, title="Managed IT", status="sent")
    gold = option(offer, "Gold")
    response = contact_client.post(
        reverse("portal:offer-accept", args=[offer.pk]), {"option": gold.pk}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("portal:offer", args=[offer.pk])
    html = response.content.decode()
    contract = Contract.unscoped.get()
    assert (contract.client, contract.tier_id, contract.monthly_fee) == (
        acme,
        gold.tier_id,
        gold.monthly_total,
    )
    assert "Thank you! You accepted Gold." in html
    assert "You chose Gold" in html
    assert contract.get_absolute_url() in html
    assert "Accept Silver" not in html  # no more buttons
    offer.refresh_from_db()
    assert (offer.status, offer.accepted_option, offer.decided_by) == (
        OfferStatus.ACCEPTED,
        gold,
        contact.user,
    )
    # The contact may open the contract it bought.
    assert contact_client.get(contract.get_absolute_url()).status_code == 200

    response = contact_client.post(
        reverse("portal:offer-accept", args=[offer.pk]), {"option": option(offer, "Platinum").pk}, follow=True
    )
    assert "This offer was already accepted; it cannot be accepted again." in response.content.decode()
    assert Contract.unscoped.count() == 1


@pytest.mark.django_db
def test_contact_declines(contact_client, tenant, acme):
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    response = contact_client.post(reverse("portal:offer-decline", args=[offer.pk]), follow=True)
    html = response.content.decode()
    assert "You declined the offer." in html and "You declined this offer on" in html
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    response = contact_client.post(
        reverse("portal:offer-accept", args=[offer.pk]), {"option": option(offer, "Gold").pk}, follow=True
    )
    assert "This offer was already declined; it cannot be accepted again." in response.content.decode()
    assert not Contract.unscoped.exists()


@pytest.mark.django_db
def test_an_expired_offer_cannot_be_accepted(contact_client, tenant, acme):
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    Offer.unscoped.filter(pk=offer.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    response = contact_client.post(
        reverse("portal:offer-accept", args=[offer.pk]), {"option": option(offer, "Gold").pk}, follow=True
    )
    assert "This offer expired on" in response.content.decode()
    assert not Contract.unscoped.exists()


@pytest.mark.django_db
def test_a_bad_option_is_refused(contact_client, tenant, acme):
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    for value in ("", "abc", "999999"):
        response = contact_client.post(
            reverse("portal:offer-accept", args=[offer.pk]), {"option": value}, follow=True
        )
        assert "Choose one of the offer&#x27;s options." in response.content.decode()
    assert contact_client.get(reverse("portal:offer-accept", args=[offer.pk])).status_code == 405
    assert not Contract.unscoped.exists()


@pytest.mark.django_db
def test_the_portal_is_for_client_contacts_only(client, tenant, acme, make_member):
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    for role in (Role.OWNER, Role.ADMIN, Role.ACCOUNT_MANAGER, Role.TECHNICIAN):
        client.force_login(make_member(tenant, role).user)
        assert client.get(reverse("portal:offers")).status_code == 403
        assert client.get(reverse("portal:offer", args=[offer.pk])).status_code == 403
        gold = option(offer, "Gold")
        assert (
            client.post(reverse("portal:offer-accept", args=[offer.pk]), {"option": gold.pk}).status_code
            == 403
        )
    client.logout()
    assert client.get(reverse("portal:offers")).status_code == 302  # to the login page
    assert not Contract.unscoped.exists()


@pytest.mark.django_db
def test_contact_of_another_tenant_gets_404(client, tenant, other_tenant, acme, make_member):
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    stranger = make_member(other_tenant, Role.CLIENT, client=ClientFactory(tenant=other_tenant))
    client.force_login(stranger.user)
    assert client.get(reverse("portal:offer", args=[offer.pk])).status_code == 404
    assert client.get(reverse("portal:offers")).context["object_list"].count() == 0


@pytest.mark.django_db
def test_contact_downloads_the_pdf(contact_client, tenant, acme):
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    response = contact_client.get(reverse("portal:offer-pdf", args=[offer.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_navigation_offers_link_by_role(contact_client, client, tenant, make_member):
    html = contact_client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("portal:offers")}"' in html
    assert f'href="{reverse("offers:list")}"' not in html
    staff = make_member(tenant, Role.ACCOUNT_MANAGER)
    client.force_login(staff.user)
    html = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("offers:list")}"' in html
    assert f'href="{reverse("portal:offers")}"' not in html
    client.force_login(make_member(tenant, Role.TECHNICIAN).user)
    assert f'href="{reverse("offers:list")}"' not in client.get(reverse("dashboard")).content.decode()
