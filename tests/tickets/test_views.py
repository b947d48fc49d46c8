"""The technician's queue and ticket page: ordering, filters, quick actions, query counts."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contracts.choices import ContractKind
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContractFactory,
    TenantFactory,
    TicketCommentFactory,
    TicketFactory,
)
from tickets.choices import SlaState, TicketStatus
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _set(ticket, **fields):
    Ticket.unscoped.filter(pk=ticket.pk).update(**fields)


def test_queue_sorted_by_urgency(tech_client, acme, seeded):
    now = timezone.now()
    later = TicketFactory(tenant=seeded, client=acme, subject="later")
    sooner = TicketFactory(tenant=seeded, client=acme, subject="sooner")
    breached = TicketFactory(tenant=seeded, client=acme, subject="breached")
    closed = TicketFactory(tenant=seeded, client=acme, subject="closed")
    _set(later, sla_breach_at=now + timedelta(hours=5), sla_state=SlaState.OK)
    _set(sooner, sla_breach_at=now + timedelta(hours=1), sla_state=SlaState.AT_RISK)
    _set(breached, sla_breach_at=now + timedelta(hours=9), sla_state=SlaState.BREACHED)
    _set(closed, status=TicketStatus.CLOSED)
    response = tech_client.get(reverse("tickets:list"))
    assert response.status_code == 200
    assert [t.subject for t in response.context["tickets"]] == ["breached", "sooner", "later"]
    assert b"data-due=" in response.content


def test_queue_filters(tech_client, tech, acme, seeded):
    other = ClientFactory(tenant=seeded, name="Other Co")
    mine = TicketFactory(tenant=seeded, client=acme, subject="mine", assignee=tech.user, priority="P1")
    loose = TicketFactory(tenant=seeded, client=other, subject="loose", priority="P4")
    _set(loose, sla_state=SlaState.BREACHED)

    def subjects(**params):
        return {t.subject for t in tech_client.get(reverse("tickets:list"), params).context["tickets"]}

    assert subjects(mine=1) == {"mine"}
    assert subjects(unassigned=1) == {"loose"}
    assert subjects(client=other.pk) == {"loose"}
    assert subjects(priority="P1") == {"mine"}
    assert subjects(sla="breached") == {"loose"}
    assert subjects(status="closed") == set()
    assert subjects(q="loose") == {"loose"}
    assert mine.pk  # noqa


def test_queue_htmx_answers_the_table_only(tech_client, acme, seeded):
    TicketFactory(tenant=seeded, client=acme)
    response = tech_client.get(reverse("tickets:list"), **HTMX)
    assert b'id="ticket-queue"' in response.content and b"<html" not in response.content


def _count(client, url) -> int:
    client.get(url)  # warm up: the first request of a session does one-off work
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_is_constant(tech_client, acme, seeded, tech):
    for _ in range(3):
        TicketFactory(
            tenant=seeded, client=acme, assignee=tech.user, asset=AssetFactory(tenant=seeded, client=acme)
        )
    small = _count(tech_client, reverse("tickets:list"))
    for _ in range(20):
        TicketFactory(tenant=seeded, client=ClientFactory(tenant=seeded), assignee=tech.user)
    assert _count(tech_client, reverse("tickets:list")) == small


def test_ticket_page_query_count_is_constant(tech_client, acme, seeded, tech, contact, server):
    ticket = TicketFactory(tenant=seeded, client=acme, contact=contact, asset=server)
    TicketCommentFactory(ticket=ticket, author=tech.user)
    small = _count(tech_client, ticket.get_absolute_url())
    for n in range(15):
        TicketCommentFactory(ticket=ticket, author=tech.user, public=n % 2 == 0)
    assert _count(tech_client, ticket.get_absolute_url()) == small


def test_ticket_page_shows_notes_distinct(tech_client, acme, seeded, tech):
    ticket = TicketFactory(tenant=seeded, client=acme)
    TicketCommentFactory(ticket=ticket, body="Visible reply", public=True)
    TicketCommentFactory(ticket=ticket, body="Secret note", public=False)
    body = tech_client.get(ticket.get_absolute_url()).content.decode()
    assert "Visible reply" in body and "Secret note" in body
    assert "comment-note" in body and "comment-public" in body


def test_quick_actions_from_the_queue(tech_client, tech, acme, seeded, contact):
    ticket = TicketFactory(tenant=seeded, client=acme, contact=contact)
    response = tech_client.post(
        reverse("tickets:assign", args=[ticket.pk]), {"assignee": "me", "row": "1"}, **HTMX
    )
    assert response.status_code == 200 and f'id="ticket-row-{ticket.pk}"'.encode() in response.content
    assert Ticket.unscoped.get(pk=ticket.pk).assignee == tech.user

    tech_client.post(
        reverse("tickets:status", args=[ticket.pk]), {"status": "waiting_on_client", "row": "1"}, **HTMX
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING and ticket.sla_state == SlaState.PAUSED

    mail.outbox.clear()
    response = tech_client.post(
        reverse("tickets:reply", args=[ticket.pk]), {"body": "Hello", "public": "1", "row": "1"}, **HTMX
    )
    assert response.status_code == 200
    assert TicketComment.unscoped.filter(ticket=ticket, public=True, body="Hello").exists()
    assert Ticket.unscoped.get(pk=ticket.pk).first_response_at is not None

    bad = tech_client.post(
        reverse("tickets:status", args=[ticket.pk]), {"status": "bogus", "row": "1"}, **HTMX
    )
    assert bad.status_code == 400


def test_emails_to_the_contact(tech_client, acme, seeded, contact, django_capture_on_commit_callbacks):
    ticket = TicketFactory(tenant=seeded, client=acme, contact=contact)
    with django_capture_on_commit_callbacks(execute=True):
        tech_client.post(reverse("tickets:reply", args=[ticket.pk]), {"body": "We are on it", "public": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        tech_client.post(reverse("tickets:reply", args=[ticket.pk]), {"body": "internal only", "public": "0"})
    with django_capture_on_commit_callbacks(execute=True):
        tech_client.post(reverse("tickets:status", args=[ticket.pk]), {"status": "resolved"})
    assert [m.to for m in mail.outbox] == [[contact.email], [contact.email]]
    assert "We are on it" in mail.outbox[0].body
    assert "internal only" not in "".join(m.body for m in mail.outbox)
    assert "Resolved" in mail.outbox[1].subject


def test_create_uses_the_default_contract(tech_client, acme, seeded, platinum_contract, contact):
    response = tech_client.post(
        reverse("tickets:create"),
        {"client": acme.pk, "contact": contact.pk, "subject": "Printer", "priority": "P3", "source": "phone"},
    )
    ticket = Ticket.unscoped.get(subject="Printer")
    assert response.status_code == 302 and ticket.contract == platinum_contract
    assert ticket.sla_state == SlaState.OK and ticket.response_due_at is not None


def test_create_refuses_another_clients_or_tenants_rows(tech_client, acme, seeded):
    other = ClientFactory(tenant=seeded)
    theirs = ContractFactory(tenant=seeded, client=other, kind=ContractKind.BREAK_FIX)
    response = tech_client.post(
        reverse("tickets:create"),
        {"client": acme.pk, "contract": theirs.pk, "subject": "x", "priority": "P3", "source": "phone"},
    )
    assert response.status_code == 200 and "contract" in response.context["form"].errors
    foreign_asset = AssetFactory(tenant=TenantFactory())
    response = tech_client.post(
        reverse("tickets:create"),
        {"client": acme.pk, "asset": foreign_asset.pk, "subject": "x", "priority": "P3", "source": "phone"},
    )
    assert response.status_code == 200 and "asset" in response.context["form"].errors
    assert not Ticket.unscoped.exists()


def test_edit_changes_the_contract(tech_client, acme, seeded):
    ticket = TicketFactory(tenant=seeded, client=acme)
    break_fix = ContractFactory(tenant=seeded, client=acme, kind=ContractKind.BREAK_FIX)
    response = tech_client.post(
        reverse("tickets:update", args=[ticket.pk]),
        {"contract": break_fix.pk, "subject": "Edited", "priority": "P2", "source": "email"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.contract == break_fix and ticket.subject == "Edited" and ticket.priority == "P2"


def test_client_contacts_cannot_use_the_staff_pages(client, make_member, acme, seeded):
    from msp.roles import Role

    member = make_member(seeded, Role.CLIENT, client=acme)
    client.force_login(member.user)
    ticket = TicketFactory(tenant=seeded, client=acme)
    assert client.get(reverse("tickets:list")).status_code == 403
    assert client.get(ticket.get_absolute_url()).status_code == 403


def test_contract_is_fixed_once_time_is_invoiced(tech_client, tech, acme, seeded):
    from django.core.exceptions import ValidationError

    from tickets.services import ticket_update
    from timetracking.models import TimeEntry

    first = ContractFactory(tenant=seeded, client=acme, kind=ContractKind.BREAK_FIX)
    second = ContractFactory(tenant=seeded, client=acme, kind=ContractKind.PREPAID_HOURS)
    ticket = TicketFactory(tenant=seeded, client=acme, contract=first)
    TimeEntry.unscoped.create(
        tenant=seeded,
        ticket=ticket,
        contract=first,
        technician=tech.user,
        minutes=15,
        invoiced_at=timezone.now(),
    )
    with pytest.raises(ValidationError):
        ticket_update(ticket, contract=second)
    response = tech_client.get(reverse("tickets:update", args=[ticket.pk]))
    assert response.context["form"].fields["contract"].disabled
    assert Ticket.unscoped.get(pk=ticket.pk).contract == first


def test_contact_email_in_the_contacts_language(
    tech_client, make_member, acme, seeded, contact, django_capture_on_commit_callbacks
):
    from msp.roles import Role

    member = make_member(seeded, Role.CLIENT, client=acme, email=contact.email)
    member.user.language = "it"
    member.user.save(update_fields=["language"])
    ticket = TicketFactory(tenant=seeded, client=acme, contact=contact)
    with django_capture_on_commit_callbacks(execute=True):
        tech_client.post(reverse("tickets:status", args=[ticket.pk]), {"status": "resolved"})
    assert mail.outbox[-1].subject.endswith("Risolto")
