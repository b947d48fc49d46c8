"""On PostgreSQL: the same alert sent by many requests at once (a fleet's tool retrying, two
Alertmanager replicas) is one alert and one ticket, and every message is counted; recoveries
racing problems of one check count every problem once and never answer 500."""

import pytest

from monitoring.messages import Message
from monitoring.models import Alert
from monitoring.services.ingest import ingest
from tests.concurrency import run_at_once
from tests.factories import AssetFactory, ClientFactory, TenantFactory
from tickets.models import Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_senders_of_one_new_alert_open_it_once_and_count_every_message():
    tenant = TenantFactory()
    asset = AssetFactory(tenant=tenant, client=ClientFactory(tenant=tenant), kind="server", hostname="srv01")

    def send():
        ingest(
            tenant=tenant,
            messages=[
                Message(type="alert", hostname="srv01", check="disk_usage", severity="critical"),
                Message(type="heartbeat", hostname="srv01"),
            ],
        )

    assert run_at_once([send] * 20) == []
    alerts = list(Alert.unscoped.filter(tenant=tenant))
    assert len(alerts) == 1 and alerts[0].count == 20
    assert Ticket.unscoped.filter(tenant=tenant, asset=asset).count() == 1
    asset.refresh_from_db()
    assert asset.last_seen is not None


def _agents(ingest_key, count):
    from rest_framework.test import APIClient

    agents = []
    for _n in range(count):
        http = APIClient()
        http.credentials(HTTP_X_INGEST_KEY=ingest_key.secret)
        agents.append(http)
    return agents


def _post(http, status):
    message = {
        "hostname": "srv-files01.acme.lan",
        "check": "disk_usage",
        "severity": "critical",
        "status": status,
    }
    return lambda: http.post("/api/v1/monitoring/alerts/", [message], format="json")


@pytest.mark.parametrize("already_open", [True, False], ids=["repeats", "new"])
def test_recoveries_racing_problems_of_one_check_count_every_problem_and_leave_one_open_at_most(
    server, ingest_key, already_open
):
    """Through the API, round after round: problems (repeats of the open alert, or the first
    reports of a new one) and recoveries of one check at once. Every answer is a 200 (a new
    alert's second sender found it resolved in between: a 500 before), each problem is counted
    on exactly one alert, one alert at most is open, and every alert has its ticket."""
    from tests.concurrency import answers_at_once

    agents = _agents(ingest_key, 6)
    problems = 0
    for _round in range(6):
        if already_open:
            assert _post(agents[0], "problem")().status_code == 200
            problems += 1
        senders = [_post(http, "problem") for http in agents[:4]] + [_post(http, "ok") for http in agents[4:]]
        codes = answers_at_once(senders)
        assert codes == [200] * 6, codes
        problems += 4
        alerts = Alert.unscoped.filter(asset=server, check_name="disk_usage")
        assert sum(alerts.values_list("count", flat=True)) == problems
        assert alerts.filter(status="open").count() <= 1
        assert not alerts.filter(ticket__isnull=True).exists()
        assert not alerts.filter(status="resolved", resolved_at__isnull=True).exists()
        # The next round starts from a resolved check.
        assert _post(agents[0], "ok")().status_code == 200


def test_a_new_alerts_second_sender_finding_it_resolved_meanwhile_opens_it_again(server):
    """The narrowest of those races, made to happen every time: this sender sees no open alert,
    another opens it just before this one's INSERT (which then fails on the one-open
    constraint), and a recovery resolves it just before this one looks it up. The problem is
    reported after the recovery: it opens a new alert (it was a DoesNotExist 500)."""
    import threading

    from django.db import connection, connections

    tenant = server.tenant

    def other_request(status):
        def send():
            try:
                ingest(tenant=tenant, messages=[_message(status)])
            finally:
                connections.close_all()

        thread = threading.Thread(target=send)
        thread.start()
        thread.join(timeout=60)

    done = set()

    def meanwhile(execute, sql, params, many, context):
        if '"monitoring_alert"' in sql:
            if sql.startswith("INSERT") and "opened" not in done:
                done.add("opened")
                other_request("problem")
            elif "FOR UPDATE" in sql and "resolved" not in done:
                done.add("resolved")
                other_request("ok")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(meanwhile):
        outcomes = ingest(tenant=tenant, messages=[_message("problem")])
    assert done == {"opened", "resolved"}
    assert [o.result for o in outcomes] == ["opened"]
    alerts = Alert.unscoped.filter(asset=server).order_by("pk")
    assert [(a.status, a.count) for a in alerts] == [("resolved", 1), ("open", 1)]


def _message(status):
    return Message(
        type="alert", hostname="srv-files01.acme.lan", check="disk_usage", severity="critical", status=status
    )
