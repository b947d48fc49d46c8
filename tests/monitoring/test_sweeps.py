"""The proactive sweeps: a silent asset, a warranty running out, patches missing too long.

Each crossing raises one alert (and one ticket) however many sweeps run, with the clock frozen
by passing `now`; the next crossing raises again; heartbeats resolve what they disprove; a
tenant's sweep touches only that tenant; the beat dispatches one task per tenant with work;
the queries of a sweep do not grow with the inventory."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assets.models import Asset
from monitoring.choices import OFFLINE, PATCH_MISSING, WARRANTY, AlertOrigin, AlertStatus, Severity
from monitoring.messages import HEARTBEAT, Message
from monitoring.models import Alert, MonitoringSettings
from monitoring.services.ingest import ingest
from monitoring.sweeps import sweep, sweep_tenants
from monitoring.tasks import monitoring_sweep_dispatch_task, monitoring_sweep_task
from msp.scoping import scope_of
from tests.factories import AssetFactory, ClientFactory, TenantFactory
from tickets.choices import Priority, Source, TicketStatus
from tickets.models import Ticket, TicketComment
from tickets.services import ticket_update

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitoring/alerts/"


@pytest.fixture
def now():
    # Noon in Rome (the tenant's zone): a warranty's day is the same there and in UTC.
    return timezone.now().replace(hour=11, minute=0, second=0, microsecond=0)


def alerts(tenant, check):
    with scope_of(tenant.pk):
        return list(Alert.objects.filter(check_name=check).select_related("ticket").order_by("pk"))


def fresh(alert):
    return Alert.unscoped.get(pk=alert.pk)


def tickets(tenant):
    with scope_of(tenant.pk):
        return list(Ticket.objects.filter(source=Source.MONITORING).order_by("pk"))


def heartbeat(tenant, asset, when, **patch_state):
    return ingest(
        tenant=tenant,
        messages=[Message(type=HEARTBEAT, hostname=asset.hostname, occurred_at=when, **patch_state)],
        now=when,
    )


def set_asset(asset, **fields):
    Asset.unscoped.filter(pk=asset.pk).update(**fields)


# --- offline ---------------------------------------------------------------------------------


def test_a_silent_server_raises_one_critical_offline_alert_however_many_sweeps(
    seeded, platinum, server, laptop, now
):
    set_asset(server, monitored=True, last_seen=now - timedelta(minutes=45))
    set_asset(laptop, monitored=True, last_seen=now - timedelta(minutes=10))  # not silent long enough
    AssetFactory(tenant=seeded, client=server.client, monitored=True)  # no agent yet
    AssetFactory(tenant=seeded, client=server.client, last_seen=now - timedelta(days=3))  # unmonitored

    result = sweep(tenant=seeded, now=now)
    assert result.opened == {OFFLINE: 1}
    [alert] = alerts(seeded, OFFLINE)
    assert alert.asset_id == server.pk and alert.origin == AlertOrigin.SWEEP
    assert alert.severity == Severity.CRITICAL and alert.status == AlertStatus.OPEN
    assert alert.ticket.priority == Priority.P1 and alert.ticket.asset_id == server.pk
    assert "No heartbeat since" in alert.message and alert.value == "45 min"

    # Sweeps every 5 minutes for two hours: still one alert for the server, counted once;
    # the laptop went silent meanwhile (30 minutes after its last heartbeat): one of its own.
    opened = [
        sweep(tenant=seeded, now=now + timedelta(minutes=minutes)).opened.get(OFFLINE, 0)
        for minutes in range(5, 125, 5)
    ]
    assert opened == [0, 0, 0, 0, 1] + [0] * 19  # the laptop, at 25 minutes
    server_alert, laptop_alert = alerts(seeded, OFFLINE)
    assert server_alert.pk == alert.pk and server_alert.count == 1
    assert laptop_alert.asset_id == laptop.pk and laptop_alert.count == 1
    raised_for = set(Alert.unscoped.values_list("asset_id", flat=True))
    assert raised_for == {server.pk, laptop.pk}  # never the agentless one, nor the unmonitored
    assert len(tickets(seeded)) == 2


def test_the_laptop_is_info_and_p4_and_the_tenant_limit_counts(seeded, laptop, server, now):
    with scope_of(seeded.pk):
        MonitoringSettings.objects.create(tenant=seeded, offline_after_minutes=120)
    set_asset(laptop, monitored=True, last_seen=now - timedelta(minutes=90))
    assert sweep(tenant=seeded, now=now).opened == {}  # 90 minutes is within this MSP's limit
    assert sweep(tenant=seeded, now=now + timedelta(minutes=31)).opened == {OFFLINE: 1}
    [alert] = alerts(seeded, OFFLINE)
    assert alert.severity == Severity.INFO and alert.ticket.priority == Priority.P4


def test_a_heartbeat_resolves_it_and_the_next_silence_raises_again(seeded, platinum, server, now):
    set_asset(server, monitored=True, last_seen=now - timedelta(hours=1))
    sweep(tenant=seeded, now=now)
    [first] = alerts(seeded, OFFLINE)

    back = now + timedelta(minutes=20)
    heartbeat(seeded, server, back)
    first = fresh(first)
    assert first.status == AlertStatus.RESOLVED and first.resolved_at == back
    assert sweep(tenant=seeded, now=back + timedelta(minutes=10)).opened == {}  # heard 10 min ago

    # Silent again: a new silence is a new crossing, raised once more (and once).
    again = back + timedelta(minutes=40)
    assert sweep(tenant=seeded, now=again).opened == {OFFLINE: 1}
    assert sweep(tenant=seeded, now=again + timedelta(minutes=5)).opened == {}
    first_again, second = alerts(seeded, OFFLINE)
    assert second.status == AlertStatus.OPEN and second.marker != first.marker
    # Its ticket was still being worked on: the same problem is back on it, not a new ticket.
    assert second.ticket_id == first.ticket_id and len(tickets(seeded)) == 1
    with scope_of(seeded.pk):
        notes = list(TicketComment.objects.filter(ticket_id=first.ticket_id).values_list("body", flat=True))
    assert any("Recovered" in n for n in notes) and any("The problem is back" in n for n in notes)


def test_an_agent_heartbeat_through_the_api_resolves_the_sweeps_alert(seeded, agent, server):
    now = timezone.now()
    set_asset(server, monitored=True, last_seen=now - timedelta(hours=2))
    sweep(tenant=seeded, now=now)
    answer = agent.post(URL, {"type": "heartbeat", "hostname": server.hostname}, format="json")
    assert answer.status_code == 200, answer.content
    [alert] = alerts(seeded, OFFLINE)
    assert alert.status == AlertStatus.RESOLVED


def test_an_asset_no_longer_monitored_has_its_offline_alert_resolved(seeded, server, now):
    set_asset(server, monitored=True, last_seen=now - timedelta(hours=2))
    sweep(tenant=seeded, now=now)
    set_asset(server, monitored=False)  # retired: nobody waits for its heartbeat
    assert sweep(tenant=seeded, now=now + timedelta(minutes=5)).resolved == {OFFLINE: 1}
    [alert] = alerts(seeded, OFFLINE)
    assert alert.status == AlertStatus.RESOLVED


# --- warranty --------------------------------------------------------------------------------


def test_each_warranty_threshold_is_raised_once_on_one_alert(seeded, platinum, server, now):
    end = timezone.localdate(now) + timedelta(days=100)
    set_asset(server, warranty_expires=end)

    def at(days_left):
        return sweep(tenant=seeded, now=now + timedelta(days=100 - days_left))

    assert at(91).opened == {}
    assert at(90).opened == {WARRANTY: 1}
    [alert] = alerts(seeded, WARRANTY)
    assert alert.severity == Severity.INFO and alert.marker == f"{end}:90"
    assert alert.ticket.priority == Priority.P4  # planned work, not an emergency
    for days_left in (90, 89, 75, 61):
        assert at(days_left).opened == {} and not at(days_left).repeated

    # The 60-day crossing while the 90-day alert is open: that alert, now a warning.
    assert at(60).repeated == {WARRANTY: 1}
    alert = fresh(alert)
    assert alert.count == 2 and alert.severity == Severity.WARNING and alert.marker == f"{end}:60"
    for days_left in (60, 59, 45, 31):
        assert at(days_left).repeated == {}
    # The repeat replaced the marker "…:90": a sweep that still sees 61+ days (a clock or a
    # zone behind) reads the lower crossing as covering the higher one, and raises nothing.
    assert at(70).repeated == {} and at(70).opened == {}

    assert at(30).repeated == {WARRANTY: 1}
    for days_left in (29, 10, 0):
        assert at(days_left).repeated == {}
    # Ended: the alert stays open (still a problem), and nothing is raised day after day.
    for days_left in (-1, -2, -30):
        result = at(days_left)
        assert result.opened == {} and result.repeated == {} and result.resolved == {}
    alert = fresh(alert)
    assert alert.count == 3 and alert.status == AlertStatus.OPEN and alert.marker == f"{end}:30"
    assert len(tickets(seeded)) == 1


def test_a_crossing_whose_alert_was_resolved_is_not_raised_again_but_the_next_one_is(seeded, server, now):
    end = timezone.localdate(now) + timedelta(days=80)
    set_asset(server, warranty_expires=end)
    assert sweep(tenant=seeded, now=now).opened == {WARRANTY: 1}
    Alert.unscoped.filter(asset=server).update(status=AlertStatus.RESOLVED, resolved_at=now)
    assert sweep(tenant=seeded, now=now + timedelta(days=1)).opened == {}
    assert sweep(tenant=seeded, now=now + timedelta(days=20)).opened == {WARRANTY: 1}  # 60 days
    first, second = alerts(seeded, WARRANTY)
    assert (first.marker, second.marker) == (f"{end}:90", f"{end}:60")


def test_after_the_technician_closed_the_90_day_ticket_the_60_day_crossing_is_a_new_ticket(
    seeded, server, now
):
    """The client was told at 90 days and the ticket closed; the alert stays open (no tool
    sends a recovery for a warranty): at 60 days the closed ticket must not swallow it."""
    end = timezone.localdate(now) + timedelta(days=90)
    set_asset(server, warranty_expires=end)
    sweep(tenant=seeded, now=now)
    [first] = alerts(seeded, WARRANTY)
    with scope_of(seeded.pk):
        ticket_update(first.ticket, status=TicketStatus.CLOSED)
    assert sweep(tenant=seeded, now=now + timedelta(days=10)).opened == {}
    assert sweep(tenant=seeded, now=now + timedelta(days=30)).opened == {WARRANTY: 1}
    old, new = alerts(seeded, WARRANTY)
    assert old.status == AlertStatus.RESOLVED and old.marker == f"{end}:90"
    assert new.marker == f"{end}:60" and new.ticket_id != old.ticket_id
    assert sweep(tenant=seeded, now=now + timedelta(days=31)).opened == {}


def test_a_first_sweep_late_raises_only_the_crossing_it_is_at(seeded, server, now):
    end = timezone.localdate(now) + timedelta(days=45)
    set_asset(server, warranty_expires=end)
    assert sweep(tenant=seeded, now=now).opened == {WARRANTY: 1}
    [alert] = alerts(seeded, WARRANTY)
    assert alert.marker == f"{end}:60" and alert.severity == Severity.WARNING and alert.count == 1


def test_a_renewed_warranty_resolves_the_alert_and_raises_again_before_its_new_end(seeded, server, now):
    end = timezone.localdate(now) + timedelta(days=20)
    set_asset(server, warranty_expires=end)
    sweep(tenant=seeded, now=now)
    renewed = end + timedelta(days=365)
    set_asset(server, warranty_expires=renewed)
    assert sweep(tenant=seeded, now=now + timedelta(days=1)).resolved == {WARRANTY: 1}
    [old] = alerts(seeded, WARRANTY)
    assert old.status == AlertStatus.RESOLVED
    # 90 days before the new end: a new alert.
    when = now + timedelta(days=(renewed - timezone.localdate(now)).days - 90)
    assert sweep(tenant=seeded, now=when).opened == {WARRANTY: 1}
    assert alerts(seeded, WARRANTY)[-1].marker == f"{renewed}:90"


def test_a_changed_end_within_the_window_is_a_new_crossing(seeded, server, now):
    today = timezone.localdate(now)
    set_asset(server, warranty_expires=today + timedelta(days=20))
    sweep(tenant=seeded, now=now)
    moved = today + timedelta(days=50)  # the vendor's date was wrong
    set_asset(server, warranty_expires=moved)
    result = sweep(tenant=seeded, now=now + timedelta(hours=1))
    assert result.resolved == {WARRANTY: 1} and result.opened == {WARRANTY: 1}
    old, new = alerts(seeded, WARRANTY)
    assert old.status == AlertStatus.RESOLVED and new.marker == f"{moved}:60"
    assert sweep(tenant=seeded, now=now + timedelta(hours=2)).opened == {}


def test_the_warranty_day_is_the_tenants(seeded, server, now):
    """23:30 UTC is already tomorrow in Rome: the 90th day before the end is Rome's."""
    late = now.replace(hour=23, minute=30)
    rome_today = timezone.localdate(late, timezone.get_fixed_timezone(60))  # CET/CEST: +1 or +2
    assert rome_today == timezone.localdate(late) + timedelta(days=1)
    set_asset(server, warranty_expires=rome_today + timedelta(days=90))
    assert sweep(tenant=seeded, now=late).opened == {WARRANTY: 1}


def test_the_tickets_read_in_the_msps_language(seeded, server, now):
    seeded.language = "it"
    seeded.save(update_fields=["language"])
    set_asset(server, warranty_expires=timezone.localdate(now) + timedelta(days=30))
    sweep(tenant=seeded, now=now)
    [alert] = alerts(seeded, WARRANTY)
    assert alert.message.startswith("La garanzia scade il") and "mancano 30 giorni" in alert.message


# --- patches ---------------------------------------------------------------------------------


def test_missing_patches_raise_once_per_last_patch_and_a_clean_heartbeat_resolves(seeded, server, now):
    set_asset(server, missing_patches=4, last_patched=now - timedelta(days=29))
    assert sweep(tenant=seeded, now=now).opened.get(PATCH_MISSING) is None
    assert sweep(tenant=seeded, now=now + timedelta(days=2)).opened == {PATCH_MISSING: 1}
    for days in (3, 4, 10):
        result = sweep(tenant=seeded, now=now + timedelta(days=days))
        assert result.opened.get(PATCH_MISSING) is None and result.repeated == {}
    [alert] = alerts(seeded, PATCH_MISSING)
    assert alert.severity == Severity.WARNING and alert.value == "4" and "4 patches missing" in alert.message
    assert alert.ticket.priority == Priority.P3  # capped: patching is planned work

    patched = now + timedelta(days=11)
    heartbeat(seeded, server, patched, missing_patches=0, last_patched=patched)
    assert fresh(alert).status == AlertStatus.RESOLVED

    # New patches come out; a month later they are still missing: a new crossing.
    heartbeat(seeded, server, patched + timedelta(days=5), missing_patches=2)
    assert sweep(tenant=seeded, now=patched + timedelta(days=20)).opened.get(PATCH_MISSING) is None
    assert sweep(tenant=seeded, now=patched + timedelta(days=31)).opened == {PATCH_MISSING: 1}
    assert sweep(tenant=seeded, now=patched + timedelta(days=32)).opened.get(PATCH_MISSING) is None
    assert [a.status for a in alerts(seeded, PATCH_MISSING)] == [AlertStatus.RESOLVED, AlertStatus.OPEN]


def test_never_patched_counts_from_when_the_asset_joined_the_inventory(seeded, server, laptop, now):
    set_asset(server, missing_patches=3, last_patched=None, created_at=now - timedelta(days=40))
    set_asset(laptop, missing_patches=3, last_patched=None, created_at=now - timedelta(days=10))
    assert sweep(tenant=seeded, now=now).opened == {PATCH_MISSING: 1}
    assert sweep(tenant=seeded, now=now + timedelta(days=1)).opened == {}
    [alert] = alerts(seeded, PATCH_MISSING)
    assert alert.asset_id == server.pk and "never patched" in alert.message


def test_a_patch_recorded_without_a_heartbeat_resolves_the_alert(seeded, server, now):
    set_asset(server, missing_patches=3, last_patched=now - timedelta(days=40))
    sweep(tenant=seeded, now=now)
    set_asset(server, last_patched=now)  # an import or a technician's edit
    assert sweep(tenant=seeded, now=now + timedelta(hours=1)).resolved == {PATCH_MISSING: 1}


# --- tenants ---------------------------------------------------------------------------------


def test_a_tenants_sweep_never_touches_another_tenant(seeded, server, other_tenant, now):
    theirs = AssetFactory(
        tenant=other_tenant,
        client=ClientFactory(tenant=other_tenant),
        kind="server",
        hostname=server.hostname,  # the same name in both MSPs
        monitored=True,
        last_seen=now - timedelta(hours=3),
        warranty_expires=timezone.localdate(now) + timedelta(days=10),
        missing_patches=9,
        last_patched=now - timedelta(days=100),
    )
    set_asset(server, monitored=True, last_seen=now - timedelta(hours=3))
    result = sweep(tenant=seeded, now=now)
    assert result.opened == {OFFLINE: 1}
    assert not Alert.unscoped.filter(tenant=other_tenant).exists()
    assert not Ticket.unscoped.filter(tenant=other_tenant).exists()
    assert set(Alert.unscoped.values_list("asset_id", flat=True)) == {server.pk}

    sweep(tenant=other_tenant, now=now)
    assert set(Alert.unscoped.filter(tenant=other_tenant).values_list("asset_id", flat=True)) == {theirs.pk}
    assert Alert.unscoped.filter(tenant=seeded).count() == 1


def test_the_beat_dispatches_one_sweep_per_tenant_with_work(
    seeded, server, other_tenant, django_capture_on_commit_callbacks
):
    idle = TenantFactory()
    AssetFactory(tenant=idle, client=ClientFactory(tenant=idle))  # nothing the sweeps judge
    past = timezone.now() - timedelta(hours=2)
    set_asset(server, monitored=True, last_seen=past)
    AssetFactory(
        tenant=other_tenant,
        client=ClientFactory(tenant=other_tenant),
        kind="network",
        monitored=True,
        last_seen=past,
    )
    assert sweep_tenants() == sorted([seeded.pk, other_tenant.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert monitoring_sweep_dispatch_task.delay().get() == "swept 2 tenant(s)"
    for tenant in (seeded, other_tenant):
        [alert] = alerts(tenant, OFFLINE)
        assert alert.ticket.tenant_id == tenant.pk and alert.severity == Severity.CRITICAL
    assert not Alert.unscoped.filter(tenant=idle).exists()
    # Redelivered (acks_late): the crossing is raised already, nothing happens twice.
    assert monitoring_sweep_task.delay(seeded.pk).get().startswith("opened: offline 0")
    assert Alert.unscoped.count() == 2 and Ticket.unscoped.count() == 2


def test_a_tenant_with_only_an_open_sweep_alert_is_still_swept(seeded, server, now):
    set_asset(server, monitored=True, last_seen=now - timedelta(hours=2))
    sweep(tenant=seeded, now=now)
    set_asset(server, monitored=False)  # nothing left to judge, but its alert is to resolve
    assert sweep_tenants() == [seeded.pk]


# --- cost ------------------------------------------------------------------------------------


def _inventory(tenant, count, now):
    client = ClientFactory(tenant=tenant)
    Asset.unscoped.bulk_create(
        Asset(
            tenant=tenant,
            client=client,
            kind="desktop",
            name=f"PC-{n}",
            hostname=f"pc-{client.pk}-{n}",
            monitored=True,
            last_seen=now - timedelta(hours=2),
            warranty_expires=timezone.localdate(now) + timedelta(days=20 + n % 60),
            missing_patches=1 + n % 5,
            last_patched=now - timedelta(days=45),
        )
        for n in range(count)
    )


def _queries(tenant, now) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        result = sweep(tenant=tenant, now=now)
    return len(ctx.captured_queries), result


@pytest.mark.parametrize("quiet", [True, False], ids=["healthy", "all-raised"])
def test_a_sweeps_queries_do_not_grow_with_the_inventory(seeded, now, quiet):
    """5 and 50 assets, healthy or each with an offline, warranty and patch crossing already
    raised: the same queries. (Raising a new alert costs its ticket, as an agent's does.)"""
    counts = []
    for size in (5, 50):
        tenant = seeded if size == 5 else TenantFactory()
        _inventory(tenant, size, now)
        if quiet:
            Asset.unscoped.filter(tenant=tenant).update(
                last_seen=now, warranty_expires=None, missing_patches=0
            )
        else:
            assert sweep(tenant=tenant, now=now).opened.total() == 3 * size
        count, result = _queries(tenant, now + timedelta(minutes=5))
        assert result.opened.total() == result.repeated.total() == result.resolved.total() == 0
        counts.append(count)
    assert counts[0] == counts[1] <= 6, counts


# --- the operator's command --------------------------------------------------------------------


def test_the_command_sweeps_one_tenant_or_all(seeded, server, other_tenant, capsys):
    set_asset(server, monitored=True, last_seen=timezone.now() - timedelta(hours=2))
    AssetFactory(
        tenant=other_tenant,
        client=ClientFactory(tenant=other_tenant),
        monitored=True,
        last_seen=timezone.now() - timedelta(hours=2),
    )
    call_command("monitoring_sweep", "--tenant", seeded.slug)
    out = capsys.readouterr()
    assert f"{seeded.slug}: opened: offline 1" in out.out and "1 tenant(s) swept" in out.out
    assert "sweep [" in out.err  # the progress bar
    assert not Alert.unscoped.filter(tenant=other_tenant).exists()

    call_command("monitoring_sweep")
    out = capsys.readouterr().out
    assert f"{seeded.slug}: opened: offline 0" in out and f"{other_tenant.slug}: opened: offline 1" in out
    with pytest.raises(CommandError, match="No tenant"):
        call_command("monitoring_sweep", "--tenant", "nobody")
