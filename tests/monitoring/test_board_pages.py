"""The alerts board, an alert's page and the asset page's monitoring panel, in the browser's
HTML: what a technician reads to decide what to work on first."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from monitoring.choices import AlertStatus
from monitoring.models import Alert
from msp.roles import Role
from tests.factories import AssetFactory, ClientFactory
from tests.monitoring.conftest import send
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitoring/alerts/"


def problem(hostname, check, severity, **extra):
    return {"hostname": hostname, "check": check, "severity": severity, **extra}


@pytest.fixture
def beta(seeded):
    return ClientFactory(tenant=seeded, name="Beta Studio")


@pytest.fixture
def beta_pc(beta):
    return AssetFactory(tenant=beta.tenant, client=beta, kind="desktop", name="BETA-PC1", hostname="beta-pc1")


def rows_of(html: str, table_id: str) -> list[str]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [row for row in body.split("<tr")[2:]]  # past the header's


def test_the_board_sums_open_alerts_per_client_most_critical_first(
    agent, server, laptop, beta_pc, tech, client
):
    send(
        agent,
        problem("beta-pc1", "cpu", "warning"),
        problem("beta-pc1", "antivirus", "warning"),
        problem("beta-pc1", "backup_failed", "info"),
        problem("lt-giulia", "cpu", "warning"),
        problem("srv-files01.acme.lan", "disk_usage", "critical", value="96%", message="C: is 96% full"),
    )
    page = client.get(reverse("monitoring:board"))
    assert page.status_code == 200
    html = page.content.decode()
    summary = rows_of(html, "alert-summary")
    # Acme has one critical alert: it comes before Beta's three warnings and infos.
    assert "Acme" in summary[0] and "Beta Studio" in summary[1]
    assert [page.context["summary"][i]["critical"] for i in (0, 1)] == [1, 0]
    assert (page.context["summary"][1]["warning"], page.context["summary"][1]["info"]) == (2, 1)
    assert page.context["totals"] == {"critical": 1, "warning": 3, "info": 1, "total": 5, "clients": 2}
    # Clicking a client's count filters the list to it.
    acme_pk = server.client_id
    assert f'href="?client={acme_pk}&amp;severity=critical"' in summary[0]

    # The list: newest first, each with its severity, client, asset, check, value and ticket.
    alerts = rows_of(html, "alert-list")
    assert len(alerts) == 5
    disk = Alert.unscoped.get(check_name="disk_usage")
    first = alerts[0]
    assert f'data-alert="{disk.pk}"' in first
    assert "Critical" in first and "Acme" in first and "96%" in first and "C: is 96% full" in first
    assert f'href="{server.get_absolute_url()}"' in first
    assert f'href="/tickets/{disk.ticket_id}/"' in first and f"#{disk.ticket_id}" in first
    assert "New" in first  # the ticket's status


def test_the_board_filters_by_status_severity_client_and_check(agent, server, laptop, beta_pc, tech, client):
    send(
        agent,
        problem("srv-files01.acme.lan", "disk_usage", "critical"),
        problem("lt-giulia", "cpu", "warning"),
        problem("beta-pc1", "cpu", "info"),
    )
    send(agent, {"hostname": "lt-giulia", "check": "cpu", "status": "ok"})  # recovered

    def shown(query):
        page = client.get(reverse("monitoring:board") + query)
        assert page.status_code == 200
        return sorted((a.asset.name, a.check_name) for a in page.context["object_list"])

    assert shown("") == [("BETA-PC1", "cpu"), ("SRV-FILES01", "disk_usage")]  # open only
    assert shown("?status=resolved") == [("LT-GIULIA", "cpu")]
    assert shown("?status=") == [("BETA-PC1", "cpu"), ("LT-GIULIA", "cpu"), ("SRV-FILES01", "disk_usage")]
    assert shown("?severity=critical&severity=info") == [("BETA-PC1", "cpu"), ("SRV-FILES01", "disk_usage")]
    assert shown(f"?client={beta_pc.client_id}") == [("BETA-PC1", "cpu")]
    assert shown("?check=disk_usage") == [("SRV-FILES01", "disk_usage")]
    assert shown(f"?asset={server.pk}&status=") == [("SRV-FILES01", "disk_usage")]
    # htmx swaps the list only.
    partial = client.get(reverse("monitoring:board") + "?status=resolved", headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert 'id="alert-list"' in html and 'id="alert-summary"' not in html and "LT-GIULIA" in html


def test_times_are_shown_in_the_users_zone(agent, server, tech, client):
    tech.user.timezone = "Asia/Tokyo"
    tech.user.save(update_fields=["timezone"])
    occurred = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    send(agent, problem("srv-files01.acme.lan", "disk_usage", "critical", occurred_at=occurred.isoformat()))
    html = client.get(reverse("monitoring:board")).content.decode()
    with timezone.override("Asia/Tokyo"):
        tokyo = date_format(timezone.localtime(occurred), "SHORT_DATETIME_FORMAT")
    with timezone.override("UTC"):
        utc = date_format(timezone.localtime(occurred), "SHORT_DATETIME_FORMAT")
    assert tokyo != utc and tokyo in html


def test_the_alert_page_leads_to_its_ticket_and_earlier_alerts(agent, server, tech, client):
    first = send(agent, problem("srv-files01.acme.lan", "disk_usage", "warning", value="85%"))[0]
    send(agent, {"hostname": "srv-files01.acme.lan", "check": "disk_usage", "status": "ok"})
    Ticket.unscoped.filter(pk=first["ticket"]).update(status="closed")
    second = send(agent, problem("srv-files01.acme.lan", "disk_usage", "critical", value="97%"))[0]
    assert second["ticket"] != first["ticket"]
    page = client.get(reverse("monitoring:alert", args=[second["alert"]]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/tickets/{second["ticket"]}/"' in html and "P1" in html and "97%" in html
    assert [a.pk for a in page.context["earlier"]] == [first["alert"]]
    assert f'href="/tickets/{first["ticket"]}/"' in html


def test_client_contacts_have_no_board_and_another_tenants_alert_is_not_found(
    agent, server, seeded, other_tenant, make_member, client
):
    outcome = send(agent, problem("srv-files01.acme.lan", "disk_usage", "critical"))[0]
    contact = make_member(seeded, Role.CLIENT, client=server.client)
    client.force_login(contact.user)
    assert client.get(reverse("monitoring:board")).status_code == 403
    assert client.get(reverse("monitoring:alert", args=[outcome["alert"]])).status_code == 403
    stranger = make_member(other_tenant, Role.OWNER)
    client.force_login(stranger.user)
    assert client.get(reverse("monitoring:alert", args=[outcome["alert"]])).status_code == 404
    board = client.get(reverse("monitoring:board"))
    assert board.status_code == 200 and not board.context["object_list"] and not board.context["summary"]


def test_the_asset_page_shows_alert_and_heartbeat_history(agent, server, tech, client):
    now = timezone.now()
    # Heard today, yesterday and three days ago: the day before yesterday is a gap.
    send(
        agent,
        *[
            {
                "type": "heartbeat",
                "hostname": "srv-files01.acme.lan",
                "occurred_at": (now - timedelta(days=d)).isoformat(),
            }
            for d in (0, 1, 3)
        ],
    )
    resolved = send(agent, problem("srv-files01.acme.lan", "cpu", "warning"))[0]
    send(agent, {"hostname": "srv-files01.acme.lan", "check": "cpu", "status": "ok"})
    opened = send(agent, problem("srv-files01.acme.lan", "disk_usage", "critical", value="96%"))[0]

    page = client.get(server.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    alerts = rows_of(html, "asset-alerts")
    assert len(alerts) == 2
    assert "disk_usage" in alerts[0] and "Open" in alerts[0] and f"/tickets/{opened['ticket']}/" in alerts[0]
    assert "cpu" in alerts[1] and "Resolved" in alerts[1] and f"/tickets/{resolved['ticket']}/" in alerts[1]
    assert "1 open, 1 resolved" in html
    # 30 days: 3 heard, 1 gap since the first heartbeat, the rest before it was monitored.
    assert "Heard on 3 of the last 30 days" in html
    assert "1 day without a heartbeat." in html
    strip = html.split('id="heartbeat-strip"', 1)[1].split("</svg>", 1)[0]
    assert strip.count('class="chart-success"') == 3
    assert strip.count('class="chart-danger"') == 1
    assert strip.count('class="chart-muted"') == 26
    # Patch status and warranty are still there.
    assert "Patch status" in html and "Warranty expires" in html


def test_a_client_contact_sees_its_asset_without_the_monitoring_panel(
    agent, server, seeded, make_member, client
):
    send(agent, problem("srv-files01.acme.lan", "disk_usage", "critical"))
    contact = make_member(seeded, Role.CLIENT, client=server.client)
    client.force_login(contact.user)
    page = client.get(server.get_absolute_url())
    assert page.status_code == 200
    assert 'id="asset-monitoring"' not in page.content.decode()


def test_the_board_says_how_many_unknown_machines_wait(agent, server, tech, client):
    send(agent, problem("ghost-1", "cpu", "warning"), problem("ghost-2", "cpu", "warning"))
    html = client.get(reverse("monitoring:board")).content.decode()
    assert "2 machines the tenant does not know are waiting for review." in html
    assert '<span class="badge badge-warning" id="unknown-count">2</span>' in html
    assert Alert.unscoped.filter(status=AlertStatus.OPEN).count() == 0


def test_the_monitoring_pages_in_italian(agent, server, tech, client):
    tech.user.language = "it"
    tech.user.save(update_fields=["language"])
    send(
        agent, problem("srv-files01.acme.lan", "disk_usage", "critical"), problem("ghost-9", "cpu", "warning")
    )
    board = client.get(reverse("monitoring:board")).content.decode()
    assert "<h1>Avvisi</h1>" in board and "Avvisi aperti per cliente" in board and "Critico" in board
    assert "1 macchina sconosciuta è in attesa di revisione." in board
    health = client.get(reverse("monitoring:health")).content.decode()
    assert "Salute dei clienti" in health and "Dischi quasi pieni" in health
    asset = client.get(server.get_absolute_url()).content.decode()
    assert "Heartbeat degli ultimi 30 giorni" in asset and "aperti: 1, risolti: 0" in asset
    unknown = client.get(reverse("monitoring:unknown")).content.decode()
    assert "Macchine sconosciute" in unknown and "Crea il dispositivo" in unknown
