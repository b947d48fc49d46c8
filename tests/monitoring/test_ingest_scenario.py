"""The proactive MSP's morning: the file server's disk fills up, the PSA hears it, a ticket
is open with the right urgency before the client notices, repeats do not pile up tickets,
the recovery is noted, and the technician's half hour is drawn from the client's hours."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contracts.models import Contract
from monitoring.choices import AlertStatus
from monitoring.models import Alert
from msp.scoping import scope_of
from tests.timetracking.helpers import balance
from tickets.choices import OPEN_STATUSES, Priority, Source
from tickets.models import Ticket, TicketComment
from tickets.sla import add_business_minutes
from tickets.sla_policy import calendar_of
from timetracking.services import time_entry_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitoring/alerts/"


def disk(status="problem", **extra):
    return {
        "hostname": "SRV-FILES01.acme.lan",  # the agent's case, not the inventory's
        "check": "disk_usage",
        "severity": "critical",
        "status": status,
        "value": "96%",
        "message": "C: is 96% full",
        **extra,
    }


def test_a_critical_disk_alert_on_a_server_is_a_p1_ticket_worked_from_the_block(
    agent, seeded, acme, platinum, server, make_member
):
    answer = agent.post(URL, disk(), format="json")
    assert answer.status_code == 200, answer.content
    outcome = answer.json()["results"][0]
    assert outcome["result"] == "opened" and outcome["asset"] == server.pk

    with scope_of(seeded.pk):
        ticket = Ticket.objects.get(pk=outcome["ticket"])
        alert = Alert.objects.get(pk=outcome["alert"])
    assert ticket.source == Source.MONITORING and ticket.priority == Priority.P1
    assert ticket.asset_id == server.pk and ticket.client_id == acme.pk
    assert ticket.contract_id == platinum.pk  # the hours it is worked from
    assert ticket.sla_policy.name == "Platinum SLA"
    # Platinum answers a server within 1 business hour.
    assert ticket.sla_policy.target_minutes(priority="P1", asset_kind="server", which="response") == 60
    expected = add_business_minutes(ticket.created_at, 60, calendar_of(ticket.sla_policy.calendar))
    assert ticket.response_due_at == expected
    assert "disk_usage" in ticket.subject and "96%" in ticket.description

    # 20 repeats, one batch of 10 and 10 single requests: still one alert, one ticket.
    assert (
        agent.post(URL, [disk(value=f"{96 + i % 3}%") for i in range(10)], format="json").status_code == 200
    )
    for _i in range(10):
        assert agent.post(URL, disk(), format="json").json()["results"][0]["result"] == "repeat"
    with scope_of(seeded.pk):
        assert Ticket.objects.filter(source=Source.MONITORING).count() == 1
        alert.refresh_from_db()
    assert alert.count == 21 and alert.status == AlertStatus.OPEN and alert.ticket_id == ticket.pk

    # The disk is cleaned up: the alert is resolved, the ticket notes it and stays open.
    recovered = agent.post(
        URL, disk(status="ok", severity=None, value="41%", message="C: 41%"), format="json"
    )
    assert recovered.json()["results"][0]["result"] == "recovered"
    with scope_of(seeded.pk):
        alert.refresh_from_db()
        ticket.refresh_from_db()
        note = TicketComment.objects.filter(ticket=ticket).get()
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_at is not None
    assert not note.public and "Recovered" in note.body and "C: 41%" in note.body
    assert ticket.status in OPEN_STATUSES

    # The proactive half hour is drawn from Acme's block like any other work.
    tech = make_member(seeded, "technician")
    before = balance(platinum)
    with scope_of(seeded.pk):
        entry = time_entry_create(
            ticket=ticket, technician=tech.user, minutes=30, note="Cleared old shadow copies"
        )
    assert entry.drawn_minutes == 30
    assert balance(platinum) == before - 30 == 570
    assert Contract.unscoped.get(pk=platinum.pk).balance_minutes == 570


def test_a_problem_after_its_recovery_opens_a_new_alert_on_the_ticket_still_open(agent, seeded, acme, server):
    first = agent.post(URL, disk(), format="json").json()["results"][0]
    agent.post(URL, disk(status="ok"), format="json")
    again = agent.post(URL, disk(), format="json").json()["results"][0]
    assert again["result"] == "opened" and again["alert"] != first["alert"]
    assert again["ticket"] == first["ticket"]  # flapping is one problem, one ticket
    with scope_of(seeded.pk):
        assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 1
        assert "back" in TicketComment.objects.filter(ticket_id=first["ticket"]).order_by("pk").last().body


def test_a_batch_files_in_order(agent, seeded, acme, server, laptop):
    """Problem, repeat, recovery and a new problem of one check in one batch; a heartbeat."""
    now = timezone.now()
    batch = [
        disk(occurred_at=(now - timedelta(minutes=4)).isoformat()),
        disk(occurred_at=(now - timedelta(minutes=3)).isoformat()),
        disk(status="ok", occurred_at=(now - timedelta(minutes=2)).isoformat()),
        {"hostname": "lt-giulia", "check": "cpu", "severity": "critical", "value": 99},
        {"type": "heartbeat", "serial": "SN-LT-1", "os": "Windows 11 23H2", "missing_patches": 4},
    ]
    results = [r["result"] for r in agent.post(URL, batch, format="json").json()["results"]]
    assert results == ["opened", "repeat", "recovered", "opened", "heartbeat"]
    with scope_of(seeded.pk):
        cpu = Alert.objects.get(check_name="cpu")
        laptop.refresh_from_db()
        disk_alert = Alert.objects.get(check_name="disk_usage")
    assert cpu.ticket.priority == Priority.P3  # critical on one laptop is P2, a CPU spike one step calmer
    assert cpu.value == "99"
    assert disk_alert.count == 2 and disk_alert.status == AlertStatus.RESOLVED
    assert laptop.operating_system == "Windows 11 23H2" and laptop.missing_patches == 4
    assert laptop.monitored and laptop.last_seen is not None


def test_an_urgent_alert_tells_the_technicians_a_minor_one_does_not(
    agent, seeded, acme, server, laptop, make_member
):
    from msp.models import Notification

    tech = make_member(seeded, "technician")
    agent.post(URL, disk(), format="json")  # P1
    agent.post(URL, {"hostname": "lt-giulia", "check": "cpu", "severity": "warning"}, format="json")  # P4
    with scope_of(seeded.pk):
        told = list(Notification.objects.filter(membership=tech))
    assert len(told) == 1 and told[0].kind == "alert" and "SRV-FILES01" in told[0].title


def test_a_problem_reported_after_its_ticket_was_closed_is_a_new_ticket(
    agent, seeded, acme, server, make_member
):
    """Many tools never send a recovery: the technician fixes the disk and closes the ticket;
    when the disk fills again, the closed ticket must not swallow the new problem."""
    from tickets.choices import TicketStatus
    from tickets.services import ticket_update

    first = agent.post(URL, disk(), format="json").json()["results"][0]
    with scope_of(seeded.pk):
        ticket_update(Ticket.objects.get(pk=first["ticket"]), status=TicketStatus.CLOSED)
    again = agent.post(URL, disk(), format="json").json()["results"][0]
    assert again["result"] == "opened" and again["ticket"] != first["ticket"]
    with scope_of(seeded.pk):
        old = Alert.objects.get(pk=first["alert"])
        assert old.status == AlertStatus.RESOLVED and old.resolved_at is not None
        assert Alert.objects.filter(status=AlertStatus.OPEN).get().pk == again["alert"]
    # and it repeats on the new one from then on
    assert agent.post(URL, disk(), format="json").json()["results"][0]["alert"] == again["alert"]
