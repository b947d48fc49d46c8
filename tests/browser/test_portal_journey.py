"""The client portal in headless Chromium: Jane, a client contact of Acme Dental, logs in to
her MSP's portal (its name and identity, her company's name, the portal's own navigation),
sees the prepaid balance large with its burn-down chart and forecast, opens a ticket and
follows its service level, looks at her company's assets, reads the hours statement, and
downloads last month's report as a PDF (generated and sent by reports.services, as on the 1st)."""

import re

from playwright.sync_api import expect

from billing.periods import Period
from reports.services import month_label
from tests.factories import PASSWORD
from tests.portal import scenario
from tests.reports.helpers import pdf_text


def field(page, label):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\*?$"))


def test_client_contact_portal_journey(page, live_server, shot):
    url = live_server.url
    world = scenario.build()
    contract = world.contract
    report = scenario.send_last_months_report(world)

    # Jane logs in: the portal's home, not the MSP's dashboard ------------------------------
    page.goto(f"{url}/login/")
    field(page, "Username").fill("jane")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{url}/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(
        ["Home", "Hours", "Tickets", "Assets", "Invoices", "Reports", "Offers"]
    )
    expect(page.get_by_test_id("portal-client")).to_contain_text("Acme Dental")
    expect(page.locator(".portal-brand")).to_contain_text("Lantern IT")
    expect(page.get_by_test_id("msp-identity")).to_contain_text("Lantern IT S.r.l.")
    expect(page.get_by_test_id("msp-identity")).to_contain_text("IT01234567890")
    panel = page.locator(f'[data-contract="{contract.pk}"]')
    expect(panel.locator('[data-figure="balance"]')).to_contain_text(
        f"{contract.balance_minutes // 60}:{contract.balance_minutes % 60:02d}"
    )
    expect(panel.locator('[data-figure="forecast"]')).to_contain_text("reaches the renewal threshold around")
    expect(panel.get_by_test_id("burn-down")).to_be_visible()
    shot(page, "portal-home")

    # A ticket: opened, its service level, who hears about replies --------------------------
    nav.get_by_role("link", name="Tickets").click()
    row = page.locator("tr", has_text="Printer offline at reception")
    expect(row.get_by_test_id("sla")).to_contain_text("response due")
    shot(page, "portal-tickets")
    page.get_by_role("link", name="New ticket").click()
    page.get_by_label(re.compile("^Subject")).fill("Scanner jams on every page")
    page.get_by_label(re.compile("^Description")).fill("Since this morning, at reception.")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator("#messages")).to_contain_text("Your ticket was opened")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Scanner jams on every page")
    sla = page.get_by_test_id("ticket-sla")
    expect(sla).to_contain_text("First response")
    expect(sla).to_contain_text("On track")
    expect(page.get_by_test_id("ticket-follow")).to_contain_text("jane@acme.example")
    shot(page, "portal-ticket-opened")

    # Assets: health and warranty -----------------------------------------------------------
    nav.get_by_role("link", name="Assets").click()
    pc = page.locator("tr", has_text="Reception PC")
    expect(pc).to_contain_text("Online")
    expect(pc).to_contain_text("expiring soon")
    expect(page.locator("tr", has_text="Backup NAS")).to_contain_text("Offline")
    shot(page, "portal-assets")
    pc.get_by_role("link", name="Reception PC").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reception PC")
    shot(page, "portal-asset")

    # The statement: date, technician, ticket, minutes, balance after ---------------------------
    nav.get_by_role("link", name="Hours").click()
    ledger = page.get_by_test_id("ledger")
    first = ledger.locator("tbody tr").first
    expect(first).to_contain_text("Tom Bianchi")
    expect(first).to_contain_text("Printer offline at reception")
    expect(first).to_contain_text("-1:00")
    expect(ledger).not_to_contain_text("Time entry")
    shot(page, "portal-hours")
    first.get_by_role("link", name=re.compile("Printer offline")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Printer offline at reception")
    shot(page, "portal-ticket-from-the-statement")

    # Last month's report: the home links it, its page shows it as sent, its PDF downloads -----
    nav.get_by_role("link", name="Home").click()
    month = month_label(Period.parse(report.period))
    latest = page.get_by_test_id("latest-report")
    expect(latest).to_have_text(f"Monthly report, {month}")
    latest.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Monthly report, {month}")
    expect(page.frame_locator("iframe.report-snapshot").locator("body")).to_contain_text("Acme Dental")
    shot(page, "portal-report")
    with page.expect_download() as download:
        page.get_by_test_id("report-pdf").click()
    assert download.value.suggested_filename.endswith(f"{report.period}.pdf")
    text = pdf_text(open(download.value.path(), "rb").read())
    assert "Acme Dental" in text and month in text
    nav.get_by_role("link", name="Reports").click()
    expect(page.get_by_test_id("reports").locator("tbody tr")).to_have_count(1)
    shot(page, "portal-reports")

    # On a phone the portal's navigation folds behind the menu button -------------------------
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{url}/")
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(nav.get_by_role("link", name="Tickets")).to_be_hidden()
    shot(page, "portal-home-phone")
    toggle.click()
    expect(nav.get_by_role("link", name="Tickets")).to_be_visible()
    shot(page, "portal-phone-menu-open")
