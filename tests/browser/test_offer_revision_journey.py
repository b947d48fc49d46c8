"""An account manager revises an offer and upgrades a client, in headless Chromium; the
client's contact then reads the hours statement in the portal, in Italian.

Acme Dental has a Silver managed contract and prepaid hours. The account manager builds an
offer (the builder says it is an upgrade before anything is sent), edits the draft, duplicates
it, sends the copy and accepts Platinum on the client's behalf: Silver ends the same day and
Platinum starts. The contact then opens the portal's prepaid hours: each line names the
ticket, the technician by name and the work done, in Italian.
"""

from datetime import timedelta

from django.utils import timezone
from djmoney.money import Money
from playwright.sync_api import expect

from contracts.choices import ContractKind, ContractStatus
from contracts.models import BlockOrigin, Contract, ServiceTier
from contracts.services import tiers_seed
from contracts.services.hours import block_purchase
from msp.roles import Role
from msp.scoping import tenant_scope
from sales.choices import OfferStatus
from sales.models import Offer, OfferOption
from tests.browser.test_offer_journey import field, heading, log_in, log_out, messages, option_total
from tests.factories import (
    ClientFactory,
    ContactFactory,
    ContractFactory,
    MembershipFactory,
    TenantFactory,
    TicketFactory,
    UserFactory,
    tenant_today,
)
from tests.sales.test_offers import add_assets
from timetracking.services import time_entry_create


def test_offer_revision_and_upgrade_journey(page, live_server, shot):
    url = live_server.url
    tenant = TenantFactory(
        name="Lantern IT",
        slug="lantern-it",
        default_currency="EUR",
        legal_name="Lantern IT S.r.l.",
        vat_number="IT09876543210",
        address="Via Torino 2, Milano",
    )
    tiers_seed(tenant=tenant)
    MembershipFactory(
        tenant=tenant,
        user=UserFactory(username="marta", first_name="Marta", last_name="Bianchi"),
        role=Role.ACCOUNT_MANAGER,
    )
    giulia = UserFactory(username="grossi", first_name="Giulia", last_name="Rossi")
    MembershipFactory(tenant=tenant, user=giulia, role=Role.TECHNICIAN)
    acme = ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")
    add_assets(acme, server=2, network=1, desktop=15)
    ContactFactory(tenant=tenant, client=acme, name="Jane Doe", email="jane@acme.example", portal_access=True)
    MembershipFactory(
        tenant=tenant, user=UserFactory(username="jane", language="it"), role=Role.CLIENT, client=acme
    )
    silver = Contract.unscoped.create(
        tenant=tenant,
        client=acme,
        kind=ContractKind.MANAGED,
        name="Silver · Acme Dental",
        tier=ServiceTier.unscoped.get(tenant=tenant, name="Silver"),
        start_date=timezone.localdate() - timedelta(days=90),
        currency="EUR",
    )
    prepaid = ContractFactory(
        tenant=tenant, client=acme, kind=ContractKind.PREPAID_HOURS, name="Ore prepagate Acme", currency="EUR"
    )
    block_purchase(contract=prepaid, minutes=600, price=Money("900.00", "EUR"), origin=BlockOrigin.INITIAL)
    ticket = TicketFactory(tenant=tenant, client=acme, contract=prepaid, subject="Stampante inceppata")
    with tenant_scope(tenant):
        time_entry_create(ticket=ticket, technician=giulia, minutes=25, note="Sostituito il fusore")

    # a. A new offer: the builder says it is an upgrade before anything is sent ------------
    log_in(page, url, "marta")
    page.goto(f"{url}/offers/new/?client={acme.pk}")
    expect(heading(page)).to_have_text("New offer for Acme Dental")
    notice = page.get_by_test_id("offer-replaces")
    expect(notice).to_contain_text("Acme Dental already has a managed contract, Silver · Acme Dental")
    expect(notice).to_contain_text("Accepting this offer ends it and starts the new one on the same day")
    expect(page.get_by_test_id("tax-line").first).to_contain_text("Tax 22 %")
    field(page, "Title").fill("Managed IT for Acme Dental")
    shot(page, "builder-says-upgrade")
    page.get_by_role("button", name="Save offer").click()
    expect(messages(page)).to_contain_text("The offer was saved with today's prices.")
    expect(option_total(page, "Platinum")).to_have_text("€1,950.00")
    expect(page.get_by_test_id("offer-parties")).to_contain_text("Lantern IT S.r.l.")
    expect(page.get_by_test_id("offer-parties")).to_contain_text("For the attention of Jane Doe")
    expect(page.locator('.offer-option[data-option="Platinum"]')).to_contain_text("First response within 2 h")
    first = Offer.unscoped.get()

    # b. Edit the draft in the same builder ----------------------------------------------
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(heading(page)).to_have_text("Edit the offer for Acme Dental")
    expect(field(page, "Desktop")).to_have_value("15")
    expect(field(page, "Title")).to_have_value("Managed IT for Acme Dental")
    with page.expect_response(lambda r: r.url.endswith("/offers/price/")):
        field(page, "Desktop").fill("20")
    expect(option_total(page, "Platinum")).to_have_text("€2,250.00")
    shot(page, "editing-the-draft")
    page.get_by_role("button", name="Save offer").click()
    expect(messages(page)).to_contain_text("priced again with today's prices")
    expect(option_total(page, "Platinum")).to_have_text("€2,250.00")
    assert Offer.unscoped.count() == 1

    # c. Duplicate it, then send the copy --------------------------------------------------
    page.get_by_role("button", name="Duplicate").click()
    expect(heading(page)).to_have_text("Edit the offer for Acme Dental")
    expect(messages(page)).to_contain_text(f"copied from offer {first.pk}")
    expect(field(page, "Desktop")).to_have_value("20")
    field(page, "Title").fill("Managed IT for Acme Dental, revised")
    page.get_by_role("button", name="Save offer").click()
    expect(heading(page)).to_have_text("Managed IT for Acme Dental, revised")
    copy = Offer.unscoped.latest("pk")
    assert copy.pk != first.pk and copy.status == OfferStatus.DRAFT
    page.get_by_role("link", name="Send to client").click()
    page.get_by_role("button", name="Send offer").click()
    expect(messages(page)).to_contain_text("The offer was sent to Jane Doe <jane@acme.example>.")
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)  # sent: no more edits
    shot(page, "copy-sent")

    # d. Accept Platinum on the client's behalf: Silver ends, Platinum starts the same day --
    expect(page.get_by_test_id("offer-replaces")).to_be_visible()
    platinum_option = OfferOption.unscoped.get(offer=copy, name="Platinum")
    page.get_by_label("Option").select_option(value=str(platinum_option.pk))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Accept on the client's behalf").click()
    expect(messages(page)).to_contain_text("Platinum was accepted.")
    expect(messages(page)).to_contain_text("“Silver · Acme Dental” ended the same day.")
    shot(page, "upgrade-accepted")
    today = tenant_today(tenant)  # the tenant's day, as its pages judge dates
    silver.refresh_from_db()
    assert (silver.status, silver.end_date) == (ContractStatus.ENDED, max(silver.start_date, today - timedelta(days=1)))
    platinum = Contract.unscoped.get(client=acme, kind=ContractKind.MANAGED, status=ContractStatus.ACTIVE)
    assert platinum.tier.name == "Platinum" and platinum.start_date == today
    log_out(page)

    # e. The client's contact reads the hours statement, in Italian -------------------------
    log_in(page, url, "jane")
    page.goto(f"{url}/portal/hours/")
    statement = page.get_by_test_id("ledger")
    expect(statement).to_contain_text(f"#{ticket.pk} Stampante inceppata")
    expect(statement).to_contain_text("Giulia Rossi")
    expect(statement).to_contain_text("Sostituito il fusore")
    expect(statement).to_contain_text("Blocco di ore acquistato (Iniziale)")
    expect(statement).not_to_contain_text("Time entry")
    expect(statement).not_to_contain_text("grossi")
    expect(statement.locator("thead")).to_contain_text("Tecnico")  # the statement's columns, in Italian
    shot(page, "portal-statement-italian")
