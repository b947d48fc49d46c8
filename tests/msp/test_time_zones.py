"""Times in the MSP's time zone (issue 18, item 1), across a daylight-saving change.

Europe/Rome moves to summer time on 29 March 2026 (02:00 CET -> 03:00 CEST), America/New_York
on 8 March 2026 (02:00 EST -> 03:00 EDT). A time typed into Log time is read in the tenant's
zone, the SLA due times are shown in it with the zone's abbreviation, and the running timer's
"since" is the local time; a user's own zone wins over the tenant's; tasks run in the
tenant's zone.
"""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags

from msp.roles import Role
from msp.scoping import tenant_scope
from msp.tenant_tasks import tenant_task
from tests.factories import ClientFactory, TenantFactory, TicketFactory
from tickets.models import Ticket
from timetracking.models import TimeEntry
from timetracking.services import timer_start

UTC = dt.UTC

# zone, the day the clocks go forward, (local hour -> UTC offset) before and after the change
CASES = {
    "rome": ("Europe/Rome", dt.date(2026, 3, 29), "CET", "CEST", 1),
    "new-york": ("America/New_York", dt.date(2026, 3, 8), "EST", "EDT", -5),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    return CASES[request.param]


@pytest.fixture
def tech(case, make_member):
    zone = case[0]
    tenant = TenantFactory(
        name=f"MSP in {zone}", slug=zone.lower().replace("/", "-").replace("_", "-"), timezone=zone
    )
    return make_member(tenant, Role.TECHNICIAN)


@pytest.fixture
def tech_http(client, tech):
    client.force_login(tech.user)
    return client


def _text(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", strip_tags(response.content.decode()))


@pytest.mark.django_db
def test_a_time_typed_into_log_time_is_read_in_the_tenants_zone(case, tech, tech_http):
    zone, day, _winter, _summer, standard_offset = case
    ticket = TicketFactory(tenant=tech.tenant, client=ClientFactory(tenant=tech.tenant))
    # 01:30 in standard time to 03:30 in summer time: one hour passed, not two.
    response = tech_http.post(
        reverse("timesheet:entry-create"),
        {
            "ticket": ticket.pk,
            "started_at": f"{day.isoformat()}T01:30",
            "ended_at": f"{day.isoformat()}T03:30",
            "billable": "on",
        },
    )
    assert response.status_code == 302
    entry = TimeEntry.unscoped.get()
    start_utc = dt.datetime.combine(day, dt.time(1, 30), UTC) - dt.timedelta(hours=standard_offset)
    assert entry.started_at == start_utc
    assert entry.ended_at == start_utc + dt.timedelta(hours=1)
    assert entry.minutes == 60


@pytest.mark.django_db
def test_sla_due_times_are_shown_local_with_the_zone(case, tech, tech_http):
    zone, day, winter, summer, standard_offset = case
    ticket = TicketFactory(tenant=tech.tenant, client=ClientFactory(tenant=tech.tenant))
    # 13:00 local on the day before the change (standard time) and on the day of it (summer time).
    before = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(13), UTC) - dt.timedelta(
        hours=standard_offset
    )
    after = dt.datetime.combine(day, dt.time(13), UTC) - dt.timedelta(hours=standard_offset + 1)
    Ticket.unscoped.filter(pk=ticket.pk).update(response_due_at=before, resolution_due_at=after)

    html = _text(tech_http.get(ticket.get_absolute_url()))

    previous = day - dt.timedelta(days=1)
    assert f"{previous.day} Mar 2026, 13:00 {winter}" in html
    assert f"{day.day} Mar 2026, 13:00 {summer}" in html
    assert "12:00" not in html and "14:00" not in html  # neither UTC nor a wrong offset


@pytest.mark.django_db
def test_the_running_timer_shows_local_time(case, tech, tech_http):
    zone, day, _winter, summer, standard_offset = case
    ticket = TicketFactory(tenant=tech.tenant, client=ClientFactory(tenant=tech.tenant))
    # Started at 03:00 summer time, just after the clocks went forward.
    started = dt.datetime.combine(day, dt.time(3), UTC) - dt.timedelta(hours=standard_offset + 1)
    with tenant_scope(tech.tenant):
        timer_start(technician=tech.user, ticket=ticket, tenant=tech.tenant, at=started)
    shown = "03:00"

    html = _text(tech_http.get(ticket.get_absolute_url()))
    assert f"running since {shown}" in html
    html = _text(tech_http.get(reverse("timesheet:week")))
    assert f"since {shown}" in html


@pytest.mark.django_db
def test_a_users_own_zone_wins_over_the_tenants(tech, tech_http):
    tech.user.timezone = "Asia/Tokyo"
    tech.user.save(update_fields=["timezone"])
    ticket = TicketFactory(tenant=tech.tenant, client=ClientFactory(tenant=tech.tenant))
    Ticket.unscoped.filter(pk=ticket.pk).update(response_due_at=dt.datetime(2026, 3, 9, 1, 0, tzinfo=UTC))

    html = _text(tech_http.get(ticket.get_absolute_url()))
    assert "9 Mar 2026, 10:00 JST" in html


@pytest.mark.django_db
def test_italian_dates_read_as_italians_write_them(tech, tech_http):
    tech.user.language = "it"
    tech.user.timezone = "Europe/Rome"
    tech.user.save(update_fields=["language", "timezone"])
    ticket = TicketFactory(tenant=tech.tenant, client=ClientFactory(tenant=tech.tenant))
    Ticket.unscoped.filter(pk=ticket.pk).update(response_due_at=dt.datetime(2026, 12, 5, 15, 36, tzinfo=UTC))

    html = _text(tech_http.get(ticket.get_absolute_url()))
    assert "5 dicembre 2026, 16:36 CET" in html
    assert "05 Dicembre" not in html and "Dicembre" not in html


_zones_seen = []


@tenant_task()
def _zone_probe_task(tenant_id: int) -> str:
    _zones_seen.append(timezone.get_current_timezone_name())
    return timezone.get_current_timezone_name()


@pytest.mark.django_db
def test_tenant_tasks_run_in_the_tenants_zone(case, tech):
    assert _zone_probe_task(tech.tenant.pk) == case[0]
    assert timezone.get_current_timezone_name() == "UTC"  # restored afterwards


def test_one_style_per_language():
    from django.utils import formats

    moment = dt.datetime(2026, 12, 5, 15, 36, tzinfo=UTC)
    with timezone.override("Europe/Rome"):
        local = timezone.localtime(moment)
        with translation.override("en"):
            assert formats.date_format(local, "SHORT_DATETIME_FORMAT") == "5 Dec 2026, 16:36"
            assert formats.date_format(local, "DATETIME_FORMAT") == "5 Dec 2026, 16:36"
            assert formats.date_format(local.date(), "SHORT_DATE_FORMAT") == "5 Dec 2026"
        with translation.override("it"):
            assert formats.date_format(local, "SHORT_DATETIME_FORMAT") == "5 dicembre 2026, 16:36"
            assert formats.date_format(dt.date(2026, 11, 5), "DATE_FORMAT") == "5 novembre 2026"


@pytest.mark.django_db
def test_a_user_picks_their_own_zone(case, tech, tech_http):
    page = tech_http.get(reverse("account_time_zone"))
    assert page.status_code == 200 and "Organisation&#x27;s (" in page.content.decode()
    assert tech_http.post(reverse("account_time_zone"), {"timezone": "Not/AZone"}).status_code == 400
    tech.user.refresh_from_db()
    assert tech.user.timezone == ""
    assert tech_http.post(reverse("account_time_zone"), {"timezone": "Asia/Tokyo"}).status_code == 302
    tech.user.refresh_from_db()
    assert tech.user.timezone == "Asia/Tokyo"
    assert "Time zone: Asia/Tokyo" in _text(tech_http.get(reverse("dashboard")))


@pytest.mark.django_db
def test_the_api_writes_times_with_the_members_offset(case, tech):
    from tests.timetracking.helpers import api_for

    zone, day, _winter, _summer, standard_offset = case
    ticket = TicketFactory(tenant=tech.tenant, client=ClientFactory(tenant=tech.tenant))
    due = dt.datetime.combine(day, dt.time(12), UTC)  # after the change: summer time
    Ticket.unscoped.filter(pk=ticket.pk).update(response_due_at=due)

    row = api_for(tech).get(f"/api/v1/tickets/{ticket.pk}/").json()
    written = dt.datetime.fromisoformat(row["response_due_at"])
    assert written == due  # the same instant ...
    assert written.utcoffset() == dt.timedelta(hours=standard_offset + 1)  # ... in the tenant's zone
