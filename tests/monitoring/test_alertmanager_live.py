"""A real Alertmanager, not a recorded payload: Debian's prometheus-alertmanager on a loopback
port, its webhook receiver pointed at the live test server with the tenant's ingest key as a
Bearer credential. Alerts are posted to Alertmanager's own API; the test waits for the
ticket, for Alertmanager's repeated notifications to count as repeats, then resolves the
alert in Alertmanager and waits for the PSA's alert to be resolved and the ticket to say so.

Without the binary (``apt-get install -y prometheus-alertmanager``) the test skips locally;
with CI set it fails (``.ci/run`` installs the package and checks the binary).
"""

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from django.core.servers.basehttp import WSGIServer
from pytest_django.live_server_helper import LiveServer

from monitoring.choices import AlertOrigin
from monitoring.models import Alert
from monitoring.services.keys import ingest_key_create
from msp.models import ApiToken
from msp.roles import Role
from msp.scoping import scope_of
from tests.conftest import IN_CI
from tests.monitoring.readme import readme_block
from tickets.choices import Priority, Source
from tickets.models import Ticket, TicketComment

BINARY = "prometheus-alertmanager"
WAIT_SECONDS = 45

pytestmark = [pytest.mark.alertmanager, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alertmanager_binary():
    path = shutil.which(BINARY)
    if path is None:
        reason = f"{BINARY} is missing: apt-get install -y prometheus-alertmanager"
        if IN_CI:
            pytest.fail(f"{reason} (CI must run this test)")
        pytest.skip(reason)
    return path


class SerialWSGIServer(WSGIServer):
    """Django's test server answering one request at a time, in the server's thread."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


@pytest.fixture
def serial_live_server(transactional_db):
    """A live server that handles one request at a time. On SQLite the test database is one
    in-memory connection that the server's threads share: Alertmanager's webhook and the
    test's polling at the same moment would trip over each other ("database table is
    locked"). The test reads only over HTTP while Alertmanager runs, so only this thread
    touches the database."""
    server = LiveServer("127.0.0.1", start=False)
    server.thread.server_class = SerialWSGIServer
    server.start()
    yield server
    server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def config(webhook_url: str, key: str) -> str:
    """The README's receiver configuration, pointed at the live server with the key, and
    with timings short enough for a test (the defaults wait 30 s, then repeat every 4 h)."""
    settings = yaml.safe_load(readme_block("webhook_configs"))
    [receiver] = settings["receivers"][0]["webhook_configs"]
    receiver["url"] = webhook_url
    receiver["http_config"]["authorization"]["credentials"] = key
    settings["route"].update(group_wait="1s", group_interval="1s", repeat_interval="2s")
    return yaml.safe_dump(settings)


class Alertmanager:
    def __init__(self, binary, folder, webhook_url, key):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (folder / "alertmanager.yml").write_text(config(webhook_url, key))
        self.log_path = folder / "alertmanager.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={folder / 'alertmanager.yml'}",
                f"--storage.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",  # no HA gossip: one instance on loopback
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_ready(self):
        def ready():
            assert self.process.poll() is None, f"Alertmanager exited:\n{self.log()}"
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as answer:
                    return answer.status == 200
            except OSError:
                return False

        wait_for(ready, "Alertmanager to start", self)

    def post_alert(self, **extra):
        """POST /api/v2/alerts, as Prometheus does."""
        alert = {
            "labels": {
                "alertname": "HostOutOfDiskSpace",
                "instance": "srv-files01.acme.lan:9100",
                "job": "node",
                "severity": "critical",
            },
            "annotations": {"summary": "Disk almost full on srv-files01", "value": "3% free"},
            "generatorURL": "http://prometheus.acme.lan:9090/graph",
            **extra,
        }
        request = urllib.request.Request(
            f"{self.url}/api/v2/alerts",
            data=json.dumps([alert]).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 200

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def wait_for(predicate, what: str, manager: Alertmanager):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}; Alertmanager's log:\n{manager.log()}")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_real_alertmanager_opens_repeats_and_resolves(
    alertmanager_binary, serial_live_server, tmp_path, seeded, acme, platinum, server, make_member
):
    key, secret = ingest_key_create(tenant=seeded, name="Prometheus", format="alertmanager")
    token = ApiToken.issue(make_member(seeded, Role.OWNER))[1]
    manager = Alertmanager(
        alertmanager_binary, tmp_path, f"{serial_live_server.url}/api/v1/monitoring/alertmanager/", secret
    )

    def listed():
        """The alerts as the API lists them: read over HTTP, so only the server's threads
        touch the database while Alertmanager is talking to it."""
        request = urllib.request.Request(
            f"{serial_live_server.url}/api/v1/monitoring/alerts/", headers={"Authorization": f"Token {token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())["results"]

    try:
        manager.wait_ready()
        started = datetime.now(UTC)
        manager.post_alert(startsAt=iso(started))
        [opened] = wait_for(lambda: [a for a in listed() if a["ticket"]], "the alert's ticket", manager)
        assert opened["status"] == "open" and opened["check"] == "HostOutOfDiskSpace"
        assert opened["asset"] == server.pk and opened["severity"] == "critical"

        # Alertmanager re-sends the firing alert every repeat_interval: repeats, not tickets.
        wait_for(lambda: listed()[0]["count"] >= 2, "a repeated notification", manager)

        # Resolved in Alertmanager: the same alert, ending a moment ago.
        manager.post_alert(startsAt=iso(started), endsAt=iso(datetime.now(UTC) - timedelta(seconds=1)))
        wait_for(lambda: listed()[0]["status"] == "resolved", "the alert to be resolved", manager)
    finally:
        manager.stop()
    assert "Notify for alerts failed" not in manager.log()  # every delivery was taken (2xx)

    with scope_of(seeded.pk):
        [alert] = Alert.objects.all()
        [ticket] = Ticket.objects.all()
        notes = [c.body for c in TicketComment.objects.filter(ticket=ticket)]
    assert alert.origin == AlertOrigin.ALERTMANAGER and alert.key_id == key.pk
    assert alert.resolved_at is not None and alert.count >= 2
    assert len(alert.external_id) == 16  # Alertmanager's fingerprint
    assert ticket.pk == opened["ticket"] and alert.ticket_id == ticket.pk
    assert ticket.source == Source.MONITORING and ticket.priority == Priority.P1
    assert ticket.asset_id == server.pk and ticket.contract_id == platinum.pk
    assert any("Recovered" in note and "HostOutOfDiskSpace" in note for note in notes), notes
