"""Build a realistic, deterministic data set for benchmarks (issue 5).

    .venv/bin/python manage.py generate_bench_data --scale 0.1 --seed 42
    DJANGO_SETTINGS_MODULE=msp.settings .venv/bin/python -m bench.generate --scale 0.1 --seed 42  # the same

One large tenant (at scale 1: 500 clients, sites and contacts, 10,000 assets, 100,000 tickets of
which 20,000 open, 300,000 time entries, two years of hour blocks and ledgers on prepaid
contracts) plus 20 smaller tenants, everything multiplied by ``--scale``. Rows go in with
``bulk_create`` in batches through ``Model.unscoped``; nothing calls the per-row services,
except for the one offer: client index 1 of the main tenant has exactly 200 assets (from scale
0.04 up; half the tenant's assets below) and one draft offer made by ``offer_create``. Each
tenant's monitoring (issue 11: ingest key, heartbeats, a year of alerts on its monitoring
tickets, unknown machines) is ``bench.monitoring_data``'s, from a random stream of its own.

Determinism: every random choice comes from ``random.Random`` seeded by ``--seed`` and the
tenant's index; dates are laid out backwards from today's UTC midnight, so the same seed on the
same day gives the same rows (and on any day the same counts and subjects).

SLA fields are filled by a vectorised rule: the business-time offset of a target depends (for a
calendar without holidays) only on the local weekday and hour of the start, so due times are
computed with ``tickets.sla.due_at`` once per (calendar, weekday, hour, target) and reused;
across a DST change the reused offset can be off by the shift (one hour), which is fine for
benchmark data. Tickets open on the hour so the offsets are exact otherwise.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench import monitoring_data

BATCH = 1000
PASSWORD = "bench-password"  # every generated user's password (benchmark data only)
MAIN_SLUG = "bench-main"

# Scale 1 sizes.
# One technician for about eight clients; technicians scale with the data like everything else,
# so a technician's week holds the same number of entries (about 50) at every scale.
MAIN = {"clients": 500, "assets": 10_000, "tickets": 100_000, "entries": 300_000, "techs": 60}
SMALL = {"clients": 25, "assets": 400, "tickets": 3_000, "entries": 9_000, "techs": 3}
SMALL_TENANTS = 20
# The offer page (issue 5): client index 1 of the main tenant has exactly this many assets at
# scale >= 0.04 (half of the tenant's assets below that), and one draft offer built from them.
OFFER_CLIENT = 1
OFFER_ASSETS = 200
# The portal contact's company (issue 12): client index 3, the first on prepaid hours (slot 3 of
# the five contract kinds below), so at every scale the portal shows a client with two years of
# time entries, hour blocks and ledger (its contract starts DAYS ago with a block).
PORTAL_CLIENT = 3
OPEN_SHARE = 0.2
DAYS = 730

SUBJECT_VERBS = ["Cannot reach", "Slow", "Reinstall", "Replace", "Update", "Configure", "Reset", "Check"]
SUBJECT_NOUNS = ["email", "VPN", "printer", "backup", "Wi-Fi", "file share", "laptop", "Office licence"]
FIRST = ["Anna", "Marco", "Giulia", "Luca", "Sara", "Paolo", "Elena", "Davide", "Chiara", "Matteo"]
LAST = ["Rossi", "Bianchi", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco"]


@dataclass
class Sizes:
    clients: int
    assets: int
    tickets: int
    entries: int
    techs: int

    @classmethod
    def of(cls, base: dict, scale: float) -> Sizes:
        return cls(
            clients=max(5, round(base["clients"] * scale)),  # one of each contract kind
            assets=max(4, round(base["assets"] * scale)),
            tickets=max(10, round(base["tickets"] * scale)),
            entries=max(10, round(base["entries"] * scale)),
            techs=max(1, round(base["techs"] * scale)),
        )


def _bar(label: str, done: int, total: int, stream=sys.stderr) -> None:
    width = 30
    filled = width * done // max(total, 1)
    stream.write(f"\r  {label:<14} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        stream.write("\n")
    stream.flush()


def bulk(model, rows: list, label: str, quiet: bool = False) -> list:
    """bulk_create in batches, with a progress bar; returns the rows (pks set)."""
    manager = model.unscoped if hasattr(model, "unscoped") else model.objects
    total = len(rows)
    for start in range(0, total, BATCH):
        manager.bulk_create(rows[start : start + BATCH])
        if not quiet:
            _bar(label, min(start + BATCH, total), total)
    if not total and not quiet:
        _bar(label, 0, 0)
    return rows


@contextmanager
def frozen_clock_fields(*models):
    """Let bulk_create keep the generated created_at/updated_at (auto_now* would overwrite them)."""
    saved = []
    for model in models:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                saved.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class DueTimes:
    """due_at per (calendar, local weekday, local hour, minutes), reused as an offset."""

    def __init__(self, calendar, anchor: datetime):
        from zoneinfo import ZoneInfo

        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone)
        self.anchor = anchor
        self.cache: dict[tuple[int, int, int], timedelta] = {}
        self.calls = 0

    def __call__(self, start: datetime, minutes: int) -> datetime:
        from tickets import sla

        local = start.astimezone(self.zone)
        key = (local.weekday(), local.hour, minutes)
        offset = self.cache.get(key)
        if offset is None:
            # A representative start: the same local weekday and hour, in the anchor's week.
            ref_day = self.anchor.astimezone(self.zone).date()
            ref_day -= timedelta(days=(ref_day.weekday() - local.weekday()) % 7)
            ref = datetime.combine(ref_day, local.time().replace(minute=0, second=0), tzinfo=self.zone)
            offset = sla.due_at(ref, minutes, self.calendar) - ref
            self.cache[key] = offset
            self.calls += 1
        return start + offset


_HASH: list[str] = []


def _password_hash(make_password) -> str:
    """One PBKDF2 hash for every generated user (hashing per user would dominate the run)."""
    if not _HASH:
        _HASH.append(make_password(PASSWORD, salt="benchsalt"))
    return _HASH[0]


def generate(*, scale: float = 0.1, seed: int = 42, quiet: bool = False) -> dict:
    """Create the benchmark tenants. Returns a summary: counts, timings, the bench logins.

    Main tenant only: client index ``OFFER_CLIENT`` gets ``OFFER_ASSETS`` assets and a draft offer
    (``offer_create``, a real snapshot), for the offer lines of the runner.
    """
    from msp.models import Tenant

    if Tenant.objects.filter(slug=MAIN_SLUG).exists():
        raise SystemExit(f"Tenant {MAIN_SLUG!r} already exists: generate into a fresh database.")
    anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    summary: dict = {"scale": scale, "seed": seed, "tenants": []}
    plans = [("bench-main", "Bench Main MSP", Sizes.of(MAIN, scale))]
    plans += [
        (f"bench-small-{n:02d}", f"Bench Small MSP {n:02d}", Sizes.of(SMALL, scale))
        for n in range(1, SMALL_TENANTS + 1)
    ]
    for index, (slug, name, sizes) in enumerate(plans):
        if not quiet:
            sys.stderr.write(f"{name} ({sizes})\n")
        rng = random.Random(f"{seed}-{index}")
        summary["tenants"].append(
            _tenant(
                slug=slug,
                name=name,
                sizes=sizes,
                rng=rng,
                # Its own stream: monitoring (issue 11) changes none of the other rows.
                monitoring_rng=random.Random(f"{seed}-{index}-monitoring"),
                anchor=anchor,
                quiet=quiet or index > 0,
                offer=index == 0,
            )
        )
        if quiet is False and index > 0:
            sys.stderr.write(f"  done ({time.perf_counter() - started:.1f} s so far)\n")
    _analyze()
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def _analyze() -> None:
    """Fresh planner statistics, as a database in service has them: autovacuum analyzes a
    table while the generator is still filling it, so the last tenants made were missing
    from the statistics (estimated at one row each), and under row-level security that gave
    plans no database in service would run (BENCHMARKS.md, "The billing run under the fence")."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def offer_asset_count(sizes: Sizes) -> int:
    """Assets of the offer client: OFFER_ASSETS once the tenant has twice that many, else half."""
    return OFFER_ASSETS if sizes.assets >= 2 * OFFER_ASSETS else sizes.assets // 2


def _offer(*, tenant, client, by):
    """A draft offer for the offer client through the service, so its snapshot is real."""
    from assets.selectors import asset_counts_by_kind
    from msp.scoping import tenant_scope
    from sales.services import offer_create

    with tenant_scope(tenant):
        return offer_create(
            by=by,
            client=client,
            quantities=asset_counts_by_kind(client=client),
            title=f"Managed IT services for {client.name}",
            valid_until=None,
        )


def _tenant(
    *,
    slug,
    name,
    sizes: Sizes,
    rng: random.Random,
    monitoring_rng: random.Random,
    anchor: datetime,
    quiet: bool,
    offer: bool = False,
) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from djmoney.money import Money

    from assets.choices import AssetKind, PatchStatus
    from assets.models import Asset
    from contracts.choices import ContractKind
    from contracts.models import (
        BlockOrigin,
        Contract,
        HourBlock,
        LedgerEntry,
        LedgerKind,
        ServiceTier,
        SlaPolicy,
    )
    from contracts.services import sla_seed, tiers_seed
    from msp.models import Client, Contact, Membership, Site, Tenant, User
    from msp.roles import Role
    from tickets.choices import OPEN_STATUSES, Priority, SlaState, Source, TicketStatus
    from tickets.models import Ticket
    from tickets.sla_policy import calendar_of, warn_minutes
    from timetracking.models import TimeEntry, WorkType
    from timetracking.services import SOURCE_KIND as ENTRY_SOURCE  # what hours_reverse looks up

    password = _password_hash(make_password)
    timings: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        timings[phase] = round(now - mark, 2)
        mark = now

    with transaction.atomic(), frozen_clock_fields(Ticket, TimeEntry, LedgerEntry, Asset, Contract):
        tenant = Tenant.objects.create(name=name, slug=slug, timezone="Europe/Rome", default_currency="EUR")
        tiers_seed(tenant=tenant)
        default_policy = sla_seed(tenant=tenant)
        tiers = list(
            ServiceTier.unscoped.filter(tenant=tenant).select_related("sla_policy").order_by("position")
        )
        policies = {p.pk: p for p in SlaPolicy.unscoped.filter(tenant=tenant).select_related("calendar")}
        due = DueTimes(calendar_of(default_policy.calendar), anchor)
        work_types = bulk(
            WorkType,
            [
                WorkType(tenant=tenant, name="Standard", rate_factor=Decimal("1.00"), is_default=True),
                WorkType(tenant=tenant, name="After hours", rate_factor=Decimal("1.50")),
            ],
            "work types",
            quiet=True,
        )

        # People: an owner, technicians, and (below) one portal contact.
        users = [User(username=f"{slug}-owner", email=f"owner@{slug}.test", password=password)]
        users += [
            User(
                username=f"{slug}-tech{n:02d}",
                email=f"tech{n}@{slug}.test",
                password=password,
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
            )
            for n in range(1, sizes.techs + 1)
        ]
        users.append(User(username=f"{slug}-client", email=f"client@{slug}.test", password=password))
        bulk(User, users, "users", quiet=True)
        owner, techs, portal_user = users[0], users[1:-1], users[-1]

        clients = bulk(
            Client,
            [
                Client(
                    tenant=tenant,
                    name=f"{rng.choice(LAST)} {rng.choice(['Srl', 'SpA', 'Studio', 'Group'])} {n:04d}",
                    billing_email=f"billing{n}@client{n}.test",
                )
                for n in range(sizes.clients)
            ],
            "clients",
            quiet,
        )
        sites = bulk(
            Site,
            [
                Site(tenant=tenant, client=c, name="Head office", address=f"Via Roma {i}")
                for i, c in enumerate(clients)
            ],
            "sites",
            quiet,
        )
        contacts = bulk(
            Contact,
            [
                Contact(
                    tenant=tenant,
                    client=c,
                    site=sites[i],
                    name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    email=f"contact{i}@client{i}.test",
                    portal_access=(i == PORTAL_CLIENT),
                )
                for i, c in enumerate(clients)
            ],
            "contacts",
            quiet,
        )
        bulk(
            Membership,
            [Membership(tenant=tenant, user=owner, role=Role.OWNER)]
            + [Membership(tenant=tenant, user=t, role=Role.TECHNICIAN) for t in techs]
            + [Membership(tenant=tenant, user=portal_user, role=Role.CLIENT, client=clients[PORTAL_CLIENT])],
            "memberships",
            quiet=True,
        )
        lap("people")

        # Assets: spread round robin over the clients, except that the offer client (index 1)
        # gets exactly OFFER_ASSETS of them first (half the assets when there are fewer than
        # twice that many, i.e. below scale 0.04 in the main tenant).
        kinds = (
            [AssetKind.DESKTOP] * 5
            + [AssetKind.LAPTOP] * 4
            + [AssetKind.SERVER, AssetKind.NETWORK, AssetKind.PRINTER]
        )
        offer_assets = offer_asset_count(sizes) if offer else 0
        others = [i for i in range(len(clients)) if i != OFFER_CLIENT] if offer else list(range(len(clients)))
        assets = []
        for n in range(sizes.assets):
            ci = OFFER_CLIENT if n < offer_assets else others[(n - offer_assets) % len(others)]
            purchase = (anchor - timedelta(days=rng.randrange(30, 2000))).date()
            kind = rng.choice(kinds)
            assets.append(
                Asset(
                    tenant=tenant,
                    client=clients[ci],
                    site=sites[ci],
                    kind=kind,
                    name=f"{kind[:3].upper()}-{n:06d}",
                    hostname=f"host{n:06d}.client{ci}.lan",
                    serial=f"{slug[-2:]}SN{n:08d}",
                    manufacturer=rng.choice(["Dell", "HP", "Lenovo", "Cisco"]),
                    purchase_date=purchase,
                    warranty_expires=purchase + timedelta(days=365 * rng.choice([1, 3, 5])),
                    assigned_contact=contacts[ci],
                    monitored=rng.random() < 0.6,
                    patch_status=rng.choice(PatchStatus.values),
                    missing_patches=rng.randrange(0, 12),
                    created_at=anchor - timedelta(days=rng.randrange(1, DAYS)),
                    updated_at=anchor,
                )
            )
        monitoring_data.heartbeat_fields(assets, monitoring_rng, anchor)
        bulk(Asset, assets, "assets", quiet)
        assets_of: dict[int, list] = {}
        for asset in assets:
            assets_of.setdefault(asset.client_id, []).append(asset)
        lap("assets")

        # Contracts: 3 of 5 clients managed (tiers round robin), 1 prepaid hours, 1 break/fix.
        start = (anchor - timedelta(days=DAYS)).date()
        contracts = []
        for i, client in enumerate(clients):
            slot = i % 5
            if slot < 3:
                tier = tiers[i % len(tiers)]
                contracts.append(
                    Contract(
                        tenant=tenant,
                        client=client,
                        kind=ContractKind.MANAGED,
                        tier=tier,
                        start_date=start,
                        currency="EUR",
                        monthly_fee=Money(Decimal("450.00"), "EUR"),
                        includes_labour=tier.includes_labour,
                        hourly_rate=Money(Decimal("70.00"), "EUR"),
                        name=f"{tier.name} managed service",
                        created_at=anchor - timedelta(days=DAYS),
                    )
                )
            elif slot == 3:
                contracts.append(
                    Contract(
                        tenant=tenant,
                        client=client,
                        kind=ContractKind.PREPAID_HOURS,
                        start_date=start,
                        currency="EUR",
                        hourly_rate=Money(Decimal("65.00"), "EUR"),
                        overage_rate=Money(Decimal("80.00"), "EUR"),
                        auto_renew=(i % 2 == 0),
                        renew_threshold_minutes=300,
                        renew_block_minutes=1200,
                        renew_block_price=Money(Decimal("1200.00"), "EUR"),
                        name="Prepaid hours",
                        created_at=anchor - timedelta(days=DAYS),
                    )
                )
            else:
                contracts.append(
                    Contract(
                        tenant=tenant,
                        client=client,
                        kind=ContractKind.BREAK_FIX,
                        start_date=start,
                        currency="EUR",
                        hourly_rate=Money(Decimal("75.00"), "EUR"),
                        name="Break/fix",
                        created_at=anchor - timedelta(days=DAYS),
                    )
                )
        bulk(Contract, contracts, "contracts", quiet)
        contract_of = {c.client_id: c for c in contracts}
        lap("contracts")

        # Tickets: on the hour, spread over two years; the newest 20 % are open.
        n_open = round(sizes.tickets * OPEN_SHARE)
        span_hours = DAYS * 24
        opened = sorted(anchor - timedelta(hours=rng.randrange(1, span_hours)) for _ in range(sizes.tickets))
        priorities = [Priority.P1] + [Priority.P2] * 3 + [Priority.P3] * 10 + [Priority.P4] * 6
        tickets = []
        for n, created in enumerate(opened):
            client = clients[rng.randrange(len(clients))]
            contract = contract_of[client.pk]
            client_assets = assets_of.get(client.pk) or [None]
            asset = rng.choice(client_assets) if rng.random() < 0.7 else None
            priority = rng.choice(priorities)
            is_open = n >= sizes.tickets - n_open
            policy = (
                contract.tier.sla_policy
                if contract.tier_id and contract.tier.sla_policy_id
                else default_policy
            )
            policy = policies.get(policy.pk, policy)
            kind = asset.kind if asset is not None else None
            response_target = policy.target_minutes(priority=priority, asset_kind=kind, which="response")
            resolution_target = policy.target_minutes(priority=priority, asset_kind=kind, which="resolution")
            response_due = due(created, response_target)
            resolution_due = due(created, resolution_target)
            first_response = created + timedelta(minutes=rng.randrange(5, 600))
            ticket = Ticket(
                tenant=tenant,
                client=client,
                contract=contract,
                asset=asset,
                subject=f"{rng.choice(SUBJECT_VERBS)} {rng.choice(SUBJECT_NOUNS)} #{n + 1}",
                description="Generated for benchmarks.",
                priority=priority,
                source=rng.choice(Source.values),
                assignee=rng.choice(techs),
                created_by=rng.choice(techs),
                created_at=created,
                sla_policy=policy,
                response_due_at=response_due,
                resolution_due_at=resolution_due,
            )
            if is_open:
                ticket.status = rng.choice(OPEN_STATUSES)
                responded = ticket.status != TicketStatus.NEW and first_response < anchor
                ticket.first_response_at = first_response if responded else None
                target, due_time = (
                    (resolution_target, resolution_due) if responded else (response_target, response_due)
                )
                if ticket.status == TicketStatus.WAITING:
                    ticket.sla_state = SlaState.PAUSED
                    ticket.sla_pauses = [[(created + timedelta(hours=1)).isoformat(), None]]
                else:
                    ticket.sla_breach_at = due_time
                    ticket.sla_warn_at = due(created, warn_minutes(target))
                    ticket.sla_state = SlaState.BREACHED if due_time <= anchor else SlaState.OK
                ticket.updated_at = max(created, first_response if responded else created)
            else:
                ticket.status = TicketStatus.CLOSED if rng.random() < 0.8 else TicketStatus.RESOLVED
                ticket.first_response_at = first_response
                ticket.resolved_at = created + timedelta(hours=rng.randrange(1, 96))
                ticket.closed_at = (
                    ticket.resolved_at + timedelta(days=2) if ticket.status == TicketStatus.CLOSED else None
                )
                ticket.sla_state = SlaState.MET if ticket.resolved_at <= resolution_due else SlaState.BREACHED
                ticket.updated_at = ticket.closed_at or ticket.resolved_at
            tickets.append(ticket)
        contact_of = {c.client_id: c for c in contacts}
        for ticket in tickets:
            ticket.contact = contact_of[ticket.client_id]
        bulk(Ticket, tickets, "tickets", quiet)
        lap("tickets")

        # Time entries: on tickets, after they opened; draw-down simulated per prepaid contract.
        entries = []
        for _ in range(sizes.entries):
            ticket = tickets[rng.randrange(len(tickets))]
            end_by = min(anchor, ticket.resolved_at or anchor)
            window = max(1, int((end_by - ticket.created_at).total_seconds() // 60) - 240)
            started_at = ticket.created_at + timedelta(minutes=rng.randrange(0, min(window, 60 * 24 * 14)))
            minutes = rng.choice([15, 15, 30, 30, 45, 60, 90, 120])
            work_type = work_types[1] if rng.random() < 0.1 else work_types[0]
            billed = int(minutes * work_type.rate_factor)
            contract = ticket.contract
            entry = TimeEntry(
                tenant=tenant,
                ticket=ticket,
                contract=contract,
                technician=ticket.assignee,
                work_type=work_type,
                started_at=started_at,
                ended_at=started_at + timedelta(minutes=minutes),
                minutes=minutes,
                rate_factor=work_type.rate_factor,
                billed_minutes=billed,
                note="Remote session",
                created_at=started_at + timedelta(minutes=minutes),
                updated_at=started_at + timedelta(minutes=minutes),
            )
            if contract.kind == ContractKind.MANAGED and contract.includes_labour:
                entry.covered = True
            elif contract.kind == ContractKind.BREAK_FIX or contract.kind == ContractKind.MANAGED:
                entry.overage_minutes = billed
            entries.append(entry)
        entries.sort(key=lambda e: e.started_at)

        # Simulate the prepaid ledgers in time order: credit per block, debit per entry.
        blocks, ledger_plan = [], []  # ledger_plan: (LedgerEntry, block, entry or None)
        balance: dict[int, int] = {}
        current_block: dict[int, object] = {}

        def buy(contract, at, origin, minutes=1200):
            block = HourBlock(
                tenant=tenant,
                contract=contract,
                minutes=minutes,
                price=Money(Decimal(minutes), "EUR"),
                origin=origin,
                purchased_at=at,
            )
            blocks.append(block)
            balance[contract.pk] = balance.get(contract.pk, 0) + minutes
            current_block[contract.pk] = block
            ledger_plan.append(
                (
                    LedgerEntry(
                        tenant=tenant,
                        contract=contract,
                        kind=LedgerKind.CREDIT,
                        minutes=minutes,
                        balance_after=balance[contract.pk],
                        note=f"{origin} block",
                        created_at=at,
                    ),
                    block,
                    None,
                )
            )

        for contract in contracts:
            if contract.kind == ContractKind.PREPAID_HOURS:
                buy(contract, anchor - timedelta(days=DAYS), BlockOrigin.INITIAL)
        for entry in entries:
            contract = entry.contract
            if contract.kind != ContractKind.PREPAID_HOURS:
                continue
            if balance[contract.pk] <= 0:
                buy(contract, entry.started_at, BlockOrigin.MANUAL)
            drawn = min(entry.billed_minutes, balance[contract.pk])
            entry.drawn_minutes, entry.overage_minutes = drawn, entry.billed_minutes - drawn
            balance[contract.pk] -= drawn
            ledger_plan.append(
                (
                    LedgerEntry(
                        tenant=tenant,
                        contract=contract,
                        kind=LedgerKind.DEBIT,
                        minutes=-drawn,
                        balance_after=balance[contract.pk],
                        source_kind=ENTRY_SOURCE,
                        created_at=entry.created_at,
                    ),
                    current_block[contract.pk],
                    entry,
                )
            )
            if contract.auto_renew and balance[contract.pk] < contract.renew_threshold_minutes:
                buy(contract, entry.created_at, BlockOrigin.AUTO_RENEW, contract.renew_block_minutes)
        bulk(TimeEntry, entries, "time entries", quiet)
        lap("time entries")
        bulk(HourBlock, blocks, "hour blocks", quiet)
        rows = []
        # Ledger rows go in per contract, in time order, so pk order is the running order.
        ledger_plan.sort(key=lambda item: item[0].contract.pk)  # stable: keeps time order within one
        for row, block, entry in ledger_plan:
            row.block = block
            if entry is not None:
                row.source_id = entry.pk
            rows.append(row)
        bulk(LedgerEntry, rows, "ledger", quiet)
        for contract in contracts:
            if contract.pk in balance:
                contract.balance_minutes = balance[contract.pk]
        Contract.unscoped.bulk_update(
            [c for c in contracts if c.pk in balance], ["balance_minutes"], batch_size=BATCH
        )
        lap("ledger")

        monitoring = monitoring_data.generate(
            tenant=tenant, assets=assets, tickets=tickets, owner=owner, rng=monitoring_rng, anchor=anchor
        )
        lap("monitoring")

        offer_id = _offer(tenant=tenant, client=clients[OFFER_CLIENT], by=owner).pk if offer else None

    return {
        "slug": slug,
        "tenant_id": tenant.pk,
        "clients": len(clients),
        "assets": len(assets),
        "tickets": len(tickets),
        "open_tickets": sum(1 for t in tickets if t.status in OPEN_STATUSES),
        "time_entries": len(entries),
        "hour_blocks": len(blocks),
        "ledger_rows": len(rows),
        "sla_due_calls": due.calls,
        "offer_client_assets": offer_assets,
        "offer_id": offer_id,
        **monitoring,
        "technician": techs[0].username,
        "client_contact": portal_user.username,
        "timings": timings,
    }


def add_arguments(parser) -> None:
    """The options, shared by ``python -m bench.generate`` and ``manage.py generate_bench_data``."""
    parser.add_argument("--scale", type=float, default=0.1, help="1 = the full size (default 0.1)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def report(summary: dict, *, vendor: str, write=print) -> None:
    """The summary lines both entry points print."""
    main_tenant = summary["tenants"][0]
    write(
        f"Generated on {vendor} in {summary['seconds']} s (scale {summary['scale']}, seed {summary['seed']})."
    )
    write(
        f"Main tenant {main_tenant['slug']}: "
        + ", ".join(
            f"{key} {main_tenant[key]}"
            for key in (
                "clients",
                "assets",
                "tickets",
                "open_tickets",
                "time_entries",
                "hour_blocks",
                "ledger_rows",
                "sla_due_calls",
                "offer_client_assets",
                "offer_id",
                "alerts",
                "open_alerts",
                "heartbeat_days",
                "unknown_sources",
            )
        )
    )
    write(f"  phases (s): {main_tenant['timings']}")
    write(
        f"  logins (password {PASSWORD!r}): technician {main_tenant['technician']}, "
        f"client contact {main_tenant['client_contact']}"
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp.settings")
    import django

    django.setup()
    from django.db import connection

    summary = generate(scale=args.scale, seed=args.seed, quiet=args.quiet)
    report(summary, vendor=connection.vendor)


if __name__ == "__main__":
    main()
