"""The ticket queue in headless Chromium: live SLA countdowns and quick actions in place;
a client contact opens a ticket in the portal and never sees the internal note."""

import re

from playwright.sync_api import expect

from contracts.services import sla_seed, tiers_seed
from msp.roles import Role
from tests.browser.test_hours_journey import log_in, log_out
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory
from tickets.models import Ticket


def test_queue_and_portal(page, live_server, shot):
    url = live_server.url
    tenant = TenantFactory(name="Lantern IT", slug="lantern-it", timezone="UTC")
    tiers_seed(tenant=tenant)
    sla_seed(tenant=tenant)
    MembershipFactory(tenant=tenant, user=UserFactory(username="tom"), role=Role.TECHNICIAN)
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    ContactFactory(tenant=tenant, client=acme, name="Jane Doe", email="jane@acme.example")
    MembershipFactory(
        tenant=tenant,
        user=UserFactory(username="jane", email="jane@acme.example"),
        role=Role.CLIENT,
        client=acme,
    )

    # The contact opens a ticket in the portal ------------------------------------------------
    log_in(page, url, "jane")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    page.get_by_role("link", name="New ticket").click()
    page.get_by_label(re.compile("^Subject")).fill("Email is down")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator("#messages")).to_contain_text("Your ticket was opened")
    ticket = Ticket.unscoped.get(subject="Email is down")
    log_out(page)

    # The technician sees it with a live countdown, takes it and answers from the queue --------
    log_in(page, url, "tom")
    page.goto(f"{url}/tickets/")
    row = page.locator(f"#ticket-row-{ticket.pk}")
    expect(row.locator("time[data-due]")).to_have_text(re.compile(r"^(in|overdue) \d"))
    row.get_by_role("button", name="Assign to me").click()
    expect(page.locator(f"#ticket-row-{ticket.pk}")).to_contain_text("tom")
    row = page.locator(f"#ticket-row-{ticket.pk}")
    row.locator("summary", has_text="Reply").click()
    row.get_by_label("Public reply").fill("We are on it.")
    row.get_by_role("button", name="Send reply").click()
    # The row was swapped in place: a first public reply opens the ticket.
    expect(page.locator(f"#ticket-row-{ticket.pk} .badge", has_text=re.compile("^Open$"))).to_be_visible()
    shot(page, "ticket-queue")

    # An internal note on the ticket page ------------------------------------------------------
    page.goto(f"{url}/tickets/{ticket.pk}/")
    page.get_by_label(re.compile("^Message")).fill("MX record points to the old server.")
    page.get_by_label("Internal note (staff only)").check()
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".comment-note")).to_contain_text("MX record")
    shot(page, "ticket-page")
    log_out(page)

    # The contact sees the public reply, never the note ----------------------------------------
    log_in(page, url, "jane")
    page.goto(f"{url}/portal/tickets/{ticket.pk}/")
    expect(page.get_by_text("We are on it.")).to_be_visible()
    expect(page.get_by_text("MX record")).to_have_count(0)
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None and ticket.assignee.username == "tom"
