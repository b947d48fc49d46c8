"""What a user sees, in headless Chromium against a live server.

The journey: an MSP signs up, adds a client and a contact, searches its clients (htmx),
logs out and in again, and switches to a second workspace it belongs to. Then bad input
at sign-up, and the navigation on a phone-sized screen.
"""

import re

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from msp.models import Client, Membership, Tenant
from msp.roles import Role
from tests.factories import PASSWORD, ClientFactory, MembershipFactory, TenantFactory, UserFactory

User = get_user_model()

STRONG_PASSWORD = "Sturdy-Lantern-4821"


def heading(page):
    return page.locator("main h1")


def messages(page):
    return page.locator("#messages")


def field(page, label):
    """The form control labelled `label` (a required field's label ends in an aria-hidden "*")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}\*?$"))


def test_msp_journey(page, live_server, shot):
    url = live_server.url

    # a. Sign up ------------------------------------------------------------------------
    page.goto(f"{url}/signup/")
    expect(heading(page)).to_have_text("Sign up your MSP")
    field(page, "Company name").fill("Lantern IT")
    field(page, "Short name").fill("lantern-it")
    field(page, "Currency").select_option("USD")
    field(page, "Time zone").select_option("Europe/London")
    field(page, "Language").select_option(label="English")
    field(page, "Your username").fill("lucy")
    field(page, "Your email").fill("lucy@lantern.example")
    field(page, "Password").fill(STRONG_PASSWORD)
    field(page, "Password again").fill(STRONG_PASSWORD)
    shot(page, "signup-filled")
    page.get_by_role("button", name="Create my organisation").click()

    expect(page).to_have_url(f"{url}/")
    expect(heading(page)).to_have_text("Lantern IT")
    expect(messages(page)).to_contain_text("Welcome! Lantern IT is ready.")
    expect(page.locator(".site-header .tenant")).to_contain_text("Lantern IT")
    expect(page.locator(".site-header .tenant")).to_contain_text("Owner")
    expect(page.get_by_text("No clients yet.")).to_be_visible()
    # On a desktop screen the navigation shows; the phone menu toggle does not.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    shot(page, "dashboard-after-signup")

    tenant = Tenant.objects.get(slug="lantern-it")
    assert (tenant.name, tenant.default_currency, tenant.timezone, tenant.language) == (
        "Lantern IT",
        "USD",
        "Europe/London",
        "en",
    )
    user = User.objects.get(username="lucy")
    assert Membership.unscoped.get(user=user).role == Role.OWNER

    # b. A client, a contact, and the live search ---------------------------------------
    # Another client of the same MSP, so the search has something to filter out.
    ClientFactory(tenant=tenant, name="Globex Corporation", billing_email="ap@globex.example")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    expect(page).to_have_url(f"{url}/clients/")
    expect(heading(page)).to_have_text("Clients")
    page.get_by_role("link", name="New client").click()
    expect(heading(page)).to_have_text("New client")
    # The client's currency defaults to the MSP's.
    expect(field(page, "Currency")).to_have_value("USD")
    field(page, "Name").fill("Acme Widgets")
    field(page, "Billing email").fill("billing@acme.example")
    shot(page, "new-client-filled")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(url)}/clients/\d+/$"))
    client_url = page.url
    expect(heading(page)).to_have_text("Acme Widgets")
    expect(messages(page)).to_contain_text("Acme Widgets was created.")
    expect(page.locator("main .subtitle")).to_have_text("billing@acme.example")
    expect(page.get_by_text("No contacts yet.")).to_be_visible()
    shot(page, "client-created")

    page.get_by_role("link", name="Add contact").click()
    expect(heading(page)).to_have_text("New contact")
    field(page, "Name").fill("Jane Doe")
    field(page, "Email").fill("jane@acme.example")
    field(page, "Phone").fill("+44 20 7946 0018")
    shot(page, "new-contact-filled")
    page.get_by_role("button", name="Save").click()

    expect(heading(page)).to_have_text("Jane Doe")
    expect(messages(page)).to_contain_text("Jane Doe was created.")
    shot(page, "contact-created")
    page.locator("main .subtitle").get_by_role("link", name="Acme Widgets").click()
    expect(page).to_have_url(client_url)
    contacts = page.locator(".card", has=page.get_by_role("heading", name="Contacts"))
    contact_row = contacts.get_by_role("row", name=re.compile("Jane Doe"))
    expect(contact_row).to_contain_text("jane@acme.example")
    expect(contact_row).to_contain_text("+44 20 7946 0018")
    shot(page, "client-with-contact")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    results = page.locator("#results")
    acme_row = results.get_by_role("row", name=re.compile("Acme Widgets"))
    globex_row = results.get_by_role("row", name=re.compile("Globex Corporation"))
    expect(acme_row).to_be_visible()
    expect(acme_row.locator("td.num").last).to_have_text("1")  # one contact
    expect(globex_row).to_be_visible()
    expect(results).to_contain_text("2 results")
    shot(page, "client-list")

    # htmx: typing waits 250 ms for a pause, then swaps #results in place.
    search = page.get_by_role("searchbox", name="Search clients")
    with page.expect_response(
        lambda r: "/clients/?q=acm" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        search.press_sequentially("acm", delay=20)
    expect(globex_row).to_have_count(0)
    expect(acme_row).to_be_visible()
    expect(results).to_contain_text("1 result")
    expect(page).to_have_url(f"{url}/clients/?q=acm")  # hx-push-url: the search can be bookmarked
    expect(heading(page)).to_have_text("Clients")  # swapped a fragment, not a whole page
    shot(page, "client-search-acm")

    with page.expect_response(lambda r: "/clients/?q=acmz" in r.url):
        search.press_sequentially("z")
    expect(acme_row).to_have_count(0)
    expect(results).to_contain_text("No client matches “acmz”.")
    shot(page, "client-search-no-match")

    # c. Log out through the user menu --------------------------------------------------
    logout = page.get_by_role("button", name="Log out")
    expect(logout).to_be_hidden()  # inside the closed <details> menu
    page.locator("details.user-menu > summary").click()
    expect(page.locator("details.user-menu")).to_have_attribute("open", "")
    expect(page.locator(".user-menu-panel")).to_contain_text("lucy@lantern.example")
    shot(page, "user-menu-open")
    logout.click()

    expect(page).to_have_url(f"{url}/login/")
    expect(heading(page)).to_have_text("Log in")
    expect(page.locator(".site-header")).to_have_count(0)
    shot(page, "logged-out")
    page.goto(f"{url}/clients/")  # signed out, the data is gone too
    expect(page).to_have_url(re.compile(rf"^{re.escape(url)}/login/\?next=/clients/$"))

    # d. Log in again -------------------------------------------------------------------
    field(page, "Username").fill("lucy")
    field(page, "Password").fill(STRONG_PASSWORD)
    shot(page, "login-filled")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{url}/clients/")  # back where ?next= pointed
    expect(results.get_by_role("row", name=re.compile("Acme Widgets"))).to_be_visible()
    page.get_by_role("link", name="MSP PSA").click()
    expect(heading(page)).to_have_text("Lantern IT")
    expect(page.locator("main")).to_contain_text("Signed in as lucy (Owner)")
    # One workspace: its name, no switcher.
    expect(page.locator("#tenant-switch")).to_have_count(0)
    shot(page, "dashboard-after-login")

    # e. Switch to a second workspace ---------------------------------------------------
    second = TenantFactory(name="Second MSP", slug="second-msp")
    MembershipFactory(tenant=second, user=user, role=Role.TECHNICIAN)
    ClientFactory(tenant=second, name="Initech")
    page.reload()
    switcher = page.get_by_label("Switch workspace")
    expect(switcher).to_be_visible()
    expect(switcher.locator("option")).to_have_text(["Lantern IT", "Second MSP"])
    expect(switcher).to_have_value("lantern-it")
    expect(heading(page)).to_have_text("Lantern IT")
    shot(page, "switcher-two-workspaces")

    switcher.select_option(label="Second MSP")  # app.js submits the form on change
    expect(heading(page)).to_have_text("Second MSP")
    expect(page).to_have_url(f"{url}/")
    expect(messages(page)).to_contain_text("You are now working in Second MSP.")
    expect(switcher).to_have_value("second-msp")
    expect(page.locator("main")).to_contain_text("Signed in as lucy (Technician)")
    recent = page.locator(".card", has=page.get_by_role("heading", name="Newest clients"))
    expect(recent).to_contain_text("Initech")
    expect(recent).not_to_contain_text("Acme Widgets")
    shot(page, "dashboard-second-workspace")

    # A technician's main navigation has no "Clients" entry (see the report: it needs
    # client.add); the dashboard's Clients card leads there.
    page.locator("main a.card.stat", has_text="Clients").click()
    expect(page).to_have_url(f"{url}/clients/")
    expect(results.get_by_role("row", name=re.compile("Initech"))).to_be_visible()
    expect(results).not_to_contain_text("Acme Widgets")
    expect(results).not_to_contain_text("Globex Corporation")
    expect(results).to_contain_text("1 result")
    expect(page.get_by_role("link", name="New client")).to_have_count(0)  # a technician adds none
    shot(page, "clients-second-workspace")

    # The first workspace's client is not reachable by its address from the second: a 404
    # that says where it is (a workspace lucy works in) and offers to switch there.
    response = page.goto(client_url)
    assert response.status == 404
    expect(heading(page)).to_have_text("Not in this organisation")
    expect(page.locator("main")).to_contain_text("It is in Lantern IT, another organisation you work in.")
    shot(page, "other-workspace-client-404")
    page.get_by_role("button", name="Switch to Lantern IT and open it").click()
    expect(page).to_have_url(client_url)
    expect(heading(page)).to_have_text("Acme Widgets")
    expect(messages(page)).to_contain_text("You are now working in Lantern IT.")

    # Back again in the first workspace: its clients are there.
    page.goto(f"{url}/")
    expect(page.get_by_label("Switch workspace")).to_have_value("lantern-it")
    expect(heading(page)).to_have_text("Lantern IT")
    expect(page.locator(".card", has=page.get_by_role("heading", name="Newest clients"))).to_contain_text(
        "Acme Widgets"
    )
    shot(page, "dashboard-back-to-first")


def test_signup_rejects_taken_short_name_and_weak_password(page, live_server, shot):
    TenantFactory(name="Existing MSP", slug="taken-msp")
    tenants, users = Tenant.objects.count(), User.objects.count()

    page.goto(f"{live_server.url}/signup/")
    field(page, "Company name").fill("Copycat IT")
    field(page, "Short name").fill("taken-msp")
    field(page, "Language").select_option(label="English")
    field(page, "Your username").fill("copycat")
    field(page, "Your email").fill("copycat@example.com")
    field(page, "Password").fill("password")
    field(page, "Password again").fill("password")
    shot(page, "signup-bad-input")
    page.get_by_role("button", name="Create my organisation").click()

    expect(page).to_have_url(f"{live_server.url}/signup/")
    expect(heading(page)).to_have_text("Sign up your MSP")
    slug_field = page.locator(".field", has=field(page, "Short name"))
    expect(slug_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(slug_field.locator(".errorlist")).to_have_text("This short name is already taken: choose another.")
    expect(field(page, "Short name")).to_have_attribute("aria-invalid", "true")
    password_errors = page.locator(".field", has=field(page, "Password")).locator(".errorlist li")
    expect(password_errors).to_contain_text(
        [
            "This password is too short. It must contain at least 10 characters.",
            "This password is too common.",
        ]
    )
    expect(field(page, "Password")).to_have_attribute("aria-invalid", "true")
    # What was typed stays, except the passwords.
    expect(field(page, "Company name")).to_have_value("Copycat IT")
    expect(field(page, "Your username")).to_have_value("copycat")
    expect(field(page, "Password")).to_have_value("")
    expect(page.locator(".site-header")).to_have_count(0)  # not signed in
    shot(page, "signup-errors")

    assert (Tenant.objects.count(), User.objects.count()) == (tenants, users)
    assert not User.objects.filter(username="copycat").exists()
    assert not Tenant.objects.filter(name="Copycat IT").exists()


def test_phone_navigation_collapses_behind_menu_toggle(new_context, live_server, shot):
    membership = MembershipFactory(
        tenant=TenantFactory(name="Pocket MSP"), user=UserFactory(username="pat"), role=Role.OWNER
    )
    ClientFactory(tenant=membership.tenant, name="Umbrella Ltd")
    context = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)

    page.goto(f"{live_server.url}/login/")
    field(page, "Username").fill("pat")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(heading(page)).to_have_text("Pocket MSP")

    toggle = page.get_by_role("button", name="Menu")
    nav_clients = page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav_clients).to_be_hidden()
    expect(page.locator("details.user-menu")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, (
        "the page scrolls sideways on a phone"
    )
    shot(page, "phone-nav-closed")

    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav_clients).to_be_visible()
    expect(page.locator("details.user-menu > summary")).to_be_visible()
    shot(page, "phone-nav-open")

    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav_clients).to_be_hidden()

    toggle.tap()
    nav_clients.tap()
    expect(page).to_have_url(f"{live_server.url}/clients/")
    expect(heading(page)).to_have_text("Clients")
    expect(page.locator("#results")).to_contain_text("Umbrella Ltd")
    expect(nav_clients).to_be_hidden()  # a new page starts with the menu closed
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the client list scrolls sideways"
    shot(page, "phone-clients")
    assert Client.unscoped.filter(tenant=membership.tenant).count() == 1
