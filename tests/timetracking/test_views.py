"""The browser side: timesheet with totals, manual entries, edit/delete, timer buttons, the
ticket page's Time panel, work types, the contract page's hours, the portal's hours."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contracts.models import HourBlock
from msp.models import Client as Company
from msp.roles import Role
from tests.factories import ClientFactory, TicketFactory
from tests.timetracking.helpers import balance, prepaid, ticket_on
from tickets.models import Ticket
from timetracking.models import TimeEntry, Timer, WorkType
from timetracking.services import time_entry_create, time_entry_update, work_types_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech(tenant, make_member):
    return make_member(tenant, Role.TECHNICIAN)


@pytest.fixture
def contract(tenant):
    client = ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")
    return prepaid(client=client, currency="EUR")


@pytest.fixture
def tech_client(client, tech):
    client.force_login(tech.user)
    return client


def test_log_time_manually_draws_and_redirects(tech_client, tech, contract):
    ticket = ticket_on(contract)
    response = tech_client.post(
        reverse("timesheet:entry-create"), {"ticket": ticket.pk, "minutes": 15, "billable": "on"}
    )
    assert response.status_code == 302
    entry = TimeEntry.unscoped.get()
    assert entry.technician == tech.user and entry.drawn_minutes == 15
    assert balance(contract) == 585


def test_bad_input_shows_an_error_and_changes_nothing(tech_client, contract):
    ticket = ticket_on(contract)
    now = timezone.localtime()
    for data in (
        {"ticket": ticket.pk, "minutes": 0},
        {"ticket": ticket.pk, "minutes": 2000},
        {
            "ticket": ticket.pk,
            "started_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ended_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
        {"ticket": 10**9, "minutes": 10},
    ):
        response = tech_client.post(reverse("timesheet:entry-create"), data)
        # The timesheet again, with what was typed and the error by its field.
        assert response.status_code == 400
        assert response.context["form"].errors, data
        assert response.context["form"].data["ticket"] == str(data["ticket"])
    assert not TimeEntry.unscoped.exists() and balance(contract) == 600


def test_another_tenants_ticket_is_not_found(tech_client, other_tenant):
    theirs = TicketFactory(tenant=other_tenant, client=ClientFactory(tenant=other_tenant))
    tech_client.post(reverse("timesheet:entry-create"), {"ticket": theirs.pk, "minutes": 10})
    assert not TimeEntry.unscoped.exists()
    assert tech_client.post(reverse("timesheet:timer-start"), {"ticket": theirs.pk}).status_code == 404


def test_timesheet_totals_per_day_and_client(tech_client, tech, contract):
    other = prepaid(
        client=ClientFactory(tenant=contract.tenant, name="Bellini", currency="EUR"), currency="EUR"
    )
    now = timezone.now()
    start = now.replace(hour=12, minute=0, second=0, microsecond=0)
    time_entry_create(
        ticket=ticket_on(contract),
        technician=tech.user,
        started_at=start - timedelta(minutes=95),
        ended_at=start,
        now=max(now, start),  # logged at noon (before noon UTC, today's noon is still to come)
    )
    time_entry_create(ticket=ticket_on(other), technician=tech.user, minutes=30)
    response = tech_client.get(reverse("timesheet:week"))
    sheet = response.context["sheet"]
    assert sheet.total == 125
    assert sheet.per_client == {"Acme Dental": 95, "Bellini": 30}
    body = response.content.decode()
    assert "2:05" in body and "1:35" in body and "0:30" in body
    day = tech_client.get(reverse("timesheet:week") + f"?view=day&date={timezone.localdate().isoformat()}")
    assert len(day.context["sheet"].days) == 1


def _queries(http, url):
    http.get(url)  # warm per-process caches (sessions, content types)
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(url).status_code == 200
    return len(ctx)


def test_timesheet_queries_are_constant(tech_client, tech, contract):
    url = reverse("timesheet:week")
    time_entry_create(ticket=ticket_on(contract), technician=tech.user, minutes=5)
    small = _queries(tech_client, url)
    for n in range(12):
        client = ClientFactory(tenant=contract.tenant, name=f"Client {n}", currency="EUR")
        time_entry_create(
            ticket=TicketFactory(tenant=contract.tenant, client=client), technician=tech.user, minutes=5 + n
        )
    assert _queries(tech_client, url) == small


def test_edit_and_delete_from_the_timesheet(tech_client, tech, contract):
    entry = time_entry_create(ticket=ticket_on(contract), technician=tech.user, minutes=30)
    url = reverse("timesheet:entry-update", args=[entry.pk])
    assert tech_client.get(url).status_code == 200
    response = tech_client.post(url, {"ticket": entry.ticket_id, "minutes": 45, "billable": "on"})
    assert response.status_code == 302
    assert balance(contract) == 555
    response = tech_client.post(reverse("timesheet:entry-delete", args=[entry.pk]))
    assert response.status_code == 302 and balance(contract) == 600


def test_a_technician_cannot_touch_someone_elses_entry(tech_client, tenant, make_member, contract):
    colleague = make_member(tenant, Role.TECHNICIAN)
    entry = time_entry_create(ticket=ticket_on(contract), technician=colleague.user, minutes=30)
    assert tech_client.get(reverse("timesheet:entry-update", args=[entry.pk])).status_code == 404
    assert tech_client.post(reverse("timesheet:entry-delete", args=[entry.pk])).status_code == 404
    assert TimeEntry.unscoped.filter(pk=entry.pk).exists()


def test_timer_buttons(tech_client, tech, contract):
    first, second = ticket_on(contract), ticket_on(contract)
    tech_client.post(reverse("timesheet:timer-start"), {"ticket": first.pk})
    Timer.unscoped.filter(technician=tech.user).update(started_at=timezone.now() - timedelta(minutes=20))
    response = tech_client.post(reverse("timesheet:timer-start"), {"ticket": second.pk}, follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    assert "was stopped and logged 20 min" in text
    assert Timer.unscoped.get(technician=tech.user).ticket == second
    tech_client.post(reverse("timesheet:timer-stop"))
    response = tech_client.post(reverse("timesheet:timer-stop"), follow=True)
    assert any("already stopped" in str(m) for m in response.context["messages"])
    assert TimeEntry.unscoped.count() == 2


def test_a_timer_left_running_past_a_day_says_what_it_logged(tech_client, tech, contract):
    """One entry holds at most 24 h: the technician is told, so the rest is not lost silently."""
    first, second = ticket_on(contract), ticket_on(contract)
    tech_client.post(reverse("timesheet:timer-start"), {"ticket": first.pk})
    Timer.unscoped.filter(technician=tech.user).update(
        started_at=timezone.now() - timedelta(hours=30, minutes=5, seconds=-30)
    )
    response = tech_client.post(reverse("timesheet:timer-stop"), follow=True)
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == [
        f"The timer ran 30:05 h but one entry holds at most 24 h, so 24:00 h were logged on {first}. "
        "Log the rest as another entry if it was worked."
    ]
    assert TimeEntry.unscoped.get(ticket=first).minutes == 24 * 60

    # The same when starting a timer elsewhere stops a day-old one; not for a short one.
    tech_client.post(reverse("timesheet:timer-start"), {"ticket": first.pk})
    Timer.unscoped.filter(technician=tech.user).update(
        started_at=timezone.now() - timedelta(hours=25, seconds=-30)
    )
    response = tech_client.post(reverse("timesheet:timer-start"), {"ticket": second.pk}, follow=True)
    assert any(m.level_tag == "warning" and "ran 25:00 h" in str(m) for m in response.context["messages"])
    Timer.unscoped.filter(technician=tech.user).update(started_at=timezone.now() - timedelta(minutes=20))
    response = tech_client.post(reverse("timesheet:timer-stop"), follow=True)
    assert not any(m.level_tag == "warning" for m in response.context["messages"])


def test_ticket_panel_htmx(tech_client, tech, contract):
    ticket = ticket_on(contract)
    headers = {"HX-Request": "true"}
    response = tech_client.post(
        reverse("timesheet:timer-start"), {"ticket": ticket.pk, "panel": "1"}, headers=headers
    )
    body = response.content.decode()
    assert 'id="time-panel"' in body and "Stop timer" in body
    response = tech_client.post(
        reverse("timesheet:entry-create"),
        {"ticket": ticket.pk, "minutes": 15, "billable": "on", "panel": "1"},
        headers=headers,
    )
    body = response.content.decode()
    assert "Prepaid balance: 9:45" in body and 'hx-swap-oob="true"' in body


def test_ticket_page_shows_the_time_panel(tech_client, contract):
    ticket = ticket_on(contract)
    response = tech_client.get(ticket.get_absolute_url())
    assert response.status_code == 200
    assert 'id="time-panel"' in response.content.decode()


def test_work_types_admin(owner_client, tenant, tech):
    work_types_seed(tenant=tenant)
    response = owner_client.get(reverse("timesheet:worktypes"))
    assert "After hours" in response.content.decode()
    response = owner_client.post(
        reverse("timesheet:worktype-create"), {"name": "Emergency", "rate_factor": "2.00", "is_default": "on"}
    )
    assert response.status_code == 302
    assert WorkType.unscoped.get(tenant=tenant, is_default=True).name == "Emergency"
    response = owner_client.post(
        reverse("timesheet:worktype-create"), {"name": "emergency", "rate_factor": "1.00"}
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()
    other = Client()
    other.force_login(tech.user)
    assert other.get(reverse("timesheet:worktype-create")).status_code == 403


def test_contract_page_hours_and_buying_a_block(owner_client, contract):
    response = owner_client.get(contract.get_absolute_url())
    body = response.content.decode()
    assert "Prepaid hours" in body and "Balance 10:00" in body and "Buy a block" in body
    response = owner_client.post(
        reverse("contracts:block-create", args=[contract.pk]),
        {"hours": 5, "extra_minutes": 0, "price_0": "450.00", "price_1": "EUR", "origin": "manual"},
    )
    assert response.status_code == 302
    assert balance(contract) == 900 and HourBlock.unscoped.filter(contract=contract).count() == 2
    owner_client.post(
        reverse("contracts:block-create", args=[contract.pk]),
        {"hours": 5, "extra_minutes": 0, "price_0": "450.00", "price_1": "USD", "origin": "manual"},
    )
    assert balance(contract) == 900


def _user():
    from tests.factories import UserFactory

    return UserFactory()


def test_contract_page_queries_are_constant(owner_client, contract):
    ticket = ticket_on(contract)
    tech = _user()
    time_entry_create(ticket=ticket, technician=tech, minutes=5)
    small = _queries(owner_client, contract.get_absolute_url())
    for _n in range(30):
        time_entry_create(ticket=ticket, technician=tech, minutes=20)  # renews several blocks
    assert HourBlock.unscoped.filter(contract=contract).count() > 1
    assert _queries(owner_client, contract.get_absolute_url()) == small


def test_technician_cannot_buy_blocks(tech_client, contract):
    assert (
        tech_client.post(
            reverse("contracts:block-create", args=[contract.pk]),
            {"hours": 1, "price_0": "1", "price_1": "EUR", "origin": "manual"},
        ).status_code
        == 403
    )
    assert balance(contract) == 600


def test_portal_hours(client, make_member, contract):
    contact = make_member(contract.tenant, Role.CLIENT, client=contract.client)
    time_entry_create(ticket=ticket_on(contract), technician=_user(), minutes=15)
    client.force_login(contact.user)
    response = client.get(reverse("portal:hours"))
    body = response.content.decode()
    assert response.status_code == 200 and "Balance 9:45" in body and "Buy a block" not in body
    nav = [item["label"] for item in response.context["nav_items"]]
    assert "Hours" in nav  # the portal's navigation


def test_portal_hours_is_for_client_contacts(tech_client):
    assert tech_client.get(reverse("portal:hours")).status_code == 403


def test_the_cached_entry_table_follows_every_change(tech_client, tech, contract):
    ticket = ticket_on(contract, subject="Mail server")
    entry = time_entry_create(ticket=ticket, technician=tech.user, minutes=30, note="first look")

    def table():
        body = tech_client.get(reverse("timesheet:week")).content.decode()
        start = body.index("<tbody>", body.index("Entries"))
        return body[start : body.index("</tbody>", start)]

    first = table()
    assert "Mail server" in first and "first look" in first and "0:30" in first
    assert table() == first  # served from the fragment cache

    time_entry_update(entry=entry, minutes=45, note="second look")
    assert "second look" in table() and "0:45" in table()
    # Renames elsewhere (no save on the entry) show too: they are part of the key.
    Ticket.unscoped.filter(pk=ticket.pk).update(subject="Mail server down")
    Company.unscoped.filter(pk=contract.client_id).update(name="Acme Renamed")
    assert "Mail server down" in table() and "Acme Renamed" in table()
    TimeEntry.unscoped.filter(pk=entry.pk).update(invoiced_at=timezone.now())
    assert "invoiced" in table()

    delete = tech_client.post(reverse("timesheet:entry-delete", args=[entry.pk]))
    assert delete.status_code == 302  # the table's shared delete form posts per row (formaction)


def test_the_panel_log_form_comes_on_demand(tech_client, tech, contract):
    ticket = ticket_on(contract)
    page = tech_client.get(ticket.get_absolute_url()).content.decode()
    url = reverse("timesheet:ticket-log-form", args=[ticket.pk])
    assert f'hx-get="{url}"' in page and 'name="minutes"' not in page

    form = tech_client.get(url, HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    body = form.content.decode()
    assert 'name="minutes"' in body and f'name="ticket" value="{ticket.pk}"' in body
    assert tech_client.get(url)["Location"] == ticket.get_absolute_url()


def test_years_of_used_up_blocks_fold_away(owner_client, tenant):
    from djmoney.money import Money

    from contracts.services.hours import block_purchase, hours_draw

    contract = prepaid(
        client=ClientFactory(tenant=tenant, currency="EUR"), block_minutes=60, auto_renew=False
    )
    for _n in range(12):
        block_purchase(contract=contract, minutes=60, price=Money("90.00", "EUR"))
    hours_draw(contract=contract, minutes=11 * 60, source_kind="test", source_id=1)  # oldest eleven used up

    def block_rows(url):
        body = owner_client.get(url).content.decode()
        table = body[
            body.index("<tbody>", body.index("Blocks")) : body.index("</tbody>", body.index("Blocks"))
        ]
        return table.count("<tr>"), body

    shown, body = block_rows(contract.get_absolute_url())
    assert shown == 10  # the latest ten, the two with minutes left among them
    assert "3 older blocks, used up or expired, are not shown." in body
    shown, body = block_rows(contract.get_absolute_url() + "?blocks=all")
    assert shown == 13 and "older blocks" not in body
