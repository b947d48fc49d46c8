"""Notifications in headless Chromium: a client contact opens a ticket in the portal; the
technician sees the unread count in the header, opens the list, reads the notification (it
takes them to the ticket) and the count is gone. The MSP's dispatch address and the contact's
acknowledgement are queued in the MSP's name."""

import re

from playwright.sync_api import expect

from contracts.services import sla_seed, tiers_seed
from msp.models import Notification, OutboundEmail
from msp.roles import Role
from tests.browser.test_hours_journey import log_in, log_out
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory
from tickets.models import Ticket


def test_portal_ticket_reaches_the_technician(page, live_server, shot):
    url = live_server.url
    tenant = TenantFactory(
        name="Lantern IT",
        slug="lantern-it",
        timezone="UTC",
        dispatch_email="dispatch@lantern.example",
        email_from_address="help@lantern.example",
    )
    tiers_seed(tenant=tenant)
    sla_seed(tenant=tenant)
    tom = MembershipFactory(
        tenant=tenant, user=UserFactory(username="tom", email="tom@lantern.example"), role=Role.TECHNICIAN
    )
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    ContactFactory(tenant=tenant, client=acme, name="Jane Doe", email="jane@acme.example")
    MembershipFactory(
        tenant=tenant,
        user=UserFactory(username="jane", email="jane@acme.example"),
        role=Role.CLIENT,
        client=acme,
    )

    # The contact opens a ticket in the portal: no bell for a client contact ------------------
    log_in(page, url, "jane")
    expect(page.locator("#notification-badge")).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tickets").click()
    page.get_by_role("link", name="New ticket").click()
    page.get_by_label(re.compile("^Subject")).fill("Scanner jams on every page")
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator("#messages")).to_contain_text("Your ticket was opened")
    ticket = Ticket.unscoped.get(subject="Scanner jams on every page")
    log_out(page)

    # Mail: the contact's acknowledgement with the number, the technician, the dispatch address,
    # each alone, all from the MSP.
    queued = {tuple(row.to): row for row in OutboundEmail.unscoped.filter(tenant=tenant)}
    assert set(queued) == {("jane@acme.example",), ("tom@lantern.example",), ("dispatch@lantern.example",)}
    assert f"#{ticket.pk}" in queued[("jane@acme.example",)].subject
    assert {row.from_email for row in queued.values()} == {"Lantern IT <help@lantern.example>"}

    # The technician sees the unread count, opens the list and reads it ------------------------
    log_in(page, url, "tom")
    badge = page.locator("#notification-badge")
    expect(badge).to_contain_text("1 unread")
    shot(page, "unread-count")
    badge.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    row = page.locator("#notifications tbody tr").first
    expect(row).to_contain_text("New ticket from Acme Dental")
    expect(row).to_contain_text("new")
    shot(page, "notification-list")
    row.get_by_role("button", name=re.compile("Scanner jams")).click()
    expect(page).to_have_url(f"{url}/tickets/{ticket.pk}/")
    expect(page.locator("#notification-badge")).not_to_contain_text("unread")
    assert Notification.unscoped.get(membership=tom).read_at is not None

    page.goto(f"{url}/notifications/?status=unread")
    expect(page.get_by_text("No notifications.")).to_be_visible()
    shot(page, "all-read")
