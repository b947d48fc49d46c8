"""A client with months of prepaid-hours history, for the portal's tests and its browser
journey: Lantern IT (an MSP with its identity), Acme Dental (a 30 h block bought seven months
ago, one piece of work a month since, and one this week), Jane Doe its contact with a portal
login, tickets with their SLA, and assets with their health and warranties."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from djmoney.money import Money

from assets.choices import PatchStatus
from billing.periods import Period
from contracts.choices import ContractKind
from contracts.models import BlockOrigin, Contract, HourBlock, LedgerEntry
from contracts.services import sla_seed
from contracts.services.hours import block_purchase
from msp.roles import Role
from msp.scoping import unscoped
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContactFactory,
    ContractFactory,
    MembershipFactory,
    TenantFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
)
from tickets.choices import TicketStatus
from tickets.models import Ticket
from tickets.services import comment_add, ticket_update
from timetracking.models import TimeEntry
from timetracking.services import SOURCE_KIND

BLOCK_MINUTES = 30 * 60
THRESHOLD_MINUTES = 5 * 60
# (months back, minutes): one piece of work on the 15th of each of the last six months, the
# oldest first; then an hour three days ago (the open ticket).
WORK = [(6, 150), (5, 120), (4, 180), (3, 90), (2, 210), (1, 120)]
RECENT_MINUTES = 60


def month_day(now: datetime, months_back: int, day: int = 15) -> datetime:
    """10:00 on `day` of the month `months_back` months before `now`'s, in the active zone."""
    period = Period.of(timezone.localdate(now))
    for _n in range(months_back):
        period = period.previous()
    return timezone.make_aware(datetime(period.year, period.month, day, 10))


@dataclass
class Scenario:
    tenant: object
    acme: object
    contract: Contract
    jane: object  # her membership
    tom: object  # the technician's
    tickets: list = field(default_factory=list)
    entries: list = field(default_factory=list)  # (worked at, minutes, entry)
    assets: dict = field(default_factory=dict)
    bought_at: datetime | None = None


def backdate(entry: TimeEntry, at: datetime) -> None:
    """Move a time entry, and the ledger rows it drew, back to `at`."""
    TimeEntry.unscoped.filter(pk=entry.pk).update(
        started_at=at, ended_at=at + timedelta(minutes=entry.minutes), created_at=at
    )
    LedgerEntry.unscoped.filter(source_kind=SOURCE_KIND, source_id=entry.pk).update(created_at=at)


def build(*, tenant=None, now: datetime | None = None) -> Scenario:
    now = now or timezone.now()
    with unscoped():
        return _build(tenant, now)


def _build(tenant, now) -> Scenario:
    tenant = tenant or TenantFactory(
        name="Lantern IT",
        slug="lantern-it",
        default_currency="EUR",
        legal_name="Lantern IT S.r.l.",
        address="Via Roma 1\n20121 Milano",
        vat_number="IT01234567890",
    )
    sla_seed(tenant=tenant)
    tom = MembershipFactory(
        tenant=tenant,
        role=Role.TECHNICIAN,
        user=UserFactory(username="tom", first_name="Tom", last_name="Bianchi", email="tom@lantern.example"),
    )
    acme = ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")
    ContactFactory(
        tenant=tenant,
        client=acme,
        name="Jane Doe",
        email="jane@acme.example",
        portal_access=True,
        receives_reports=True,
    )
    jane = MembershipFactory(
        tenant=tenant,
        role=Role.CLIENT,
        client=acme,
        user=UserFactory(username="jane", first_name="Jane", last_name="Doe", email="jane@acme.example"),
    )
    contract = ContractFactory(
        tenant=tenant,
        client=acme,
        kind=ContractKind.PREPAID_HOURS,
        tier=None,
        name="Acme prepaid hours",
        currency="EUR",
        auto_renew=True,
        renew_threshold_minutes=THRESHOLD_MINUTES,
        renew_block_minutes=10 * 60,
        renew_block_price=Money("900.00", "EUR"),
        start_date=month_day(now, 7, day=1).date(),
    )
    bought_at = month_day(now, 7, day=1)
    block = block_purchase(
        contract=contract, minutes=BLOCK_MINUTES, price=Money("2400.00", "EUR"), origin=BlockOrigin.INITIAL
    )
    HourBlock.unscoped.filter(pk=block.pk).update(purchased_at=bought_at)
    LedgerEntry.unscoped.filter(block=block).update(created_at=bought_at)

    server = AssetFactory(
        tenant=tenant,
        client=acme,
        name="Reception PC",
        kind="desktop",
        hostname="acme-rec-01",
        monitored=True,
        last_seen=now - timedelta(minutes=2),
        patch_status=PatchStatus.UP_TO_DATE,
        warranty_expires=(now + timedelta(days=20)).date(),
    )
    nas = AssetFactory(
        tenant=tenant,
        client=acme,
        name="Backup NAS",
        kind="server",
        hostname="acme-nas",
        monitored=True,
        last_seen=now - timedelta(days=2),
        warranty_expires=(now + timedelta(days=400)).date(),
    )
    scenario = Scenario(
        tenant=tenant,
        acme=acme,
        contract=contract,
        jane=jane,
        tom=tom,
        assets={"pc": server, "nas": nas},
        bought_at=bought_at,
    )
    work = [(month_day(now, back), minutes) for back, minutes in WORK]
    work.append((now - timedelta(days=3), RECENT_MINUTES))
    for n, (at, minutes) in enumerate(work):
        recent = n == len(work) - 1
        ticket = TicketFactory(
            tenant=tenant,
            client=acme,
            contract=contract,
            subject="Printer offline at reception" if recent else f"Monthly check {n + 1}",
            asset=server if recent else None,
            now=at,
        )
        entry = TimeEntryFactory(ticket=ticket, technician=tom.user, minutes=minutes, note=f"Work {n + 1}")
        backdate(entry, at)
        if not recent:  # answered within half an hour, resolved (the third one late)
            comment_add(ticket, author=tom.user, body="We are on it.", now=at + timedelta(minutes=30))
            done = at + (timedelta(days=15) if n == 2 else timedelta(hours=3))
            ticket_update(
                Ticket.unscoped.get(pk=ticket.pk), status=TicketStatus.RESOLVED, notify=False, now=done
            )
        scenario.tickets.append(ticket)
        scenario.entries.append((at, minutes, entry))
    contract = Contract.unscoped.get(pk=contract.pk)
    scenario.contract = contract
    # The week's ticket is open, its first response due (an SLA running).
    scenario.open_ticket = Ticket.unscoped.get(pk=scenario.tickets[-1].pk)
    return scenario


def send_last_months_report(world: Scenario):
    """Last month's report, generated (figures, snapshot, PDF) and sent to Jane, as the beat
    task on the 1st does (reports.services)."""
    from reports.services import generate_report, send_report

    period = Period.of(timezone.localdate()).previous()
    with unscoped():
        return send_report(generate_report(world.acme, period))
