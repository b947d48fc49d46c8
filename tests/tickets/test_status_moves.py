"""Ticket status moves follow one map (tickets.choices.STATUS_TRANSITIONS): the service
enforces it, the status controls offer only its moves, the browser and the API refuse the
others with the map's reason, and a refused move changes nothing."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import TicketCommentFactory
from tickets.choices import (
    STATUS_TRANSITIONS,
    TicketStatus,
    allowed_next,
    can_move,
    move_refusal,
    status_options,
)
from tickets.models import Ticket, TicketComment
from tickets.services import comment_add, ticket_create, ticket_update

pytestmark = pytest.mark.django_db
S = TicketStatus
HTMX = {"HTTP_HX_REQUEST": "true"}
PAIRS = [(old, new) for old in S.values for new in S.values if old != new]
ALLOWED = [pair for pair in PAIRS if can_move(*pair)]
REFUSED = [pair for pair in PAIRS if not can_move(*pair)]


# --- the map --------------------------------------------------------------------------------


def test_the_map_as_a_helpdesk_expects():
    assert STATUS_TRANSITIONS == {
        S.NEW: {S.OPEN, S.WAITING, S.RESOLVED, S.CLOSED},
        S.OPEN: {S.WAITING, S.RESOLVED, S.CLOSED},
        S.WAITING: {S.OPEN, S.RESOLVED, S.CLOSED},
        S.RESOLVED: {S.OPEN, S.CLOSED},
        S.CLOSED: {S.OPEN},
    }
    assert set(REFUSED) == {
        (S.OPEN, S.NEW),
        (S.WAITING, S.NEW),
        (S.RESOLVED, S.NEW),
        (S.CLOSED, S.NEW),
        (S.RESOLVED, S.WAITING),
        (S.CLOSED, S.WAITING),
        (S.CLOSED, S.RESOLVED),
    }


def test_every_status_has_an_entry_and_every_target_is_a_status():
    assert set(STATUS_TRANSITIONS) == set(S.values)
    for old, targets in STATUS_TRANSITIONS.items():
        assert targets <= set(S.values) and old not in targets
        assert S.NEW not in targets  # nothing goes back to new


def test_every_status_can_reach_closed_and_back_to_work():
    for status in S.values:
        seen, todo = set(), [status]
        while todo:
            for target in allowed_next(todo.pop()):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        assert {S.OPEN, S.CLOSED} <= seen


def test_helpers():
    assert allowed_next(S.NEW) == ["open", "waiting_on_client", "resolved", "closed"]  # choices order
    assert allowed_next(S.CLOSED) == ["open"]
    assert allowed_next("bogus") == []
    assert can_move("closed", "open") and not can_move("closed", "waiting_on_client")
    assert not can_move("open", "open")  # staying put is not a move
    assert not can_move("bogus", "open") and not can_move("open", "bogus")


def test_status_options_are_the_current_status_then_the_moves():
    assert status_options(S.OPEN) == [
        ("open", "Open"),
        ("waiting_on_client", "Waiting on client"),
        ("resolved", "Resolved"),
        ("closed", "Closed"),
    ]
    assert status_options(S.CLOSED) == [("open", "Reopen"), ("closed", "Closed")]
    assert status_options(S.RESOLVED) == [("open", "Reopen"), ("resolved", "Resolved"), ("closed", "Closed")]
    assert [value for value, _label in status_options(S.WAITING)] == [
        "open",
        "waiting_on_client",
        "resolved",
        "closed",
    ]


def test_refusal_names_both_statuses():
    assert move_refusal("closed", "waiting_on_client") == (
        "A ticket cannot move from “Closed” to “Waiting on client”. Reopen it first."
    )
    assert move_refusal("open", "new") == "A ticket cannot move from “Open” to “New”."
    with translation.override("it"):
        assert move_refusal("closed", "resolved") == (
            "Un ticket non può passare da “Chiuso” a “Risolto”. Prima riaprilo."
        )
        assert status_options(S.CLOSED)[0] == ("open", "Riapri")


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def make_ticket(seeded, acme, contact, platinum_contract, tech):
    """A ticket on the Platinum SLA opened an hour ago and moved through the service to
    ``status`` (past new, with a first public reply that opened it)."""

    def make(status=S.NEW):
        start = timezone.now() - timedelta(hours=1)
        ticket = ticket_create(
            tenant=seeded, client=acme, contact=contact, subject=f"In {status}", priority="P2", now=start
        )
        if status != S.NEW:
            comment_add(ticket, author=tech.user, body="On it", now=start + timedelta(minutes=5))
        if status not in (S.NEW, S.OPEN):
            ticket_update(ticket, status=status, notify=False, now=start + timedelta(minutes=10))
        return Ticket.unscoped.get(pk=ticket.pk)

    return make


def snapshot(ticket) -> tuple:
    """Everything a refused move must leave alone: the whole row (its SLA fields and
    updated_at included) and the conversation."""
    row = Ticket.unscoped.filter(pk=ticket.pk).values().get()
    comments = list(
        TicketComment.unscoped.filter(ticket_id=ticket.pk).order_by("pk").values_list("pk", "body", "public")
    )
    return row, comments


# --- the service --------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), REFUSED)
def test_service_refuses_a_move_the_map_does_not_allow(
    make_ticket, old, new, django_capture_on_commit_callbacks
):
    ticket = make_ticket(old)
    before = snapshot(ticket)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as refused:
        ticket_update(ticket, status=new, priority="P1")
    (message,) = refused.value.message_dict["status"]
    assert f"“{S(old).label}”" in message and f"“{S(new).label}”" in message
    assert snapshot(ticket) == before and not callbacks  # nothing written, nobody e-mailed


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_service_makes_every_move_the_map_allows(make_ticket, old, new, django_capture_on_commit_callbacks):
    ticket = make_ticket(old)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket, status=new)
    stored = Ticket.unscoped.get(pk=ticket.pk)
    assert stored.status == new
    assert (stored.resolved_at is not None) == (new in (S.RESOLVED, S.CLOSED))
    assert (stored.closed_at is not None) == (new == S.CLOSED)
    assert (stored.sla_state == "paused") == (new == S.WAITING)
    assert len(mail.outbox) == 1  # the contact hears of the move


def test_a_whole_life_with_a_reopen(make_ticket):
    ticket = make_ticket(S.OPEN)
    now = timezone.now()
    ticket_update(ticket, status=S.WAITING, notify=False, now=now)
    assert ticket.sla_pauses[-1][1] is None
    ticket_update(ticket, status=S.RESOLVED, notify=False, now=now + timedelta(minutes=30))
    assert ticket.sla_pauses[-1][1] is not None  # resolving stops the pause
    ticket_update(ticket, status=S.CLOSED, notify=False, now=now + timedelta(minutes=40))
    assert ticket.resolved_at == now + timedelta(minutes=30) and ticket.closed_at is not None
    with pytest.raises(ValidationError):
        ticket_update(ticket, status=S.WAITING, notify=False)
    ticket_update(ticket, status=S.OPEN, notify=False, now=now + timedelta(minutes=50))  # reopen
    assert ticket.resolved_at is None and ticket.closed_at is None
    assert ticket.sla_state in ("ok", "at_risk", "breached") and ticket.sla_breach_at is not None
    ticket_update(ticket, status=S.WAITING, notify=False, now=now + timedelta(minutes=55))
    assert Ticket.unscoped.get(pk=ticket.pk).sla_state == "paused"


def test_the_same_status_again_is_no_move(make_ticket, django_capture_on_commit_callbacks):
    ticket = make_ticket(S.CLOSED)
    before = Ticket.unscoped.get(pk=ticket.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        ticket_update(ticket, status=S.CLOSED, now=timezone.now() + timedelta(days=1))
    after = Ticket.unscoped.get(pk=ticket.pk)
    assert after.status == S.CLOSED and not callbacks
    assert (after.resolved_at, after.closed_at, after.sla_pauses, after.sla_state) == (
        before.resolved_at,
        before.closed_at,
        before.sla_pauses,
        before.sla_state,
    )


def test_a_stale_copy_is_judged_by_the_stored_status(make_ticket):
    """A queue left open: the ticket was closed meanwhile; the old copy still says open."""
    stale = make_ticket(S.OPEN)
    ticket_update(Ticket.unscoped.get(pk=stale.pk), status=S.CLOSED, notify=False)
    before = snapshot(stale)
    with pytest.raises(ValidationError) as refused:
        ticket_update(stale, status=S.WAITING)
    assert "Closed" in refused.value.message_dict["status"][0]
    assert snapshot(stale) == before


def test_unknown_status_is_refused(make_ticket):
    ticket = make_ticket(S.OPEN)
    before = snapshot(ticket)
    with pytest.raises(ValidationError) as refused:
        ticket_update(ticket, status="bogus")
    assert "status" in refused.value.message_dict and snapshot(ticket) == before


def test_a_contacts_reply_reopens_waiting_and_resolved_not_closed(make_ticket, contact):
    for status, reopened in ((S.WAITING, True), (S.RESOLVED, True), (S.CLOSED, False)):
        ticket = make_ticket(status)
        comment_add(ticket, author=None, body="Still broken", by_staff=False)
        stored = Ticket.unscoped.get(pk=ticket.pk)
        assert stored.status == (S.OPEN if reopened else S.CLOSED), status
        if reopened:
            assert stored.resolved_at is None and stored.sla_state != "paused"
            assert all(end is not None for _start, end in stored.sla_pauses)


def test_a_first_public_reply_opens_a_new_ticket(make_ticket, tech):
    ticket = make_ticket(S.NEW)
    comment_add(ticket, author=tech.user, body="Looking")
    assert Ticket.unscoped.get(pk=ticket.pk).status == S.OPEN


# --- the browser --------------------------------------------------------------------------------


def _options(html: str, select_id: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def test_ticket_page_offers_only_allowed_moves(tech_client, make_ticket):
    closed = make_ticket(S.CLOSED)
    html = tech_client.get(closed.get_absolute_url()).content.decode()
    assert _options(html, "ticket-status") == [("open", "Reopen"), ("closed", "Closed")]
    assert '<option value="closed" selected>' in html
    waiting = make_ticket(S.WAITING)
    html = tech_client.get(waiting.get_absolute_url()).content.decode()
    assert [v for v, _label in _options(html, "ticket-status")] == [
        "open",
        "waiting_on_client",
        "resolved",
        "closed",
    ]


def test_queue_rows_offer_only_allowed_moves(tech_client, make_ticket):
    waiting = make_ticket(S.WAITING)
    resolved = make_ticket(S.RESOLVED)
    html = tech_client.get(reverse("tickets:list"), {"status": "all"}).content.decode()
    assert [v for v, _label in _options(html, f"status-{waiting.pk}")] == [
        "open",
        "waiting_on_client",
        "resolved",
        "closed",
    ]
    assert _options(html, f"status-{resolved.pk}") == [
        ("open", "Reopen"),
        ("resolved", "Resolved"),
        ("closed", "Closed"),
    ]
    # The row a quick action answers follows the new status.
    row = tech_client.post(
        reverse("tickets:status", args=[resolved.pk]), {"status": "closed", "row": "1"}, **HTMX
    ).content.decode()
    assert _options(row, f"status-{resolved.pk}") == [("open", "Reopen"), ("closed", "Closed")]


def test_ticket_page_refuses_a_disallowed_move_with_the_reason(tech_client, make_ticket):
    ticket = make_ticket(S.CLOSED)
    TicketCommentFactory(ticket=ticket, body="Fixed by replacing the disk")
    before = snapshot(ticket)
    response = tech_client.post(
        reverse("tickets:status", args=[ticket.pk]), {"status": "waiting_on_client"}, follow=True
    )
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == ticket.get_absolute_url()
    assert "cannot move from “Closed” to “Waiting on client”" in body and "Reopen it first." in body
    assert "Status changed." not in body
    assert snapshot(ticket) == before and not mail.outbox


def test_queue_quick_action_refuses_a_disallowed_move_with_400(tech_client, make_ticket):
    ticket = make_ticket(S.RESOLVED)
    before = snapshot(ticket)
    response = tech_client.post(
        reverse("tickets:status", args=[ticket.pk]), {"status": "waiting_on_client", "row": "1"}, **HTMX
    )
    assert response.status_code == 400
    assert "cannot move from “Resolved” to “Waiting on client”" in response.content.decode()
    assert snapshot(ticket) == before


def test_ticket_page_reopens_a_closed_ticket(tech_client, make_ticket, django_capture_on_commit_callbacks):
    ticket = make_ticket(S.CLOSED)
    with django_capture_on_commit_callbacks(execute=True):
        response = tech_client.post(
            reverse("tickets:status", args=[ticket.pk]), {"status": "open"}, follow=True
        )
    assert "Status changed." in response.content.decode()
    stored = Ticket.unscoped.get(pk=ticket.pk)
    assert stored.status == S.OPEN and stored.closed_at is None and stored.resolved_at is None
    assert len(mail.outbox) == 1


def test_ticket_page_same_status_changes_nothing(tech_client, make_ticket):
    ticket = make_ticket(S.WAITING)
    before = snapshot(ticket)
    response = tech_client.post(reverse("tickets:status", args=[ticket.pk]), {"status": "waiting_on_client"})
    assert response.status_code == 302 and snapshot(ticket) == before


# --- the API ----------------------------------------------------------------------------------------


def _patch(client, ticket, payload):
    return client.patch(
        reverse("api:ticket-detail", args=[ticket.pk]), payload, content_type="application/json"
    )


def test_api_refuses_a_disallowed_move_with_400_on_status(tech_client, make_ticket):
    ticket = make_ticket(S.CLOSED)
    TicketCommentFactory(ticket=ticket, body="Done")
    before = snapshot(ticket)
    response = _patch(tech_client, ticket, {"status": "in_progress"})
    assert response.status_code == 400 and "status" in response.json()  # not a status at all
    response = _patch(tech_client, ticket, {"status": "waiting_on_client", "priority": "P1"})
    assert response.status_code == 400
    assert response.json() == {
        "status": ["A ticket cannot move from “Closed” to “Waiting on client”. Reopen it first."]
    }
    assert snapshot(ticket) == before and not mail.outbox


def test_api_same_status_is_a_no_op(tech_client, make_ticket):
    ticket = make_ticket(S.RESOLVED)
    before = snapshot(ticket)
    response = _patch(tech_client, ticket, {"status": "resolved"})
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    assert snapshot(ticket) == before and not mail.outbox


def test_api_reopens_and_tells_the_next_statuses(tech_client, make_ticket):
    ticket = make_ticket(S.CLOSED)
    url = reverse("api:ticket-detail", args=[ticket.pk])
    assert tech_client.get(url).json()["next_statuses"] == ["open"]
    response = _patch(tech_client, ticket, {"status": "open"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "open" and data["resolved_at"] is None
    assert data["next_statuses"] == ["waiting_on_client", "resolved", "closed"]


def test_api_create_with_a_status_follows_the_map(tech_client, acme, seeded):
    response = tech_client.post(
        reverse("api:ticket-list"),
        {"client": acme.pk, "subject": "Already fixed on the phone", "status": "closed"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "closed" and response.json()["next_statuses"] == ["open"]
