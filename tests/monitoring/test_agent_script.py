"""scripts/monitoring_agent.py, the README's example agent, run as cron would run it against
a live server: a heartbeat and its disk's check, a problem above the thresholds and its
recovery below them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring.choices import AlertStatus, Severity
from monitoring.models import Alert
from msp.scoping import scope_of
from tickets.choices import Source
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
AGENT = ROOT / "scripts" / "monitoring_agent.py"


def run_agent(live_server, key, *args):
    env = {
        **os.environ,
        "PSA_URL": f"{live_server.url}/api/v1/monitoring/alerts/",
        "PSA_INGEST_KEY": key,
    }
    return subprocess.run(
        [sys.executable, str(AGENT), "--hostname", "srv-files01.acme.lan", "--path", str(ROOT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_example_agent_reports_a_full_disk_and_its_recovery(
    live_server, seeded, acme, server, ingest_key
):
    # Thresholds of 0 %: whatever this disk holds, it is "full" for the agent.
    full = run_agent(live_server, ingest_key.secret, "--warning", "0", "--critical", "0")
    assert full.returncode == 0, full.stderr
    assert "['heartbeat', 'opened']" in full.stdout
    with scope_of(seeded.pk):
        alert = Alert.objects.get()
        server.refresh_from_db()
    assert alert.asset_id == server.pk and alert.check_name == "disk_usage"
    assert alert.severity == Severity.CRITICAL and alert.value.endswith("%")
    assert str(ROOT) in alert.message and "GB free" in alert.message
    assert alert.ticket.source == Source.MONITORING
    assert server.last_seen is not None and server.monitored and server.operating_system

    again = run_agent(live_server, ingest_key.secret, "--warning", "0", "--critical", "0")
    assert "['heartbeat', 'repeat']" in again.stdout  # cron's next run: no second ticket

    fine = run_agent(live_server, ingest_key.secret, "--warning", "100", "--critical", "100")
    assert fine.returncode == 0, fine.stderr
    assert "['heartbeat', 'recovered']" in fine.stdout
    with scope_of(seeded.pk):
        alert.refresh_from_db()
        assert Ticket.objects.count() == 1
        assert "Recovered" in TicketComment.objects.get(ticket=alert.ticket).body
    assert alert.status == AlertStatus.RESOLVED and alert.count == 2

    # Stateless: the next run's recovery finds nothing open and changes nothing.
    calm = run_agent(live_server, ingest_key.secret, "--warning", "100", "--critical", "100")
    assert "['heartbeat', 'not_open']" in calm.stdout


def test_the_example_agent_says_when_it_is_refused(live_server, seeded):
    refused = run_agent(live_server, "mk_wrong-key")
    assert refused.returncode == 1 and "refused the report (401)" in refused.stderr
    dry = run_agent(live_server, "", "--dry-run")
    assert dry.returncode == 0
    heartbeat, disk = json.loads(dry.stdout)
    assert heartbeat["type"] == "heartbeat" and disk["check"] == "disk_usage" and disk["status"] == "ok"
