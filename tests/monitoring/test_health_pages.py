"""Client health: per client, then per asset, what is offline, filling up, ending, unpatched."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.services.settings import monitoring_settings_update
from msp.roles import Role
from tests.factories import AssetFactory, ClientFactory
from tests.monitoring.conftest import send

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitoring/alerts/"


@pytest.fixture
def fleet(agent, seeded, acme, server, laptop):
    """Acme: the server's disk is filling up and its CPU is pegged (critical), the laptop went silent two hours
    ago with 3 patches missing, a NAS's warranty ends in 40 days, a printer is fine.
    Beta: one healthy desktop. Gamma: no assets (not listed)."""
    now = timezone.now()
    nas = AssetFactory(
        tenant=seeded,
        client=acme,
        kind="network",
        name="ACME-NAS",
        warranty_expires=timezone.localdate() + timedelta(days=40),
    )
    AssetFactory(tenant=seeded, client=acme, kind="printer", name="ACME-PRN")
    beta = ClientFactory(tenant=seeded, name="Beta Studio")
    beta_pc = AssetFactory(tenant=seeded, client=beta, name="BETA-PC1", hostname="beta-pc1")
    ClientFactory(tenant=seeded, name="Gamma Idle")
    send(
        agent,
        {"type": "heartbeat", "hostname": "srv-files01.acme.lan", "occurred_at": now.isoformat()},
        {
            "type": "heartbeat",
            "hostname": "lt-giulia",
            "missing_patches": 3,
            "occurred_at": (now - timedelta(hours=2)).isoformat(),
        },
        {"type": "heartbeat", "hostname": "beta-pc1", "missing_patches": 0, "occurred_at": now.isoformat()},
        {"hostname": "srv-files01.acme.lan", "check": "disk_usage", "severity": "critical", "value": "96%"},
        {"hostname": "srv-files01.acme.lan", "check": "cpu", "severity": "critical"},
        {"hostname": "beta-pc1", "check": "cpu", "severity": "warning"},
    )
    return {"acme": acme, "beta": beta, "server": server, "laptop": laptop, "nas": nas, "beta_pc": beta_pc}


def test_one_row_per_client_worst_first_each_count_a_link(fleet, tech, client):
    page = client.get(reverse("monitoring:health"))
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [row["client__name"] for row in rows] == ["Acme", "Beta Studio"]  # Gamma has no assets
    acme, beta = rows
    assert {
        k: acme[k]
        for k in ("assets", "monitored_count", "offline", "disks", "warranties", "patches", "critical")
    } == {
        "assets": 4,  # the server's two open alerts count it once
        "monitored_count": 2,
        "offline": 1,  # the laptop: silent for 2 h, the limit is 30 min
        "disks": 1,
        "warranties": 1,
        "patches": 1,
        "critical": 2,  # alerts, not assets
    }
    assert (beta["offline"], beta["disks"], beta["critical"], beta["monitored_count"]) == (0, 0, 0, 1)
    html = page.content.decode()
    pk = fleet["acme"].pk
    assert f'href="/monitoring/health/{pk}/?problem=offline"' in html
    assert f'href="/monitoring/?client={pk}&amp;check=disk_usage"' in html
    assert f'href="/assets/?client={pk}&amp;warranty=90"' in html
    assert f'href="/assets/?client={pk}&amp;patch_status=missing"' in html
    assert f'href="/monitoring/?client={pk}&amp;severity=critical"' in html
    # The chart: a bar per client, its problems as segments, every value also as text.
    chart = html.split('id="health-chart"', 1)[1].split("</figure>", 1)[0]
    assert (
        "Acme: Critical alerts 2, Offline 1, Disks nearly full 1, Missing patches 1, Warranties ending 1"
        in chart
    )
    assert chart.count('class="chart-danger"') == 1


def test_the_offline_limit_is_the_tenants(fleet, seeded, tech, client):
    monitoring_settings_update(tenant=seeded, offline_after_minutes=180, patch_age_days=30)
    rows = client.get(reverse("monitoring:health")).context["rows"]
    assert rows[0]["offline"] == 0


def test_the_per_client_page_lists_assets_worst_first_and_narrows_to_a_problem(fleet, tech, client):
    url = reverse("monitoring:health-client", args=[fleet["acme"].pk])
    page = client.get(url)
    assert page.status_code == 200
    names = [asset.name for asset in page.context["assets"]]
    assert names == ["SRV-FILES01", "LT-GIULIA", "ACME-NAS", "ACME-PRN"]
    html = page.content.decode()
    assert "Disk nearly full" in html and "2 critical" in html
    assert page.context["summary"]["offline"] == 1

    def only(problem):
        return [a.name for a in client.get(f"{url}?problem={problem}").context["assets"]]

    assert only("offline") == ["LT-GIULIA"]
    assert only("disk") == ["SRV-FILES01"]
    assert only("critical") == ["SRV-FILES01"]
    assert only("patches") == ["LT-GIULIA"]
    assert only("warranty") == ["ACME-NAS"]
    assert only("nonsense") == names


def test_health_pages_are_staff_only_and_another_tenants_client_is_not_found(
    fleet, seeded, other_tenant, make_member, client
):
    contact = make_member(seeded, Role.CLIENT, client=fleet["acme"])
    client.force_login(contact.user)
    assert client.get(reverse("monitoring:health")).status_code == 403
    assert client.get(reverse("monitoring:health-client", args=[fleet["acme"].pk])).status_code == 403
    stranger = make_member(other_tenant, Role.TECHNICIAN)
    client.force_login(stranger.user)
    assert client.get(reverse("monitoring:health-client", args=[fleet["acme"].pk])).status_code == 404
    assert client.get(reverse("monitoring:health")).context["rows"] == []
