"""Prepaid hours in headless Chromium.

A technician opens the queue, starts a timer on a ticket of a client with a 10 h block,
opens the ticket, replies, stops the timer (1 minute drawn), logs 15 minutes by hand and
sees the client's balance drop on the ticket page; the client's contact then sees the new balance in the portal.
"""

import re

from djmoney.money import Money
from playwright.sync_api import expect

from contracts.choices import ContractKind
from contracts.models import BlockOrigin, Contract
from contracts.services.hours import block_purchase
from msp.roles import Role
from tests.factories import (
    PASSWORD,
    ClientFactory,
    ContactFactory,
    ContractFactory,
    MembershipFactory,
    TenantFactory,
    TicketFactory,
    UserFactory,
)


def field(page, label):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\*?$"))


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


def test_hours_journey(page, live_server, shot):
    url = live_server.url
    tenant = TenantFactory(name="Lantern IT", slug="lantern-it", default_currency="EUR")
    MembershipFactory(tenant=tenant, user=UserFactory(username="tom", first_name="Tom"), role=Role.TECHNICIAN)
    acme = ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")
    contract = ContractFactory(
        tenant=tenant,
        client=acme,
        kind=ContractKind.PREPAID_HOURS,
        name="Acme prepaid hours",
        currency="EUR",
        auto_renew=True,
        renew_threshold_minutes=300,
        renew_block_minutes=600,
        renew_block_price=Money("900.00", "EUR"),
    )
    block_purchase(contract=contract, minutes=600, price=Money("900.00", "EUR"), origin=BlockOrigin.INITIAL)
    ticket = TicketFactory(
        tenant=tenant, client=acme, contract=contract, subject="Printer offline at reception"
    )
    ContactFactory(tenant=tenant, client=acme, name="Jane Doe", email="jane@acme.example", portal_access=True)
    MembershipFactory(tenant=tenant, user=UserFactory(username="jane"), role=Role.CLIENT, client=acme)

    # The technician starts a timer from the queue, then opens the ticket ------------------
    log_in(page, url, "tom")
    page.goto(f"{url}/tickets/")
    row = page.locator("tr", has_text="Printer offline at reception")
    row.get_by_role("button", name=re.compile("Timer")).click()
    expect(row.get_by_role("button", name=re.compile("Stop"))).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("Timer started")
    shot(page, "queue-timer-started")
    row.get_by_role("link", name=re.compile("Printer offline at reception")).first.click()
    expect(page).to_have_url(re.compile(rf"/tickets/{ticket.pk}/"))
    panel = page.locator("#time-panel")
    expect(panel.get_by_test_id("prepaid-balance")).to_have_text("Prepaid balance: 10:00")
    expect(panel.get_by_test_id("timer-stop")).to_be_visible()
    shot(page, "ticket-page-timer-running")

    # Reply, then stop the timer (htmx swaps the panel) ------------------------------------
    page.get_by_label(re.compile("^Message")).fill("We are looking at the printer now.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("We are looking at the printer now.").first).to_be_visible()
    page.locator("#time-panel").get_by_test_id("timer-stop").click()
    page.locator("#time-panel").get_by_test_id("timer-stop-confirm").click()  # the note is optional
    expect(page.locator("#messages")).to_contain_text("Timer stopped")
    expect(page.locator("#time-panel").get_by_test_id("prepaid-balance")).to_have_text(
        "Prepaid balance: 9:59"
    )
    shot(page, "timer-stopped-one-minute-drawn")

    # Log 15 minutes by hand ---------------------------------------------------------------
    panel = page.locator("#time-panel")
    panel.locator("summary", has_text="Log time").click()
    panel.get_by_label("Minutes").fill("15")
    panel.get_by_label("Note").fill("Phone call: printer driver")
    panel.get_by_test_id("log-time").get_by_role("button", name="Log time").click()
    expect(page.locator("#messages")).to_contain_text("15 min drawn from prepaid hours")
    expect(page.locator("#time-panel").get_by_test_id("prepaid-balance")).to_have_text(
        "Prepaid balance: 9:44"
    )
    expect(page.locator("#time-panel")).to_contain_text("Phone call: printer driver")
    shot(page, "fifteen-minutes-logged")
    assert Contract.unscoped.get(pk=contract.pk).balance_minutes == 584

    # The timesheet shows the day's total --------------------------------------------------
    page.goto(f"{url}/time/")
    expect(page.get_by_test_id("total")).to_contain_text("0:16 total")
    shot(page, "timesheet")

    # The contract page: balance, blocks, ledger with its running balance -----------------
    page.goto(f"{url}/contracts/{contract.pk}/")
    hours = page.locator("#prepaid-hours")
    expect(hours.get_by_test_id("balance")).to_have_text("Balance 9:44")
    expect(hours.get_by_test_id("ledger").locator("tbody tr")).to_have_count(3)
    shot(page, "contract-hours")
    log_out(page)

    # The client's contact sees the new balance in the portal ------------------------------
    log_in(page, url, "jane")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hours").click()
    expect(page.get_by_test_id("balance")).to_have_text("Balance 9:44")
    expect(page.get_by_test_id("ledger")).to_contain_text("-0:15")
    shot(page, "portal-balance")
