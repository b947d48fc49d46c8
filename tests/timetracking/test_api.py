"""API: time-entries/, timer/start/, timer/stop/, contracts/{id}/ledger/ and blocks/, balance_minutes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.models import HourBlock, LedgerEntry
from msp.roles import Role
from tests.factories import ClientFactory, TicketFactory
from tests.timetracking.helpers import api_for, balance, prepaid, ticket_on
from timetracking.models import TimeEntry, Timer
from timetracking.services import time_entry_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(tenant):
    return prepaid(client=ClientFactory(tenant=tenant, currency="EUR"), currency="EUR")


@pytest.fixture
def tech(tenant, make_member):
    return make_member(tenant, Role.TECHNICIAN)


def test_create_entry_shows_how_it_was_drawn(tech, contract):
    http = api_for(tech)
    ticket = ticket_on(contract)
    response = http.post(
        "/api/v1/time-entries/", {"ticket": ticket.pk, "minutes": 15, "note": "call"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["drawn_minutes"] == 15 and body["overage_minutes"] == 0 and body["billed_minutes"] == 15
    assert body["technician"] == tech.user.pk and body["covered"] is False
    assert balance(contract) == 585
    detail = http.get(f"/api/v1/contracts/{contract.pk}/")
    assert detail.json()["balance_minutes"] == 585


def test_create_by_span_and_patch_and_delete(tech, contract):
    http = api_for(tech)
    ticket = ticket_on(contract)
    end = timezone.now()
    response = http.post(
        "/api/v1/time-entries/",
        {
            "ticket": ticket.pk,
            "started_at": (end - timedelta(minutes=30)).isoformat(),
            "ended_at": end.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["minutes"] == 30
    entry_id = response.json()["id"]
    response = http.patch(f"/api/v1/time-entries/{entry_id}/", {"minutes": 45}, format="json")
    assert response.status_code == 200 and response.json()["drawn_minutes"] == 45
    assert balance(contract) == 555
    assert http.delete(f"/api/v1/time-entries/{entry_id}/").status_code == 204
    assert balance(contract) == 600


@pytest.mark.parametrize(
    "data",
    [
        {"minutes": 0},
        {"minutes": -10},
        {"minutes": 1441},
        {"minutes": "abc"},
        {},
        {"started_at": "2026-01-01T10:00:00Z", "ended_at": "2026-01-01T09:00:00Z"},
        {"started_at": "2026-01-01T10:00:00Z", "ended_at": "2026-01-02T11:00:00Z"},
        {"minutes": 10, "colour": "red"},
    ],
)
def test_bad_input_is_a_clear_400(tech, contract, data):
    http = api_for(tech)
    response = http.post("/api/v1/time-entries/", {"ticket": ticket_on(contract).pk, **data}, format="json")
    assert response.status_code == 400
    assert response.json()
    assert not TimeEntry.unscoped.exists() and balance(contract) == 600


def test_another_tenants_ticket_is_refused(tech, other_tenant):
    theirs = TicketFactory(tenant=other_tenant, client=ClientFactory(tenant=other_tenant))
    http = api_for(tech)
    response = http.post("/api/v1/time-entries/", {"ticket": theirs.pk, "minutes": 10}, format="json")
    assert response.status_code == 400 and "ticket" in response.json()
    response = http.post("/api/v1/timer/start/", {"ticket": theirs.pk}, format="json")
    assert response.status_code == 400
    assert not TimeEntry.unscoped.exists() and not Timer.unscoped.exists()


def test_timer_start_stop(tech, contract):
    http = api_for(tech)
    first, second = ticket_on(contract), ticket_on(contract)
    assert http.post("/api/v1/timer/start/", {"ticket": first.pk}, format="json").status_code == 201
    Timer.unscoped.update(started_at=timezone.now() - timedelta(minutes=7, seconds=5))
    response = http.post("/api/v1/timer/start/", {"ticket": second.pk}, format="json")
    assert response.json()["stopped_entry"]["minutes"] == 8
    response = http.post("/api/v1/timer/stop/")
    assert response.status_code == 201 and response.json()["minutes"] == 1
    again = http.post("/api/v1/timer/stop/")
    assert again.status_code == 409 and "already stopped" in again.json()["detail"]


def test_technicians_see_their_own_entries_admins_all(tenant, make_member, tech, contract):
    colleague = make_member(tenant, Role.TECHNICIAN)
    time_entry_create(ticket=ticket_on(contract), technician=colleague.user, minutes=10)
    mine = time_entry_create(ticket=ticket_on(contract), technician=tech.user, minutes=10)
    assert [e["id"] for e in api_for(tech).get("/api/v1/time-entries/").json()["results"]] == [mine.pk]
    admin = make_member(tenant, Role.ADMIN)
    assert api_for(admin).get("/api/v1/time-entries/").json()["count"] == 2
    contact = make_member(tenant, Role.CLIENT, client=contract.client)
    assert api_for(contact).get("/api/v1/time-entries/").status_code == 403


def test_ledger_and_blocks(tenant, make_member, contract):
    manager = make_member(tenant, Role.ACCOUNT_MANAGER)
    entry = time_entry_create(ticket=ticket_on(contract), technician=manager.user, minutes=15)
    http = api_for(manager)
    ledger = http.get(f"/api/v1/contracts/{contract.pk}/ledger/").json()
    assert ledger["count"] == 2
    debit, credit = ledger["results"]
    assert (debit["kind"], debit["minutes"], debit["balance_after"], debit["time_entry"]) == (
        "debit",
        -15,
        585,
        entry.pk,
    )
    assert credit["kind"] == "credit" and credit["time_entry"] is None and credit["block"]
    response = http.post(
        f"/api/v1/contracts/{contract.pk}/blocks/",
        {"minutes": 300, "price": "450.00", "origin": "manual"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["price_currency"] == "EUR"
    assert balance(contract) == 885
    wrong = http.post(
        f"/api/v1/contracts/{contract.pk}/blocks/",
        {"minutes": 300, "price": "450.00", "price_currency": "USD"},
        format="json",
    )
    assert wrong.status_code == 400 and "EUR" in str(wrong.json())
    assert (
        http.post(
            f"/api/v1/contracts/{contract.pk}/blocks/", {"minutes": 0, "price": "1"}, format="json"
        ).status_code
        == 400
    )
    assert balance(contract) == 885
    blocks = http.get(f"/api/v1/contracts/{contract.pk}/blocks/").json()
    assert [b["minutes"] for b in blocks["results"]] == [600, 300]


def test_ledger_permissions_and_isolation(tenant, other_tenant, make_member, tech, contract):
    theirs = prepaid(client=ClientFactory(tenant=other_tenant, currency="EUR"), currency="EUR")
    http = api_for(tech)
    assert http.get(f"/api/v1/contracts/{theirs.pk}/ledger/").status_code == 404
    assert http.get(f"/api/v1/contracts/{theirs.pk}/blocks/").status_code == 404
    assert (
        http.post(
            f"/api/v1/contracts/{contract.pk}/blocks/", {"minutes": 60, "price": "1"}, format="json"
        ).status_code
        == 403
    )
    contact = make_member(tenant, Role.CLIENT, client=contract.client)
    assert api_for(contact).get(f"/api/v1/contracts/{contract.pk}/ledger/").status_code == 200
    sibling = prepaid(client=ClientFactory(tenant=tenant, currency="EUR"), currency="EUR")
    assert api_for(contact).get(f"/api/v1/contracts/{sibling.pk}/ledger/").status_code == 404
    assert HourBlock.unscoped.filter(contract=theirs).count() == 1


def _count(http, url):
    http.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(url).status_code == 200
    return len(ctx)


def test_list_queries_are_constant(tenant, make_member, contract):
    admin = make_member(tenant, Role.ADMIN)
    http = api_for(admin)
    ticket = ticket_on(contract)
    time_entry_create(ticket=ticket, technician=admin.user, minutes=5)
    urls = [
        "/api/v1/time-entries/",
        f"/api/v1/contracts/{contract.pk}/ledger/",
        f"/api/v1/contracts/{contract.pk}/blocks/",
    ]
    small = [_count(http, url) for url in urls]
    for _n in range(25):
        time_entry_create(ticket=ticket, technician=admin.user, minutes=30)
    assert LedgerEntry.unscoped.filter(contract=contract).count() > 25
    assert HourBlock.unscoped.filter(contract=contract).count() > 1
    assert [_count(http, url) for url in urls] == small
