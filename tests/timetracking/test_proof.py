"""Time entries that prove the work (issue 18, item 2): a timer's entry keeps its real start
and end, stopping asks for the work note, time in the future is refused (nothing drawn), the
timer's minutes go through the contract's rounding rule, and a timer cut at 24 h says so."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from msp.roles import Role
from tests.factories import ClientFactory
from tests.timetracking.helpers import api_for, balance, prepaid, ticket_on
from timetracking.models import TimeEntry, Timer
from timetracking.services import time_entry_create, timer_start, timer_stop

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech(tenant, make_member):
    return make_member(tenant, Role.TECHNICIAN)


@pytest.fixture
def contract(tenant):
    return prepaid(client=ClientFactory(tenant=tenant, currency="EUR"), currency="EUR")


@pytest.fixture
def tech_client(client, tech):
    client.force_login(tech.user)
    return client


def _run_timer(tech, ticket, *, ran: timedelta):
    timer_start(technician=tech.user, ticket=ticket, tenant=tech.tenant)
    started = timezone.now() - ran
    Timer.unscoped.update(started_at=started)
    return started


def test_a_timers_entry_keeps_its_start_end_and_note(tech, contract):
    ticket = ticket_on(contract)
    started = _run_timer(tech, ticket, ran=timedelta(minutes=12, seconds=36))
    stopped_at = timezone.now()
    entry = timer_stop(technician=tech.user, tenant=tech.tenant, at=stopped_at, note="  Replaced the toner  ")
    entry = TimeEntry.unscoped.get(pk=entry.pk)
    assert entry.started_at == started and entry.ended_at == stopped_at
    assert entry.minutes == 13 and entry.note == "Replaced the toner"
    assert balance(contract) == 600 - 13


def test_the_timer_rounds_by_the_contracts_rule(tech, tenant):
    contract = prepaid(
        client=ClientFactory(tenant=tenant, currency="EUR"),
        currency="EUR",
        rounding_minutes=15,
        minimum_minutes=30,
    )
    _run_timer(tech, ticket_on(contract), ran=timedelta(seconds=36))
    entry = timer_stop(technician=tech.user, tenant=tech.tenant)
    assert entry.minutes == 1  # the seconds, up to a whole minute...
    assert entry.billed_minutes == 30  # ...then the contract's rule: 15-minute steps, at least 30
    assert entry.drawn_minutes == 30 and balance(contract) == 570


def test_a_timer_left_running_is_cut_at_24_hours_ending_24_hours_after_its_start(tech, contract):
    started = _run_timer(tech, ticket_on(contract), ran=timedelta(hours=30))
    response = api_for(tech).post("/api/v1/timer/stop/", {"note": "Overnight backup"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["minutes"] == 24 * 60 and body["timer_minutes"] == 30 * 60 and body["cut"] is True
    assert "24 h" in body["warning"] and body["note"] == "Overnight backup"
    entry = TimeEntry.unscoped.get()
    assert entry.started_at == started and entry.ended_at == started + timedelta(hours=24)


def test_the_api_stop_takes_the_note_and_shows_start_and_end(tech, contract):
    started = _run_timer(tech, ticket_on(contract), ran=timedelta(minutes=3))
    http = api_for(tech)
    body = http.post("/api/v1/timer/stop/", {"note": "Reset the router"}, format="json").json()
    assert body["note"] == "Reset the router" and body["cut"] is False and body["warning"] is None
    assert body["started_at"] and body["ended_at"]
    listed = http.get(f"/api/v1/time-entries/{body['id']}/").json()
    assert listed["started_at"] == body["started_at"] and listed["ended_at"] == body["ended_at"]
    assert TimeEntry.unscoped.get().started_at == started
    # An unknown field is refused, and the timer is not stopped twice.
    assert http.post("/api/v1/timer/stop/", {"nope": 1}, format="json").status_code == 400


def test_stopping_in_the_browser_takes_the_note_from_the_form_or_the_prompt(tech, tech_client, contract):
    ticket = ticket_on(contract)
    _run_timer(tech, ticket, ran=timedelta(minutes=5))
    page = tech_client.get(ticket.get_absolute_url()).content.decode()
    assert 'name="note"' in page and 'data-testid="timer-stop-form"' in page
    response = tech_client.post(
        reverse("timesheet:timer-stop"),
        {"ticket": ticket.pk, "panel": "1", "note": "Cleaned the drum"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    entry = TimeEntry.unscoped.get()
    assert entry.note == "Cleaned the drum" and entry.started_at and entry.ended_at
    # The queue's Stop button asks with a prompt (htmx sends the answer as HX-Prompt).
    _run_timer(tech, ticket, ran=timedelta(minutes=2))
    tech_client.post(
        reverse("timesheet:timer-stop"),
        {"ticket": ticket.pk, "button": "1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_PROMPT="Called the user back",
    )
    assert TimeEntry.unscoped.order_by("-pk").first().note == "Called the user back"


def test_the_edit_form_shows_a_timers_start_and_end_and_keeps_its_seconds(tech, tech_client, contract):
    _run_timer(tech, ticket_on(contract), ran=timedelta(seconds=40))
    entry = timer_stop(technician=tech.user, tenant=tech.tenant, note="quick fix")
    url = reverse("timesheet:entry-update", args=[entry.pk])
    form = tech_client.get(url).context["form"]
    zone = ZoneInfo(tech.tenant.timezone)  # the form shows the tenant's local time
    start = timezone.localtime(entry.started_at, zone).strftime("%Y-%m-%dT%H:%M")
    end = timezone.localtime(entry.ended_at, zone).strftime("%Y-%m-%dT%H:%M")
    assert form.initial["started_at"] == start and form.initial["ended_at"] == end
    # Saved unchanged (both may fall in the same minute): the seconds are kept, not refused.
    response = tech_client.post(
        url,
        {
            "ticket": entry.ticket_id,
            "started_at": start,
            "ended_at": end,
            "note": "quick fix, printer",
            "billable": "on",
        },
    )
    assert response.status_code == 302, response.content
    entry.refresh_from_db()
    assert entry.note == "quick fix, printer" and entry.minutes == 1


def test_time_in_the_future_is_refused_and_nothing_is_drawn(tech, tech_client, contract):
    ticket = ticket_on(contract)
    later = timezone.localtime() + timedelta(days=200)
    # The service
    with pytest.raises(Exception) as refused:
        time_entry_create(
            ticket=ticket, technician=tech.user, started_at=later, ended_at=later + timedelta(hours=1)
        )
    assert "future" in str(refused.value)
    # The browser form: the error beside the end, nothing created
    response = tech_client.post(
        reverse("timesheet:entry-create"),
        {
            "ticket": ticket.pk,
            "started_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "ended_at": later.strftime("%Y-%m-%dT%H:%M"),
            "panel": "1",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "lies in the future" in html and "<details open" in html
    # The API: 400 with the field named
    response = api_for(tech).post(
        "/api/v1/time-entries/",
        {
            "ticket": ticket.pk,
            "started_at": later.isoformat(),
            "ended_at": (later + timedelta(hours=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400 and "future" in response.json()["ended_at"][0]
    # An edit moving an entry into the future is refused too.
    entry = time_entry_create(ticket=ticket, technician=tech.user, minutes=10)
    response = api_for(tech).patch(
        f"/api/v1/time-entries/{entry.pk}/",
        {"started_at": later.isoformat(), "ended_at": (later + timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert TimeEntry.unscoped.count() == 1 and balance(contract) == 590


def test_a_refused_log_time_keeps_the_panel_open_with_every_typed_value(tech, tech_client, contract):
    ticket = ticket_on(contract)
    response = tech_client.post(
        reverse("timesheet:entry-create"),
        {
            "ticket": ticket.pk,
            "minutes": "2000",
            "note": "Migrated the mailboxes",
            "panel": "1",
            "form_token": "t" * 24,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<details open" in html and 'id="time-panel"' in html
    assert 'value="2000"' in html and "Migrated the mailboxes" in html
    assert 'class="field field-number has-error' in html  # the error is beside Minutes
    assert 'value="' + "t" * 24 + '"' in html  # the same token: the corrected form creates once
    assert not TimeEntry.unscoped.exists() and balance(contract) == 600


def test_the_contract_page_states_the_rounding_rule(tenant, make_member, client):
    owner = make_member(tenant, Role.OWNER)
    client.force_login(owner.user)
    contract = prepaid(
        client=ClientFactory(tenant=tenant, currency="EUR"),
        currency="EUR",
        rounding_minutes=15,
        minimum_minutes=30,
    )
    html = client.get(contract.get_absolute_url()).content.decode()
    assert "rounded up to 15-minute steps, at least 30 minutes per entry" in html
    per_minute = prepaid(client=ClientFactory(tenant=tenant, currency="EUR"), currency="EUR")
    html = client.get(per_minute.get_absolute_url()).content.decode()
    assert "rounded up to the minute" in html
