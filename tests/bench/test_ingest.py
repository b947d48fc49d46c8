"""The ingestion lines' pieces (issue 11), in-process on a tiny generated data set: the fleet
the fixtures plan, the stream the runner sends (what each message does to the data), the
in-process query check (the same queries for 10 and 100 messages), and the clean-up that
leaves the data set exactly as it was."""

import json

import pytest
from django.test import Client

from assets.models import Asset
from bench import ingest, probe
from bench.generate import generate
from bench.lines import LINES
from monitoring.models import Alert, HeartbeatDay, IngestKey, UnknownSource
from msp.models import Notification, OutboundEmail
from tickets.models import Ticket, TicketComment

SCALE = 0.002
FLEET_SCALE = 0.01  # 100 assets in the main tenant: eight open alerts, some of them an agent's


def _state() -> dict:
    """Everything the ingestion can touch, as comparable rows."""
    return {
        "alerts": list(
            Alert.unscoped.order_by("pk").values_list(
                "pk",
                "status",
                "count",
                "last_seen_at",
                "value",
                "message",
                "severity",
                "marker",
                "resolved_at",
            )
        ),
        "assets": list(
            Asset.unscoped.order_by("pk").values_list(
                "pk",
                "last_seen",
                "monitored",
                "operating_system",
                "missing_patches",
                "patch_status",
                "last_patched",
            )
        ),
        "days": list(HeartbeatDay.unscoped.order_by("pk").values_list("pk", "first_at", "last_at")),
        "tickets": Ticket.unscoped.count(),
        "notes": TicketComment.unscoped.count(),
        "unknown": UnknownSource.unscoped.count(),
        "emails": OutboundEmail.unscoped.count(),
        "notifications": Notification.unscoped.count(),
    }


@pytest.mark.django_db
def test_the_fleet_stream_files_what_it_sends_and_the_clean_up_undoes_it():
    generate(scale=FLEET_SCALE, seed=5, quiet=True)
    fx = probe.fixtures()
    fleet = fx["fleet"]
    assert fleet["heartbeats"] and fleet["repeats"] and fleet["fresh"]
    # The plan's machines have no open alert (a heartbeat recovers nothing, a problem is new).
    busy = set(Alert.unscoped.filter(status="open").values_list("asset__hostname", flat=True))
    assert not busy & {h for h, *_rest in fleet["heartbeats"]}
    assert not busy & {h for h, _check in fleet["fresh"]}

    before = _state()
    mark = ingest.mark(fx["tenant_id"], fleet)
    agent = Client(HTTP_HOST="127.0.0.1", HTTP_X_INGEST_KEY=fx["ingest_key"])
    batch = next(line for line in LINES if line.kind == "ingest" and line.messages == 100)
    single = next(line for line in LINES if line.kind == "ingest" and line.messages == 1)
    sent: dict[int, int] = {}
    for line, requests in ((batch, 2), (single, 120)):
        for client in range(line.clients):
            for _ in range(requests):
                start = sent.get(client, 0)
                sent[client] = start + line.messages
                response = probe.send(agent, line.request(fx, client, start))
                assert response.status_code == 200, response.content
    tally = ingest.tally(fleet, sent)
    assert tally["problem"] and tally["recovery"] and tally["repeat"] and tally["heartbeat"]
    done = ingest.verify(mark)
    # Every new problem opened an alert (its ticket a new one, or the one of its check's last
    # alert still being worked on), every recovery resolved one, every repeat was counted.
    assert done["opened"] == done["with_ticket"] == tally["problem"]
    assert done["recovered"] == tally["recovery"]
    assert done["repeats_counted"] == tally["repeat"]
    assert 0 < done["tickets"] <= tally["problem"]
    # An urgent one tells the technicians (by e-mail too): queued, and removed with the rest.
    assert 0 < done["urgent"] <= done["tickets"]
    assert (done["notifications"] > 0) == (done["urgent"] > 0)
    assert done["heard"] == len({h for h, *_rest in fleet["heartbeats"]})
    assert _state() != before

    removed = ingest.cleanup(mark)
    assert removed["alerts"] == tally["problem"] and removed["tickets"] == done["tickets"]
    assert _state() == before


@pytest.mark.django_db
def test_a_batch_of_10_and_one_of_100_run_the_same_queries_and_nothing_stays():
    generate(scale=SCALE, seed=6, quiet=True)
    fx = probe.fixtures()
    before = _state()
    result = ingest.queries_once(fx["fleet"], fx["ingest_key"])
    assert result["queries"] == result["queries_small"] > 0
    assert result["results"] == {"heartbeat": 50, "repeat": 50}
    assert _state() == before  # rolled back
    # The run's key goes with its token.
    assert probe.revoke(fx["token_id"], fx["tenant_id"], fx["ingest_key_id"]) == 1
    assert not IngestKey.unscoped.filter(pk=fx["ingest_key_id"]).exists()


def test_the_stream_is_a_fleet_and_each_client_has_its_own_share():
    fleet = {
        "repeats": [[f"r{n}", "cpu", "warning", "95%", "CPU high", n] for n in range(8)],
        "heartbeats": [[f"h{n}", "Windows 11 Pro", n % 3, n] for n in range(12)],
        "fresh": [[f"h{n}", "disk_usage"] for n in range(12)],
    }
    first = ingest.batch(fleet, 0, 0, 100)
    assert len(first) == 100
    kinds = [ingest.kind_at(fleet, 0, p) for p in range(100)]
    # Per 50: a new problem, a recovery of the previous one (none before the first), the rest
    # heartbeats and repeats in turn.
    assert kinds[0] == kinds[50] == "problem" and kinds[51] == "recovery" and kinds[1] == "repeat"
    assert (first[51]["hostname"], first[51]["check"], first[51]["status"]) == (
        first[0]["hostname"],
        first[0]["check"],
        "ok",
    )
    assert first[0]["hostname"] != first[50]["hostname"]  # each problem on a machine of its own
    # Client 1 sends other machines than client 0; a single message is sent on its own.
    hosts = [{m["hostname"] for m in ingest.batch(fleet, c, 0, 100)} for c in (0, 1)]
    assert not hosts[0] & hosts[1]
    assert isinstance(ingest.batch(fleet, 0, 7, 1), dict)
    json.dumps(first)  # a JSON body as is
    assert ingest.tally(fleet, {0: 100}) == {"problem": 2, "recovery": 1, "heartbeat": 48, "repeat": 49}
