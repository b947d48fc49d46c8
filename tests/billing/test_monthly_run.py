"""The monthly run over a realistic month: every line right to the cent, nothing twice."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from djmoney.money import Money

from assets.choices import AssetKind
from billing.models import BillingSettings, Invoice, InvoiceLine, InvoiceStatus, LineKind
from billing.periods import Period
from billing.services.run import billing_run
from contracts.choices import ContractKind
from contracts.models import BlockOrigin
from contracts.services.hours import block_purchase
from msp.scoping import scope_of
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContractFactory,
    ServiceTierFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DECEMBER = Period(2026, 12)


def eur(amount):
    return Money(Decimal(amount), "EUR")


@pytest.fixture
def month(tenant, django_capture_on_commit_callbacks):
    """Acme: Gold on 2 servers and 10 desktops, a 10 h block auto-renewed once, 3 h of
    break/fix labour on another contract. Beta: Gold from 10 December on one server."""
    tenant.tax_rate = Decimal("22.00")
    tenant.default_currency = "EUR"
    tenant.save()
    gold = ServiceTierFactory(
        tenant=tenant, name="Gold", currency="EUR", prices={"server": "350.00", "desktop": "60.00"}
    )
    acme = ClientFactory(tenant=tenant, name="Acme", currency="EUR")
    ContractFactory(tenant=tenant, client=acme, tier=gold, name="Acme Gold")
    for _ in range(2):
        AssetFactory(tenant=tenant, client=acme, kind=AssetKind.SERVER)
    for _ in range(10):
        AssetFactory(tenant=tenant, client=acme, kind=AssetKind.DESKTOP)
    prepaid = ContractFactory(
        tenant=tenant,
        client=acme,
        kind=ContractKind.PREPAID_HOURS,
        tier=None,
        auto_renew=True,
        renew_threshold_minutes=300,
        renew_block_minutes=600,
        renew_block_price=eur("900.00"),
    )
    technician = UserFactory(first_name="Marta", last_name="Rossi")
    with django_capture_on_commit_callbacks(execute=True):
        block_purchase(contract=prepaid, minutes=600, price=eur("900.00"), origin=BlockOrigin.INITIAL)
    with django_capture_on_commit_callbacks(execute=True):
        # 400 minutes leave 200 < 300: one auto-renewal.
        TimeEntryFactory(
            ticket=TicketFactory(tenant=tenant, client=acme, contract=prepaid),
            technician=technician,
            minutes=400,
        )
    breakfix = ContractFactory(
        tenant=tenant, client=acme, kind=ContractKind.BREAK_FIX, tier=None, hourly_rate=eur("85.00")
    )
    server_down = TicketFactory(tenant=tenant, client=acme, contract=breakfix, subject="Server down")
    for minutes in (60, 90, 30):
        TimeEntryFactory(ticket=server_down, technician=technician, minutes=minutes, note=f"Worked {minutes}")
    beta = ClientFactory(tenant=tenant, name="Beta", currency="EUR")
    ContractFactory(tenant=tenant, client=beta, tier=gold, start_date=DECEMBER.start.replace(day=10))
    AssetFactory(tenant=tenant, client=beta, kind=AssetKind.SERVER)
    return {"acme": acme, "beta": beta, "tenant": tenant}


def _invoices(tenant, client, **filters):
    with scope_of(tenant.pk):
        return list(Invoice.objects.filter(client=client, **filters).prefetch_related("lines").order_by("pk"))


def test_a_month_is_billed_to_the_cent_and_never_twice(month):
    tenant, acme, beta = month["tenant"], month["acme"], month["beta"]
    # Both blocks were invoiced when bought (initial, then the auto-renewal), as drafts.
    blocks = _invoices(tenant, acme)
    assert [(i.status, i.total) for i in blocks] == [(InvoiceStatus.DRAFT, eur("1098.00"))] * 2
    assert [line.kind for i in blocks for line in i.lines.all()] == [LineKind.HOUR_BLOCK] * 2

    result = billing_run(tenant=tenant, period=DECEMBER)
    assert len(result.invoices) == 2

    (monthly,) = _invoices(tenant, acme, period_start=DECEMBER.start)
    rows = [
        (line.kind, line.quantity, line.unit_price, line.amount, line.tax) for line in monthly.lines.all()
    ]
    assert rows == [
        (LineKind.RECURRING_FEE, Decimal("2.00"), eur("350.00"), eur("700.00"), eur("154.00")),
        (LineKind.RECURRING_FEE, Decimal("10.00"), eur("60.00"), eur("600.00"), eur("132.00")),
        (LineKind.LABOUR, Decimal("1.00"), eur("85.00"), eur("85.00"), eur("18.70")),
        (LineKind.LABOUR, Decimal("1.00"), eur("127.50"), eur("127.50"), eur("28.05")),
        (LineKind.LABOUR, Decimal("1.00"), eur("42.50"), eur("42.50"), eur("9.35")),
    ]
    assert (monthly.subtotal, monthly.tax, monthly.total) == (eur("1555.00"), eur("342.10"), eur("1897.10"))
    labour = monthly.lines.all()[2]
    assert "Server down" in labour.description and "Marta Rossi" in labour.description
    assert "60 min" in labour.description and labour.detail == "Worked 60"

    (prorated,) = _invoices(tenant, beta)
    (line,) = prorated.lines.all()
    assert "22 of 31 days" in line.description
    assert line.unit_price == eur("248.39")  # 350.00 x 22 / 31, half up

    # A re-run, and the command, bill nothing more.
    assert billing_run(tenant=tenant, period=DECEMBER).invoices == []
    call_command("run_billing", period="2026-12")
    with scope_of(tenant.pk):
        assert Invoice.objects.count() == 4

    # January bills the fees again and nothing of December's labour or blocks.
    january = billing_run(tenant=tenant, period=Period(2027, 1))
    with scope_of(tenant.pk):
        kinds = sorted(
            {
                line.kind
                for invoice in Invoice.objects.filter(pk__in=january.invoices)
                for line in invoice.lines.all()
            }
        )
    assert kinds == [LineKind.RECURRING_FEE]


def test_auto_issue_numbers_the_runs_invoices(month):
    tenant = month["tenant"]
    with scope_of(tenant.pk):
        BillingSettings.objects.create(tenant=tenant, auto_issue=True)
    result = billing_run(tenant=tenant, period=DECEMBER)
    with scope_of(tenant.pk):
        numbers = sorted(Invoice.objects.filter(pk__in=result.invoices).values_list("number", flat=True))
    assert numbers == ["INV-2026-0001", "INV-2026-0002"]


def test_the_command_refuses_a_malformed_period(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("run_billing", period="2026-13")


def test_the_run_costs_a_constant_number_of_queries_per_invoice(tenant, django_assert_max_num_queries):
    """More clients, contracts, assets and entries: the same queries per invoice, never per line."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tenant.default_currency = "EUR"
    tenant.save()
    gold = ServiceTierFactory(tenant=tenant, currency="EUR", prices={"server": "350.00", "desktop": "60.00"})
    technician = UserFactory()

    def client_with(lines):
        client = ClientFactory(tenant=tenant, currency="EUR")
        ContractFactory(tenant=tenant, client=client, tier=gold)
        breakfix = ContractFactory(
            tenant=tenant, client=client, kind=ContractKind.BREAK_FIX, tier=None, hourly_rate=eur("80")
        )
        ticket = TicketFactory(tenant=tenant, client=client, contract=breakfix)
        for i in range(lines):
            AssetFactory(tenant=tenant, client=client, kind=AssetKind.SERVER if i % 2 else AssetKind.DESKTOP)
            TimeEntryFactory(ticket=ticket, technician=technician, minutes=10 + i)

    for _ in range(2):
        client_with(2)
    with CaptureQueriesContext(connection) as small:
        assert len(billing_run(tenant=tenant, period=DECEMBER).invoices) == 2
    for _ in range(2):
        client_with(8)
    with CaptureQueriesContext(connection) as big:
        assert len(billing_run(tenant=tenant, period=Period(2027, 1)).invoices) == 4
    # December: 2 invoices; January: 4 invoices with 4x the lines each (fees re-billed, new labour).
    per_invoice_small = len(small.captured_queries) / 2
    per_invoice_big = len(big.captured_queries) / 4
    assert per_invoice_big <= per_invoice_small + 1, (per_invoice_small, per_invoice_big)


def test_a_break_fix_invoice_shows_what_managed_care_would_have_cost(tenant):
    """The day after a desktop disaster: 3 h of labour at 85, and Platinum (labour included)
    would have cost 60 for the client's one desktop."""
    from tests.billing.test_invoices_api import pdf_text

    tenant.default_currency = "EUR"
    tenant.save()
    ServiceTierFactory(tenant=tenant, name="Silver", currency="EUR", prices={"desktop": "25.00"})
    ServiceTierFactory(
        tenant=tenant, name="Platinum", currency="EUR", includes_labour=True, prices={"desktop": "60.00"}
    )
    dental = ClientFactory(tenant=tenant, name="Dental", currency="EUR")
    AssetFactory(tenant=tenant, client=dental, kind=AssetKind.DESKTOP)
    breakfix = ContractFactory(
        tenant=tenant, client=dental, kind=ContractKind.BREAK_FIX, tier=None, hourly_rate=eur("85.00")
    )
    TimeEntryFactory(
        ticket=TicketFactory(tenant=tenant, client=dental, contract=breakfix),
        technician=UserFactory(),
        minutes=180,
    )

    (invoice_id,) = billing_run(tenant=tenant, period=DECEMBER).invoices
    with scope_of(tenant.pk):
        invoice = Invoice.objects.get(pk=invoice_id)
        assert invoice.comparison == {
            "tier": "Platinum",
            "monthly": "60.00",
            "labour": "255.00",
            "currency": "EUR",
        }
        from billing.pdf import invoice_pdf

        text = " ".join(pdf_text(invoice_pdf(invoice)).split())
    assert "Platinum" in text and "€60.00, labour included" in text and "comes to €255.00" in text

    # Switched off per tenant: no comparison.
    with scope_of(tenant.pk):
        BillingSettings.objects.create(tenant=tenant, show_comparison=False)
    TimeEntryFactory(
        ticket=TicketFactory(tenant=tenant, client=dental, contract=breakfix),
        technician=UserFactory(),
        minutes=30,
    )
    (second,) = billing_run(tenant=tenant, period=DECEMBER).invoices
    with scope_of(tenant.pk):
        assert Invoice.objects.get(pk=second).comparison == {}


def test_a_block_waits_for_its_invoice_to_be_paid_when_the_contract_says_so(
    tenant, django_capture_on_commit_callbacks
):
    from billing.services import invoice_issue, invoice_pay

    prepaid = ContractFactory(
        tenant=tenant,
        client=ClientFactory(tenant=tenant, currency="EUR"),
        kind=ContractKind.PREPAID_HOURS,
        tier=None,
        blocks_need_payment=True,
        overage_rate=eur("100.00"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        block_purchase(contract=prepaid, minutes=600, price=eur("900.00"), origin=BlockOrigin.INITIAL)
    ticket = TicketFactory(tenant=tenant, client=prepaid.client, contract=prepaid)
    unpaid = TimeEntryFactory(ticket=ticket, technician=UserFactory(), minutes=60)
    assert (unpaid.drawn_minutes, unpaid.overage_minutes) == (0, 60)  # the block is not usable yet

    with scope_of(tenant.pk):
        (invoice,) = Invoice.objects.filter(client=prepaid.client)
    invoice = invoice_issue(invoice=invoice)
    invoice_pay(invoice=invoice, amount=invoice.total, paid_at=invoice.issue_date, method="bank_transfer")
    paid = TimeEntryFactory(ticket=ticket, technician=UserFactory(), minutes=60)
    assert (paid.drawn_minutes, paid.overage_minutes) == (60, 0)


def test_an_on_site_visit_bills_the_call_out_fee_less_the_tiers_discount(tenant):
    with scope_of(tenant.pk):
        BillingSettings.objects.create(tenant=tenant, onsite_fee=eur("80.00"))
    gold = ServiceTierFactory(
        tenant=tenant, name="Gold", currency="EUR", onsite_discount_percent=Decimal("25")
    )
    acme = ClientFactory(tenant=tenant, name="Acme", currency="EUR")
    ContractFactory(tenant=tenant, client=acme, tier=gold)
    breakfix = ContractFactory(
        tenant=tenant, client=acme, kind=ContractKind.BREAK_FIX, tier=None, hourly_rate=eur("85.00")
    )
    ticket = TicketFactory(tenant=tenant, client=acme, contract=breakfix, subject="Printer on fire")
    TimeEntryFactory(ticket=ticket, technician=UserFactory(), minutes=60, onsite=True)
    TimeEntryFactory(ticket=ticket, technician=UserFactory(), minutes=15)  # remote: no fee

    (invoice_id,) = billing_run(tenant=tenant, period=DECEMBER).invoices
    with scope_of(tenant.pk):
        lines = list(Invoice.objects.get(pk=invoice_id).lines.filter(kind=LineKind.ONSITE))
    assert [(line.unit_price, line.quantity) for line in lines] == [(eur("60.00"), Decimal("1.00"))]
    assert "Printer on fire" in lines[0].description and "25 % off" in lines[0].description
    assert billing_run(tenant=tenant, period=DECEMBER).invoices == []  # once


def test_work_for_a_client_without_a_contract_is_billed_at_the_break_fix_rate(tenant):
    tenant.default_currency = "EUR"
    tenant.default_hourly_rate = eur("90.00")
    tenant.save()
    walk_in = ClientFactory(tenant=tenant, name="Walk-in", currency="EUR")
    ticket = TicketFactory(tenant=tenant, client=walk_in, subject="Laptop will not boot")
    TimeEntryFactory(ticket=ticket, technician=UserFactory(first_name="Luca"), minutes=40)

    (invoice_id,) = billing_run(tenant=tenant, period=DECEMBER).invoices
    with scope_of(tenant.pk):
        (line,) = Invoice.objects.get(pk=invoice_id).lines.all()
    assert (line.kind, line.unit_price) == (LineKind.LABOUR, eur("60.00"))  # 90.00 x 40 / 60
    assert "Laptop will not boot" in line.description and "Luca" in line.description
    assert billing_run(tenant=tenant, period=DECEMBER).invoices == []


def test_what_came_before_billing_started_here_is_never_invoiced(tenant):
    """An MSP moving from another tool: work and months before the day it starts billing here
    were billed there."""
    import datetime

    from timetracking.models import TimeEntry

    gold = ServiceTierFactory(tenant=tenant, name="Gold", currency="EUR", prices={"server": "310.00"})
    acme = ClientFactory(tenant=tenant, currency="EUR")
    ContractFactory(tenant=tenant, client=acme, tier=gold, start_date=datetime.date(2025, 1, 1))
    AssetFactory(tenant=tenant, client=acme, kind=AssetKind.SERVER)
    breakfix = ContractFactory(
        tenant=tenant, client=acme, kind=ContractKind.BREAK_FIX, tier=None, hourly_rate=eur("60")
    )
    ticket = TicketFactory(tenant=tenant, client=acme, contract=breakfix)
    old, new = (TimeEntryFactory(ticket=ticket, technician=UserFactory(), minutes=60) for _ in range(2))
    with scope_of(tenant.pk):
        TimeEntry.objects.filter(pk=old.pk).update(
            created_at=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)
        )
        BillingSettings.objects.create(tenant=tenant, billing_starts=datetime.date(2026, 12, 2))

    (invoice_id,) = billing_run(tenant=tenant, period=DECEMBER).invoices
    with scope_of(tenant.pk):
        lines = list(Invoice.objects.get(pk=invoice_id).lines.all())
    assert [(line.kind, line.unit_price) for line in lines] == [
        (LineKind.RECURRING_FEE, eur("300.00")),  # 310.00 x 30/31 days, from the 2nd
        (LineKind.LABOUR, eur("60.00")),  # the new entry only
    ]
    assert billing_run(tenant=tenant, period=Period(2026, 11)).invoices == []  # before: nothing


def _minutes_billed(tenant, invoice_ids) -> list[int]:
    """The minutes of the labour lines of these invoices ("… · 40 min at …")."""
    with scope_of(tenant.pk):
        lines = InvoiceLine.objects.filter(invoice_id__in=invoice_ids, kind=LineKind.LABOUR)
        return sorted(int(line.description.split(" min at ")[0].rsplit(" · ", 1)[1]) for line in lines)


def test_the_periods_days_are_the_run_time_zones(tenant):
    """Work logged at 23:30 on the period's last day is in it, at 00:30 the next day it is
    not, in the run's time zone (the task runs in the MSP's); likewise the day billing starts."""
    import datetime

    from django.utils import timezone

    from timetracking.models import TimeEntry

    acme = ClientFactory(tenant=tenant, currency="EUR")
    breakfix = ContractFactory(
        tenant=tenant, client=acme, kind=ContractKind.BREAK_FIX, tier=None, hourly_rate=eur("60")
    )
    ticket = TicketFactory(tenant=tenant, client=acme, contract=breakfix)
    logged = {  # minutes: when, in UTC
        10: datetime.datetime(2026, 11, 30, 22, 30, tzinfo=datetime.UTC),  # 30 November, 23:30 in Rome
        20: datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC),  # 1 December, 00:30 in Rome
        30: datetime.datetime(2026, 12, 31, 22, 30, tzinfo=datetime.UTC),  # 31 December, 23:30 in Rome
        40: datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC),  # 1 January, 00:30 in Rome
    }
    with scope_of(tenant.pk):
        for minutes, at in logged.items():
            entry = TimeEntryFactory(ticket=ticket, technician=UserFactory(), minutes=minutes)
            TimeEntry.objects.filter(pk=entry.pk).update(created_at=at, started_at=None, ended_at=None)
        BillingSettings.objects.create(tenant=tenant, billing_starts=DECEMBER.start)

    with timezone.override("Europe/Rome"):
        december = billing_run(tenant=tenant, period=DECEMBER).invoices
        assert _minutes_billed(tenant, december) == [20, 30]
        january = billing_run(tenant=tenant, period=Period(2027, 1)).invoices
        assert _minutes_billed(tenant, january) == [40]


def test_voiding_an_invoice_gives_its_labour_back_to_the_next_run(month):
    """An issued invoice's entries are stamped and not read again; a voided one's are billed
    again, and a draft's never twice."""
    from billing.services import invoice_issue, invoice_void

    tenant, acme = month["tenant"], month["acme"]
    first = billing_run(tenant=tenant, period=DECEMBER).invoices
    assert _minutes_billed(tenant, first) == [30, 60, 90]
    assert billing_run(tenant=tenant, period=DECEMBER).invoices == []  # drafts: claimed
    with scope_of(tenant.pk):
        (invoice,) = Invoice.objects.filter(pk__in=first, client=acme)
    invoice_void(invoice=invoice_issue(invoice=invoice), reason="Wrong rate")
    again = billing_run(tenant=tenant, period=DECEMBER).invoices
    assert _minutes_billed(tenant, again) == [30, 60, 90]
    invoice_issue(invoice=Invoice.unscoped.get(pk=again[0]))
    # January bills the fees again; the labour is on an issued invoice.
    assert _minutes_billed(tenant, billing_run(tenant=tenant, period=Period(2027, 1)).invoices) == []
