"""An offer from inventory to contract, in headless Chromium.

An account manager builds a tiered offer for a client with 2 servers, 1 network device and
15 desktops, changes a quantity and watches the totals follow (htmx), recommends Gold,
saves, downloads the PDF and sends it. The client's contact then logs into the portal,
opens the offer and accepts Gold.
"""

import io
import re

from django.core import mail
from djmoney.money import Money
from playwright.sync_api import expect
from pypdf import PdfReader

from contracts.choices import ContractKind
from contracts.models import Contract
from contracts.services import tiers_seed
from msp.roles import Role
from sales.choices import OfferStatus
from sales.models import Offer
from tests.factories import (
    PASSWORD,
    ClientFactory,
    ContactFactory,
    MembershipFactory,
    TenantFactory,
    UserFactory,
)
from tests.sales.test_offers import add_assets


def heading(page):
    return page.locator("main h1")


def messages(page):
    return page.locator("#messages")


def field(page, label):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\*?$"))


def option_total(page, name):
    return page.locator(f'.offer-option[data-option="{name}"] .offer-total')


def log_in(page, url, username):
    page.goto(f"{url}/login/")
    field(page, "Username").fill(username)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{url}/")


def log_out(page):
    page.locator("details.user-menu > summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_offer_journey(page, live_server, shot):
    url = live_server.url
    tenant = TenantFactory(name="Lantern IT", slug="lantern-it", default_currency="EUR")
    tiers_seed(tenant=tenant)
    MembershipFactory(
        tenant=tenant, user=UserFactory(username="marta", first_name="Marta"), role=Role.ACCOUNT_MANAGER
    )
    acme = ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")
    ClientFactory(tenant=tenant, name="Globex Corporation")
    add_assets(acme, server=2, network=1, desktop=15)
    ContactFactory(tenant=tenant, client=acme, name="Jane Doe", email="jane@acme.example", portal_access=True)
    MembershipFactory(tenant=tenant, user=UserFactory(username="jane"), role=Role.CLIENT, client=acme)

    # a. The account manager builds the offer ---------------------------------------------
    log_in(page, url, "marta")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Offers").click()
    expect(heading(page)).to_have_text("Offers")
    expect(page.get_by_text("No offers yet.")).to_be_visible()
    page.get_by_role("link", name="New offer").click()
    expect(heading(page)).to_have_text("New offer")
    with page.expect_response(lambda r: "/offers/new/?q=acm" in r.url):
        page.get_by_role("searchbox", name="Search clients").press_sequentially("acm", delay=20)
    expect(page.locator("#results")).not_to_contain_text("Globex")
    shot(page, "pick-client")
    page.get_by_role("link", name="Build an offer for Acme Dental").click()

    expect(heading(page)).to_have_text("New offer for Acme Dental")
    # Quantities come from the inventory; the three tiers are priced side by side.
    expect(field(page, "Server")).to_have_value("2")
    expect(field(page, "Network device")).to_have_value("1")
    expect(field(page, "Desktop")).to_have_value("15")
    expect(page.locator(".offer-option")).to_have_count(3)
    expect(option_total(page, "Silver")).to_have_text("€825.00")
    expect(option_total(page, "Gold")).to_have_text("€1,425.00")
    expect(option_total(page, "Platinum")).to_have_text("€1,950.00")
    shot(page, "builder-from-inventory")

    # Five more desktops: the totals follow without a page load.
    with page.expect_response(lambda r: r.url.endswith("/offers/price/") and r.request.method == "POST"):
        field(page, "Desktop").fill("20")
    expect(option_total(page, "Platinum")).to_have_text("€2,250.00")  # 2×350 + 350 + 20×60
    expect(option_total(page, "Gold")).to_have_text("€1,650.00")
    expect(field(page, "Desktop")).to_have_value("20")  # the input was not replaced
    shot(page, "builder-twenty-desktops")

    # A bad quantity says what to fix instead of showing a stale total.
    with page.expect_response(lambda r: r.url.endswith("/offers/price/")):
        field(page, "Laptop").fill("-3")
    expect(page.locator("#offer-columns")).to_contain_text("A quantity cannot be negative.")
    expect(page.locator(".offer-option")).to_have_count(0)
    shot(page, "builder-bad-quantity")
    with page.expect_response(lambda r: r.url.endswith("/offers/price/")):
        field(page, "Laptop").fill("0")
    expect(option_total(page, "Platinum")).to_have_text("€2,250.00")

    with page.expect_response(lambda r: r.url.endswith("/offers/price/")):
        page.get_by_role("radio", name="Gold").check()
    expect(page.locator(".offer-option.is-recommended")).to_have_attribute("data-option", "Gold")
    field(page, "Title").fill("Managed IT for Acme Dental")
    shot(page, "builder-gold-recommended")
    page.get_by_role("button", name="Save offer").click()

    expect(heading(page)).to_have_text("Managed IT for Acme Dental")
    expect(messages(page)).to_contain_text("The offer was saved with today's prices.")
    expect(page.locator("main .subtitle")).to_contain_text("Draft")
    expect(option_total(page, "Platinum")).to_have_text("€2,250.00")
    offer = Offer.unscoped.get()
    assert offer.status == OfferStatus.DRAFT
    shot(page, "offer-saved")

    # b. The PDF ------------------------------------------------------------------------
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"offer-{offer.pk}-acme-dental.pdf"
    with open(download.path(), "rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Acme Dental" in text and "€2,250.00" in text and "Gold" in text

    # c. Send it ------------------------------------------------------------------------
    page.get_by_role("link", name="Send to client").click()
    expect(heading(page)).to_have_text("Send Managed IT for Acme Dental")
    jane_box = page.get_by_label("Jane Doe <jane@acme.example>")
    expect(jane_box).to_be_checked()  # she has portal access
    field(page, "Personal message").fill("As discussed on the phone.")
    shot(page, "send-form")
    page.get_by_role("button", name="Send offer").click()
    expect(messages(page)).to_contain_text("The offer was sent to Jane Doe <jane@acme.example>.")
    expect(page.locator("main .subtitle")).to_contain_text("Sent")
    shot(page, "offer-sent")
    [email] = mail.outbox
    assert email.to == ["jane@acme.example"]
    assert f"{url}/portal/offers/{offer.pk}/" in email.body
    assert [a.get_content_type() for a in email.message().iter_attachments()] == ["application/pdf"]
    log_out(page)

    # d. The client's contact accepts Gold in the portal -------------------------------------
    log_in(page, url, "jane")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Clients")).to_have_count(0)
    nav.get_by_role("link", name="Offers").click()
    expect(heading(page)).to_have_text("Your offers")
    shot(page, "portal-offers")
    page.get_by_role("link", name="Managed IT for Acme Dental").click()
    expect(heading(page)).to_have_text("Managed IT for Acme Dental")
    expect(page.locator(".offer-option.is-recommended")).to_have_attribute("data-option", "Gold")
    expect(option_total(page, "Gold")).to_have_text("€1,650.00")
    shot(page, "portal-offer")

    page.once("dialog", lambda dialog: dialog.accept())  # "Accept Gold at €1,650.00 per month?"
    page.get_by_role("button", name="Accept Gold").click()
    expect(messages(page)).to_contain_text("Thank you! You accepted Gold.")
    expect(page.get_by_role("heading", name="You chose Gold")).to_be_visible()
    expect(page.get_by_role("button", name="Accept Silver")).to_have_count(0)
    expect(page.locator(".offer-option.is-accepted")).to_have_attribute("data-option", "Gold")
    shot(page, "portal-accepted")

    contract = Contract.unscoped.select_related("tier").get()
    assert (contract.client, contract.kind, contract.tier.name) == (acme, ContractKind.MANAGED, "Gold")
    assert contract.monthly_fee == Money("1650.00", "EUR")
    expect(page.get_by_role("link", name=str(contract))).to_have_attribute(
        "href", contract.get_absolute_url()
    )
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
