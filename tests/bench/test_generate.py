"""Smoke test of the benchmark data generator at a tiny scale."""

import pytest
from django.db import transaction
from django.db.models import Count, Sum

from assets.models import Asset
from bench.generate import MAIN_SLUG, SMALL_TENANTS, generate
from contracts.choices import ContractKind
from contracts.models import Contract, LedgerEntry
from monitoring.models import Alert, HeartbeatDay, IngestKey, UnknownSource
from msp.models import Tenant
from tickets.choices import OPEN_STATUSES
from tickets.models import Ticket
from timetracking.models import TimeEntry

SCALE = 0.002


def _snapshot() -> dict:
    main = Tenant.objects.get(slug=MAIN_SLUG)
    first = Ticket.unscoped.filter(tenant=main).order_by("pk").first()
    return {
        "tenants": Tenant.objects.filter(slug__startswith="bench-").count(),
        "tickets": Ticket.unscoped.filter(tenant=main).count(),
        "open": Ticket.unscoped.filter(tenant=main, status__in=OPEN_STATUSES).count(),
        "entries": TimeEntry.unscoped.filter(tenant=main).count(),
        "ledger": LedgerEntry.unscoped.filter(tenant=main).count(),
        "first_subject": first.subject,
        "alerts": list(
            Alert.unscoped.filter(tenant=main)
            .order_by("pk")
            .values_list("asset__name", "check_name", "severity", "status", "count", "ticket__subject")
        ),
        "heartbeat_days": HeartbeatDay.unscoped.filter(tenant=main).count(),
        "unknown": list(UnknownSource.unscoped.filter(tenant=main).order_by("pk").values_list("hostname")),
    }


def _run_and_roll_back(seed: int) -> dict:
    with transaction.atomic():
        summary = generate(scale=SCALE, seed=seed, quiet=True)
        snapshot = _snapshot()
        snapshot["summary_tickets"] = summary["tenants"][0]["tickets"]
        transaction.set_rollback(True)
    return snapshot


@pytest.mark.django_db
def test_counts_and_determinism():
    first = _run_and_roll_back(seed=7)
    assert first["tenants"] == 1 + SMALL_TENANTS
    assert first["tickets"] == first["summary_tickets"] == 200  # 100,000 × 0.002
    assert first["open"] == 40  # 20 % open
    assert first["entries"] == 600
    assert first["ledger"] > 0
    second = _run_and_roll_back(seed=7)
    assert second == first


@pytest.mark.django_db
def test_ledger_sums_to_balance_and_runs():
    generate(scale=SCALE, seed=3, quiet=True)
    prepaid = Contract.unscoped.filter(kind=ContractKind.PREPAID_HOURS).annotate(
        total=Sum("ledger__minutes"), rows=Count("ledger")
    )
    assert prepaid.exists()
    for contract in prepaid:
        assert contract.rows > 0
        assert contract.total == contract.balance_minutes
        running = 0
        for row in LedgerEntry.unscoped.filter(contract=contract).order_by("pk"):
            running += row.minutes
            assert row.balance_after == running >= 0
    # Only prepaid contracts have a ledger; the others stay at zero.
    others = Contract.unscoped.exclude(kind=ContractKind.PREPAID_HOURS)
    assert not LedgerEntry.unscoped.filter(contract__in=others).exists()
    assert set(others.values_list("balance_minutes", flat=True)) == {0}
    # Drawn minutes on time entries equal the debits.
    drawn = TimeEntry.unscoped.aggregate(total=Sum("drawn_minutes"))["total"]
    debits = LedgerEntry.unscoped.filter(kind="debit").aggregate(total=Sum("minutes"))["total"]
    assert drawn == -debits


@pytest.mark.django_db
def test_monitoring_data_agrees_with_the_tickets_and_the_assets():
    """Issue 11: every alert hangs off a monitoring ticket of its asset and client, within the
    last year; the newest open ones keep one open alert per asset, and the asset says what it
    says; heartbeat days end at the asset's last heartbeat. The rest of the data set is what it
    was (the monitoring has its own random stream)."""
    from datetime import timedelta

    from django.db.models import Count, Max
    from django.utils import timezone

    from bench.monitoring_data import HEARTBEAT_DAYS

    summary = generate(scale=0.01, seed=4, quiet=True)
    main = Tenant.objects.get(slug=MAIN_SLUG)
    alerts = Alert.unscoped.filter(tenant=main).select_related("ticket", "asset")
    assert alerts.count() == summary["tenants"][0]["alerts"] > 50
    year_ago = timezone.now() - timedelta(days=366)
    for alert in alerts:
        ticket = alert.ticket
        assert ticket.source == "monitoring" and ticket.asset_id == alert.asset_id
        assert ticket.client_id == alert.client_id == alert.asset.client_id
        assert alert.first_seen_at >= year_ago and alert.first_seen_at <= alert.last_seen_at
        if alert.status == "resolved":
            assert alert.first_seen_at <= alert.resolved_at
        else:
            assert ticket.status in OPEN_STATUSES and alert.resolved_at is None
        assert alert.count >= 1
        assert alert.check_name != "backup_failed" or alert.asset.kind == "server"
        assert alert.severity in {"info", "warning"} or alert.check_name not in {"warranty", "patch_missing"}
    open_alerts = alerts.filter(status="open")
    assert open_alerts.count() == summary["tenants"][0]["open_alerts"] == round(100 * 0.08)
    assert open_alerts.values("asset").distinct().count() == open_alerts.count()  # one per asset
    for alert in open_alerts:
        asset = alert.asset
        if alert.check_name == "offline":
            assert asset.monitored and asset.last_seen < alert.first_seen_at
        elif alert.check_name == "patch_missing":
            assert asset.missing_patches == int(alert.value) > 0 and asset.patch_status == "missing"
        elif alert.check_name == "warranty":
            assert asset.warranty_expires.isoformat() == alert.value
        else:
            assert asset.monitored and asset.last_seen > alert.first_seen_at
    # Heartbeat days: monitored assets only, at most two weeks, the last one at the last heartbeat.
    days = (
        HeartbeatDay.unscoped.filter(tenant=main).values("asset").annotate(n=Count("pk"), last=Max("last_at"))
    )
    seen = dict(Asset.unscoped.filter(tenant=main, monitored=True).values_list("pk", "last_seen"))
    assert len(days) == len(seen)
    for row in days:
        assert 1 <= row["n"] <= HEARTBEAT_DAYS and row["last"] == seen[row["asset"]]
    # The sweeps' alerts carry the sweeps' markers: a sweep at the data's moment raises no
    # offline or patch alert again, and resolves none (it may raise warranty crossings).
    from datetime import UTC, datetime

    from monitoring.sweeps import sweep

    anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    result = sweep(tenant=main, now=anchor + timedelta(minutes=1))
    assert (result.opened["offline"], result.opened["patch_missing"]) == (0, 0), result
    assert (result.repeated["offline"], result.repeated["patch_missing"], result.resolved.total()) == (
        0,
        0,
        0,
    )
    # One ingest key and some machines to review per tenant.
    assert IngestKey.unscoped.count() == Tenant.objects.filter(slug__startswith="bench-").count()
    assert UnknownSource.unscoped.filter(tenant=main, state="pending").count() >= 1


@pytest.mark.django_db
def test_catch_up_brings_the_reporting_fleet_to_the_present_and_leaves_the_silent_alone():
    """Measured hours after the data set's anchor, the pages must show a fleet that reports:
    the runner's fixtures move the reporting machines' heartbeats (and their agents' open
    alerts) to the present; silent machines stay as their offline alerts describe them."""
    from datetime import UTC, datetime, timedelta

    from bench.monitoring_data import HEARTBEAT_DAYS, catch_up
    from monitoring import selectors
    from monitoring.sweeps import sweep

    assert HEARTBEAT_DAYS == selectors.HEARTBEAT_DAYS  # the asset page's history, filled
    generate(scale=0.01, seed=4, quiet=True)
    main = Tenant.objects.get(slug=MAIN_SLUG)
    silent = set(
        Alert.unscoped.filter(tenant=main, status="open", check_name="offline").values_list(
            "asset_id", flat=True
        )
    )
    before = dict(Asset.unscoped.filter(tenant=main, monitored=True).values_list("pk", "last_seen"))
    alerts_before = dict(Alert.unscoped.filter(tenant=main, status="open").values_list("pk", "last_seen_at"))
    anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    now = anchor + timedelta(days=1, hours=9)

    done = catch_up(main, now=now)
    after = dict(Asset.unscoped.filter(tenant=main, monitored=True).values_list("pk", "last_seen"))
    shift = timedelta(minutes=done["shift_minutes"])
    assert done["machines"] == len(before) - len(silent) > 0 and done["days"] > 0
    assert max(after[pk] for pk in after if pk not in silent) == now
    for pk, seen in before.items():
        if pk in silent:
            assert after[pk] == seen
        else:
            assert abs(after[pk] - seen - shift) < timedelta(minutes=1)
    for alert in Alert.unscoped.filter(tenant=main, status="open"):
        moved = alert.last_seen_at != alerts_before[alert.pk]
        assert moved == (alert.origin != "sweep")
    # Every reporting machine has its heartbeat days up to today, the last at its last heartbeat.
    zone = selectors.time_zone_for(tenant=main)
    for pk, seen in after.items():
        if pk in silent:
            continue
        last = HeartbeatDay.unscoped.filter(asset_id=pk).order_by("-day").first()
        assert last.day == seen.astimezone(zone).date() and last.last_at == seen
    # A sweep now finds no machine offline but the silent ones (already raised), and a second
    # catch-up right after moves nothing.
    assert sweep(tenant=main, now=now).opened["offline"] == 0
    assert catch_up(main, now=now + timedelta(minutes=1))["machines"] == 0


@pytest.mark.django_db
def test_the_portal_contact_has_two_years_of_prepaid_hours():
    """Issue 12: the portal's lines open the home of a client with two years of history: its
    contact belongs to a prepaid client whose ledger runs from its first block, two years ago,
    to this month, with the time entries that drew it; at every scale."""
    from datetime import timedelta

    from django.db.models import Max, Min
    from django.utils import timezone

    from bench.generate import DAYS, PORTAL_CLIENT
    from msp.models import Client, Contact, Membership
    from msp.roles import Role

    generate(scale=SCALE, seed=5, quiet=True)
    main = Tenant.objects.get(slug=MAIN_SLUG)
    contact = Membership.unscoped.get(tenant=main, role=Role.CLIENT)
    assert contact.client == Client.unscoped.filter(tenant=main).order_by("pk")[PORTAL_CLIENT]
    assert Contact.unscoped.get(tenant=main, portal_access=True).client == contact.client
    contract = Contract.unscoped.get(client=contact.client, kind=ContractKind.PREPAID_HOURS)
    span = LedgerEntry.unscoped.filter(contract=contract).aggregate(first=Min("created_at"), last=Max("created_at"))
    now = timezone.now()
    assert span["first"] <= now - timedelta(days=DAYS - 1) and span["last"] >= now - timedelta(days=60)
    drew = TimeEntry.unscoped.filter(contract=contract, drawn_minutes__gt=0)
    assert drew.count() > 20 and drew.aggregate(first=Min("started_at"))["first"] < now - timedelta(days=365)
