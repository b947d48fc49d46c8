"""A batch's heartbeats and repeats are written in one UPDATE per table (issue 11's benchmark):
each machine and each open alert still gets exactly its own values, what a message did not
say stays as it was, and the queries do not grow with the batch."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets.models import Asset
from monitoring.models import Alert
from msp.scoping import scope_of
from tests.factories import AssetFactory
from tickets.models import TicketComment

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitoring/alerts/"


def post(agent, payload):
    answer = agent.post(URL, payload, format="json")
    assert answer.status_code == 200, answer.content
    return [r["result"] for r in answer.json()["results"]]


def test_heartbeats_of_a_batch_set_each_machine_its_own_values(agent, seeded, acme, server, laptop):
    desktop = AssetFactory(tenant=seeded, client=acme, hostname="pc-anna", operating_system="Windows 10 Pro")
    Asset.unscoped.filter(pk=laptop.pk).update(
        operating_system="macOS 14", missing_patches=2, patch_status="missing"
    )
    now = timezone.now()
    patched = now - timedelta(days=3)
    results = post(
        agent,
        [
            {
                "type": "heartbeat",
                "hostname": server.hostname,
                "os": "Windows Server 2022",
                "missing_patches": 3,
                "last_patched": patched.isoformat(),
                "occurred_at": (now - timedelta(minutes=2)).isoformat(),
            },
            {
                "type": "heartbeat",
                "hostname": laptop.hostname,
                "occurred_at": (now - timedelta(minutes=1)).isoformat(),
            },
            {"type": "heartbeat", "hostname": "PC-ANNA", "os": "Windows 11 Pro", "missing_patches": 0},
            # The server's older heartbeat, later in the batch: its last seen does not go back.
            {
                "type": "heartbeat",
                "hostname": server.hostname,
                "occurred_at": (now - timedelta(minutes=9)).isoformat(),
            },
        ],
    )
    assert results == ["heartbeat"] * 4
    rows = {a.pk: a for a in Asset.unscoped.filter(pk__in=[server.pk, laptop.pk, desktop.pk])}
    srv, lt, pc = rows[server.pk], rows[laptop.pk], rows[desktop.pk]
    assert (srv.operating_system, srv.missing_patches, srv.patch_status) == (
        "Windows Server 2022",
        3,
        "missing",
    )
    assert srv.last_patched == patched
    assert srv.last_seen == now - timedelta(minutes=2)
    # The laptop's agent said nothing about its OS or patches: they stay.
    assert (lt.operating_system, lt.missing_patches, lt.patch_status) == ("macOS 14", 2, "missing")
    assert lt.last_seen == now - timedelta(minutes=1) and lt.last_patched is None
    assert (pc.operating_system, pc.missing_patches, pc.patch_status) == ("Windows 11 Pro", 0, "up_to_date")
    assert pc.last_seen is not None and pc.last_seen >= now
    assert srv.monitored and lt.monitored and pc.monitored

    # A later batch with an older time moves no last seen backwards.
    post(
        agent,
        [
            {
                "type": "heartbeat",
                "hostname": laptop.hostname,
                "occurred_at": (now - timedelta(hours=1)).isoformat(),
            }
        ],
    )
    assert Asset.unscoped.get(pk=laptop.pk).last_seen == now - timedelta(minutes=1)


def disk(**extra):
    return {
        "hostname": "srv-files01.acme.lan",
        "check": "disk_usage",
        "severity": "warning",
        "value": "91%",
        "message": "C: is 91% full",
        **extra,
    }


def cpu(**extra):
    return {
        "hostname": "lt-giulia",
        "check": "cpu",
        "severity": "warning",
        "value": "95%",
        "message": "CPU high",
        **extra,
    }


def test_repeats_of_a_batch_count_and_change_each_alert_on_its_own(agent, seeded, acme, server, laptop):
    assert post(agent, [disk(), cpu()]) == ["opened", "opened"]
    with scope_of(seeded.pk):
        disk_alert = Alert.objects.get(check_name="disk_usage")
        cpu_alert = Alert.objects.get(check_name="cpu")
    later = timezone.now()
    results = post(
        agent,
        [
            disk(value="93%", message="C: is 93% full"),
            cpu(),
            disk(value="97%", message="C: is 97% full"),
            disk(value="97%", message="C: is 97% full", occurred_at=(later - timedelta(hours=1)).isoformat()),
        ],
    )
    assert results == ["repeat"] * 4
    disk_alert.refresh_from_db()
    cpu_alert.refresh_from_db()
    assert disk_alert.count == 4 and cpu_alert.count == 2
    assert (disk_alert.value, disk_alert.message) == ("97%", "C: is 97% full")  # the latest said
    assert (cpu_alert.value, cpu_alert.message, cpu_alert.severity) == ("95%", "CPU high", "warning")
    assert disk_alert.last_seen_at >= later and cpu_alert.last_seen_at >= later

    # An escalation changes that alert's severity alone, and notes it on its ticket.
    assert post(agent, [cpu(severity="critical"), disk()]) == ["repeat", "repeat"]
    disk_alert.refresh_from_db()
    cpu_alert.refresh_from_db()
    assert (cpu_alert.severity, cpu_alert.count) == ("critical", 3)
    assert (disk_alert.severity, disk_alert.count, disk_alert.value) == ("warning", 5, "91%")
    with scope_of(seeded.pk):
        notes = list(
            TicketComment.objects.filter(ticket_id=cpu_alert.ticket_id).values_list("body", flat=True)
        )
    assert any("Escalated from warning to critical" in note for note in notes)


def test_a_batch_of_heartbeats_and_repeats_costs_the_same_queries_at_any_size(agent, seeded, acme):
    machines = [AssetFactory(tenant=seeded, client=acme, hostname=f"pc-{n:02d}") for n in range(20)]
    problems = [
        {"hostname": m.hostname, "check": "disk_usage", "severity": "warning", "value": "90%"}
        for m in machines
    ]
    post(agent, problems)  # twenty open alerts (and their tickets)

    def steady(size):
        messages = []
        for n in range(size):
            m = machines[n % len(machines)]
            messages.append(
                {
                    "type": "heartbeat",
                    "hostname": m.hostname,
                    "os": f"Windows {10 + n % 2}",
                    "missing_patches": n,
                }
                if n % 2
                else {**problems[n % len(problems)], "value": f"{90 + n % 7}%"}
            )
        return messages

    post(agent, steady(4))  # the key's last use is written at most every few minutes
    counts = []
    for size in (4, 40):
        with CaptureQueriesContext(connection) as ctx:
            post(agent, steady(size))
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts
