"""SLA calendars and policies edited in the browser: who may, what bad input does, the
national holidays an Italian tenant gets, and the open tickets' clocks moving on change."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.calendars import country_for_timezone, national_holidays
from contracts.forms.sla import parse_holidays, parse_intervals
from contracts.models import BusinessCalendar, ServiceTier
from contracts.services import business_calendar_load_holidays, sla_seed, tiers_seed
from msp.roles import Role
from msp.scoping import scope_of
from tests.factories import ClientFactory, TenantFactory
from tickets.services import ticket_create, ticket_update

pytestmark = pytest.mark.django_db

# Monday 7 December 2026, 17:00 in Rome (UTC+1): an hour before closing, the eve of a holiday.
MONDAY_7_DEC_1700_ROME = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)


@pytest.fixture
def italian(tenant):
    tiers_seed(tenant=tenant)
    sla_seed(tenant=tenant)
    return tenant


@pytest.fixture
def calendar(italian):
    return BusinessCalendar.unscoped.get(tenant=italian)


def _calendar_post(calendar, **changes):
    data = {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "country": calendar.country,
        "holidays_text": "\n".join(calendar.holidays),
        **{f"hours_{day}": "09:00-18:00" for day in range(5)},
    }
    data.update(changes)
    return data


def test_an_italian_tenant_gets_italys_national_holidays(italian, calendar):
    year = timezone.localdate().year
    assert calendar.country == "IT"
    assert f"{year}-12-08" in calendar.holidays and f"{year + 1}-12-08" in calendar.holidays
    assert f"{year}-12-25" in calendar.holidays and f"{year}-04-25" in calendar.holidays
    assert country_for_timezone("America/New_York") == "US" and country_for_timezone("UTC") == ""


def test_the_sla_clock_skips_the_8_december_holiday(italian, calendar):
    """P1, first response within 4 business hours: opened Monday 7 December at 17:00, one
    hour runs that day; Tuesday 8 is the Immaculate Conception, so three more run on the 9th."""
    business_calendar_load_holidays(calendar=calendar, country="IT", year=2026)
    acme = ClientFactory(tenant=italian)
    ticket = ticket_create(
        tenant=italian, client=acme, subject="Down", priority="P1", now=MONDAY_7_DEC_1700_ROME
    )
    assert ticket.sla_policy.calendar == calendar
    assert ticket.response_due_at == datetime(2026, 12, 9, 11, 0, tzinfo=UTC)  # 12:00 in Rome, Wednesday


def test_owner_edits_hours_and_holidays_and_open_tickets_follow(
    italian, calendar, owner_client, django_capture_on_commit_callbacks
):
    acme = ClientFactory(tenant=italian)
    with scope_of(italian.pk):
        calendar.holidays = [day for day in calendar.holidays if not day.startswith("2026-12-08")]
        calendar.save()
    open_ticket = ticket_create(
        tenant=italian, client=acme, subject="Open", priority="P1", now=MONDAY_7_DEC_1700_ROME
    )
    done = ticket_create(
        tenant=italian, client=acme, subject="Done", priority="P1", now=MONDAY_7_DEC_1700_ROME
    )
    ticket_update(done, status="resolved", now=MONDAY_7_DEC_1700_ROME)
    done.refresh_from_db()
    assert open_ticket.response_due_at == datetime(2026, 12, 8, 11, 0, tzinfo=UTC)  # no holiday yet
    done_due = done.response_due_at

    holidays = "\n".join([*calendar.holidays, "2026-12-08 Immacolata"])
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("sla:calendar-update", args=[calendar.pk]),
            _calendar_post(calendar, holidays_text=holidays),
        )
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert "2026-12-08" in calendar.holidays
    open_ticket.refresh_from_db()
    done.refresh_from_db()
    assert open_ticket.response_due_at == datetime(2026, 12, 9, 11, 0, tzinfo=UTC)
    assert done.response_due_at == done_due  # closed tickets keep their record

    # Shorter days (09:00-13:00): the three remaining hours run to Thursday 10 at 11:00.
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            reverse("sla:calendar-update", args=[calendar.pk]),
            _calendar_post(calendar, **{f"hours_{day}": "09:00-13:00" for day in range(5)}),
        )
    open_ticket.refresh_from_db()
    # Monday 17:00 is after closing now: 4 h = Wed 09-13 → due Wednesday 13:00 in Rome.
    assert calendar.__class__.unscoped.get(pk=calendar.pk).hours["0"] == [["09:00", "13:00"]]
    assert open_ticket.response_due_at == datetime(2026, 12, 9, 12, 0, tzinfo=UTC)


def test_changing_a_policys_targets_moves_due_times(
    italian, owner_client, django_capture_on_commit_callbacks
):
    acme = ClientFactory(tenant=italian)
    ticket = ticket_create(
        tenant=italian, client=acme, subject="Slow", priority="P3", now=MONDAY_7_DEC_1700_ROME
    )
    policy = ticket.sla_policy
    gold = ServiceTier.unscoped.get(tenant=italian, name="Gold")
    data = {"name": policy.name, "calendar": policy.calendar_id, "is_default": "on", "tiers": [gold.pk]}
    data.update({f"all_P{n}_response": 60 for n in range(1, 5)})
    data.update({f"all_P{n}_resolution": 480 for n in range(1, 5)})
    data["server_P1_response"] = 15
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("sla:policy-update", args=[policy.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    policy.refresh_from_db()
    assert policy.targets["P3"] == {"response": 60, "resolution": 480}
    assert policy.kind_overrides == {"server": {"P1": {"response": 15}}}
    assert policy.target_minutes(priority="P1", asset_kind="server", which="response") == 15
    assert list(ServiceTier.unscoped.filter(sla_policy=policy).values_list("name", flat=True)) == ["Gold"]
    ticket.refresh_from_db()
    # One hour on Monday 17:00-18:00: due at 18:00 in Rome the same day.
    assert ticket.response_due_at == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)


def test_technician_may_not_see_or_edit_calendars(italian, calendar, client, make_member):
    tech = make_member(italian, Role.TECHNICIAN)
    client.force_login(tech.user)
    before = list(calendar.holidays)
    assert client.get(reverse("sla:list")).status_code == 403
    assert client.get(reverse("sla:calendar-update", args=[calendar.pk])).status_code == 403
    response = client.post(
        reverse("sla:calendar-update", args=[calendar.pk]), _calendar_post(calendar, holidays_text="")
    )
    assert response.status_code == 403
    assert (
        client.post(
            reverse("sla:calendar-holidays", args=[calendar.pk]), {"country": "US", "year": 2027}
        ).status_code
        == 403
    )
    calendar.refresh_from_db()
    assert calendar.holidays == before


def test_admin_may_edit_and_the_page_lists_everything(italian, calendar, client, make_member):
    admin = make_member(italian, Role.ADMIN)
    client.force_login(admin.user)
    listing = client.get(reverse("sla:list")).content.decode()
    assert "Office hours" in listing and "Gold SLA" in listing and "Gold" in listing
    page = client.get(reverse("sla:calendar-update", args=[calendar.pk])).content.decode()
    assert "Immaculate Conception" in page  # the national holidays are named
    assert 'value="09:00-18:00"' in page


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"hours_0": "18:00-09:00"}, "hours_0"),
        ({"hours_1": "9 to 5"}, "hours_1"),
        ({"hours_2": "25:00-26:00"}, "hours_2"),
        ({"holidays_text": "next tuesday"}, "holidays_text"),
        ({f"hours_{day}": "" for day in range(5)}, None),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(italian, calendar, owner_client, changes, field):
    before = (calendar.hours, calendar.holidays)
    response = owner_client.post(
        reverse("sla:calendar-update", args=[calendar.pk]), _calendar_post(calendar, **changes)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert (field or "__all__") in errors
    calendar.refresh_from_db()
    assert (calendar.hours, calendar.holidays) == before


def test_load_a_countrys_holidays_for_a_year(italian, calendar, owner_client):
    response = owner_client.post(
        reverse("sla:calendar-holidays", args=[calendar.pk]), {"country": "IT", "year": 2030}
    )
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert "2030-12-08" in calendar.holidays and "2030-04-22" in calendar.holidays  # Easter Monday 2030
    assert (
        owner_client.post(
            reverse("sla:calendar-holidays", args=[calendar.pk]), {"country": "XX", "year": 2030}
        ).status_code
        == 302
    )
    calendar.refresh_from_db()
    assert calendar.country == "IT"


def test_a_new_calendar_gets_its_countrys_holidays(italian, owner_client):
    response = owner_client.post(
        reverse("sla:calendar-create"),
        {
            "name": "New York desk",
            "timezone": "America/New_York",
            "country": "",
            "hours_0": "08:00-12:00, 13:00-17:00",
        },
    )
    assert response.status_code == 302
    created = BusinessCalendar.unscoped.get(tenant=italian, name="New York desk")
    year = timezone.localdate().year
    assert created.country == "US" and f"{year}-07-04" in created.holidays
    assert created.hours == {"0": [["08:00", "12:00"], ["13:00", "17:00"]]}


def test_another_tenants_calendar_is_out_of_reach(calendar, client, make_member):
    stranger = TenantFactory()
    owner = make_member(stranger, Role.OWNER)
    client.force_login(owner.user)
    assert client.get(reverse("sla:calendar-update", args=[calendar.pk])).status_code == 404
    assert (
        client.post(
            reverse("sla:calendar-holidays", args=[calendar.pk]), {"country": "US", "year": 2027}
        ).status_code
        == 404
    )


def test_parsers():
    assert parse_intervals("9:00-13:00; 14:00 - 18:30") == [["09:00", "13:00"], ["14:00", "18:30"]]
    assert parse_intervals("00:00-24:00") == [["00:00", "24:00"]]
    assert parse_intervals("") == []
    assert parse_holidays("2026-12-08 Immacolata\n\n2026-12-08\n2026-01-01") == ["2026-01-01", "2026-12-08"]
    assert national_holidays("IT", 2026)[date(2026, 12, 8)] == "Immaculate Conception"


def test_the_command_recomputes_open_tickets_after_a_calendar_changed_behind_the_app(italian, calendar):
    from io import StringIO

    from django.core.management import call_command

    acme = ClientFactory(tenant=italian)
    with scope_of(italian.pk):
        calendar.holidays = []
        calendar.save()
    ticket = ticket_create(
        tenant=italian, client=acme, subject="Eve", priority="P1", now=MONDAY_7_DEC_1700_ROME
    )
    assert ticket.response_due_at == datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
    BusinessCalendar.unscoped.filter(pk=calendar.pk).update(holidays=["2026-12-08"])  # as a migration would
    out = StringIO()
    call_command("sla_recompute", tenant=italian.slug, stdout=out)
    ticket.refresh_from_db()
    assert ticket.response_due_at == datetime(2026, 12, 9, 11, 0, tzinfo=UTC)
    assert f"{italian.slug}: 1 open tickets moved" in out.getvalue()
