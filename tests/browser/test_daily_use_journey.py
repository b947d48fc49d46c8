"""Daily use in headless Chromium (issue 18, items 2 and 3), as a technician.

Starts a timer on a ticket, stops it with a work note and finds the entry's real start and
end in its edit form; a refused Log time keeps the panel open with what was typed and the
error beside the field; a future end is refused; on New ticket the asset choices follow the
client and are searched as you type; Back then Save opens one ticket, not two.
"""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from msp.roles import Role
from tests.browser.test_hours_journey import field, log_in
from tests.factories import (
    AssetFactory,
    ClientFactory,
    MembershipFactory,
    TenantFactory,
    TicketFactory,
    UserFactory,
)
from tests.timetracking.helpers import prepaid
from tickets.models import Ticket
from timetracking.models import TimeEntry, Timer


def test_daily_use_journey(page, live_server, shot):
    url = live_server.url
    tenant = TenantFactory(name="Lantern IT", slug="lantern-it", default_currency="EUR", timezone="UTC")
    MembershipFactory(tenant=tenant, user=UserFactory(username="tom", first_name="Tom"), role=Role.TECHNICIAN)
    acme = ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")
    globex = ClientFactory(tenant=tenant, name="Globex", currency="EUR")
    contract = prepaid(client=acme, currency="EUR", rounding_minutes=15, minimum_minutes=30)
    ticket = TicketFactory(
        tenant=tenant, client=acme, contract=contract, subject="Printer offline at reception"
    )
    AssetFactory(tenant=tenant, client=acme, name="acme-printer", hostname="prn01")
    AssetFactory(tenant=tenant, client=acme, name="acme-firewall", hostname="fw01")
    AssetFactory(tenant=tenant, client=globex, name="globex-nas", hostname="nas01")

    # Start a timer, stop it with a work note --------------------------------------------
    log_in(page, url, "tom")
    page.goto(f"{url}{ticket.get_absolute_url()}")
    panel = page.locator("#time-panel")
    expect(panel).to_contain_text("Time is rounded up to 15-minute steps, at least 30 minutes per entry.")
    panel.get_by_test_id("timer-start").click()
    expect(page.locator("#messages")).to_contain_text("Timer started")
    Timer.unscoped.update(started_at=timezone.now() - timedelta(minutes=7))
    page.reload()
    panel = page.locator("#time-panel")
    panel.get_by_test_id("timer-stop").click()
    panel.get_by_label("Work note (optional)").fill("Replaced the fuser unit")
    shot(page, "stop-asks-for-the-note")
    panel.get_by_test_id("timer-stop-confirm").click()
    expect(page.locator("#messages")).to_contain_text("Timer stopped")
    expect(page.locator("#time-panel")).to_contain_text("Replaced the fuser unit")
    entry = TimeEntry.unscoped.get()
    assert entry.note == "Replaced the fuser unit" and entry.minutes in (7, 8) and entry.billed_minutes == 30
    assert entry.started_at and entry.ended_at

    # The entry's edit form shows its real start and end ---------------------------------
    page.locator("#time-panel").get_by_role("link", name="Edit").click()
    start = timezone.localtime(entry.started_at).strftime("%Y-%m-%dT%H:%M")
    end = timezone.localtime(entry.ended_at).strftime("%Y-%m-%dT%H:%M")
    expect(field(page, "Start")).to_have_value(start)
    expect(field(page, "End")).to_have_value(end)
    shot(page, "entry-shows-start-and-end")

    # A refused Log time keeps the panel open, every value typed, the error by its field -----
    page.goto(f"{url}{ticket.get_absolute_url()}")
    panel = page.locator("#time-panel")
    panel.locator("summary", has_text="Log time").click()
    panel.get_by_label("Minutes").fill("2000")
    panel.get_by_label("Note").fill("Migrated the mailboxes")
    panel.get_by_test_id("log-time").get_by_role("button", name="Log time").click()
    panel = page.locator("#time-panel")
    expect(panel.locator(".field.has-error")).to_contain_text("Minutes")
    expect(panel.get_by_label("Minutes")).to_have_value("2000")
    expect(panel.get_by_label("Note")).to_have_value("Migrated the mailboxes")
    shot(page, "log-time-error-keeps-values")
    # A future end is refused too, beside the End field; nothing is drawn.
    panel.get_by_label("Minutes").fill("")
    later = timezone.localtime() + timedelta(days=30)
    panel.get_by_label("Start").fill(later.strftime("%Y-%m-%dT%H:%M"))
    panel.get_by_label("End").fill((later + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    panel.get_by_test_id("log-time").get_by_role("button", name="Log time").click()
    expect(page.locator("#time-panel .field.has-error")).to_contain_text("lies in the future")
    expect(page.locator("#time-panel").get_by_label("Note")).to_have_value("Migrated the mailboxes")
    # Corrected, it logs once.
    panel = page.locator("#time-panel")
    panel.get_by_label("Start").fill("")
    panel.get_by_label("End").fill("")
    panel.get_by_label("Minutes").fill("20")
    panel.get_by_test_id("log-time").get_by_role("button", name="Log time").click()
    expect(page.locator("#messages")).to_contain_text("Logged 20 min")
    assert TimeEntry.unscoped.count() == 2

    # New ticket: the asset follows the client and is searched as you type -------------------
    page.goto(f"{url}/tickets/new/")
    expect(page.get_by_test_id("choose-client-first")).to_be_visible()
    field(page, "Client").select_option(label="Acme Dental")
    asset = page.get_by_test_id("asset-select")
    expect(asset.locator("option", has_text="acme-printer")).to_have_count(1)
    expect(asset.locator("option", has_text="globex-nas")).to_have_count(0)
    # Typed as a person types: htmx binds the freshly swapped-in field a moment after it appears.
    page.get_by_test_id("asset-search").press_sequentially("fw01", delay=60)
    expect(asset.locator("option", has_text="acme-printer")).to_have_count(0)
    asset.select_option(label="acme-firewall (fw01)")
    field(page, "Subject").fill("Firewall drops VPN")
    field(page, "Priority").select_option("P2")
    shot(page, "new-ticket-asset-searched")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/tickets/\d+/$"))
    created = Ticket.unscoped.get(subject="Firewall drops VPN")
    assert created.asset.name == "acme-firewall"

    # Back then Save: the same form again shows the ticket already opened, not a second one --
    page.go_back()
    expect(page.get_by_test_id("ticket-form")).to_be_visible()
    if not field(page, "Subject").input_value():  # the browser may not restore typed values
        field(page, "Client").select_option(label="Acme Dental")
        expect(page.get_by_test_id("asset-select").locator("option", has_text="acme-printer")).to_have_count(
            1
        )
        field(page, "Subject").fill("Firewall drops VPN")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/tickets/{created.pk}/$"))
    expect(page.locator("#messages")).to_contain_text("already saved")
    shot(page, "back-then-save-one-ticket")
    assert Ticket.unscoped.filter(subject="Firewall drops VPN").count() == 1
