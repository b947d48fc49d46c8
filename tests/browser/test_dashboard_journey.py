"""The owner's dashboard and SLA calendars, in headless Chromium.

The owner signs in and reads the dashboard: the figures (open tickets, SLA compliance, a
client low on hours, an offer awaiting an answer, a warranty ending, a technician's
billable time) are checked against the data. Then the owner opens the SLA settings, sees
Italy's 8 December among the office calendar's holidays, shortens Monday's hours and adds a
holiday, and an open ticket's due time moves. A technician has no SLA settings.
"""

import re
from datetime import timedelta

from djmoney.money import Money
from playwright.sync_api import expect

from contracts.choices import ContractKind
from contracts.models import BlockOrigin, BusinessCalendar
from contracts.services import sla_seed, tiers_seed
from contracts.services.hours import block_purchase
from msp.roles import Role
from tests.browser.test_hours_journey import field, log_in, log_out
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContractFactory,
    MembershipFactory,
    OfferFactory,
    TenantFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
)
from tickets.choices import OPEN_STATUSES
from tickets.models import Ticket


def test_owner_dashboard_and_sla_calendar(page, live_server, shot):
    from django.utils import timezone

    url = live_server.url
    tenant = TenantFactory(
        name="Lantern IT", slug="lantern-it", default_currency="EUR", timezone="Europe/Rome"
    )
    tiers_seed(tenant=tenant)
    sla_seed(tenant=tenant)
    MembershipFactory(tenant=tenant, user=UserFactory(username="olga", first_name="Olga"), role=Role.OWNER)
    tom = MembershipFactory(
        tenant=tenant,
        user=UserFactory(username="tom", first_name="Tom", last_name="Ricci"),
        role=Role.TECHNICIAN,
    ).user
    acme = ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")
    prepaid = ContractFactory(
        tenant=tenant,
        client=acme,
        kind=ContractKind.PREPAID_HOURS,
        tier=None,
        name="Acme hours",
        currency="EUR",
    )
    block_purchase(contract=prepaid, minutes=600, price=Money("900.00", "EUR"), origin=BlockOrigin.INITIAL)
    tickets = [
        TicketFactory(
            tenant=tenant, client=acme, contract=prepaid, subject=f"Issue {i}", priority="P2", assignee=tom
        )
        for i in range(3)
    ]
    TimeEntryFactory(ticket=tickets[0], technician=tom, minutes=480)  # 8 h billable: 2 h left
    OfferFactory(tenant=tenant, client=acme, title="Managed care for Acme", status="sent")
    AssetFactory(
        tenant=tenant,
        client=acme,
        name="ACME-NAS",
        warranty_expires=timezone.localdate() + timedelta(days=12),
    )
    open_count = Ticket.unscoped.filter(tenant=tenant, status__in=OPEN_STATUSES).count()

    # The owner's dashboard ---------------------------------------------------------------
    log_in(page, url, "olga")
    expect(page.locator("#sla-compliance")).to_be_visible()
    expect(page.locator('[data-figure="open-total"]')).to_have_text(str(open_count))
    expect(page.locator("#open-by-age svg title")).to_have_text("Open tickets by age")
    expect(page.locator("#open-by-age svg desc")).to_contain_text(f"Under a day: {open_count}")
    # Every ticket of this month is within its SLA: the gauge reads 100 %.
    expect(page.locator("#sla-compliance svg text")).to_have_text("100%")
    expect(page.locator("#low-on-hours")).to_contain_text("Acme Dental")
    expect(page.locator("#low-on-hours")).to_contain_text("2:00 h")
    expect(page.locator("#offers-awaiting")).to_contain_text("Managed care for Acme")
    expect(page.locator("#warranties-expiring")).to_contain_text("ACME-NAS")
    tom_row = page.locator("#utilisation tr", has_text="Tom Ricci")
    expect(tom_row.locator("td").nth(2)).to_have_text("8:00")  # billable this month
    shot(page, "owner-dashboard")

    # SLA calendars: Italy's holidays are there; shorter Mondays move a due time ---------------
    page.get_by_role("link", name="SLA", exact=True).click()
    expect(page.get_by_role("heading", name="SLA calendars and policies")).to_be_visible()
    shot(page, "sla-settings")
    page.locator("#calendars").get_by_role("link", name="Office hours").click()
    holidays = page.locator("textarea[name=holidays_text]")
    expect(holidays).to_have_value(re.compile(rf"{timezone.localdate().year}-12-08 Immaculate Conception"))
    shot(page, "calendar-form")

    # Bad input first: an interval that ends before it starts is refused, nothing saved.
    field(page, "Monday").fill("18:00-09:00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".has-error")).to_contain_text("ends before it starts")
    calendar = BusinessCalendar.unscoped.get(tenant=tenant)
    assert calendar.hours["0"] == [["09:00", "18:00"]]

    ticket = Ticket.unscoped.get(pk=tickets[1].pk)
    before = ticket.resolution_due_at
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        field(page, day).fill("09:00-12:00")
    holidays.fill(holidays.input_value() + "\n2030-06-10")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Your changes to Office hours were saved.")
    shot(page, "calendar-saved")
    calendar.refresh_from_db()
    assert calendar.hours["4"] == [["09:00", "12:00"]] and "2030-06-10" in calendar.holidays
    ticket.refresh_from_db()
    assert ticket.resolution_due_at > before  # a third of the hours a day: due later

    # A technician has no SLA settings ---------------------------------------------------------
    log_out(page)
    log_in(page, url, "tom")
    expect(page.get_by_role("link", name="SLA", exact=True)).to_have_count(0)
    expect(page.locator("#my-open-tickets svg desc")).to_contain_text("P2 · High: 3")
    shot(page, "technician-dashboard")
    response = page.goto(f"{url}/settings/sla/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
