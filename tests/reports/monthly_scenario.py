"""A client's October 2026, built with known figures for the monthly report's tests.

Acme (Alpha MSP, Rome) has a prepaid contract (10 h bought in September, a 90-minute block
that expires on 15 October, a 2 h block bought on 3 October, an auto-renewal on 20 October),
five tickets opened in October and one from September resolved in it, time of three work
types (one entry not billable, one on a monitoring ticket, one deleted again), alerts, assets
and an invoice for the month with a credit note. Bravo (same MSP) and Zulu (another MSP)
have October activity of their own that must never show in Acme's figures.

The services write ledger rows and entries at the real "now"; each step is then moved to
the day it stands for, so the month is the same whatever day the tests run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Max
from djmoney.money import Money

from assets.choices import AssetKind, PatchStatus
from billing.models import LineKind
from billing.periods import Period
from billing.services import LineDraft, invoice_draft_create, invoice_issue
from billing.services.invoices import credit_note_create
from contracts.choices import ContractKind
from contracts.models import HourBlock, LedgerEntry
from contracts.services.hours import block_purchase, blocks_expire
from monitoring.models import Alert
from msp.scoping import unscoped
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContractFactory,
    TenantFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
    WorkTypeFactory,
)
from tickets.models import Ticket
from timetracking.models import TimeEntry
from timetracking.services import time_entry_delete

ROME = ZoneInfo("Europe/Rome")
OCTOBER = Period(2026, 10)
AFTER = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # when the report is read: October is over


def at(day: int, hour: int = 10, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ROME)


def _last_ledger_pk() -> int:
    return LedgerEntry.unscoped.aggregate(top=Max("pk"))["top"] or 0


class _Clock:
    """Moves the ledger rows one step wrote to the moment the step stands for."""

    def __init__(self):
        self.mark = _last_ledger_pk()

    def moved_to(self, when: datetime) -> None:
        LedgerEntry.unscoped.filter(pk__gt=self.mark).update(created_at=when)
        self.mark = _last_ledger_pk()


def _entry(ticket, tech, minutes, when, *, work_type, billable=True):
    entry = TimeEntryFactory(
        ticket=ticket, technician=tech, minutes=minutes, work_type=work_type, billable=billable
    )
    TimeEntry.unscoped.filter(pk=entry.pk).update(created_at=when)
    return entry


def _ticket(client, priority, source, opened, contract=None, subject=None, **sla):
    ticket = TicketFactory(
        tenant=client.tenant,
        client=client,
        priority=priority,
        source=source,
        contract=contract,
        now=opened,
        subject=subject or f"{client.name} {priority} {source} {opened:%d %b}",
    )
    if sla:
        Ticket.unscoped.filter(pk=ticket.pk).update(**sla)
    return ticket


def _noise(client, tech):
    """October activity of another client: a breached P1, 100 minutes, an alert, a warranty
    ending, an invoice for October."""
    ticket = _ticket(
        client,
        "P1",
        "monitoring",
        at(10),
        subject=f"{client.name} secret outage",
        response_due_at=at(10, 11),
        resolution_due_at=at(10, 15),
    )
    _entry(ticket, tech, 100, at(10), work_type=None)
    asset = AssetFactory(
        tenant=client.tenant,
        client=client,
        name=f"{client.name} vault",
        warranty_expires=date(2026, 11, 20),
        patch_status=PatchStatus.MISSING,
        missing_patches=9,
    )
    Alert.unscoped.create(
        tenant=client.tenant,
        client=client,
        asset=asset,
        check_name="noise_check",
        severity="critical",
        first_seen_at=at(10),
        last_seen_at=at(10),
    )
    line = LineDraft(
        kind=LineKind.ADJUSTMENT, description="Noise", unit_price=Money(Decimal("5000"), client.currency)
    )
    invoice_issue(
        invoice=invoice_draft_create(
            client=client, lines=[line], period_start=OCTOBER.start, period_end=OCTOBER.end
        )
    )


def build_october():
    """Acme's October and its neighbours' noise; returns the rows the tests look at."""
    tenant = TenantFactory(
        name="Alpha MSP",
        slug="alpha-report",
        legal_name="Alpha MSP S.r.l.",
        address="Via Roma 1\n00100 Roma",
        vat_number="IT01234567890",
        default_hourly_rate=Money(Decimal("120.00"), "EUR"),
        timezone="Europe/Rome",
    )
    acme = ClientFactory(tenant=tenant, name="Acme", currency="EUR")
    tech = UserFactory(first_name="Anna", last_name="Rossi")
    remote = WorkTypeFactory(tenant=tenant, name="Remote support")
    onsite = WorkTypeFactory(tenant=tenant, name="On-site")
    after_hours = WorkTypeFactory(tenant=tenant, name="After hours", rate_factor=Decimal("1.50"))
    contract = ContractFactory(
        tenant=tenant,
        client=acme,
        kind=ContractKind.PREPAID_HOURS,
        tier=None,
        name="Acme prepaid hours",
        start_date=date(2026, 9, 1),
        auto_renew=True,
        renew_threshold_minutes=300,
        renew_block_minutes=600,
        renew_block_price=Money(Decimal("800.00"), "EUR"),
        rounding_minutes=15,
    )
    eur = "EUR"
    clock = _Clock()

    with unscoped():
        # September: 10 h, then a 90-minute block (expiring on 15 October) of which 60 are used.
        block_purchase(contract=contract, minutes=600, price=Money(Decimal("900"), eur))
        clock.moved_to(at(10, month=9))
        expiring = block_purchase(
            contract=contract,
            minutes=90,
            price=Money(Decimal("150"), eur),
            expires_at=datetime(2099, 1, 1, tzinfo=UTC),
        )
        clock.moved_to(at(15, month=9))
        september = _ticket(acme, "P3", "phone", at(20, month=9), contract=contract)
        _entry(september, tech, 60, at(20, month=9), work_type=remote)
        clock.moved_to(at(20, month=9))
        HourBlock.unscoped.filter(pk=expiring.pk).update(expires_at=at(15, 0))
        blocks_expire(contract=contract)  # the 30 minutes left expire on 15 October
        clock.moved_to(at(15, 0, 5))

        # October's tickets, with their SLA outcomes.
        t1 = _ticket(
            acme,
            "P2",
            "phone",
            at(5, 9),
            contract=contract,
            subject="Printer offline",
            response_due_at=at(5, 10),
            first_response_at=at(5, 9, 30),
            resolution_due_at=at(7, 18),
            resolved_at=at(6, 12),
            status="resolved",
        )
        t2 = _ticket(
            acme,
            "P3",
            "email",
            at(12, 9),
            contract=contract,
            subject="Mailbox migration",
            response_due_at=at(12, 12),
            first_response_at=at(12, 14, 15),  # 135 minutes late
            resolution_due_at=at(22, 18),
            resolved_at=at(20, 17),
            status="resolved",
        )
        t3 = _ticket(
            acme,
            "P1",
            "monitoring",
            at(25, 9),
            contract=contract,
            subject="Server offline",
            response_due_at=at(25, 9, 30),
            first_response_at=at(25, 9, 10),
            resolution_due_at=at(25, 13),
            resolved_at=at(25, 12),
            status="resolved",
        )
        t4 = _ticket(
            acme,
            "P4",
            "portal",
            at(28, 9),
            contract=contract,
            subject="New starter laptop",
            response_due_at=at(28, 11),
            first_response_at=at(28, 10),
            resolution_due_at=at(4, 18, month=11),  # due in November: not decided in October
        )
        t5 = _ticket(
            acme,
            "P3",
            "monitoring",
            at(28, 9, month=9),
            contract=contract,
            subject="Disk nearly full",
            response_due_at=at(28, 10, month=9),
            first_response_at=at(28, 9, 30, month=9),
            resolution_due_at=at(1, 18),
            resolved_at=at(2, 9),  # 15 hours late
            status="resolved",
        )
        t6 = _ticket(
            acme,
            "P2",
            "portal",
            at(30, 15),
            contract=contract,
            subject="VPN refuses to connect",
            response_due_at=at(31, 11),
            first_response_at=at(2, 9, month=11),  # answered only in November
            resolution_due_at=at(3, 18, month=11),
        )

        # October's time: the ledger rows each entry writes are moved to its day.
        block_purchase(contract=contract, minutes=120, price=Money(Decimal("200"), eur))
        clock.moved_to(at(3))
        _entry(t1, tech, 50, at(5), work_type=remote)  # 60 billed (15-minute steps)
        clock.moved_to(at(5))
        _entry(t2, tech, 100, at(12), work_type=onsite)  # 105
        clock.moved_to(at(12))
        _entry(t2, tech, 290, at(20), work_type=remote)  # 300: under 5 h, a 10 h block renews
        clock.moved_to(at(20))
        _entry(t1, tech, 30, at(22), work_type=remote, billable=False)  # draws nothing
        clock.moved_to(at(22))
        _entry(t3, tech, 40, at(25), work_type=after_hours)  # 45 x 1.5 = 68
        clock.moved_to(at(25))
        gone = _entry(t4, tech, 30, at(26), work_type=remote)  # 30, given back the next day
        clock.moved_to(at(26))
        time_entry_delete(entry=gone)
        clock.moved_to(at(27))
        _entry(t4, tech, 45, at(2, month=11), work_type=remote)  # November's
        clock.moved_to(at(2, month=11))

        # Alerts: three raised in October, three resolved in it (one raised in September).
        server = AssetFactory(
            tenant=tenant,
            client=acme,
            name="Server01",
            kind=AssetKind.SERVER,
            patch_status=PatchStatus.MISSING,
            missing_patches=4,
            warranty_expires=date(2026, 12, 30),  # 60 days after the month's end
        )
        AssetFactory(
            tenant=tenant,
            client=acme,
            name="PC-01",
            patch_status=PatchStatus.UP_TO_DATE,
            warranty_expires=date(2027, 2, 15),  # 107 days after: not listed
        )
        AssetFactory(
            tenant=tenant,
            client=acme,
            name="PC-02",
            kind=AssetKind.LAPTOP,
            warranty_expires=date(2026, 10, 15),  # already over
        )
        for check, severity, seen, resolved, ticket in (
            ("disk_usage", "critical", at(3), at(4), None),
            ("patch_missing", "warning", at(10), None, None),
            ("offline", "critical", at(25, 8, 55), at(25, 12), t3),
            ("cpu", "warning", at(20, month=9), at(1, 8), None),
            ("backup_failed", "info", at(3, month=11), None, None),
        ):
            Alert.unscoped.create(
                tenant=tenant,
                client=acme,
                asset=server,
                check_name=check,
                severity=severity,
                status="resolved" if resolved else "open",
                first_seen_at=seen,
                last_seen_at=resolved or seen,
                resolved_at=resolved,
                ticket=ticket,
            )

        # Invoiced for October: 1,000.00 before tax, less a 100.00 credit note; September's
        # invoice and a draft for October do not count.
        def invoice(amount, period, issue=True):
            line = LineDraft(
                kind=LineKind.ADJUSTMENT, description="Hours", unit_price=Money(Decimal(amount), eur)
            )
            draft = invoice_draft_create(
                client=acme, lines=[line], period_start=period.start, period_end=period.end
            )
            return invoice_issue(invoice=draft) if issue else draft

        october_invoice = invoice("1000.00", OCTOBER)
        invoice("700.00", Period(2026, 9))
        invoice("50.00", OCTOBER, issue=False)
        credit = credit_note_create(
            invoice=october_invoice,
            reason="Goodwill",
            lines=[
                LineDraft(
                    kind=LineKind.ADJUSTMENT, description="Goodwill", unit_price=Money(Decimal("100"), eur)
                )
            ],
        )
        credit = invoice_issue(invoice=credit)

        # The neighbours.
        _noise(ClientFactory(tenant=tenant, name="Bravo", currency="EUR"), tech)
        zulu_tenant = TenantFactory(name="Zulu MSP", slug="zulu-report", timezone="Europe/Rome")
        _noise(ClientFactory(tenant=zulu_tenant, name="Zulu", currency="EUR"), tech)

    return {
        "tenant": tenant,
        "client": acme,
        "contract": contract,
        "tickets": {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5, "t6": t6},
        "server": server,
        "invoice": october_invoice,
        "credit": credit,
    }
