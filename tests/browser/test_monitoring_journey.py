"""Monitoring in headless Chromium, the alert travelling over HTTP as an agent's would.

The owner creates an ingest key in the browser and copies it from the page that shows it
once. An agent (a separate HTTP client, no browser session) posts a critical disk alert for
the file server to the live server with that key. The technician's alerts board shows it
(severity, client, asset), the technician opens its ticket from there and reads that
monitoring opened it, as P1; the asset page shows the alert in its history.
"""

import json

from playwright.sync_api import expect

from assets.models import Asset
from contracts.models import ServiceTier
from contracts.services import sla_seed, tiers_seed
from monitoring.models import Alert
from msp.roles import Role
from tests.browser.test_hours_journey import field, log_in, log_out
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContractFactory,
    MembershipFactory,
    TenantFactory,
    UserFactory,
)


def test_a_critical_alert_reaches_the_board_and_its_ticket(page, live_server, shot, playwright):
    url = live_server.url
    tenant = TenantFactory(
        name="Lantern IT", slug="lantern-it", default_currency="EUR", timezone="Europe/Rome"
    )
    tiers_seed(tenant=tenant)
    sla_seed(tenant=tenant)
    MembershipFactory(tenant=tenant, user=UserFactory(username="olga", first_name="Olga"), role=Role.OWNER)
    MembershipFactory(tenant=tenant, user=UserFactory(username="tom", first_name="Tom"), role=Role.TECHNICIAN)
    acme = ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")
    platinum = ServiceTier.unscoped.get(tenant=tenant, name="Platinum")
    ContractFactory(tenant=tenant, client=acme, kind="managed", tier=platinum)
    server = AssetFactory(
        tenant=tenant, client=acme, kind="server", name="SRV-FILES01", hostname="srv-files01.acme.lan"
    )

    # The owner sets up a key for the RMM agent and copies it (shown once) ---------------------
    log_in(page, url, "olga")
    page.get_by_role("link", name="Monitoring").first.click()
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
    expect(page.locator("#alert-list")).to_have_count(0)  # nothing yet
    page.get_by_role("link", name="Ingest keys").click()
    page.get_by_role("link", name="New ingest key").first.click()
    field(page, "Name").fill("Acme RMM agent")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    secret = page.locator("#new-key").input_value()
    assert secret.startswith("mk_")
    shot(page, "key-shown-once")
    page.reload()
    expect(page.locator("#key-gone")).to_be_visible()
    expect(page.locator("#new-key")).to_have_count(0)
    log_out(page)

    # The agent posts a critical alert over HTTP, with the key only ----------------------------
    agent = playwright.request.new_context(base_url=url)
    answer = agent.post(
        "/api/v1/monitoring/alerts/",
        data=json.dumps(
            {
                "hostname": "SRV-FILES01.acme.lan",
                "check": "disk_usage",
                "severity": "critical",
                "value": "96%",
                "message": "C: is 96% full",
            }
        ),
        headers={"X-Ingest-Key": secret, "Content-Type": "application/json"},
    )
    assert answer.status == 200, answer.text()
    outcome = answer.json()["results"][0]
    agent.dispose()
    assert outcome["result"] == "opened" and outcome["asset"] == server.pk
    alert = Alert.unscoped.get(pk=outcome["alert"])

    # The technician's board shows it; the ticket opens from there -----------------------------
    log_in(page, url, "tom")
    page.get_by_role("link", name="Monitoring").first.click()
    summary = page.locator("#alert-summary tbody tr").first
    expect(summary).to_contain_text("Acme Dental")
    expect(summary.locator("td").nth(1)).to_have_text("1")  # critical
    row = page.locator(f'#alert-list tr[data-alert="{alert.pk}"]')
    expect(row).to_contain_text("Critical")
    expect(row).to_contain_text("Acme Dental")
    expect(row.get_by_role("link", name="SRV-FILES01")).to_be_visible()
    expect(row).to_contain_text("disk_usage")
    expect(row).to_contain_text("96%")
    shot(page, "alerts-board")

    row.get_by_role("link", name=f"#{outcome['ticket']}").click()
    expect(page.get_by_role("heading", name=f"#{outcome['ticket']} SRV-FILES01: disk_usage")).to_be_visible()
    subtitle = page.locator(".page-header .subtitle").first
    expect(subtitle).to_contain_text("Monitoring")
    expect(subtitle).to_contain_text("P1 · Critical")
    shot(page, "ticket-from-monitoring")

    # The asset page keeps the history ---------------------------------------------------------
    page.goto(f"{url}{Asset.unscoped.get(pk=server.pk).get_absolute_url()}")
    history = page.locator("#asset-alerts")
    expect(history).to_contain_text("disk_usage")
    expect(history.get_by_role("link", name=f"#{outcome['ticket']}")).to_be_visible()
    expect(page.locator("#hb-t")).to_contain_text("Heartbeats of the last 30 days")
    shot(page, "asset-history")
