"""The client portal (issue 12): its own look and navigation, the home's balances, burn-down
and forecast, the hours statement, tickets with their SLA, assets with health and warranty,
the MSP's logo, and a contact's invitation to the portal from the MSP's contact page."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core import mail
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.periods import Period
from contracts.models import Contract
from msp.models import Contact, Invitation, Membership
from msp.roles import Role
from msp.scoping import scope_of, unscoped
from portal.sla import AT_RISK, BREACHED, MET, RUNNING, sla_state_now, sla_targets
from reports import selectors
from tests.factories import AssetFactory, ClientFactory, ContactFactory, ContractFactory
from tests.portal import scenario
from tickets.choices import SlaState
from tickets.models import Ticket
from tickets.services import comment_add
from timetracking.services import time_entry_delete

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return scenario.build()


@pytest.fixture
def jane(client, world):
    client.force_login(world.jane.user)
    return client


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return unescape(response.content.decode())


# --- the look: the portal's header, navigation and footer -------------------------------------


def test_a_client_contact_sees_the_portals_navigation_never_the_msps(jane, world):
    response = jane.get(reverse("dashboard"))
    html = _html(response)
    labels = [str(item["label"]) for item in response.context["nav_items"]]
    assert labels == ["Home", "Hours", "Tickets", "Assets", "Invoices", "Reports", "Offers"]
    assert 'class="site-header portal-header"' in html and 'class="portal"' in html
    assert "Acme Dental" in html and "Lantern IT" in html  # the client's and the MSP's names
    assert "Lantern IT S.r.l." in html and "Via Roma 1, 20121 Milano" in html and "IT01234567890" in html
    assert "<title>Home · Lantern IT</title>" in html
    for staff in ("Clients", "Contracts", "Timesheet", "Monitoring", "Members", "MSP PSA"):
        assert f">{staff}<" not in html
    # A staff page the contact may open (its company's) wears the portal's header too.
    html = _html(jane.get(reverse("clients:detail", args=[world.acme.pk])))
    assert "portal-header" in html and ">Clients<" not in html


def test_staff_keep_the_msps_own_header(client, world):
    client.force_login(world.tom.user)
    html = _html(client.get(reverse("dashboard")))
    assert "portal-header" not in html and "MSP PSA" in html
    assert client.get(reverse("portal:assets")).status_code == 403


def test_the_logo_is_the_msps_own_else_a_monogram(jane, world, settings, tmp_path):
    response = jane.get(reverse("portal:logo"))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b">LI</text>" in response.content  # Lantern IT
    from django.core.files.base import ContentFile

    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    with unscoped():
        world.tenant.logo.save("logo.png", ContentFile(png), save=True)
    response = jane.get(reverse("portal:logo"))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content == png and "private" in response["Cache-Control"]
    assert f"{reverse('portal:logo')}?v=" in _html(jane.get(reverse("dashboard")))


# --- home: the balance, its burn-down and the forecast ---------------------------------------


def _expected_month_ends(world, today, months):
    """Each month-end's balance, from the scenario's own numbers."""
    expected = []
    for end in selectors.month_ends(today, months):
        limit = end + timedelta(days=1)
        if world.bought_at.date() >= limit:
            expected.append(None)
            continue
        used = sum(m for at, m, _e in world.entries if timezone.localdate(at) < limit)
        expected.append(scenario.BLOCK_MINUTES - used)
    return expected


def test_hour_forecast_month_end_balances_and_the_threshold(world):
    with scope_of(world.tenant.pk):
        (forecast,) = selectors.hour_forecasts(months=12)
    today = timezone.localdate()
    assert [p.minutes for p in forecast.history[:-1]] == _expected_month_ends(world, today, 12)
    assert [p.day for p in forecast.history[:-1]] == [Period.parse(str(p)).end for p in _periods(today, 12)]
    now = forecast.history[-1]
    assert now.now and now.minutes == world.contract.balance_minutes == forecast.balance_minutes
    skipped = len(forecast.history) - len(forecast.shown_history)  # the months before the block
    assert all(p.minutes is None for p in forecast.history[:skipped]) and forecast.shown_history[0].minutes
    # The last 30 days' work: this week's hour, and the 15th of last month's when that is recent.
    used = sum(m for at, m, _e in world.entries if at >= timezone.now() - timedelta(days=30))
    assert forecast.used_minutes == used >= scenario.RECENT_MINUTES
    above = forecast.balance_minutes - scenario.THRESHOLD_MINUTES
    assert forecast.reaches_threshold_on == today + timedelta(days=int(above * 30 / used))
    assert forecast.runs_out_on == today + timedelta(days=int(forecast.balance_minutes * 30 / used))
    assert forecast.renews_automatically and not forecast.below_threshold


def _periods(today, months):
    period, periods = Period.of(today), []
    for _ in range(months):
        period = period.previous()
        periods.append(period)
    return periods[::-1]


def test_forecasts_cost_one_query_whatever_the_months_and_contracts(world):
    with scope_of(world.tenant.pk), CaptureQueriesContext(connection) as one_month:
        selectors.hour_forecasts(months=1)
    for n in range(2):
        ContractFactory(
            tenant=world.tenant, client=world.acme, kind="prepaid_hours", tier=None, name=f"More {n}"
        )
    with scope_of(world.tenant.pk), CaptureQueriesContext(connection) as a_year:
        assert len(selectors.hour_forecasts(months=12)) == 3
    assert len(one_month) == len(a_year) == 1


def test_under_the_threshold_the_forecast_says_so(world):
    Contract.unscoped.filter(pk=world.contract.pk).update(renew_threshold_minutes=20 * 60, auto_renew=False)
    with scope_of(world.tenant.pk):
        (forecast,) = selectors.hour_forecasts()
    assert forecast.below_threshold and forecast.reaches_threshold_on is None
    assert not forecast.renews_automatically


def test_home_shows_the_balance_large_the_forecast_and_the_months(jane, world):
    html = _html(jane.get(reverse("dashboard")))
    balance = world.contract.balance_minutes
    assert (
        f'data-figure="balance"><span class="sr-only">Balance: </span>{balance // 60}:{balance % 60:02d}<small>h</small>'
        in html
    )
    assert "the balance reaches the renewal threshold around" in html
    assert "A new block is then added automatically." in html
    assert 'data-testid="burn-down"' in html and "Now" in html
    assert "Printer offline at reception" in html  # the open ticket
    assert "Monthly check 1" not in html  # resolved


# --- the statement -------------------------------------------------------------------------


def test_the_statement_names_date_technician_ticket_minutes_and_balance(jane, world):
    html = _html(jane.get(reverse("portal:hours")))
    at, minutes, entry = world.entries[-1]
    ticket = world.tickets[-1]
    row = re.search(r'<tr data-kind="debit">(.*?)</tr>', html, re.S).group(1)
    assert timezone.localtime(at).strftime("%d %b %Y").lstrip("0") in row or str(at.year) in row
    assert "Tom Bianchi" in row and f'href="{reverse("portal:ticket", args=[ticket.pk])}"' in row
    assert f"#{ticket.pk} Printer offline at reception" in row and "Work 7" in row
    assert ">-1:00<" in row
    balance = world.contract.balance_minutes
    assert f">{balance // 60}:{balance % 60:02d}<" in row
    assert "Hour block bought (Initial)" in html


def test_a_deleted_entry_never_shows_as_a_time_entry_number(jane, world):
    _at, _minutes, entry = world.entries[-1]
    with unscoped():
        time_entry_delete(entry=entry)
    html = _html(jane.get(reverse("portal:hours")))
    assert (
        "Time entry" not in html
        and f"#{entry.pk} " not in html.split('data-testid="ledger"')[1].split("Printer")[0]
    )
    assert "Given back: work removed" in html and "Work later removed" in html


# --- tickets: the SLA and who hears about replies -------------------------------------------


def test_sla_targets_read_met_breached_at_risk_and_on_track(world):
    now = timezone.now()
    with unscoped():
        quick, _slow, late = (Ticket.unscoped.get(pk=t.pk) for t in world.tickets[:3])
        open_ticket = Ticket.unscoped.get(pk=world.open_ticket.pk)
    assert [t.state for t in sla_targets(quick, now=now)] == [MET, MET]
    assert [t.state for t in sla_targets(late, now=now)] == [MET, BREACHED]
    # The week's ticket, never answered, is late by the clock before the sweep says so. (Its
    # due time is in business hours: three days back may not have passed it on a Sunday.)
    late_by_clock = max(now, open_ticket.response_due_at + timedelta(minutes=1))
    assert open_ticket.sla_state == SlaState.OK
    assert sla_state_now(open_ticket, late_by_clock) == SlaState.BREACHED
    assert sla_targets(open_ticket, now=late_by_clock)[0].state == BREACHED
    fresh = open_ticket.response_due_at - timedelta(minutes=1)
    assert sla_targets(open_ticket, now=fresh)[0].state in (RUNNING, AT_RISK)
    assert sla_targets(open_ticket, now=open_ticket.created_at)[0].state == RUNNING


def test_the_ticket_list_and_page_show_the_sla(jane, world):
    html = _html(jane.get(reverse("portal:tickets")))
    assert "Service level" in html and "response due" in html and "Breached" in html and "Met" in html
    html = _html(jane.get(reverse("portal:tickets") + "?status=open"))
    assert "Printer offline" in html and "Monthly check" not in html
    html = _html(jane.get(reverse("portal:tickets") + f"?asset={world.assets['pc'].pk}"))
    assert "Printer offline" in html and "Monthly check" not in html
    late = world.tickets[2]
    html = _html(jane.get(reverse("portal:ticket", args=[late.pk])))
    assert "First response" in html and "Resolution" in html and "Breached" in html and "Met" in html


def test_replies_are_emailed_to_the_contact_who_opened_the_ticket(
    jane, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = jane.post(reverse("portal:ticket-create"), {"subject": "Scanner jams", "priority": "P3"})
    ticket = Ticket.unscoped.get(subject="Scanner jams")
    assert response.status_code == 302 and ticket.contact.email == "jane@acme.example"
    html = _html(jane.get(reverse("portal:ticket", args=[ticket.pk])))
    assert "is e-mailed to jane@acme.example" in html
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), unscoped():
        comment_add(ticket, author=world.tom.user, body="We are on our way.")
    assert [m.to for m in mail.outbox] == [["jane@acme.example"]]
    assert (
        "We are on our way." in mail.outbox[0].body and f"/portal/tickets/{ticket.pk}/" in mail.outbox[0].body
    )


# --- assets ---------------------------------------------------------------------------------


def test_assets_show_health_and_warranty_worst_first(jane, world):
    sibling = ClientFactory(tenant=world.tenant, name="Sibling Co")
    AssetFactory(tenant=world.tenant, client=sibling, name="Sibling server")
    html = _html(jane.get(reverse("portal:assets")))
    assert html.index("Backup NAS") < html.index("Reception PC")  # offline first
    assert "Offline" in html and "Online" in html and "expiring soon" in html
    assert "Sibling server" not in html
    assert 'data-figure="offline">1<' in html and 'data-figure="warranties">1<' in html
    html = _html(jane.get(reverse("portal:assets") + "?problem=warranty"))
    assert "Reception PC" in html and "Backup NAS" not in html
    html = _html(jane.get(reverse("portal:assets") + "?q=nas"))
    assert "Backup NAS" in html and "Reception PC" not in html


def test_an_asset_page_with_its_tickets_and_another_clients_is_404(jane, world):
    pc = world.assets["pc"]
    html = _html(jane.get(reverse("portal:asset", args=[pc.pk])))
    assert "Reception PC" in html and "acme-rec-01" in html and "Printer offline at reception" in html
    assert "expiring soon" in html
    sibling = AssetFactory(tenant=world.tenant, client=ClientFactory(tenant=world.tenant), name="Theirs")
    assert jane.get(reverse("portal:asset", args=[sibling.pk])).status_code == 404
    html = _html(jane.get(reverse("portal:ticket-create") + f"?asset={pc.pk}"))
    assert f'<option value="{pc.pk}" selected>' in html


# --- monthly reports ------------------------------------------------------------------------


def test_the_contact_reads_its_companys_sent_reports_as_sent_and_their_pdf(jane, world):
    from reports.models import MonthlyReport
    from reports.services import generate_report
    from tests.factories import sent_report

    report = scenario.send_last_months_report(world)
    month = report.period
    older = Period.parse(month).previous()
    with unscoped():
        draft = generate_report(world.acme, older, pdf=False)  # a draft: never in the portal
        sibling = sent_report(ClientFactory(tenant=world.tenant, name="Sibling Co"))
    html = _html(jane.get(reverse("portal:reports")))
    assert f'href="{reverse("portal:report", args=[report.pk])}"' in html
    assert reverse("portal:report", args=[draft.pk]) not in html and "Sibling" not in html
    html = _html(jane.get(reverse("portal:report", args=[report.pk])))
    assert "Acme Dental" in html and 'class="report-snapshot"' in html
    # The snapshot as sent: a later edit of the stored data does not change the page.
    assert html.count("srcdoc=") == 1
    response = jane.get(reverse("portal:report-pdf", args=[report.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and month in response["Content-Disposition"]
    for other in (draft, sibling):
        assert jane.get(reverse("portal:report", args=[other.pk])).status_code == 404
        assert jane.get(reverse("portal:report-pdf", args=[other.pk])).status_code == 404
    # The home links the latest one.
    html = _html(jane.get(reverse("dashboard")))
    assert f'href="{reverse("portal:report", args=[report.pk])}" data-testid="latest-report"' in html
    assert MonthlyReport.unscoped.get(pk=report.pk).status == "sent"


# --- the MSP invites a contact to the portal -------------------------------------------------


def test_the_msp_invites_a_contact_who_sets_a_password_and_gets_portal_access(
    client, tenant, make_member, django_capture_on_commit_callbacks
):
    admin = make_member(tenant, Role.ADMIN)
    acme = ClientFactory(tenant=tenant, name="Acme")
    contact = ContactFactory(tenant=tenant, client=acme, name="Marco Neri", email="marco@acme.example")
    client.force_login(admin.user)
    html = _html(client.get(reverse("contacts:detail", args=[contact.pk])))
    assert "Invite to the portal" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("contacts:invite", args=[contact.pk]))
    assert response.status_code == 302 and response["Location"] == contact.get_absolute_url()
    invitation = Invitation.unscoped.get(email="marco@acme.example")
    assert (invitation.role, invitation.client_id) == (Role.CLIENT, acme.pk)
    (message,) = mail.outbox
    link = re.search(r"https?://[^\s/]+(/invitations/\S+/)", message.body).group(1)
    html = _html(client.get(reverse("contacts:detail", args=[contact.pk])))
    assert "Send the invitation again" in html and "pending" in html

    invitee = BrowserClient()
    response = invitee.post(
        link,
        {
            "action": "signup",
            "username": "marco",
            "password1": "Violet-Harbour-Kettle-58",
            "password2": "Violet-Harbour-Kettle-58",
        },
    )
    assert response.status_code == 302
    membership = Membership.unscoped.get(user__username="marco")
    assert (membership.role, membership.client_id) == (Role.CLIENT, acme.pk)
    assert Contact.unscoped.get(pk=contact.pk).portal_access is True
    assert "portal-header" in _html(invitee.get(reverse("dashboard")))
    html = _html(client.get(reverse("contacts:detail", args=[contact.pk])))
    assert "Has a portal login (marco)" in html and "Invite to the portal" not in html


def test_inviting_needs_the_members_permission_and_an_address(client, tenant, make_member):
    acme = ClientFactory(tenant=tenant)
    contact = ContactFactory(tenant=tenant, client=acme, email="")
    manager = make_member(tenant, Role.ACCOUNT_MANAGER)
    client.force_login(manager.user)
    assert "Invite to the portal" not in _html(client.get(reverse("contacts:detail", args=[contact.pk])))
    assert client.post(reverse("contacts:invite", args=[contact.pk])).status_code == 403
    client.force_login(make_member(tenant, Role.OWNER).user)
    html = _html(client.get(reverse("contacts:detail", args=[contact.pk])))
    assert "Add an e-mail address to invite this contact" in html
    response = client.post(reverse("contacts:invite", args=[contact.pk]), follow=True)
    assert (
        "Add the contact&#x27;s e-mail address first" in response.content.decode()
        or "e-mail address first" in _html(response)
    )
    assert not Invitation.unscoped.exists()


def test_an_address_already_a_member_is_refused(client, tenant, make_member):
    owner = make_member(tenant, Role.OWNER)
    staff = make_member(tenant, Role.TECHNICIAN, email="tech@msp.example")
    contact = ContactFactory(tenant=tenant, client=ClientFactory(tenant=tenant), email=staff.user.email)
    client.force_login(owner.user)
    html = _html(client.get(reverse("contacts:detail", args=[contact.pk])))
    assert "already belongs to a member" in html
    response = client.post(reverse("contacts:invite", args=[contact.pk]), follow=True)
    assert "already a member" in _html(response)
    assert not Invitation.unscoped.exists()


# --- Italian ---------------------------------------------------------------------------------


def test_the_portal_speaks_italian(client, world):
    user = world.jane.user
    user.language = "it"
    user.save(update_fields=["language"])
    client.force_login(user)
    html = _html(client.get(reverse("dashboard")))
    assert "Portale clienti" in html and "soglia di rinnovo" in html
    html = _html(client.get(reverse("portal:assets")))
    assert "I vostri dispositivi" in html
    html = _html(client.get(reverse("portal:tickets")))
    assert "Livello di servizio" in html
