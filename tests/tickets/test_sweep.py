"""The SLA beat sweep: set-based, once per transition, notifying the assignee and owners."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from msp.models import Notification
from tests.factories import TicketFactory
from tickets.choices import SlaState
from tickets.models import Ticket
from tickets.tasks import sla_sweep, sla_sweep_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """A sweep, then what its commit starts: the sends of the e-mails it queued (msp.mail)."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return sla_sweep(now=now)

    return run


@pytest.fixture
def due_ticket(acme, platinum_contract, server, tech, owner, seeded):
    # Opened just now on a 24x7 basis would be simplest; instead fix the instants directly.
    ticket = TicketFactory(tenant=seeded, client=acme, asset=server, priority="P1", assignee=tech.user)
    now = timezone.now()
    Ticket.unscoped.filter(pk=ticket.pk).update(
        sla_state=SlaState.OK,
        sla_warn_at=now + timedelta(minutes=10),
        sla_breach_at=now + timedelta(minutes=20),
    )
    return ticket


def test_marks_at_risk_then_breached_once_each(due_ticket, tech, owner, sweep):
    now = timezone.now()
    assert sweep(now) == {"breached": 0, "at_risk": 0}
    assert sweep(now + timedelta(minutes=11)) == {"breached": 0, "at_risk": 1}
    assert Ticket.unscoped.get(pk=due_ticket.pk).sla_state == SlaState.AT_RISK
    # The assignee and the owner, each told in a mail of their own (and in the app).
    assert sorted(m.to for m in mail.outbox) == sorted([[tech.user.email], [owner.user.email]])
    assert all("at risk" in m.subject.lower() for m in mail.outbox)
    assert Notification.unscoped.filter(kind="sla", target_id=due_ticket.pk).count() == 2
    assert sweep(now + timedelta(minutes=12)) == {"breached": 0, "at_risk": 0}
    assert sweep(now + timedelta(minutes=21)) == {"breached": 1, "at_risk": 0}
    assert Ticket.unscoped.get(pk=due_ticket.pk).sla_state == SlaState.BREACHED
    assert sweep(now + timedelta(minutes=30)) == {"breached": 0, "at_risk": 0}
    assert len(mail.outbox) == 4 and all("breached" in m.subject.lower() for m in mail.outbox[2:])


def test_recompute_keeps_the_sweep_states(due_ticket):
    from tickets.services import ticket_update

    now = timezone.now()
    sla_sweep(now=now + timedelta(minutes=21))
    ticket = Ticket.unscoped.get(pk=due_ticket.pk)
    ticket_update(ticket, subject="renamed")
    assert Ticket.unscoped.get(pk=ticket.pk).sla_state == SlaState.BREACHED
    assert sla_sweep(now=now + timedelta(minutes=40))["breached"] == 0


def test_the_beat_task_dispatches_one_scoped_sweep_per_tenant_with_due_tickets(
    due_ticket, other_tenant, sweep, django_capture_on_commit_callbacks
):
    assert sla_sweep_task.delay().get() == "swept 0 tenant(s)"  # nothing due yet
    Ticket.unscoped.filter(pk=due_ticket.pk).update(sla_warn_at=timezone.now() - timedelta(minutes=1))
    theirs = TicketFactory(tenant=other_tenant)
    Ticket.unscoped.filter(pk=theirs.pk).update(
        sla_state=SlaState.OK, sla_warn_at=timezone.now() - timedelta(minutes=1), sla_breach_at=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sla_sweep_task.delay().get() == "swept 2 tenant(s)"
    assert Ticket.unscoped.get(pk=due_ticket.pk).sla_state == SlaState.AT_RISK
    assert Ticket.unscoped.get(pk=theirs.pk).sla_state == SlaState.AT_RISK
    # Each tenant's digest is written in its own scope: ours lists our ticket, never theirs.
    assert mail.outbox
    for digest in mail.outbox:
        assert f"/tickets/{due_ticket.pk}/" in digest.body and f"/tickets/{theirs.pk}/" not in digest.body


def _queries_of_a_sweep(now) -> int:
    with CaptureQueriesContext(connection) as ctx:
        sla_sweep(now=now)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_tickets_that_need_nothing(acme, seeded, due_ticket):
    now = timezone.now() + timedelta(minutes=11)
    few = _queries_of_a_sweep(now - timedelta(minutes=30))
    far = timezone.now() + timedelta(days=3)
    Ticket.unscoped.bulk_create(
        Ticket(
            tenant=seeded,
            client=acme,
            subject=f"quiet {n}",
            sla_state=SlaState.OK,
            sla_warn_at=far,
            sla_breach_at=far,
        )
        for n in range(300)
    )
    many = _queries_of_a_sweep(now - timedelta(minutes=30))
    assert many == few <= 2  # nothing due: the two reads that find no tenant
    # Claiming one ticket costs a constant number of queries too, whatever else is open.
    with CaptureQueriesContext(connection) as ctx:
        result = sla_sweep(now=now)
    assert result == {"breached": 0, "at_risk": 1}
    # Which tenants have due tickets (2, from the partial indexes), then that tenant's sweep:
    # the due tickets read and claimed (2), the tenant, its owners and the assignee, their
    # preferences, the notifications (one insert) and the queued e-mails (the tenant, one insert).
    assert len(ctx.captured_queries) <= 10


def test_a_storm_is_one_email_per_person(acme, seeded, tech, owner, make_member, sweep):
    """Sixty tickets due at once for one technician and a few for another: one digest per
    person (each assignee its own tickets, the owner all), listing tickets with links, not
    sixty-odd e-mails."""
    from msp.roles import Role

    other = make_member(seeded, Role.TECHNICIAN, email="other@msp.example")
    now = timezone.now()
    due = {
        "sla_state": SlaState.OK,
        "sla_warn_at": now - timedelta(minutes=1),
        "sla_breach_at": now + timedelta(hours=1),
    }
    Ticket.unscoped.bulk_create(
        [
            Ticket(tenant=seeded, client=acme, subject=f"storm {n}", assignee=tech.user, **due)
            for n in range(60)
        ]
        + [
            Ticket(tenant=seeded, client=acme, subject=f"other {n}", assignee=other.user, **due)
            for n in range(2)
        ]
    )
    assert sweep(now) == {"breached": 0, "at_risk": 62}
    assert len(mail.outbox) == 3
    storm = next(m for m in mail.outbox if tech.user.email in m.to)
    assert storm.to == [tech.user.email]
    assert storm.subject == "SLA: 0 breached, 60 at risk"
    assert next(m for m in mail.outbox if m.to == [owner.user.email]).subject == "SLA: 0 breached, 62 at risk"
    assert storm.body.count("/tickets/") == 51 and "…and 10 more." in storm.body
    assert "/tickets/?sla=attention" in storm.body


def test_emails_from_the_worker_link_to_the_site(
    due_ticket, contact, settings, sweep, django_capture_on_commit_callbacks
):
    """Mails written without a request carry absolute links (SITE_URL) a mail client can open."""
    from tickets.tasks import ticket_notify_contact_task

    settings.SITE_URL = "https://psa.example.com"
    sweep(timezone.now() + timedelta(minutes=11))
    assert f"https://psa.example.com/tickets/{due_ticket.pk}/" in mail.outbox[-1].body

    Ticket.unscoped.filter(pk=due_ticket.pk).update(contact=contact)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_notify_contact_task(due_ticket.tenant_id, due_ticket.pk, "status")
    assert f"https://psa.example.com/portal/tickets/{due_ticket.pk}/" in mail.outbox[-1].body


def test_a_ticket_another_sweep_claimed_meanwhile_is_not_claimed_twice(acme, seeded, tech):
    """Two sweeps at once: the other one claims a ticket between this one's read and its
    UPDATE. This sweep marks and reports only the tickets its UPDATE really took."""
    from msp.scoping import scope_of
    from tickets.tasks import _claim, _warn_due

    now = timezone.now()
    tickets = [TicketFactory(tenant=seeded, client=acme) for _ in range(3)]
    Ticket.unscoped.filter(pk__in=[t.pk for t in tickets]).update(
        sla_state=SlaState.OK, sla_warn_at=now - timedelta(minutes=1), sla_breach_at=now + timedelta(hours=1)
    )
    other = tickets[1]

    def the_other_sweep_first(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("UPDATE") and not the_other_sweep_first.done:
            the_other_sweep_first.done = True
            Ticket.unscoped.filter(pk=other.pk).update(
                sla_state=SlaState.AT_RISK, at_risk_notified_at=now - timedelta(seconds=1)
            )
        return execute(sql, params, many, context)

    the_other_sweep_first.done = False
    with scope_of(seeded.pk), connection.execute_wrapper(the_other_sweep_first):
        claimed = _claim(_warn_due(now), state=SlaState.AT_RISK, stamp="at_risk_notified_at", now=now)
    assert sorted(t.pk for t in claimed) == sorted([tickets[0].pk, tickets[2].pk])
    assert Ticket.unscoped.get(pk=other.pk).at_risk_notified_at == now - timedelta(seconds=1)
