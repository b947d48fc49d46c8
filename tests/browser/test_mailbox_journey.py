"""A support mailbox set up in headless Chromium against a real Dovecot on loopback.

The owner adds the MSP's support@ mailbox under Inbox → Mailboxes, types a wrong password
first and "Test connection" answers inline with Dovecot's refusal (nothing saved, the page
not reloaded); with the right one it answers with the folder's count, and the mailbox is
saved. A client's e-mail waits in the folder; "Poll now" files it (the worker runs in-process
in tests) and it shows as a new ticket of the client. The list shows the mailbox's state."""

import re

import pytest
from playwright.sync_api import expect

from msp.roles import Role
from tests.browser.test_hours_journey import field, log_in
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory
from tests.inbox.dovecot import message

pytestmark = pytest.mark.dovecot


def test_a_mailbox_is_set_up_tested_and_polled_in_the_browser(page, live_server, shot, dovecot, settings):
    settings.TENANT_SERVERS_ALLOW_PRIVATE = True  # Dovecot is on loopback (msp.hosts)
    url = live_server.url
    tenant = TenantFactory(name="Lantern IT", slug="lantern-it", default_currency="EUR")
    MembershipFactory(tenant=tenant, user=UserFactory(username="olga", first_name="Olga"), role=Role.OWNER)
    acme = ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")
    ContactFactory(tenant=tenant, client=acme, name="Giulia Rossi", email="giulia@acme-dental.example")
    account = dovecot.account()
    account.deliver(
        [
            message(
                "The printer is offline",
                sender="Giulia Rossi <giulia@acme-dental.example>",
                to="support@lantern.example",
            )
        ]
    )

    log_in(page, url, "olga")
    page.get_by_role("link", name="Inbox").first.click()
    page.get_by_role("link", name="Mailboxes").click()
    expect(page.get_by_role("heading", name="Support mailboxes")).to_be_visible()
    page.get_by_role("link", name="New mailbox").first.click()
    field(page, "Name").fill("Support")
    field(page, "Address").fill("support@lantern.example")
    field(page, "IMAP server").fill("127.0.0.1")
    field(page, "Port").fill(str(dovecot.port))
    field(page, "Security").select_option("none")
    field(page, "User name").fill(account.username)
    field(page, "Password").fill("not-the-password")

    page.get_by_role("button", name="Test connection").click()
    answer = page.locator("#connection-answer")
    expect(answer).to_contain_text("Not connected.")
    expect(answer).to_contain_text("[AUTHENTICATIONFAILED] Authentication failed.")
    expect(field(page, "User name")).to_have_value(account.username)  # not reloaded: still typed
    shot(page, "wrong-password-answered-inline")

    field(page, "Password").fill(account.password)
    page.get_by_role("button", name="Test connection").click()
    expect(answer).to_contain_text("Connected.")
    expect(answer).to_contain_text("The folder INBOX holds 1 message.")
    shot(page, "connected")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Support", exact=True)).to_be_visible()
    page.get_by_role("button", name="Poll now").click()
    expect(page.get_by_text("is being polled")).to_be_visible()
    page.reload()
    expect(page.locator("#mailbox-state")).to_contain_text(re.compile(r"E-mails filed\s*1\b"))
    shot(page, "polled")

    page.get_by_role("link", name="Support mailboxes").click()
    row = page.locator("#mailbox-list tr", has_text="support@lantern.example")
    expect(row).to_contain_text(f"127.0.0.1:{dovecot.port}")
    expect(row.locator("td.num")).to_have_text("1")

    page.goto(f"{url}/inbox/messages/")
    expect(page.get_by_text("The printer is offline")).to_be_visible()
    shot(page, "filed-as-a-ticket")
