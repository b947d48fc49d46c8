"""Queue rows are cached by the values they show (tickets/_row.html): a change of any of
them shows on the next render, and the reply form comes on demand."""

import re

import pytest
from django.urls import reverse

from msp.models import Client
from msp.roles import Role
from tests.factories import TicketFactory
from tickets.choices import SlaState
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _row(client, ticket) -> str:
    body = client.get(reverse("tickets:list")).content.decode()
    match = re.search(rf'<tr id="ticket-row-{ticket.pk}">.*?</tr>', body, re.S)
    assert match, f"ticket #{ticket.pk} is not in the queue"
    return match.group(0)


def test_a_cached_row_follows_every_change(tech_client, tech, acme, seeded):
    ticket = TicketFactory(tenant=seeded, client=acme, subject="Printer jammed")
    first = _row(tech_client, ticket)
    assert "Printer jammed" in first and "Assign to me" in first and "▶" in first
    assert _row(tech_client, ticket) == first  # served from the cache, unchanged

    # Writes that bypass save() (the SLA sweep, bulk updates) change no updated_at.
    Ticket.unscoped.filter(pk=ticket.pk).update(subject="Printer on fire", sla_state=SlaState.BREACHED)
    row = _row(tech_client, ticket)
    assert "Printer on fire" in row and "badge-danger" in row

    Client.unscoped.filter(pk=acme.pk).update(name="Acme Renamed")
    assert "Acme Renamed" in _row(tech_client, ticket)

    tech_client.post(reverse("tickets:assign", args=[ticket.pk]), {"assignee": "me", "row": "1"}, **HTMX)
    row = _row(tech_client, ticket)
    assert "Assign to me" not in row and tech.user.username in row

    tech_client.post(reverse("timesheet:timer-start"), {"ticket": ticket.pk, "button": "1"}, **HTMX)
    assert "■" in _row(tech_client, ticket)  # the running timer shows a Stop button


def test_rows_differ_per_member_and_language(client, make_member, tech_client, tech, acme, seeded):
    ticket = TicketFactory(tenant=seeded, client=acme, assignee=tech.user)
    assert "Assign to me" not in _row(tech_client, ticket)
    other = make_member(seeded, Role.TECHNICIAN, email="other@msp.example")
    client.force_login(other.user)
    assert "Assign to me" in _row(client, ticket)
    other.user.language = "it"
    other.user.save(update_fields=["language"])
    assert "Assegna a me" in _row(client, ticket)


def test_the_reply_form_comes_on_demand(tech_client, acme, seeded):
    ticket = TicketFactory(tenant=seeded, client=acme)
    row = _row(tech_client, ticket)
    assert "<textarea" not in row and f'hx-get="{reverse("tickets:reply", args=[ticket.pk])}"' in row

    form = tech_client.get(reverse("tickets:reply", args=[ticket.pk]), **HTMX)
    assert form.status_code == 200
    assert b'name="body"' in form.content and f"#ticket-row-{ticket.pk}".encode() in form.content

    plain = tech_client.get(reverse("tickets:reply", args=[ticket.pk]))
    assert plain.status_code == 302 and plain["Location"].endswith(f"/tickets/{ticket.pk}/#reply")


def test_a_warm_queue_reads_only_what_its_rows_show(tech_client, acme, seeded):
    """Cold, the missing rows' tickets are read in one query; warm, none are."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tickets = [TicketFactory(tenant=seeded, client=acme, subject=f"Ticket {n}") for n in range(4)]
    with CaptureQueriesContext(connection) as cold:
        first = tech_client.get(reverse("tickets:list")).content
    with CaptureQueriesContext(connection) as warm:
        second = tech_client.get(reverse("tickets:list")).content

    def full_reads(queries):
        return [q["sql"] for q in queries if '"tickets_ticket"."description"' in q["sql"]]

    assert len(full_reads(cold)) == 1  # the four missing rows' tickets, in one query
    assert full_reads(warm) == []  # no model instances on a warm page
    rows = lambda body: re.findall(rb'<tr id="ticket-row-\d+">.*?</tr>', body, re.S)  # noqa: E731
    assert rows(first) == rows(second) and len(rows(second)) == len(tickets)
