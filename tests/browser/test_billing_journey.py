"""Billing in headless Chromium: the owner runs the month, issues the invoice, downloads its
PDF and marks it paid; the client's contact sees it paid in the portal and downloads it."""

import re
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from assets.choices import AssetKind
from billing.periods import Period
from msp.roles import Role
from tests.billing.test_invoices_api import pdf_text
from tests.browser.test_hours_journey import log_in, log_out
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContractFactory,
    MembershipFactory,
    ServiceTierFactory,
    TenantFactory,
    UserFactory,
)


def test_billing_journey(page, live_server, shot):
    url = live_server.url
    tenant = TenantFactory(name="Lantern IT", slug="lantern-it", default_currency="EUR", tax_rate=Decimal("22"))
    MembershipFactory(tenant=tenant, user=UserFactory(username="olivia", first_name="Olivia"), role=Role.OWNER)
    gold = ServiceTierFactory(tenant=tenant, name="Gold", currency="EUR", prices={"server": "350.00", "desktop": "60.00"})
    acme = ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")
    ContractFactory(tenant=tenant, client=acme, tier=gold, name="Acme Gold")
    AssetFactory(tenant=tenant, client=acme, kind=AssetKind.SERVER)
    for _ in range(3):
        AssetFactory(tenant=tenant, client=acme, kind=AssetKind.DESKTOP)
    MembershipFactory(tenant=tenant, user=UserFactory(username="jane"), role=Role.CLIENT, client=acme)
    month = str(Period.of(timezone.localdate()))

    # The owner runs the month ---------------------------------------------------------------
    log_in(page, url, "olivia")
    page.get_by_role("link", name="Invoices").first.click()
    page.get_by_role("link", name="Run the month").click()
    page.get_by_label("Month").fill(month)
    shot(page, "run-the-month")
    page.get_by_role("button", name="Bill this month").click()
    expect(page.locator("#messages")).to_contain_text("has started")
    row = page.locator("tr", has_text="Acme Dental")
    expect(row).to_contain_text("Draft")
    # 350 + 3 x 60 = 530.00, plus 22 % = 646.60
    expect(row).to_contain_text("646.60")
    shot(page, "draft-listed")
    row.get_by_role("link").first.click()

    # ... issues it, downloads the PDF, records the payment -------------------------------------
    page.get_by_role("button", name="Issue").click()
    expect(page.locator("#messages")).to_contain_text("issued")
    number = re.search(r"INV-\d{4}-0001", page.locator("h1").inner_text()).group(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    text = pdf_text(open(download.value.path(), "rb").read())
    assert number in text and "Acme Dental" in text and "646.60" in text
    page.get_by_label("Amount").fill("700.00")
    page.get_by_role("button", name="Mark paid").click()
    expect(page.locator(".error").first).to_contain_text("more than")
    expect(page.get_by_label("Amount")).to_have_value("700.00")
    shot(page, "overpayment-refused")
    page.get_by_label("Amount").fill("646.60")
    page.get_by_role("button", name="Mark paid").click()
    expect(page.locator("#messages")).to_contain_text("Payment recorded")
    expect(page.locator("h1")).to_contain_text("Paid")
    shot(page, "paid")
    log_out(page)

    # The client's contact sees it in the portal and downloads it -------------------------------
    log_in(page, url, "jane")
    page.get_by_role("link", name="Invoices").first.click()
    row = page.locator("tr", has_text=number)
    expect(row).to_contain_text("Paid")
    with page.expect_download() as download:
        row.get_by_role("link", name="PDF").click()
    assert number in pdf_text(open(download.value.path(), "rb").read())
    shot(page, "portal-invoices")
