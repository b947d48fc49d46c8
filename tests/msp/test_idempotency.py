"""Idempotency-Key on API writes: a retry is answered from the first time, never done twice;
the same key with another request answers 409 and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contracts.models import LedgerEntry
from msp.models import IdempotencyKey
from msp.roles import Role
from tests.factories import ClientFactory
from tests.timetracking.helpers import api_for, balance, prepaid, ticket_on
from timetracking.models import TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech(tenant, make_member):
    return make_member(tenant, Role.TECHNICIAN)


@pytest.fixture
def contract(tenant):
    """Ten prepaid hours: a booked entry shows in the balance and the ledger."""
    return prepaid(client=ClientFactory(tenant=tenant, currency="EUR"), currency="EUR")


def test_a_retried_time_entry_is_booked_once(tech, contract):
    http, ticket = api_for(tech), ticket_on(contract)
    body = {"ticket": ticket.pk, "minutes": 30, "note": "Printer"}
    first = http.post("/api/v1/time-entries/", body, format="json", HTTP_IDEMPOTENCY_KEY="entry-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    again = http.post("/api/v1/time-entries/", body, format="json", HTTP_IDEMPOTENCY_KEY="entry-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert TimeEntry.unscoped.count() == 1 and LedgerEntry.unscoped.filter(kind="debit").count() == 1
    assert balance(contract) == 10 * 60 - 30

    # Without a key, or with another one, a write is a new write.
    assert http.post("/api/v1/time-entries/", body, format="json").status_code == 201
    assert (
        http.post("/api/v1/time-entries/", body, format="json", HTTP_IDEMPOTENCY_KEY="entry-2").status_code
        == 201
    )
    assert TimeEntry.unscoped.count() == 3


def test_the_same_key_with_another_request_answers_409_and_changes_nothing(tech, contract):
    http, ticket = api_for(tech), ticket_on(contract)
    http.post(
        "/api/v1/time-entries/", {"ticket": ticket.pk, "minutes": 30}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    other = http.post(
        "/api/v1/time-entries/", {"ticket": ticket.pk, "minutes": 45}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert other.status_code == 409 and "different request" in other.json()["detail"]
    elsewhere = http.post(
        "/api/v1/timer/start/", {"ticket": ticket.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert elsewhere.status_code == 409
    assert TimeEntry.unscoped.count() == 1 and balance(contract) == 10 * 60 - 30


def test_keys_belong_to_their_membership_and_expire(tenant, make_member, tech, contract):
    ticket = ticket_on(contract)
    body = {"ticket": ticket.pk, "minutes": 15}
    colleague = make_member(tenant, Role.TECHNICIAN)
    for member in (tech, colleague):
        response = api_for(member).post(
            "/api/v1/time-entries/", body, format="json", HTTP_IDEMPOTENCY_KEY="same"
        )
        assert response.status_code == 201 and "Idempotent-Replayed" not in response
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = api_for(tech).post("/api/v1/time-entries/", body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response  # a day later, a new write
    assert TimeEntry.unscoped.count() == 3


def test_refusals_are_replayed_too_and_bad_keys_are_refused(tech, contract):
    http = api_for(tech)
    bad = {"ticket": 999999, "minutes": 15}
    first = http.post("/api/v1/time-entries/", bad, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    again = http.post("/api/v1/time-entries/", bad, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    assert first.status_code == again.status_code == 400 and again.json() == first.json()
    too_long = http.post(
        "/api/v1/time-entries/",
        {"ticket": ticket_on(contract).pk, "minutes": 15},
        format="json",
        HTTP_IDEMPOTENCY_KEY="x" * 256,
    )
    assert too_long.status_code == 400 and "Idempotency-Key" in too_long.json()
    assert not TimeEntry.unscoped.exists()
    # Reads ignore the header.
    assert http.get("/api/v1/time-entries/", HTTP_IDEMPOTENCY_KEY="bad").status_code == 200


def test_the_purge_forgets_day_old_keys(tech, contract):
    from msp.tasks import idempotency_purge_task

    api_for(tech).post(
        "/api/v1/time-entries/",
        {"ticket": ticket_on(contract).pk, "minutes": 15},
        format="json",
        HTTP_IDEMPOTENCY_KEY="old",
    )
    assert idempotency_purge_task() == 0
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_purge_task() == 1 and not IdempotencyKey.objects.exists()


def test_a_retry_while_the_first_request_runs_is_told_to_wait(tech, contract):
    """Two requests with one key at once: the second does nothing and answers 409."""
    from msp.idempotency import fingerprint

    http, ticket = api_for(tech), ticket_on(contract)
    path = "/api/v1/time-entries/"
    body = b'{"ticket": %d, "minutes": 15}' % ticket.pk
    IdempotencyKey.objects.create(membership=tech, key="busy", fingerprint=fingerprint("POST", path, body))
    response = http.post(path, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code == 409 and "still being processed" in response.json()["detail"]
    assert not TimeEntry.unscoped.exists()
