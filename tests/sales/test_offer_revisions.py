"""Offers that follow the account manager's work: edit a draft, duplicate any offer, and an
upgrade or downgrade that ends the current managed contract the day the new one starts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from contracts.choices import ContractKind, ContractStatus
from contracts.models import Contract
from contracts.services import tiers_seed
from msp.roles import Role
from msp.scoping import tenant_scope
from sales.choices import OfferStatus
from sales.models import Offer, OfferOption
from sales.services import offer_accept, offer_duplicate, offer_update
from tests.factories import ClientFactory, tenant_today
from tests.sales.test_offers import (
    SCENARIO,
    add_assets,
    build_offer,
    builder_data,
    options_by_name,
    tier_named,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(tenant):
    tiers_seed(tenant=tenant)
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    add_assets(acme, **SCENARIO)
    return acme


@pytest.fixture
def manager(tenant, make_member):
    return make_member(tenant, Role.ACCOUNT_MANAGER, first_name="Marta", last_name="Bianchi")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager.user)
    return client


def test_a_draft_opens_in_the_builder_with_its_terms_and_saves_priced_again(manager_client, tenant, acme):
    offer = build_offer(manager_client, acme, qty_desktop=10, discount_percent="5", title="First try")
    page = manager_client.get(reverse("offers:update", args=[offer.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "Edit the offer for Acme Dental" in body
    form = page.context["form"]
    assert form["qty_desktop"].value() == 10 and form["title"].value() == "First try"
    assert str(form["discount_percent"].value()) == "5.00"
    response = manager_client.post(
        reverse("offers:update", args=[offer.pk]), builder_data(acme, qty_desktop=15, title="Second try")
    )
    assert response.status_code == 302 and response["Location"] == offer.get_absolute_url()
    offer = Offer.unscoped.get(pk=offer.pk)
    assert (offer.title, offer.discount_percent, offer.status) == ("Second try", Decimal("0.00"), "draft")
    options = options_by_name(offer)
    assert list(options) == ["Silver", "Gold", "Platinum"]  # replaced, not added to
    assert OfferOption.unscoped.filter(offer=offer).count() == 3
    assert options["Platinum"].monthly_total == Money("1950.00", "EUR")


def test_bad_input_on_edit_keeps_the_offer(manager_client, acme):
    offer = build_offer(manager_client, acme)
    response = manager_client.post(
        reverse("offers:update", args=[offer.pk]), builder_data(acme, qty_desktop="-3", title="Changed")
    )
    assert response.status_code == 200 and "A quantity cannot be negative." in response.content.decode()
    assert Offer.unscoped.get(pk=offer.pk).title == "Managed IT for Acme"


def test_a_sent_offer_cannot_be_edited_only_duplicated(manager_client, manager, tenant, acme):
    offer = build_offer(manager_client, acme, qty_desktop=12, title="Sent one")
    Offer.unscoped.filter(pk=offer.pk).update(status=OfferStatus.SENT, valid_until=timezone.localdate())
    response = manager_client.get(reverse("offers:update", args=[offer.pk]))
    assert response.status_code == 302 and response["Location"] == offer.get_absolute_url()
    response = manager_client.post(reverse("offers:update", args=[offer.pk]), builder_data(acme))
    assert Offer.unscoped.get(pk=offer.pk).title == "Sent one"
    with tenant_scope(tenant), pytest.raises(ValidationError, match="Duplicate it instead"):
        offer_update(offer=offer, by=manager.user, quantities={"desktop": 1})

    response = manager_client.post(reverse("offers:duplicate", args=[offer.pk]))
    copy = Offer.unscoped.latest("pk")
    assert copy.pk != offer.pk and response["Location"] == reverse("offers:update", args=[copy.pk])
    assert (copy.status, copy.title, copy.client, copy.created_by) == (
        "draft",
        "Sent one",
        acme,
        manager.user,
    )
    assert copy.sent_at is None and copy.decided_at is None and copy.contract is None
    original, copied = options_by_name(offer), options_by_name(copy)
    assert list(copied) == list(original)
    for name in original:
        assert copied[name].lines == original[name].lines
        assert copied[name].monthly_total == original[name].monthly_total
    assert Offer.unscoped.get(pk=offer.pk).status == OfferStatus.SENT  # the original is untouched


def test_a_duplicate_of_an_expired_offer_gets_a_new_expiry(manager, tenant, acme, manager_client):
    offer = build_offer(manager_client, acme)
    Offer.unscoped.filter(pk=offer.pk).update(valid_until=timezone.localdate() - timedelta(days=3))
    with tenant_scope(tenant):
        copy = offer_duplicate(offer=Offer.unscoped.get(pk=offer.pk), by=manager.user)
    assert copy.valid_until == timezone.localdate() + timedelta(days=30)


def test_technicians_cannot_edit_or_duplicate(client, tenant, acme, make_member, manager_client):
    offer = build_offer(manager_client, acme)
    tech = make_member(tenant, Role.TECHNICIAN)
    client.force_login(tech.user)
    assert client.get(reverse("offers:update", args=[offer.pk])).status_code == 403
    assert client.post(reverse("offers:duplicate", args=[offer.pk])).status_code == 403
    assert Offer.unscoped.count() == 1


def test_upgrade_ends_the_current_contract_the_day_the_new_one_starts(manager_client, manager, tenant, acme):
    first = build_offer(manager_client, acme)
    silver = Offer.unscoped.get(pk=first.pk).options.model.unscoped.get(offer=first, name="Silver")
    manager_client.post(reverse("offers:accept", args=[first.pk]), {"option": silver.pk})
    current = Contract.unscoped.get(client=acme, kind=ContractKind.MANAGED)
    Contract.unscoped.filter(pk=current.pk).update(start_date=timezone.localdate() - timedelta(days=60))

    upgrade = build_offer(manager_client, acme, title="Move to Platinum")
    # The builder and the offer page say what accepting does, before it is sent.
    for url in (reverse("offers:create") + f"?client={acme.pk}", upgrade.get_absolute_url()):
        body = manager_client.get(url).content.decode()
        assert "An upgrade or a downgrade" in body and "Accepting this offer ends it" in body, url

    platinum = OfferOption.unscoped.get(offer=upgrade, name="Platinum")
    response = manager_client.post(
        reverse("offers:accept", args=[upgrade.pk]), {"option": platinum.pk}, follow=True
    )
    text = response.content.decode()
    assert "ended the same day" in text
    today = tenant_today(tenant)  # the tenant's day, as its pages judge dates
    old = Contract.unscoped.get(pk=current.pk)
    assert (old.status, old.end_date) == (ContractStatus.ENDED, today - timedelta(days=1))
    new = Contract.unscoped.get(client=acme, kind=ContractKind.MANAGED, status=ContractStatus.ACTIVE)
    assert new.start_date == today and new.tier == tier_named(tenant, "Platinum")
    assert Offer.unscoped.get(pk=upgrade.pk).status == OfferStatus.ACCEPTED


def test_the_portal_says_the_offer_replaces_the_current_contract(client, tenant, acme, make_member, manager):
    with tenant_scope(tenant):
        current = Contract.objects.create(
            tenant=tenant, client=acme, kind=ContractKind.MANAGED, name="Silver for Acme",
            tier=tier_named(tenant, "Silver"), start_date=timezone.localdate(), currency="EUR",
        )  # fmt: skip
    from tests.factories import OfferFactory

    offer = OfferFactory(tenant=tenant, client=acme, quantities={"desktop": 3})
    Offer.unscoped.filter(pk=offer.pk).update(status=OfferStatus.SENT, sent_at=timezone.now())
    contact = make_member(tenant, Role.CLIENT, client=acme)
    client.force_login(contact.user)
    body = client.get(reverse("portal:offer", args=[offer.pk])).content.decode()
    assert "This offer replaces your current contract, Silver for Acme" in body
    option = OfferOption.unscoped.filter(offer=offer).order_by("position").last()
    client.post(reverse("portal:offer-accept", args=[offer.pk]), {"option": option.pk})
    assert Contract.unscoped.get(pk=current.pk).status == ContractStatus.ENDED
    assert Contract.unscoped.filter(client=acme, kind=ContractKind.MANAGED, status="active").count() == 1


def test_the_new_contract_cannot_start_before_the_current_one(tenant, acme, manager):
    with tenant_scope(tenant):
        Contract.objects.create(
            tenant=tenant, client=acme, kind=ContractKind.MANAGED, name="Future",
            start_date=timezone.localdate() + timedelta(days=10), currency="EUR",
        )  # fmt: skip
        from tests.factories import OfferFactory

        offer = OfferFactory(tenant=tenant, client=acme, quantities={"desktop": 3})
        with pytest.raises(ValidationError, match="cannot start before"):
            offer_accept(offer=offer, option=offer.options.first(), by=manager.user)
    assert Contract.unscoped.filter(client=acme).count() == 1


def test_a_contract_from_an_offer_gets_the_break_fix_rate(tenant, acme, manager):
    tenant.default_hourly_rate = Money("80.00", "EUR")
    tenant.save()
    from tests.factories import OfferFactory

    offer = OfferFactory(tenant=tenant, client=acme, quantities={"desktop": 3})
    with tenant_scope(tenant):
        contract = offer_accept(
            offer=Offer.unscoped.get(pk=offer.pk), option=offer.options.first(), by=manager.user
        )
    contract = Contract.unscoped.get(pk=contract.pk)
    assert contract.hourly_rate == Money("80.00", "EUR") and contract.overage_rate == Money("80.00", "EUR")
