"""Tiered offers: the builder with live totals, the frozen snapshot, sending, deciding, the API.

The issue's scenario: a client with 2 servers, 1 network device and 15 desktops; with the
seeded prices (Platinum: server 350, network 350, desktop 60) Platinum costs 1,950 a month,
and every tier's total is the sum of its kind prices times the counts.
"""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money
from rest_framework.test import APIClient

from assets.models import Asset
from contracts.choices import ContractKind
from contracts.models import Contract, ServiceTier, TierPrice
from contracts.services import tiers_seed
from msp.models import ApiToken
from msp.roles import Role
from msp.scoping import tenant_scope
from sales.choices import OfferStatus
from sales.models import Offer, OfferOption
from sales.services import offer_accept
from tests.factories import ClientFactory, ContactFactory, OfferFactory, RecurringServiceFactory

SCENARIO = {"server": 2, "network": 1, "desktop": 15}
EXPECTED = {"Silver": Decimal("825.00"), "Gold": Decimal("1425.00"), "Platinum": Decimal("1950.00")}


def add_assets(client, **counts):
    Asset.unscoped.bulk_create(
        Asset(tenant=client.tenant, client=client, kind=kind, name=f"{client.name} {kind} {n}")
        for kind, count in counts.items()
        for n in range(count)
    )


def builder_data(client, **overrides):
    """The builder's form as the page posts it, with the scenario's quantities."""
    data = {
        "client": client.pk,
        "qty_server": 2,
        "qty_desktop": 15,
        "qty_laptop": 0,
        "qty_network": 1,
        "qty_printer": 0,
        "qty_other": 0,
        "discount_percent": "0",
        "hour_block_hours": "0",
        "hour_block_price": "",
        "recommended_tier": "",
        "title": "Managed IT for Acme",
        "valid_until": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def api_for(membership) -> APIClient:
    _token, key = ApiToken.issue(membership)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return http


@pytest.fixture
def tiers(tenant):
    return tiers_seed(tenant=tenant)


@pytest.fixture
def acme(tenant, tiers):
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


def tier_named(tenant, name) -> ServiceTier:
    return ServiceTier.unscoped.get(tenant=tenant, name=name)


def options_by_name(offer) -> dict[str, OfferOption]:
    return {option.name: option for option in OfferOption.unscoped.filter(offer=offer)}


def build_offer(manager_client, acme, **overrides) -> Offer:
    response = manager_client.post(reverse("offers:create"), builder_data(acme, **overrides))
    assert response.status_code == 302, response.content.decode()[:3000]
    offer = Offer.unscoped.latest("pk")
    assert response["Location"] == offer.get_absolute_url()
    return offer


# --- the scenario -----------------------------------------------------------------------


@pytest.mark.django_db
def test_scenario_tier_totals_snapshot_and_accepting_once(manager_client, manager, tenant, acme):
    offer = build_offer(manager_client, acme)
    assert (offer.client, offer.status, offer.currency, offer.created_by) == (
        acme,
        OfferStatus.DRAFT,
        "EUR",
        manager.user,
    )
    options = options_by_name(offer)
    assert list(options) == ["Silver", "Gold", "Platinum"]
    for name, option in options.items():
        # Each total is the sum of the tier's kind prices times the counts.
        prices = {p.kind: p.price.amount for p in TierPrice.unscoped.filter(tier=tier_named(tenant, name))}
        assert option.monthly_total == Money(sum(prices[k] * n for k, n in SCENARIO.items()), "EUR")
        assert option.monthly_total.amount == EXPECTED[name]
        assert option.quantities == SCENARIO
    platinum = options["Platinum"]
    assert platinum.monthly_total == Money("1950.00", "EUR")
    assert {line["kind"]: line["unit_price"] for line in platinum.lines} == {
        "server": "350.00",
        "desktop": "60.00",
        "network": "350.00",
    }

    # The snapshot does not move when the tier's prices change later.
    TierPrice.unscoped.filter(tier=tier_named(tenant, "Platinum"), kind="desktop").update(
        price=Money("80", "EUR")
    )
    ServiceTier.unscoped.filter(tenant=tenant, name="Platinum").update(features=[])
    platinum.refresh_from_db()
    assert platinum.monthly_total == Money("1950.00", "EUR")
    assert {line["kind"]: line["unit_price"] for line in platinum.lines}["desktop"] == "60.00"
    assert "monitoring" in platinum.features
    page = manager_client.get(offer.get_absolute_url()).content.decode()
    assert "€1,950.00" in page and "€2,250.00" not in page

    # Accepting creates exactly one contract ...
    response = manager_client.post(
        reverse("offers:accept", args=[offer.pk]), {"option": platinum.pk}, follow=True
    )
    contract = Contract.unscoped.get()
    assert (contract.client, contract.kind, contract.tier, contract.offer) == (
        acme,
        ContractKind.MANAGED,
        tier_named(tenant, "Platinum"),
        offer,
    )
    assert contract.monthly_fee == Money("1950.00", "EUR")
    assert contract.lines == platinum.lines
    offer.refresh_from_db()
    assert (offer.status, offer.accepted_option, offer.decided_by) == (
        OfferStatus.ACCEPTED,
        platinum,
        manager.user,
    )
    html = response.content.decode()
    assert "Platinum was accepted." in html
    assert contract.get_absolute_url() in html  # the offer links to its contract

    # ... and a second accept is refused with a clear error.
    response = manager_client.post(
        reverse("offers:accept", args=[offer.pk]), {"option": options["Gold"].pk}, follow=True
    )
    assert "This offer was already accepted; it cannot be accepted again." in response.content.decode()
    assert Contract.unscoped.count() == 1
    offer.refresh_from_db()
    assert offer.accepted_option == platinum


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_concurrent_accepts_create_one_contract(tenant, acme, manager):
    """Two people accept at the same moment (the contact in the portal and the account
    manager, say): the row lock lets one through; the other is refused."""
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    options = list(OfferOption.unscoped.filter(offer=offer).order_by("position"))
    barrier = threading.Barrier(2)
    outcomes = []

    def accept(option):
        try:
            with tenant_scope(tenant):
                fresh = Offer.objects.get(pk=offer.pk)
                barrier.wait(timeout=10)
                offer_accept(offer=fresh, option=option, by=manager.user)
            outcomes.append("accepted")
        except Exception as error:  # noqa: BLE001 - recorded and asserted below
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(option,)) for option in options[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ValidationError", "accepted"]
    assert Contract.unscoped.filter(offer=offer).count() == 1
    assert Contract.unscoped.count() == 1


# --- the builder ------------------------------------------------------------------------


@pytest.mark.django_db
def test_builder_shows_three_tiers_with_inventory_quantities(manager_client, acme):
    response = manager_client.get(reverse("offers:create"), {"client": acme.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert [form[f"qty_{k}"].value() for k in ("server", "network", "desktop", "laptop")] == [2, 1, 15, 0]
    columns = response.context["columns"]
    assert [(c.name, c.monthly_total.amount) for c in columns] == list(EXPECTED.items())
    html = response.content.decode()
    assert "In inventory: 15" in html
    for total in ("€825.00", "€1,425.00", "€1,950.00"):
        assert total in html
    assert 'hx-post="/offers/price/"' in html
    assert not Offer.unscoped.exists()


@pytest.mark.django_db
def test_live_pricing_recomputes_without_saving(manager_client, acme, tenant):
    gold = tier_named(tenant, "Gold")
    response = manager_client.post(
        reverse("offers:price"),
        builder_data(
            acme,
            qty_desktop=20,
            discount_percent="10",
            recommended_tier=gold.pk,
            hour_block_hours="10",
            hour_block_price="800",
        ),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # the columns partial only
    # Platinum: 2×350 + 350 + 20×60 = 2,250, minus 10 % = 2,025.
    assert "€2,250.00" in html and "€2,025.00" in html and "−€225.00" in html
    assert [c.name for c in response.context["columns"] if c.recommended] == ["Gold"]
    assert 'is-recommended" data-option="Gold"' in html
    assert "Add-on: 10 prepaid hours for €800.00, one-off." in html
    assert not Offer.unscoped.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"qty_desktop": "-1"}, "qty_desktop", "A quantity cannot be negative."),
        ({"qty_server": "abc"}, "qty_server", "Enter a whole number."),
        ({"qty_server": "100001"}, "qty_server", "At most 100000."),
        ({"discount_percent": "150"}, "discount_percent", "A discount is at most 100 %."),
        ({"discount_percent": "-5"}, "discount_percent", "A discount cannot be negative."),
        ({"hour_block_hours": "10"}, "hour_block_price", "Give the price of the prepaid hours."),
        ({"hour_block_hours": "-1"}, "hour_block_hours", "Hours cannot be negative."),
        ({"valid_until": "2001-01-01"}, "valid_until", "The offer cannot expire in the past."),
        ({"recommended_tier": "999999"}, "recommended_tier", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_clearly_and_saves_nothing(manager_client, acme, overrides, field, message):
    response = manager_client.post(reverse("offers:create"), builder_data(acme, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Offer.unscoped.exists()
    # The live totals say what to fix instead of showing stale numbers.
    partial = manager_client.post(reverse("offers:price"), builder_data(acme, **overrides)).content.decode()
    assert "Fix these to see the totals" in partial and message in partial


@pytest.mark.django_db
def test_no_tiers_in_the_clients_currency(manager_client, tenant, tiers):
    dollars = ClientFactory(tenant=tenant, name="Yankee Doodle", currency="USD")
    page = manager_client.get(reverse("offers:create"), {"client": dollars.pk}).content.decode()
    assert "There are no service tiers priced in USD" in page
    response = manager_client.post(reverse("offers:create"), builder_data(dollars))
    assert response.status_code == 200
    assert "There are no service tiers priced in USD" in str(response.context["form"].non_field_errors())
    assert not Offer.unscoped.exists()


@pytest.mark.django_db
def test_builder_refuses_another_tenants_client_and_garbage(manager_client, other_tenant, acme):
    foreign = ClientFactory(tenant=other_tenant)
    assert manager_client.get(reverse("offers:create"), {"client": foreign.pk}).status_code == 404
    assert manager_client.get(reverse("offers:create"), {"client": "x"}).status_code == 404
    assert manager_client.post(reverse("offers:create"), builder_data(foreign)).status_code == 404
    assert manager_client.post(reverse("offers:price"), {"client": "nope"}).status_code == 404
    assert manager_client.get(reverse("offers:price")).status_code == 405


@pytest.mark.django_db
def test_builder_without_a_client_lists_clients_to_pick(manager_client, acme, tenant):
    ClientFactory(tenant=tenant, name="Zeta Hotels")
    page = manager_client.get(reverse("offers:create")).content.decode()
    assert "Acme Dental" in page and "Zeta Hotels" in page
    assert f"/offers/new/?client={acme.pk}" in page
    partial = manager_client.get(
        reverse("offers:create"), {"q": "zeta"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Zeta Hotels" in partial and "Acme Dental" not in partial and "<html" not in partial


@pytest.mark.django_db
def test_discount_hour_block_services_and_recommendation_are_saved(manager_client, acme, tenant):
    gold = tier_named(tenant, "Gold")
    with tenant_scope(tenant):
        from contracts.models import RecurringService

        antivirus = RecurringService.objects.get(name="Antivirus")
    offer = build_offer(
        manager_client,
        acme,
        discount_percent="10",
        hour_block_hours="10",
        hour_block_price="800",
        recommended_tier=gold.pk,
        **{f"svc_{antivirus.pk}": "18"},
        notes="Includes onboarding.",
    )
    assert (offer.discount_percent, offer.hour_block_minutes, offer.hour_block_price) == (
        Decimal("10.00"),
        600,
        Money("800", "EUR"),
    )
    assert offer.recommended_tier == gold
    platinum = options_by_name(offer)["Platinum"]
    # (1,950 + 18 × 5) − 10 % = 1,836.
    assert platinum.monthly_total == Money("1836.00", "EUR")
    assert {
        "label": "Antivirus",
        "quantity": 18,
        "unit_price": "5.00",
        "amount": "90.00",
        "service": antivirus.pk,
    } in platinum.lines
    page = manager_client.get(offer.get_absolute_url()).content.decode()
    assert 'is-recommended" data-option="Gold"' in page and "Includes onboarding." in page

    # Accepting with the hour block makes a prepaid-hours contract beside the managed one.
    manager_client.post(reverse("offers:accept", args=[offer.pk]), {"option": platinum.pk})
    kinds = sorted(Contract.unscoped.values_list("kind", flat=True))
    assert kinds == [ContractKind.MANAGED, ContractKind.PREPAID_HOURS]
    prepaid = Contract.unscoped.get(kind=ContractKind.PREPAID_HOURS)
    assert (prepaid.renew_block_minutes, prepaid.renew_block_price) == (600, Money("800", "EUR"))


# --- the offer page, list, delete, decline -----------------------------------------------


@pytest.mark.django_db
def test_detail_shows_the_frozen_options_and_actions(manager_client, acme):
    offer = build_offer(manager_client, acme)
    html = manager_client.get(offer.get_absolute_url()).content.decode()
    for name in EXPECTED:
        assert f'data-option="{name}"' in html
    assert reverse("offers:pdf", args=[offer.pk]) in html
    assert reverse("offers:send", args=[offer.pk]) in html
    assert reverse("offers:delete", args=[offer.pk]) in html
    assert "Accept on the client" in html and "behalf" in html
    assert reverse("offers:decline", args=[offer.pk]) in html


@pytest.mark.django_db
def test_technician_and_client_contacts_cannot_use_the_staff_offer_pages(client, tenant, acme, make_member):
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    client.force_login(make_member(tenant, Role.TECHNICIAN).user)
    for url in (reverse("offers:list"), reverse("offers:create"), offer.get_absolute_url()):
        assert client.get(url).status_code == 403
    assert client.post(reverse("offers:accept", args=[offer.pk]), {"option": 1}).status_code == 403
    client.force_login(make_member(tenant, Role.CLIENT, client=acme).user)
    assert client.get(reverse("offers:list")).status_code == 403
    assert client.get(offer.get_absolute_url()).status_code == 403
    assert client.post(reverse("offers:accept", args=[offer.pk]), {"option": 1}).status_code == 403
    assert not Contract.unscoped.exists()


@pytest.mark.django_db
def test_list_filters_by_status_client_and_search(manager_client, tenant, acme):
    zeta = ClientFactory(tenant=tenant, name="Zeta Hotels")
    draft = OfferFactory(tenant=tenant, client=acme, title="Acme draft")
    sent = OfferFactory(tenant=tenant, client=acme, title="Acme sent", status="sent")
    other = OfferFactory(tenant=tenant, client=zeta, title="Zeta accepted", status="accepted", accept="Gold")

    def listed(**params):
        return [o.title for o in manager_client.get(reverse("offers:list"), params).context["object_list"]]

    assert set(listed()) == {draft.title, sent.title, other.title}
    assert listed(status="sent") == ["Acme sent"]
    assert set(listed(client=acme.pk)) == {"Acme draft", "Acme sent"}
    assert listed(q="zeta") == ["Zeta accepted"]
    assert listed(status="bogus", client="x") and listed(status="declined") == []
    partial = manager_client.get(reverse("offers:list"), {"status": "accepted"}, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert "<html" not in html and "Zeta accepted" in html and "Gold" in html


@pytest.mark.django_db
def test_only_drafts_can_be_deleted(manager_client, tenant, acme):
    draft = OfferFactory(tenant=tenant, client=acme)
    sent = OfferFactory(tenant=tenant, client=acme, status="sent")
    assert manager_client.get(reverse("offers:delete", args=[draft.pk])).status_code == 200
    response = manager_client.post(reverse("offers:delete", args=[draft.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("offers:list")
    assert not Offer.unscoped.filter(pk=draft.pk).exists()
    assert not OfferOption.unscoped.filter(offer_id=draft.pk).exists()

    response = manager_client.post(reverse("offers:delete", args=[sent.pk]), follow=True)
    assert "Only a draft offer can be deleted; this one was already sent." in response.content.decode()
    assert manager_client.delete(reverse("offers:delete", args=[sent.pk])).status_code == 405
    assert Offer.unscoped.filter(pk=sent.pk).exists()
    assert (
        reverse("offers:delete", args=[sent.pk])
        not in manager_client.get(sent.get_absolute_url()).content.decode()
    )


@pytest.mark.django_db
def test_decline_on_the_clients_behalf_then_accept_is_refused(manager_client, tenant, acme):
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    response = manager_client.post(reverse("offers:decline", args=[offer.pk]), follow=True)
    assert "The offer was marked as declined." in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    option = OfferOption.unscoped.filter(offer=offer).first()
    response = manager_client.post(
        reverse("offers:accept", args=[offer.pk]), {"option": option.pk}, follow=True
    )
    assert "This offer was already declined; it cannot be accepted again." in response.content.decode()
    assert not Contract.unscoped.exists()


@pytest.mark.django_db
def test_accepting_an_option_of_another_offer_is_refused(manager_client, tenant, acme):
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    elsewhere = OfferFactory(tenant=tenant, client=ClientFactory(tenant=tenant), status="sent")
    foreign_option = OfferOption.unscoped.filter(offer=elsewhere).first()
    response = manager_client.post(
        reverse("offers:accept", args=[offer.pk]), {"option": foreign_option.pk}, follow=True
    )
    assert "Choose one of the offer&#x27;s options." in response.content.decode()
    assert not Contract.unscoped.exists()


# --- sending ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_send_emails_the_pdf_and_the_portal_link(
    manager_client, manager, tenant, acme, django_capture_on_commit_callbacks
):
    jane = ContactFactory(
        tenant=tenant, client=acme, name="Jane Doe", email="jane@acme.example", portal_access=True
    )
    ContactFactory(tenant=tenant, client=acme, name="No Mail", email="")
    ContactFactory(tenant=tenant, client=ClientFactory(tenant=tenant), name="Someone Else")
    offer = build_offer(manager_client, acme)

    page = manager_client.get(reverse("offers:send", args=[offer.pk]))
    html = page.content.decode()
    assert "Jane Doe &lt;jane@acme.example&gt;" in html
    assert "No Mail" not in html and "Someone Else" not in html
    assert page.context["form"]["contacts"].value() == [jane.pk]  # portal users are ticked

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("offers:send", args=[offer.pk]), {"contacts": [jane.pk], "message": "As discussed."}
        )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.SENT and offer.sent_at is not None
    [email] = mail.outbox  # written by the worker, queued, then sent (msp.mail): read off the wire
    wire = email.message()
    assert email.to == ["jane@acme.example"]
    assert wire["Reply-To"] == manager.user.email
    assert "Managed IT for Acme" in email.subject and "Alpha MSP" in email.subject
    assert "Dear Jane Doe," in email.body and "As discussed." in email.body
    assert f"http://testserver/portal/offers/{offer.pk}/" in email.body
    assert "- Platinum: €1,950.00 per month" in email.body
    [attachment] = wire.iter_attachments()
    assert attachment.get_content_type() == "application/pdf" and attachment.get_content().startswith(b"%PDF")
    assert attachment.get_filename() == f"offer-{offer.pk}-acme-dental.pdf"


@pytest.mark.django_db
def test_send_needs_a_contact_of_this_client(manager_client, tenant, acme):
    stranger = ContactFactory(tenant=tenant, client=ClientFactory(tenant=tenant), email="x@y.example")
    offer = OfferFactory(tenant=tenant, client=acme)
    response = manager_client.post(reverse("offers:send", args=[offer.pk]), {"contacts": []})
    assert response.context["form"].errors["contacts"] == [
        "Choose at least one contact to send the offer to."
    ]
    response = manager_client.post(reverse("offers:send", args=[offer.pk]), {"contacts": [stranger.pk]})
    assert "contacts" in response.context["form"].errors
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DRAFT and not mail.outbox


@pytest.mark.django_db
def test_a_decided_offer_cannot_be_sent_again(manager_client, tenant, acme):
    offer = OfferFactory(tenant=tenant, client=acme, status="declined")
    response = manager_client.get(reverse("offers:send", args=[offer.pk]), follow=True)
    assert "This offer was already declined; it cannot be sent again." in response.content.decode()


# --- no N+1 -----------------------------------------------------------------------------


def _count_queries(http, url, params=None) -> int:
    http.get(url, params or {})  # warm up: the first request of a session writes the session
    with CaptureQueriesContext(connection) as queries:
        response = http.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_builder_queries_do_not_grow_with_assets_or_tiers(manager_client, tenant, acme):
    url = reverse("offers:create")
    small = _count_queries(manager_client, url, {"client": acme.pk})
    add_assets(acme, server=20, desktop=200, laptop=40, printer=5)
    for n in range(4):  # more tiers, each with prices
        tier = ServiceTier.unscoped.create(tenant=tenant, name=f"Extra {n}", currency="EUR", position=10 + n)
        TierPrice.unscoped.bulk_create(
            TierPrice(tenant=tenant, tier=tier, kind=kind, price=Money("10", "EUR"))
            for kind in ("server", "desktop", "laptop")
        )
    response = manager_client.get(url, {"client": acme.pk})
    assert len(response.context["columns"]) == 7
    assert _count_queries(manager_client, url, {"client": acme.pk}) == small
    with CaptureQueriesContext(connection) as queries:
        manager_client.post(reverse("offers:price"), builder_data(acme))
    assert len(queries) <= small  # the fragment has no header (the page counts unread notifications)


@pytest.mark.django_db
def test_offer_list_and_detail_queries_are_constant(manager_client, tenant, acme):
    OfferFactory(tenant=tenant, client=acme, status="accepted", accept="Gold")
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    url = reverse("offers:list")
    small = _count_queries(manager_client, url)
    detail = _count_queries(manager_client, offer.get_absolute_url())
    for n in range(8):
        OfferFactory(
            tenant=tenant, client=ClientFactory(tenant=tenant), status=["draft", "sent", "declined"][n % 3]
        )
    assert _count_queries(manager_client, url) == small
    assert _count_queries(manager_client, offer.get_absolute_url()) == detail


# --- API ----------------------------------------------------------------------------------

OFFERS_URL = "/api/v1/offers/"


@pytest.fixture
def manager_api(manager):
    return api_for(manager)


@pytest.mark.django_db
def test_api_create_defaults_to_the_inventory_and_freezes_prices(manager_api, tenant, acme):
    response = manager_api.post(OFFERS_URL, {"client": acme.pk, "title": "Via API"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["client"], body["status"], body["title"], body["contract"]) == (
        acme.pk,
        "draft",
        "Via API",
        None,
    )
    options = {o["name"]: o for o in body["options"]}
    assert list(options) == ["Silver", "Gold", "Platinum"]
    assert options["Platinum"]["monthly_total"] == "1950.00"
    assert options["Platinum"]["monthly_total_currency"] == "EUR"
    assert options["Platinum"]["tier"] == tier_named(tenant, "Platinum").pk
    assert options["Platinum"]["quantities"] == SCENARIO
    assert {o["name"]: o["monthly_total"] for o in body["options"]} == {
        k: str(v) for k, v in EXPECTED.items()
    }

    custom = manager_api.post(
        OFFERS_URL,
        {
            "client": acme.pk,
            "quantities": {"server": 1, "desktop": 10},
            "discount_percent": "5",
            "hour_block_minutes": 600,
            "hour_block_price": "750.00",
            "recommended_tier": tier_named(tenant, "Gold").pk,
        },
        format="json",
    ).json()
    # Platinum: 350 + 10 × 60 = 950, minus 5 % = 902.50.
    assert {o["name"]: o["monthly_total"] for o in custom["options"]}["Platinum"] == "902.50"
    assert (
        custom["hour_block_minutes"],
        custom["hour_block_price"],
        custom["hour_block_price_currency"],
    ) == (
        600,
        "750.00",
        "EUR",
    )

    listed = manager_api.get(OFFERS_URL, {"client": acme.pk}).json()
    assert listed["count"] == 2 and {"count", "next", "previous", "results"} <= set(listed)
    assert manager_api.get(f"{OFFERS_URL}{body['id']}/").json()["options"] == body["options"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"quantities": {"server": -1}}, "quantities"),
        ({"quantities": {"toaster": 3}}, "quantities"),
        ({"discount_percent": "150"}, "discount_percent"),
        ({"hour_block_minutes": 600}, "hour_block_price"),
        ({"hour_block_minutes": -5}, "hour_block_minutes"),
        ({"services": {"abc": 1}}, "services"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_api_create_refuses_bad_input(manager_api, acme, payload, field):
    response = manager_api.post(OFFERS_URL, {"client": acme.pk, **payload}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Offer.unscoped.exists()


@pytest.mark.django_db
def test_api_create_refuses_another_tenants_client(manager_api, other_tenant, acme):
    foreign = ClientFactory(tenant=other_tenant)
    response = manager_api.post(OFFERS_URL, {"client": foreign.pk}, format="json")
    assert response.status_code == 400 and "client" in response.json()


@pytest.mark.django_db
def test_api_accept_once_then_409(manager_api, tenant, acme):
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    gold = tier_named(tenant, "Gold")
    url = f"{OFFERS_URL}{offer.pk}/accept/"
    assert manager_api.post(url, {"tier": 999999}, format="json").status_code == 400
    assert manager_api.post(url, {}, format="json").status_code == 400
    response = manager_api.post(url, {"tier": gold.pk}, format="json")
    assert response.status_code == 201, response.json()
    contract = Contract.unscoped.get()
    assert response.json()["contract"] == contract.pk
    assert response.json()["offer"]["status"] == "accepted"
    assert contract.monthly_fee == Money("1425.00", "EUR")

    again = manager_api.post(url, {"tier": gold.pk}, format="json")
    assert again.status_code == 409
    assert again.json() == {"detail": "This offer was already accepted; it cannot be accepted again."}
    assert manager_api.post(f"{OFFERS_URL}{offer.pk}/decline/").status_code == 409
    assert Contract.unscoped.count() == 1


@pytest.mark.django_db
def test_api_pdf_send_and_decline(manager_api, tenant, acme, django_capture_on_commit_callbacks):
    jane = ContactFactory(tenant=tenant, client=acme, email="jane@acme.example")
    offer = OfferFactory(tenant=tenant, client=acme)
    response = manager_api.get(f"{OFFERS_URL}{offer.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    response = manager_api.get(f"{OFFERS_URL}{offer.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")

    ContactFactory(tenant=tenant, client=acme, name="No Mail", email="")
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(f"{OFFERS_URL}{offer.pk}/send/", {"contacts": [jane.pk]}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "sent"
    assert [m.to for m in mail.outbox] == [["jane@acme.example"]]
    assert [c["email"] for c in response.json()["sent_to"]] == ["jane@acme.example"]

    # No contacts named: every contact of the client with an email gets it, and the answer says who.
    joe = ContactFactory(tenant=tenant, client=acme, name="Joe", email="joe@acme.example")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(f"{OFFERS_URL}{offer.pk}/send/", {"contacts": []}, format="json")
    assert response.status_code == 200
    assert sorted(c["id"] for c in response.json()["sent_to"]) == sorted([jane.pk, joe.pk])
    assert sorted(m.to[0] for m in mail.outbox) == ["jane@acme.example", "joe@acme.example"]

    response = manager_api.post(f"{OFFERS_URL}{offer.pk}/decline/")
    assert response.status_code == 200 and response.json()["status"] == "declined"


@pytest.mark.django_db
def test_api_client_contacts_see_and_decide_only_offers_sent_to_them(tenant, acme, make_member):
    contact = make_member(tenant, Role.CLIENT, client=acme)
    draft = OfferFactory(tenant=tenant, client=acme, title="Not yet")
    sent = OfferFactory(tenant=tenant, client=acme, title="For you", status="sent")
    sibling = OfferFactory(tenant=tenant, client=ClientFactory(tenant=tenant), status="sent")
    http = api_for(contact)
    assert [o["title"] for o in http.get(OFFERS_URL).json()["results"]] == ["For you"]
    assert http.get(f"{OFFERS_URL}{draft.pk}/").status_code == 404
    assert http.get(f"{OFFERS_URL}{sibling.pk}/").status_code == 404
    assert http.post(f"{OFFERS_URL}{sibling.pk}/accept/", {"tier": 1}, format="json").status_code == 404
    assert http.post(OFFERS_URL, {"client": acme.pk}, format="json").status_code == 403
    assert http.post(f"{OFFERS_URL}{sent.pk}/send/", {"contacts": []}, format="json").status_code == 403
    assert http.get(f"{OFFERS_URL}{sent.pk}/pdf/").status_code == 200
    response = http.post(
        f"{OFFERS_URL}{sent.pk}/accept/", {"tier": tier_named(tenant, "Silver").pk}, format="json"
    )
    assert response.status_code == 201
    assert Contract.unscoped.get().client == acme


@pytest.mark.django_db
def test_api_technicians_have_no_offers(tenant, acme, make_member):
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    http = api_for(make_member(tenant, Role.TECHNICIAN))
    assert http.get(OFFERS_URL).status_code == 403
    assert http.get(f"{OFFERS_URL}{offer.pk}/").status_code == 403
    assert http.post(f"{OFFERS_URL}{offer.pk}/accept/", {"tier": 1}, format="json").status_code == 403


@pytest.mark.django_db
def test_api_list_queries_are_constant(manager_api, tenant, acme):
    OfferFactory(tenant=tenant, client=acme, status="accepted")
    manager_api.get(OFFERS_URL)  # warm up: the token's first use is recorded
    with CaptureQueriesContext(connection) as small:
        manager_api.get(OFFERS_URL)
    for _ in range(6):
        OfferFactory(tenant=tenant, client=ClientFactory(tenant=tenant), status="sent")
    with CaptureQueriesContext(connection) as large:
        assert manager_api.get(OFFERS_URL).json()["count"] == 7
    assert len(large) == len(small)


@pytest.mark.django_db
def test_api_send_with_nobody_to_send_to_is_a_clear_400_and_changes_nothing(manager_api, tenant, acme):
    ContactFactory(tenant=tenant, client=acme, name="No Mail", email="")
    offer = OfferFactory(tenant=tenant, client=acme)
    response = manager_api.post(f"{OFFERS_URL}{offer.pk}/send/", {}, format="json")
    assert response.status_code == 400
    assert "no contact with an email" in str(response.json())
    assert Offer.unscoped.get(pk=offer.pk).status == "draft" and not mail.outbox


@pytest.mark.django_db
def test_api_create_refuses_unknown_services_naming_them(manager_api, tenant, other_tenant, acme):
    """Issue 20: unknown à-la-carte ids were dropped, the offer made without them (201)."""
    backup = RecurringServiceFactory(tenant=tenant, name="Backup", price=Money(Decimal("15.00"), "EUR"))
    retired = RecurringServiceFactory(
        tenant=tenant, name="Fax", is_active=False, price=Money(Decimal("5.00"), "EUR")
    )
    theirs = RecurringServiceFactory(tenant=other_tenant, name="Theirs")
    services = {str(backup.pk): 2, str(retired.pk): 1, str(theirs.pk): 1, "999999": 0}
    response = manager_api.post(OFFERS_URL, {"client": acme.pk, "services": services}, format="json")
    assert response.status_code == 400
    message = response.json()["services"][0]
    assert f"{retired.pk}, {theirs.pk}, 999999" in message and str(backup.pk) not in message.split("id ")[1]
    assert not Offer.unscoped.exists()
    response = manager_api.post(OFFERS_URL, {"client": acme.pk, "services": {backup.pk: 2}}, format="json")
    assert response.status_code == 201


@pytest.mark.django_db
def test_api_lists_in_an_offer_are_bounded(manager_api, tenant, acme):
    offer = OfferFactory(tenant=tenant, client=acme)
    response = manager_api.post(
        f"{OFFERS_URL}{offer.pk}/send/", {"contacts": list(range(1, 10_002))}, format="json"
    )
    assert response.status_code == 400 and "At most 100 contacts" in response.json()["contacts"][0]
    many = {str(n): 1 for n in range(1, 10_002)}
    response = manager_api.post(OFFERS_URL, {"client": acme.pk, "services": many}, format="json")
    assert response.status_code == 400 and "At most 100 services" in response.json()["services"][0]
    kinds = {f"kind{n}": 1 for n in range(10_000)}
    response = manager_api.post(OFFERS_URL, {"client": acme.pk, "quantities": kinds}, format="json")
    assert response.status_code == 400 and len(response.content) < 1000
