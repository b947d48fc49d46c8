"""Alertmanager's webhook, with the payloads a real Alertmanager 0.25 posted (captured from
Debian's prometheus-alertmanager: a disk alert firing, re-sent, then resolved)."""

import copy
import json
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from monitoring.adapters.alertmanager import machine_of
from monitoring.choices import AlertOrigin, AlertStatus, Severity
from monitoring.models import Alert, UnknownSource
from monitoring.services.keys import ingest_key_create, ingest_key_revoke
from msp.models import ApiToken
from msp.roles import Role
from msp.scoping import scope_of
from tests.factories import AssetFactory, ClientFactory
from tickets.choices import Priority, Source
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitoring/alertmanager/"
PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"alertmanager_{name}.json").read_text())


def firing(**labels) -> dict:
    """The captured firing notification, its one alert's labels changed as given."""
    body = payload("firing")
    alert = body["alerts"][0]
    alert["labels"] = {k: v for k, v in {**alert["labels"], **labels}.items() if v is not None}
    return body


def bearer(key) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key.secret}")
    return http


@pytest.fixture
def alertmanager(ingest_key):
    """An API client sending as Alertmanager does: the key in `Authorization: Bearer`."""
    return bearer(ingest_key)


def alerts(tenant):
    with scope_of(tenant.pk):
        return list(Alert.objects.order_by("pk"))


def tickets(tenant):
    with scope_of(tenant.pk):
        return list(Ticket.objects.order_by("pk"))


def test_a_firing_alert_opens_a_ticket_and_its_resolution_is_noted(alertmanager, seeded, acme, server):
    answer = alertmanager.post(URL, payload("firing"), format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["results"] == [
        {
            "result": "opened",
            "alert": answer.json()["results"][0]["alert"],
            "ticket": tickets(seeded)[0].pk,
            "asset": server.pk,
        }
    ]
    [alert] = alerts(seeded)
    # "srv-files01.acme.lan:9100" is the server: the port is the exporter's, not the machine's.
    assert alert.asset_id == server.pk and alert.check_name == "HostOutOfDiskSpace"
    assert alert.origin == AlertOrigin.ALERTMANAGER and alert.severity == Severity.CRITICAL
    assert alert.external_id == "b10e5e6bab070339" and alert.value == "4.2%"
    assert alert.message.startswith("Host out of disk space (instance srv-files01.acme.lan:9100)\nDisk is")
    assert alert.first_seen_at.isoformat() == "2026-12-05T22:10:36.597077+00:00"  # startsAt
    ticket = alert.ticket
    assert ticket.source == Source.MONITORING and ticket.priority == Priority.P1  # critical, a server
    assert "HostOutOfDiskSpace" in ticket.subject

    resolved = alertmanager.post(URL, payload("resolved"), format="json")
    assert resolved.status_code == 200 and resolved.json()["results"][0]["result"] == "recovered"
    [alert] = alerts(seeded)
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolved_at.isoformat() == "2026-12-05T22:10:34+00:00"  # endsAt
    with scope_of(seeded.pk):
        note = TicketComment.objects.get(ticket=ticket)
    assert not note.public and "Recovered" in note.body and "HostOutOfDiskSpace" in note.body


def test_repeated_notifications_of_a_firing_alert_are_repeats_not_tickets(alertmanager, seeded, acme, server):
    """Alertmanager re-sends a group's firing alerts every repeat_interval (and after a
    restart, or to each receiver of a route): one alert, one ticket, counted."""
    results = [alertmanager.post(URL, payload("firing"), format="json").json() for _i in range(5)]
    assert [r["results"][0]["result"] for r in results] == ["opened", "repeat", "repeat", "repeat", "repeat"]
    assert len(tickets(seeded)) == 1
    [alert] = alerts(seeded)
    assert alert.count == 5 and alert.status == AlertStatus.OPEN
    # Its startsAt never changes; each delivery says it is still firing now.
    assert alert.first_seen_at < alert.last_seen_at
    assert (timezone.now() - alert.last_seen_at).total_seconds() < 60
    # A resolved notification sent twice (Alertmanager may): the second has nothing to resolve.
    first = alertmanager.post(URL, payload("resolved"), format="json").json()["results"][0]["result"]
    second = alertmanager.post(URL, payload("resolved"), format="json").json()["results"][0]["result"]
    assert (first, second) == ("recovered", "not_open")


@pytest.mark.parametrize(
    ("label", "severity"),
    [
        ("critical", Severity.CRITICAL),
        ("page", Severity.CRITICAL),
        ("Error", Severity.CRITICAL),
        ("warning", Severity.WARNING),
        ("warn", Severity.WARNING),
        ("info", Severity.INFO),
        ("none", Severity.INFO),
    ],
)
def test_severity_labels(alertmanager, seeded, acme, server, label, severity):
    assert alertmanager.post(URL, firing(severity=label), format="json").status_code == 200
    [alert] = alerts(seeded)
    assert alert.severity == severity and "filed as a warning" not in alert.message


@pytest.mark.parametrize("label", ["bogus", None])
def test_an_unknown_or_missing_severity_is_a_warning_said_so_never_a_refusal(
    alertmanager, seeded, acme, server, label
):
    answer = alertmanager.post(URL, firing(severity=label), format="json")
    assert answer.status_code == 200, answer.content
    [alert] = alerts(seeded)
    assert alert.severity == Severity.WARNING
    assert "filed as a warning" in alert.message
    assert ("bogus" in alert.message) == (label == "bogus")


def test_the_machine_label_is_the_keys(seeded, acme, server, laptop):
    key, secret = ingest_key_create(tenant=seeded, name="Prometheus", asset_label="host")
    key.secret = secret
    body = firing(host="lt-giulia", instance="10.0.0.5:9100")
    assert bearer(key).post(URL, body, format="json").json()["results"][0]["asset"] == laptop.pk


@pytest.mark.parametrize(
    ("labels", "machine"),
    [
        ({"instance": "srv01.acme.lan:9100"}, "srv01.acme.lan"),
        ({"instance": "srv01"}, "srv01"),
        ({"instance": "[fe80::1]:9100"}, "fe80::1"),
        ({"instance": "fe80::1"}, "fe80::1"),  # a bare IPv6 address keeps its last group
        ({"instance": "https://portal.acme.lan/login"}, "portal.acme.lan"),  # a blackbox probe
        ({"job": "node", "host": "srv02"}, "srv02"),
        ({"hostname": "srv03", "instance": ""}, "srv03"),
        ({"job": "node"}, ""),
    ],
)
def test_machine_of(labels, machine):
    assert machine_of(labels) == machine


def test_an_alert_naming_no_machine_waits_for_review(alertmanager, seeded, acme, server):
    body = firing(instance=None, alertname="Watchdog", severity="none")
    answer = alertmanager.post(URL, body, format="json")
    assert answer.status_code == 200 and answer.json()["results"][0]["result"] == "unknown"
    with scope_of(seeded.pk):
        unknown = UnknownSource.objects.get()
    assert unknown.last_check == "Watchdog" and unknown.last_payload["labels"]["alertname"] == "Watchdog"
    assert alerts(seeded) == []


def test_a_recovery_does_not_resolve_a_check_another_alert_of_the_group_still_fires(
    alertmanager, seeded, acme, server
):
    """A disk alert per mount point is one machine's one check: while / still fires, the
    recovery of /var does not resolve it."""
    alertmanager.post(URL, payload("firing"), format="json")
    body = payload("firing")
    var = copy.deepcopy(body["alerts"][0])
    var["labels"]["mountpoint"], var["fingerprint"] = "/var", "c20e5e6bab070340"
    var["status"], var["endsAt"] = "resolved", "2026-12-05T22:12:00Z"
    body["alerts"].append(var)
    results = alertmanager.post(URL, body, format="json").json()["results"]
    assert [r["result"] for r in results] == ["repeat"]
    [alert] = alerts(seeded)
    assert alert.status == AlertStatus.OPEN


def test_another_version_is_refused_and_nothing_written(alertmanager, seeded, acme, server):
    body = {**payload("firing"), "version": "5"}
    answer = alertmanager.post(URL, body, format="json")
    assert answer.status_code == 400
    assert "version 5 is not supported" in answer.json()["version"][0]
    assert alerts(seeded) == [] and tickets(seeded) == []


def test_a_malformed_alert_refuses_the_whole_notification(alertmanager, seeded, acme, server, laptop):
    body = payload("firing")
    good = copy.deepcopy(body["alerts"][0])
    good["labels"]["instance"] = "lt-giulia:9182"
    broken = copy.deepcopy(good)
    broken["status"] = "pending"
    no_name = copy.deepcopy(good)
    del no_name["labels"]["alertname"]
    bad_time = copy.deepcopy(good)
    bad_time["startsAt"] = "yesterday"
    body["alerts"] += [broken, no_name, bad_time]
    answer = alertmanager.post(URL, body, format="json")
    assert answer.status_code == 400, answer.content
    errors = answer.json()["alerts"]
    assert set(errors) == {"1", "2", "3"}
    assert "status" in errors["1"] and "alertname" in errors["2"]["labels"][0] and "startsAt" in errors["3"]
    assert alerts(seeded) == [] and tickets(seeded) == []


@pytest.mark.parametrize(
    "body",
    [[{"status": "firing"}], {"alerts": []}, {"version": "4", "alerts": "none"}, "text"],
    ids=["a list", "no version", "alerts not a list", "a string"],
)
def test_what_is_not_alertmanagers_payload_is_refused(alertmanager, seeded, body):
    answer = alertmanager.post(URL, body, format="json")
    assert answer.status_code == 400 and answer.json()


def test_at_most_a_thousand_alerts(alertmanager, seeded, acme, server):
    body = payload("firing")
    body["alerts"] = body["alerts"] * 1001
    answer = alertmanager.post(URL, body, format="json")
    assert answer.status_code == 400 and "max_alerts: 1000" in answer.json()["alerts"][0]
    assert alerts(seeded) == []


def test_a_key_of_another_tenant_never_touches_this_tenants_server(
    seeded, acme, server, other_tenant, alertmanager
):
    """Bravo's key posts an alert naming Alpha's server: it is a machine Bravo does not know."""
    bravo, secret = ingest_key_create(tenant=other_tenant, name="Bravo's Prometheus")
    bravo.secret = secret
    answer = bearer(bravo).post(URL, payload("firing"), format="json")
    assert answer.status_code == 200 and answer.json()["results"][0]["result"] == "unknown"
    assert alerts(seeded) == [] and tickets(seeded) == []
    with scope_of(other_tenant.pk):
        assert UnknownSource.objects.get().hostname == "srv-files01.acme.lan"
    with scope_of(seeded.pk):
        assert not UnknownSource.objects.exists()
    # Bravo's own server of the same name is Bravo's, whatever Alpha has.
    theirs = AssetFactory(
        tenant=other_tenant,
        client=ClientFactory(tenant=other_tenant),
        kind="server",
        hostname="srv-files01.acme.lan",
    )
    assert (
        bearer(bravo).post(URL, payload("firing"), format="json").json()["results"][0]["asset"] == theirs.pk
    )
    assert alerts(seeded) == []


def test_a_clients_key_touches_only_that_clients_machines(seeded, acme, server):
    other = ClientFactory(tenant=seeded, name="Other Co")
    key, secret = ingest_key_create(tenant=seeded, name="Other's Prometheus", client=other)
    key.secret = secret
    assert bearer(key).post(URL, payload("firing"), format="json").json()["results"][0]["result"] == "unknown"
    assert alerts(seeded) == []


def test_the_key_in_either_header_and_refusals(seeded, acme, server, ingest_key, make_member):
    by_header = APIClient()
    by_header.credentials(HTTP_X_INGEST_KEY=ingest_key.secret)
    assert by_header.post(URL, payload("firing"), format="json").status_code == 200

    nobody = APIClient()
    assert nobody.post(URL, payload("firing"), format="json").status_code == 401
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer mk_not-a-key")
    assert wrong.post(URL, payload("firing"), format="json").status_code == 401

    ingest_key_revoke(ingest_key)
    assert bearer(ingest_key).post(URL, payload("firing"), format="json").status_code == 401

    member = APIClient()
    member.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(make_member(seeded, Role.OWNER))[1]}")
    answer = member.post(URL, payload("firing"), format="json")
    assert answer.status_code == 403 and "ingest key" in answer.json()["detail"]
    assert len(alerts(seeded)) == 1  # the one through X-Ingest-Key
