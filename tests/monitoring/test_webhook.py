"""The generic JSON webhook: Tactical RMM's alert webhook with the README's body, rendered as
TRMM renders it, and other tools through a key's field mapping."""

import json
import re

import pytest
from rest_framework.test import APIClient

from monitoring.adapters.webhook import field_map_problems, lookup
from monitoring.choices import AlertOrigin, AlertStatus, Severity
from monitoring.models import Alert, IngestKey, UnknownSource
from monitoring.services.keys import ingest_key_create
from msp.models import ApiToken
from msp.roles import Role
from msp.scoping import scope_of
from tests.factories import AssetFactory, ClientFactory
from tests.monitoring.readme import readme_block
from tickets.choices import Priority
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitoring/webhook/"

# Tactical RMM's placeholder (tacticalrmm/utils.py RE_DB_VALUE).
PLACEHOLDER = re.compile(r"(\{\{\s*(client|site|agent|global|alert)(?:\.([\w\-\s\.]+))+\s*\}\})")


def trmm_render(template: str, values: dict) -> dict:
    """What Tactical RMM posts: each {{model.field}} replaced by str() of its value, a value it
    does not have, or a false one, by "None" (get_db_value returns None for them); then the
    text is read as JSON (core/utils.py _run_url_rest_action)."""

    def value(match):
        found = values.get(match.group(0).strip("{} "))
        return str(found) if found else "None"

    return json.loads(PLACEHOLDER.sub(value, template), strict=False)


def trmm(**values) -> dict:
    base = {
        "agent.hostname": "SRV-FILES01.acme.lan",
        "agent.client.name": "Acme",
        "agent.site.name": "HQ",
        "alert.alert_type": "check",
        "alert.assigned_check.check_type": "diskspace",
        "alert.severity": "error",
        "alert.resolved": False,
        "alert.message": "SRV-FILES01 has a diskspace check: Disk Space Check: Drive C: - Error Threshold: 10% that failed.",
        "alert.alert_time": "2026-03-02 08:15:00.123456+00:00",
    }
    return trmm_render(readme_block("{{agent.hostname}}"), {**base, **values})


def with_key(key: IngestKey) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_X_INGEST_KEY=key.secret)
    return http


@pytest.fixture
def trmm_key(seeded):
    key, secret = ingest_key_create(tenant=seeded, name="Tactical RMM", format="webhook")
    key.secret = secret
    return key


def alerts(tenant):
    with scope_of(tenant.pk):
        return list(Alert.objects.order_by("pk"))


def test_the_readmes_trmm_headers_carry_the_key_as_json():
    headers = json.loads(readme_block('"X-Ingest-Key"'))
    assert headers["Content-Type"] == "application/json" and "X-Ingest-Key" in headers


def test_a_trmm_check_failure_and_its_resolution(trmm_key, seeded, acme, server):
    http = with_key(trmm_key)
    answer = http.post(URL, trmm(), format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["results"][0]["result"] == "opened"
    [alert] = alerts(seeded)
    assert alert.asset_id == server.pk and alert.origin == AlertOrigin.WEBHOOK
    assert alert.check_name == "disk_usage"  # TRMM's diskspace: the tuned check
    assert alert.severity == Severity.CRITICAL  # TRMM's "error"
    assert alert.first_seen_at.isoformat() == "2026-03-02T08:15:00.123456+00:00"
    assert "Drive C:" in alert.message
    assert alert.ticket.priority == Priority.P1

    resolved = trmm(**{"alert.resolved": True, "alert.resolved_on": "2026-03-02 09:40:00+00:00"})
    assert resolved["alert"]["status"] == "True"
    assert http.post(URL, resolved, format="json").json()["results"][0]["result"] == "recovered"
    [alert] = alerts(seeded)
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolved_at.isoformat() == "2026-03-02T09:40:00+00:00"
    with scope_of(seeded.pk):
        assert "Recovered" in TicketComment.objects.get(ticket=alert.ticket).body


def test_a_trmm_availability_alert_is_offline_and_a_task_alert_its_task(trmm_key, seeded, acme, server):
    http = with_key(trmm_key)
    overdue = trmm(
        **{
            "alert.alert_type": "availability",
            "alert.assigned_check.check_type": None,
            "alert.message": "SRV-FILES01 in Acme, HQ is overdue.",
        }
    )
    task = trmm(
        **{
            "alert.alert_type": "task",
            "alert.assigned_check.check_type": None,
            "alert.assigned_task.name": "Nightly backup",
        }
    )
    assert http.post(URL, overdue, format="json").status_code == 200
    assert http.post(URL, task, format="json").status_code == 200
    assert [a.check_name for a in alerts(seeded)] == ["offline", "Nightly backup"]


def test_a_repeated_delivery_is_a_repeat(trmm_key, seeded, acme, server):
    http = with_key(trmm_key)
    results = [http.post(URL, trmm(), format="json").json()["results"][0]["result"] for _i in range(3)]
    assert results == ["opened", "repeat", "repeat"]
    with scope_of(seeded.pk):
        assert Ticket.objects.count() == 1
    assert alerts(seeded)[0].count == 3


def test_any_content_type_is_read_as_json(trmm_key, seeded, acme, server):
    """TRMM sends whatever Content-Type its headers say; requests sends none without one."""
    http = with_key(trmm_key)
    body = json.dumps(trmm())
    assert http.post(URL, body, content_type="text/plain").status_code == 200
    answer = http.generic("POST", URL, body, content_type="")
    assert answer.status_code == 200 and answer.json()["results"][0]["result"] == "repeat"
    broken = http.post(URL, "{not json", content_type="text/plain")
    assert broken.status_code == 400 and "JSON" in broken.json()["detail"]


def test_an_unknown_severity_is_a_warning_said_so(trmm_key, seeded, acme, server):
    assert with_key(trmm_key).post(URL, trmm(**{"alert.severity": "sev-7"}), format="json").status_code == 200
    [alert] = alerts(seeded)
    assert alert.severity == Severity.WARNING and "sev-7" in alert.message and "severity_map" in alert.message


def test_missing_machine_or_check_is_refused_naming_the_path(trmm_key, seeded, acme, server):
    http = with_key(trmm_key)
    answer = http.post(URL, trmm(**{"agent.hostname": None}), format="json")
    assert answer.status_code == 400
    assert "agent.hostname" in answer.json()["hostname"][0]
    answer = http.post(
        URL, trmm(**{"alert.assigned_check.check_type": None, "alert.alert_type": None}), format="json"
    )
    assert answer.status_code == 400
    assert "alert.check_name|alert.task_name|alert.type" in answer.json()["check"][0]
    answer = http.post(URL, trmm(**{"alert.resolved": "maybe"}), format="json")
    assert answer.status_code == 400 and "status_map" in answer.json()["status"][0]
    answer = http.post(URL, trmm(**{"alert.alert_time": "last Tuesday"}), format="json")
    assert answer.status_code == 400 and "alert.resolved_on|alert.time" in answer.json()["occurred_at"][0]
    assert alerts(seeded) == []


UPTIME_MAP = {
    "items": "events",
    "hostname": "monitor.host",
    "check": "monitor.name",
    "severity": "level",
    "status": "state",
    "message": "msg",
    "value": "ms",
    "occurred_at": "at",
    "severity_map": {"P1": "critical", "P3": "info"},
    "status_map": {"DOWN": "problem", "UP": "ok"},
    "check_map": {"HTTP check": "http"},
}


def uptime_event(host, state="DOWN", level="P1", **extra):
    return {
        "monitor": {"host": host, "name": "HTTP check"},
        "level": level,
        "state": state,
        "msg": f"{host} answers 503",
        "ms": 1234,
        "at": 1772438400,  # Unix seconds
        **extra,
    }


@pytest.fixture
def uptime_key(seeded):
    key, secret = ingest_key_create(tenant=seeded, name="Uptime", format="webhook", field_map=UPTIME_MAP)
    key.secret = secret
    return key


def test_a_mapped_batch(uptime_key, seeded, acme, server, laptop):
    body = {
        "source": "uptime",
        "events": [
            uptime_event("srv-files01.acme.lan"),
            uptime_event("lt-giulia", level="P3"),
            uptime_event("srv-files01.acme.lan", state="UP"),
        ],
    }
    answer = with_key(uptime_key).post(URL, body, format="json")
    assert answer.status_code == 200, answer.content
    assert [r["result"] for r in answer.json()["results"]] == ["opened", "opened", "recovered"]
    srv, lt = alerts(seeded)
    assert (srv.asset_id, srv.check_name, srv.severity, srv.status) == (
        server.pk,
        "http",
        Severity.CRITICAL,
        AlertStatus.RESOLVED,
    )
    assert (lt.asset_id, lt.severity, lt.value, lt.message) == (
        laptop.pk,
        Severity.INFO,
        "1234",
        "lt-giulia answers 503",
    )
    assert lt.first_seen_at.isoformat() == "2026-03-02T08:00:00+00:00"


def test_a_top_level_list_is_a_batch_and_one_bad_item_refuses_it(trmm_key, seeded, acme, server, laptop):
    other = trmm(**{"agent.hostname": "lt-giulia"})
    broken = trmm(**{"agent.hostname": None})
    answer = with_key(trmm_key).post(URL, [trmm(), other, broken, "text"], format="json")
    assert answer.status_code == 400
    errors = answer.json()["items"]
    assert set(errors) == {"2", "3"} and "agent.hostname" in errors["2"]["hostname"][0]
    assert alerts(seeded) == []
    answer = with_key(trmm_key).post(URL, [trmm(), other], format="json")
    assert [r["result"] for r in answer.json()["results"]] == ["opened", "opened"]


def test_batch_limits(uptime_key, seeded, acme, server):
    http = with_key(uptime_key)
    too_many = {"events": [uptime_event("srv-files01.acme.lan")] * 1001}
    assert "at most 1000" in http.post(URL, too_many, format="json").json()["items"][0]
    assert "empty" in http.post(URL, {"events": []}, format="json").json()["items"][0]
    assert "No list of alerts at events" in http.post(URL, {"event": {}}, format="json").json()["items"][0]
    assert alerts(seeded) == []


def test_a_key_of_another_tenant_never_touches_this_tenants_machine(seeded, acme, server, other_tenant):
    bravo, secret = ingest_key_create(tenant=other_tenant, name="Bravo's RMM")
    bravo.secret = secret
    answer = with_key(bravo).post(URL, trmm(), format="json")
    assert answer.status_code == 200 and answer.json()["results"][0]["result"] == "unknown"
    assert alerts(seeded) == []
    with scope_of(other_tenant.pk):
        unknown = UnknownSource.objects.get()
    assert unknown.hostname == "SRV-FILES01.acme.lan" and unknown.last_check == "disk_usage"
    theirs = AssetFactory(
        tenant=other_tenant, client=ClientFactory(tenant=other_tenant), hostname="srv-files01.acme.lan"
    )
    assert with_key(bravo).post(URL, trmm(), format="json").json()["results"][0]["asset"] == theirs.pk
    assert alerts(seeded) == []


# --- the key's field mapping, validated when the key is saved ----------------------------------


def test_lookup():
    data = {"a": {"b": [{"c": "x"}, {"c": "None"}]}, "n": 0, "e": ""}
    assert lookup(data, "a.b.0.c") == "x"
    assert lookup(data, "a.b.1.c|a.b.0.c") == "x"  # "None" is TRMM's nothing
    assert lookup(data, "a.b.5.c|n") == 0
    assert lookup(data, "e|a.x|zzz") is None


@pytest.mark.parametrize(
    ("field_map", "problem"),
    [
        ({"host": "agent.hostname"}, "host is not a field it can map"),
        ({"hostname": 5}, "hostname: a path is text"),
        ({"hostname": ["a", "b"]}, "hostname: a path is text"),
        ({"check": "alert..name"}, "check: a path is text"),
        ({"check": "alert.name|"}, "check: a path is text"),
        (
            {"severity_map": {"sev1": "urgent"}},
            "sev1 maps to urgent, which is not one of info, warning, critical",
        ),
        ({"status_map": {"gone": "resolved"}}, "gone maps to resolved, which is not one of problem, ok"),
        ({"status_map": ["ok"]}, "status_map: an object"),
        ({"check_map": {"x": 3}}, "x must map to text"),
        ("agent.hostname", "The field mapping is a JSON object"),
    ],
)
def test_field_map_problems(field_map, problem):
    problems = field_map_problems(field_map)
    assert len(problems) == 1 and problem in problems[0], problems


def test_the_keys_api_refuses_a_wrong_mapping_and_keeps_a_right_one(seeded, make_member):
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(make_member(seeded, Role.OWNER))[1]}")
    url = "/api/v1/monitoring/keys/"
    wrong = http.post(
        url, {"name": "Uptime", "format": "webhook", "field_map": {"host": "x", "check": 1}}, format="json"
    )
    assert wrong.status_code == 400
    assert len(wrong.json()["field_map"]) == 2 and "host is not a field" in wrong.json()["field_map"][0]
    with scope_of(seeded.pk):
        assert not IngestKey.objects.exists()

    created = http.post(url, {"name": "Uptime", "format": "webhook", "field_map": UPTIME_MAP}, format="json")
    assert created.status_code == 201, created.content
    detail = f"{url}{created.json()['id']}/"
    assert http.get(detail).json()["field_map"] == UPTIME_MAP
    changed = http.patch(detail, {"field_map": {"severity_map": {"P1": "fatal"}}}, format="json")
    assert changed.status_code == 400 and "fatal" in changed.json()["field_map"][0]
    assert http.get(detail).json()["field_map"] == UPTIME_MAP


def test_a_mapping_saved_unchecked_never_breaks_ingestion(seeded, acme, server):
    """Only the API checks a mapping when it is saved; a wrong one saved another way reads as
    the defaults where it is wrong, and the request is answered (never a server error)."""
    key, secret = ingest_key_create(
        tenant=seeded,
        name="Hand-edited",
        field_map={"hostname": 5, "severity_map": {"sev1": "urgent"}, "status_map": {"gone": "resolved"}},
    )
    key.secret = secret
    http = with_key(key)
    assert http.post(URL, trmm(**{"alert.severity": "sev1"}), format="json").status_code == 200
    [alert] = alerts(seeded)
    assert alert.asset_id == server.pk and alert.severity == Severity.WARNING
    answer = http.post(URL, trmm(**{"alert.resolved": "gone"}), format="json")
    assert answer.status_code == 400 and "status_map" in answer.json()["status"][0]
