"""The ingestion endpoint as a monitoring tool meets it: keys, bad input, tenants, unknowns."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from assets.models import Asset
from monitoring.choices import UnknownState
from monitoring.models import Alert, HeartbeatDay, IngestKey, UnknownSource
from monitoring.priorities import alert_priority
from monitoring.services.keys import ingest_key_create, ingest_key_revoke
from msp.roles import Role
from msp.scoping import scope_of, unscoped
from tests.factories import AssetFactory, ClientFactory
from tests.timetracking.helpers import api_for
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitoring/alerts/"
DISK = {"hostname": "srv-files01.acme.lan", "check": "disk_usage", "severity": "critical", "value": "96%"}


def written(tenant) -> tuple[int, int, int, int]:
    with unscoped():
        return (
            Alert.unscoped.filter(tenant=tenant).count(),
            Ticket.unscoped.filter(tenant=tenant).count(),
            UnknownSource.unscoped.filter(tenant=tenant).count(),
            HeartbeatDay.unscoped.filter(tenant=tenant).count(),
        )


def test_keys_are_shown_once_stored_hashed_and_revocable(seeded, make_member):
    owner = api_for(make_member(seeded, Role.OWNER))
    created = owner.post("/api/v1/monitoring/keys/", {"name": "Zabbix"}, format="json")
    assert created.status_code == 201, created.content
    secret = created.json()["key"]
    assert secret.startswith("mk_") and created.json()["prefix"] == secret[:10]
    key = IngestKey.unscoped.get(pk=created.json()["id"])
    assert secret not in (key.digest, key.prefix) and len(key.digest) == 64
    listed = owner.get("/api/v1/monitoring/keys/").json()["results"]
    assert [k["name"] for k in listed] == ["Zabbix"] and "key" not in listed[0]

    agent = APIClient()
    agent.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")  # as Alertmanager sends it
    assert agent.post(URL, {**DISK, "hostname": "nowhere"}, format="json").status_code == 200

    assert owner.delete(f"/api/v1/monitoring/keys/{key.pk}/").status_code == 204
    key.refresh_from_db()
    assert key.revoked_at is not None  # kept, for the record
    before = written(seeded)
    refused = agent.post(URL, {**DISK, "hostname": "nowhere-else"}, format="json")
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert written(seeded) == before


def test_only_owners_and_admins_manage_keys(seeded, make_member):
    for role in (Role.TECHNICIAN, Role.ACCOUNT_MANAGER):
        member = api_for(make_member(seeded, role))
        assert member.post("/api/v1/monitoring/keys/", {"name": "x"}, format="json").status_code == 403
        assert member.get("/api/v1/monitoring/keys/").status_code == 403
    tech = api_for(make_member(seeded, Role.TECHNICIAN))
    assert tech.get(URL).status_code == 200  # the alerts themselves are the technicians' work
    # A member's token is no ingest key.
    assert tech.post(URL, DISK, format="json").status_code == 403


def test_a_key_that_creates_assets_needs_its_client(seeded, make_member, acme):
    owner = api_for(make_member(seeded, Role.OWNER))
    refused = owner.post("/api/v1/monitoring/keys/", {"name": "x", "create_assets": True}, format="json")
    assert refused.status_code == 400 and "create_assets" in refused.json()
    ok = owner.post(
        "/api/v1/monitoring/keys/",
        {"name": "Acme agents", "client": acme.pk, "create_assets": True},
        format="json",
    )
    assert ok.status_code == 201


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_INGEST_KEY": "mk_wrong"},
        {"HTTP_AUTHORIZATION": "Bearer mk_wrong"},
        {"HTTP_X_INGEST_KEY": ""},
    ],
)
def test_no_valid_key_is_401_and_writes_nothing(seeded, acme, server, headers):
    before = written(seeded)
    answer = APIClient().post(URL, DISK, format="json", **headers)
    assert answer.status_code == 401
    assert "detail" in answer.json()
    assert written(seeded) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**DISK, "severity": "disaster"}, "severity"),
        ({**DISK, "status": "firing"}, "status"),
        ({**DISK, "hostname": "", "serial": ""}, "hostname"),
        ({**DISK, "check": "  "}, "check"),
        ({k: v for k, v in DISK.items() if k != "severity"}, "severity"),
        ({**DISK, "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({**DISK, "occurred_at": "yesterday"}, "occurred_at"),
        ({**DISK, "missing_patches": -1}, "missing_patches"),
        ({**DISK, "colour": "red"}, "colour"),
        ({**DISK, "value": True}, "value"),
    ],
)
def test_a_bad_message_is_a_400_naming_the_field(agent, seeded, acme, server, body, field):
    before = written(seeded)
    answer = agent.post(URL, body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in json.dumps(answer.json())
    assert written(seeded) == before


def test_one_bad_message_refuses_the_whole_batch(agent, seeded, acme, server, laptop):
    before = written(seeded)
    batch = [DISK, {"type": "heartbeat", "hostname": "lt-giulia"}, {**DISK, "severity": "huge"}]
    answer = agent.post(URL, batch, format="json")
    assert answer.status_code == 400
    assert answer.json()["messages"]["2"]["severity"]  # says which message, and why
    assert "0" not in answer.json()["messages"]
    assert written(seeded) == before


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"hostname": "srv-files01", "check": ', "application/json"),
        (b"[]", "application/json"),
        (b'"disk full"', "application/json"),
        (b"hostname=srv", "text/plain"),
    ],
)
def test_malformed_bodies_are_clear_4xx(agent, seeded, acme, server, body, content_type):
    before = written(seeded)
    answer = agent.generic("POST", URL, body, content_type=content_type)
    assert 400 <= answer.status_code < 500 and answer.status_code != 401
    assert answer.json()
    assert written(seeded) == before


def test_a_batch_over_the_cap_is_refused(agent, seeded, acme, server):
    answer = agent.post(URL, [DISK] * 1001, format="json")
    assert answer.status_code == 400 and "1000" in json.dumps(answer.json()).replace(",", "")
    assert written(seeded)[0] == 0
    assert agent.post(URL, [DISK] * 1000, format="json").status_code == 200


def test_a_key_of_one_tenant_never_touches_anothers_assets(agent, seeded, acme, server, other_tenant):
    theirs = AssetFactory(
        tenant=other_tenant, client=ClientFactory(tenant=other_tenant), kind="server", hostname="srv-b.lan"
    )
    answer = agent.post(
        URL,
        [{**DISK, "hostname": "srv-b.lan"}, {"type": "heartbeat", "serial": theirs.serial}],
        format="json",
    )
    assert [r["result"] for r in answer.json()["results"]] == ["unknown", "unknown"]
    theirs.refresh_from_db()
    assert theirs.last_seen is None
    assert written(other_tenant) == (0, 0, 0, 0)
    # Kept for review in the sender's own tenant, never dropped.
    with scope_of(seeded.pk):
        assert {u.hostname for u in UnknownSource.objects.all()} == {"srv-b.lan", ""}


def test_unknown_machines_wait_for_review_counted_not_duplicated(agent, seeded, acme):
    for _ in range(3):
        answer = agent.post(
            URL, [{**DISK, "hostname": "ghost01"}, {**DISK, "hostname": "ghost01"}], format="json"
        )
        assert answer.status_code == 200 and {r["result"] for r in answer.json()["results"]} == {"unknown"}
    with scope_of(seeded.pk):
        ghost = UnknownSource.objects.get()
    assert ghost.hostname == "ghost01" and ghost.messages == 6 and ghost.state == UnknownState.PENDING
    assert ghost.last_check == "disk_usage" and ghost.last_severity == "critical"
    assert written(seeded)[:2] == (0, 0)


def test_a_hostname_two_clients_share_needs_the_serial(agent, seeded, acme):
    other = ClientFactory(tenant=seeded, name="Bianchi")
    AssetFactory(tenant=seeded, client=acme, kind="server", hostname="SERVER01", serial="A-1")
    theirs = AssetFactory(tenant=seeded, client=other, kind="server", hostname="server01", serial="B-1")
    ambiguous = agent.post(URL, {**DISK, "hostname": "server01"}, format="json").json()["results"][0]
    assert ambiguous["result"] == "unknown"  # a guess would open the wrong client's ticket
    decided = agent.post(URL, {**DISK, "hostname": "server01", "serial": "B-1"}, format="json").json()[
        "results"
    ][0]
    assert decided["result"] == "opened" and decided["asset"] == theirs.pk


def test_a_client_key_creates_the_machines_it_reports(seeded, acme, make_member):
    key, secret = ingest_key_create(tenant=seeded, name="Acme site agent", client=acme, create_assets=True)
    agent = APIClient()
    agent.credentials(HTTP_X_INGEST_KEY=secret)
    answer = agent.post(
        URL,
        [
            {"type": "heartbeat", "hostname": "NEW-PC-7", "kind": "desktop", "os": "Windows 11"},
            {"hostname": "new-pc-7", "check": "antivirus", "severity": "warning"},
        ],
        format="json",
    ).json()
    assert [r["result"] for r in answer["results"]] == ["heartbeat", "opened"]
    with scope_of(seeded.pk):
        asset = Asset.objects.get(hostname="NEW-PC-7")
    assert asset.client_id == acme.pk and asset.kind == "desktop" and asset.monitored
    assert asset.operating_system == "Windows 11"


def test_a_client_key_sees_only_its_clients_machines(seeded, acme, server):
    other = ClientFactory(tenant=seeded)
    key, secret = ingest_key_create(tenant=seeded, name="Other's agent", client=other)
    agent = APIClient()
    agent.credentials(HTTP_X_INGEST_KEY=secret)
    assert agent.post(URL, DISK, format="json").json()["results"][0]["result"] == "unknown"


def test_alerts_are_listed_with_status_count_and_ticket(agent, seeded, acme, server, make_member):
    agent.post(URL, [DISK, DISK], format="json")
    tech = api_for(make_member(seeded, Role.TECHNICIAN))
    alert = tech.get(URL, {"status": "open"}).json()["results"][0]
    assert alert["status"] == "open" and alert["count"] == 2 and alert["ticket"]
    assert alert["check"] == "disk_usage" and alert["asset"] == server.pk and alert["client"] == acme.pk
    assert tech.get(URL, {"status": "resolved"}).json()["count"] == 0
    assert tech.get(URL, {"severity": ["critical", "warning"]}).json()["count"] == 1


def test_repeats_cost_the_same_queries_for_10_or_100(agent, seeded, acme, platinum, make_member):
    assets = [
        AssetFactory(tenant=seeded, client=acme, kind="desktop", hostname=f"pc-{i:03d}") for i in range(100)
    ]
    batch = [{"hostname": a.hostname, "check": "cpu", "severity": "warning"} for a in assets]
    agent.post(URL, batch, format="json")  # opens them

    def cost(n):
        with CaptureQueriesContext(connection) as queries:
            answer = agent.post(
                URL,
                [
                    *batch[:n],
                    *(
                        {"type": "heartbeat", "hostname": a.hostname, "missing_patches": 2}
                        for a in assets[:n]
                    ),
                ],
                format="json",
            )
        assert {r["result"] for r in answer.json()["results"]} == {"repeat", "heartbeat"}
        return len(queries)

    assert cost(10) == cost(100)


def test_revoking_is_idempotent(seeded):
    key, _secret = ingest_key_create(tenant=seeded, name="k")
    first = ingest_key_revoke(key).revoked_at
    assert ingest_key_revoke(key).revoked_at == first


@pytest.mark.parametrize(
    ("check", "severity", "kind", "priority"),
    [
        ("disk_usage", "critical", "server", "P1"),
        ("disk_usage", "critical", "laptop", "P2"),
        ("disk_usage", "warning", "server", "P2"),
        ("Disk Space C:", "warning", "desktop", "P3"),  # any name RMM tools use: the plain rule
        ("cpu", "critical", "server", "P2"),
        ("antivirus", "warning", "desktop", "P2"),
        ("antivirus", "info", "desktop", "P3"),
        ("backup_failed", "info", "server", "P2"),
        ("backup_failed", "info", "desktop", "P3"),
        ("offline", "critical", "server", "P1"),
        ("offline", "critical", "desktop", "P4"),
        ("warranty", "warning", "server", "P3"),
        ("patch_missing", "critical", "laptop", "P4"),
        ("whatever", "info", "network", "P4"),
    ],
)
def test_priority_from_severity_kind_and_check(check, severity, kind, priority):
    assert alert_priority(check=check, severity=severity, asset_kind=kind) == priority
