"""The owner's dashboard across clients (issue 12), in headless Chromium.

The owner goes from the home dashboard to "Across clients", reads the hours chart, the client
near its renewal threshold, the SLA table (then sorted by the worst first response) and last
month's revenue; the charts are drawn as SVG with their values written on them. A technician
has no link to the page, and is refused it.
"""

from decimal import Decimal

from django.utils import timezone
from djmoney.money import Money
from playwright.sync_api import expect

from billing.models import LineKind
from billing.periods import Period
from billing.services import LineDraft, invoice_draft_create, invoice_issue
from contracts.choices import ContractKind
from contracts.models import BlockOrigin
from contracts.services import sla_seed
from contracts.services.hours import block_purchase
from msp.roles import Role
from msp.scoping import scope_of
from tests.browser.test_hours_journey import log_in, log_out
from tests.factories import (
    ClientFactory,
    ContractFactory,
    MembershipFactory,
    TenantFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
)


def test_owner_reads_the_clients_across_the_msp(page, live_server, shot):
    url = live_server.url
    tenant = TenantFactory(
        name="Lantern IT", slug="lantern-it", default_currency="EUR", timezone="Europe/Rome"
    )
    sla_seed(tenant=tenant)
    MembershipFactory(tenant=tenant, user=UserFactory(username="olga", first_name="Olga"), role=Role.OWNER)
    tom = MembershipFactory(tenant=tenant, user=UserFactory(username="tom"), role=Role.TECHNICIAN).user
    acme = ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")
    bravo = ClientFactory(tenant=tenant, name="Bravo Legal", currency="EUR")
    hours = ContractFactory(
        tenant=tenant,
        client=acme,
        kind=ContractKind.PREPAID_HOURS,
        tier=None,
        name="Acme hours",
        currency="EUR",
    )
    block_purchase(contract=hours, minutes=600, price=Money("900.00", "EUR"), origin=BlockOrigin.INITIAL)
    work = TicketFactory(tenant=tenant, client=acme, contract=hours, subject="Server slow", assignee=tom)
    TimeEntryFactory(ticket=work, technician=tom, minutes=420)  # 3 h left of a 5 h threshold
    TicketFactory(tenant=tenant, client=bravo, subject="Printer jam", assignee=tom)
    last_month = Period.of(timezone.localdate()).previous()
    with scope_of(tenant.pk):
        line = LineDraft(
            kind=LineKind.HOUR_BLOCK,
            description="10 h",
            unit_price=Money(Decimal("900.00"), "EUR"),
            contract=hours,
        )
        draft = invoice_draft_create(
            client=acme, lines=[line], period_start=last_month.start, period_end=last_month.end
        )
        invoice_issue(invoice=draft, on=last_month.end)

    log_in(page, url, "olga")
    page.get_by_role("link", name="Across clients").click()
    expect(page.get_by_role("heading", name="Across clients", level=1)).to_be_visible()
    hours_card = page.locator("#hours-sold-used")
    expect(hours_card.locator("svg[role=img]")).to_have_count(1)
    expect(hours_card.locator("[data-figure=hours-month]")).to_contain_text("10:00 h sold, 7:00 h used")
    near = page.locator("#near-threshold")
    expect(near).to_contain_text("Acme Dental")
    expect(near).to_contain_text("3:00 h / 5:00 h")
    expect(near).to_contain_text("at the threshold")
    sla = page.locator("#sla-by-client")
    expect(sla.locator("tbody tr")).to_have_count(2)
    revenue = page.locator("#revenue-by-kind")
    expect(revenue.locator("tr[data-kind=prepaid_hours]")).to_contain_text("€900.00")
    expect(revenue.locator("svg[role=img]")).to_have_count(1)
    expect(page.locator("#tickets-by-week svg[role=img] desc")).to_contain_text("Opened")
    shot(page, "across-clients")

    sla.get_by_role("link", name="Worst first response").click()
    expect(page).to_have_url(f"{url}/reports/clients/?sla=response#sla-by-client")
    expect(page.locator("#sla-by-client a[aria-current=page]")).to_have_text("Worst first response")
    shot(page, "sorted-by-first-response")
    log_out(page)

    log_in(page, url, "tom")
    expect(page.get_by_role("link", name="Across clients")).to_have_count(0)
    response = page.goto(f"{url}/reports/clients/")
    assert response.status == 403
