"""An organisation's own mail server and a ticket's e-mails in headless Chromium, against a real
SMTP server on loopback (tests/mailsink.py): the owner sets the server in Settings and the
"Send test e-mail" button shows its answer; the password goes wrong, a reply to the client
fails, and the ticket shows it (to staff, not in the portal) until the owner sends it again."""

import re

from playwright.sync_api import expect

from msp.mail import email_send
from msp.models import OutboundEmail, OutboundEmailStatus, Tenant
from msp.roles import Role
from msp.scoping import tenant_scope
from msp.secrets import conceal
from tests.browser.test_hours_journey import field, log_in, log_out
from tests.factories import (
    ClientFactory,
    ContactFactory,
    MembershipFactory,
    TenantFactory,
    TicketFactory,
    UserFactory,
)
from tests.mailsink import Inbox, password, sink


def test_own_mail_server_and_a_failed_reply_on_the_ticket(page, live_server, shot, settings):
    settings.TENANT_SERVERS_ALLOW_PRIVATE = True  # the server is on loopback
    url = live_server.url
    tenant = TenantFactory(name="Lantern IT", slug="lantern-it", timezone="UTC")
    MembershipFactory(
        tenant=tenant, user=UserFactory(username="olivia", email="olivia@lantern.example"), role=Role.OWNER
    )
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    jane = ContactFactory(tenant=tenant, client=acme, name="Jane Doe", email="jane@acme.example")
    MembershipFactory(
        tenant=tenant, user=UserFactory(username="jane", email=jane.email), role=Role.CLIENT, client=acme
    )
    ticket = TicketFactory(tenant=tenant, client=acme, contact=jane, subject="Scanner jams")

    inbox = Inbox()
    with sink(inbox, authenticator=password("mario", "s3cret"), auth_require_tls=False) as port:
        # The owner gives the organisation its own server and tests it ----------------------------
        log_in(page, url, "olivia")
        page.goto(f"{url}/settings/")
        field(page, "Sender address").fill("help@lantern.example")
        field(page, "SMTP server").fill("127.0.0.1")
        field(page, "SMTP port").fill(str(port))
        field(page, "SMTP security").select_option("none")
        field(page, "SMTP user name").fill("mario")
        field(page, "SMTP password").fill("s3cret")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#messages")).to_contain_text("Settings saved.")
        expect(page.locator("#mail-server")).to_contain_text(f"127.0.0.1, port {port}")
        page.get_by_role("button", name="Send test e-mail").click()
        expect(page.locator("#messages")).to_contain_text(
            "Test e-mail sent to olivia@lantern.example. The server answered: 250 OK"
        )
        shot(page, "test-email-answered")
        assert [rcpt for rcpt, _data in inbox.received] == [["olivia@lantern.example"]]

        # The password changes on the server: a reply to the client cannot be sent ---------------
        Tenant.objects.filter(pk=tenant.pk).update(smtp_password=conceal("old one"))
        page.goto(f"{url}/tickets/{ticket.pk}/")
        page.get_by_label("Message").fill("The rollers are worn: new ones come tomorrow.")
        page.get_by_role("button", name="Send").click()
        emails = page.locator("#emails")
        expect(emails).to_contain_text("SMTPAuthenticationError")  # first attempt, retried later
        expect(emails).to_contain_text("next attempt")
        shot(page, "ticket-email-retrying")
        row = OutboundEmail.unscoped.get(tenant=tenant)
        with tenant_scope(tenant):  # the worker's later attempts, all refused
            while email_send(email_id=row.pk).outcome == "retry":
                pass
        page.reload()
        expect(emails.locator(".badge-danger")).to_have_text(re.compile("failed", re.I))
        shot(page, "ticket-email-failed")

        # The client never sees delivery errors ---------------------------------------------------
        log_out(page)
        log_in(page, url, "jane")
        page.goto(f"{url}/portal/tickets/{ticket.pk}/")
        expect(page.get_by_text("The rollers are worn")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("SMTPAuthenticationError")
        log_out(page)

        # The owner fixes the password and sends it again from the ticket -------------------------
        Tenant.objects.filter(pk=tenant.pk).update(smtp_password=conceal("s3cret"))
        log_in(page, url, "olivia")
        page.goto(f"{url}/tickets/{ticket.pk}/")
        emails.get_by_role("button", name="Send again").click()
        expect(page).to_have_url(f"{url}/tickets/{ticket.pk}/#emails")
        expect(emails.locator(".badge-success")).to_have_text(re.compile("sent", re.I))
        shot(page, "ticket-email-sent-again")
    assert OutboundEmail.unscoped.get(pk=row.pk).status == OutboundEmailStatus.SENT
    assert [rcpt for rcpt, _data in inbox.received][-1] == ["jane@acme.example"]
