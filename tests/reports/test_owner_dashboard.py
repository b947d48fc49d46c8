"""The owner's dashboard across clients (issue 12): every figure exactly right on data built
for it, at a fixed moment in the tenant's time zone (months and weeks cut at Rome's midnight);
constant queries at 10 and 100 clients; who may open it."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from billing.models import InvoiceLine, LineKind
from billing.periods import Period
from billing.services import LineDraft, credit_note_create, invoice_draft_create, invoice_issue, invoice_void
from contracts.choices import ContractKind, ContractStatus
from contracts.models import Contract, LedgerEntry, LedgerKind
from contracts.services import sla_seed
from msp.models import Client
from msp.roles import Role
from msp.scoping import scope_of, unscoped
from reports import owner
from tests.factories import ClientFactory, ContractFactory, TicketFactory
from tickets.choices import SlaState, TicketStatus
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

ROME = "Europe/Rome"
# Tuesday 17 November 2026, 11:00 in Rome: this month from 1 November (23:00 UTC on 31 October),
# this week from Monday the 16th (23:00 UTC on the 15th).
NOW = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 17)


def at(text: str) -> datetime:
    """An instant in UTC: "2026-11-03 09:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def rome():
    with timezone.override(ROME):
        yield


def prepaid(tenant, name, *, balance=0, threshold=300, status=ContractStatus.ACTIVE, auto_renew=False):
    client = ClientFactory(tenant=tenant, name=name)
    contract = ContractFactory(
        tenant=tenant,
        client=client,
        kind=ContractKind.PREPAID_HOURS,
        tier=None,
        name="Hours",
        status=status,
        renew_threshold_minutes=threshold,
        auto_renew=auto_renew,
    )
    Contract.unscoped.filter(pk=contract.pk).update(balance_minutes=balance)
    contract.refresh_from_db()
    return contract


def ledger(contract, kind, minutes, when: datetime):
    """One ledger row at a chosen instant (the column is stamped on insert: moved after)."""
    row = LedgerEntry.unscoped.create(
        tenant=contract.tenant, contract=contract, kind=kind, minutes=minutes, balance_after=0
    )
    LedgerEntry.unscoped.filter(pk=row.pk).update(created_at=when)


# --- hours sold and used --------------------------------------------------------------------


@pytest.fixture
def hours(tenant):
    alpha = prepaid(tenant, "Alpha", balance=600)
    beta = prepaid(tenant, "Beta", balance=1140)
    ended = prepaid(tenant, "Ended", status=ContractStatus.ENDED)
    ledger(alpha, LedgerKind.CREDIT, 600, at("2026-10-05 09:00"))
    ledger(alpha, LedgerKind.DEBIT, -120, at("2026-10-20 09:00"))
    ledger(alpha, LedgerKind.CREDIT, 300, at("2026-11-03 09:00"))
    ledger(alpha, LedgerKind.DEBIT, -90, at("2026-11-04 09:00"))
    ledger(alpha, LedgerKind.REVERSAL, 30, at("2026-11-05 09:00"))  # an edited entry gave 30 back
    ledger(alpha, LedgerKind.DEBIT, -15, at("2026-10-31 23:30"))  # 00:30 on 1 November in Rome
    ledger(alpha, LedgerKind.EXPIRY, -45, at("2026-11-06 09:00"))  # neither sold nor used
    ledger(beta, LedgerKind.CREDIT, 1200, at("2025-11-20 09:00"))  # 13 months ago: outside
    ledger(beta, LedgerKind.DEBIT, -60, at("2025-12-10 09:00"))  # the window's first month
    ledger(ended, LedgerKind.DEBIT, -500, at("2026-11-10 09:00"))
    return {"alpha": alpha, "beta": beta, "ended": ended}


def dashboard(tenant, **kwargs) -> owner.OwnerDashboard:
    with scope_of(tenant.pk):
        return owner.owner_dashboard(now=NOW, **kwargs)


def test_hours_by_month(hours, tenant, rome):
    months = dashboard(tenant).hours_by_month
    assert [str(m.period) for m in months] == ["2025-12", *[f"2026-{m:02d}" for m in range(1, 12)]]
    by_period = {str(m.period): (m.sold_minutes, m.used_minutes) for m in months}
    # The ended contract's use counts too: it was sold and used hours this month.
    assert by_period["2026-11"] == (300, 90 - 30 + 15 + 500)
    assert by_period["2026-10"] == (600, 120)
    assert by_period["2025-12"] == (0, 60)
    assert all(
        value == (0, 0) for key, value in by_period.items() if key not in {"2026-11", "2026-10", "2025-12"}
    )


def test_hours_by_contract(hours, tenant, rome):
    rows = dashboard(tenant).hours_by_contract
    assert [row.client_name for row in rows] == ["Alpha", "Beta"]  # active only, most used first
    alpha, beta = rows
    assert (alpha.sold_month, alpha.used_month, alpha.sold_year, alpha.used_year) == (300, 75, 900, 195)
    assert (beta.sold_month, beta.used_month, beta.sold_year, beta.used_year) == (0, 0, 0, 60)
    assert alpha.used_percent == 22  # 195 of 900
    assert beta.used_percent is None  # nothing sold in the window
    assert (alpha.balance_minutes, beta.balance_minutes) == (600, 1140)


def test_hours_by_contract_is_capped(tenant, rome):
    for i in range(owner.ROWS + 3):
        contract = prepaid(tenant, f"Client {i:02d}")
        ledger(contract, LedgerKind.DEBIT, -(10 + i), at("2026-11-10 09:00"))
    rows = dashboard(tenant).hours_by_contract
    assert len(rows) == owner.ROWS + 1  # one more than shown: the page offers "see all"
    assert rows[0].client_name == f"Client {owner.ROWS + 2:02d}" and rows[0].used_year == 10 + owner.ROWS + 2


def test_the_months_before_are_kept_and_this_month_is_live(hours, tenant, other_tenant, rome):
    with scope_of(tenant.pk):
        kept = owner.cached_history(now=NOW)
        ledger(hours["alpha"], LedgerKind.DEBIT, -100, at("2026-10-25 09:00"))  # a past month
        ledger(hours["alpha"], LedgerKind.DEBIT, -7, at("2026-11-16 09:00"))  # this month
        again = owner.cached_history(now=NOW)
        months = {
            str(m.period): m.used_minutes for m in owner.owner_dashboard(now=NOW, past=again).hours_by_month
        }
        fresh = owner.history(now=NOW)
        next_month = owner.history_key(NOW + timedelta(days=20))
        key = owner.history_key(NOW)
    with scope_of(other_tenant.pk):
        theirs = owner.history_key(NOW)
    assert again == kept and again.computed_at == NOW
    assert months["2026-10"] == 120 and months["2026-11"] == 575 + 7  # October as kept, November live
    assert fresh.hours_by_month[Period(2026, 10)] == (600, 220)  # what the next fill will show
    assert len({key, next_month, theirs}) == 3  # a new month, another tenant: another key


# --- near the renewal threshold -------------------------------------------------------------


def test_near_threshold(hours, tenant, rome):
    delta = prepaid(tenant, "Delta", balance=250, auto_renew=True)  # below its 300: there
    echo = prepaid(tenant, "Echo", balance=400)  # 100 above, using 150 in 30 days: 20 days
    ledger(echo, LedgerKind.DEBIT, -100, at("2026-11-01 09:00"))
    ledger(echo, LedgerKind.DEBIT, -50, at("2026-10-19 09:00"))  # 29 days ago: in the window
    ledger(echo, LedgerKind.DEBIT, -500, at("2026-10-10 09:00"))  # 38 days ago: not
    foxtrot = prepaid(tenant, "Foxtrot", balance=500)  # 200 above at 100 in 30 days: 60 days
    ledger(foxtrot, LedgerKind.DEBIT, -100, at("2026-11-10 09:00"))
    prepaid(tenant, "Golf", balance=300)  # exactly at the threshold
    rows = dashboard(tenant).near_threshold
    # Alpha: 300 above, 75 used in 30 days (400 days away); Beta: nothing used; ended: not active.
    assert [row.client_name for row in rows] == ["Delta", "Golf", "Echo"]
    delta_row, golf_row, echo_row = rows
    assert delta_row.reached and delta_row.days_left == 0 and delta_row.auto_renew
    assert golf_row.reached and golf_row.reaches_on == TODAY
    assert not echo_row.reached and echo_row.used_minutes == 150 and echo_row.days_left == 20
    assert echo_row.reaches_on == TODAY + timedelta(days=20)
    assert delta_row.contract_id == delta.pk and echo_row.contract_id == echo.pk


# --- SLA ------------------------------------------------------------------------------------


def sla_ticket(tenant, client, opened: str, *, state, status=TicketStatus.CLOSED, **times):
    ticket = TicketFactory(tenant=tenant, client=client)
    fields = {key: at(value) if value else None for key, value in times.items()}
    Ticket.unscoped.filter(pk=ticket.pk).update(
        created_at=at(opened), sla_state=state, status=status, **fields
    )
    return ticket


@pytest.fixture
def sla(tenant):
    alpha, beta, gamma = (ClientFactory(tenant=tenant, name=name) for name in ("Alpha", "Beta", "Gamma"))
    # Alpha, November: response met, missed, missed (none yet, past due), met; resolution
    # met, missed, not yet due, paused (waiting, past its stored due time: not counted).
    sla_ticket(
        tenant, alpha, "2026-11-02 08:00", state=SlaState.MET,
        response_due_at="2026-11-02 10:00", first_response_at="2026-11-02 09:00",
        resolution_due_at="2026-11-03 10:00", resolved_at="2026-11-02 15:00",
    )  # fmt: skip
    sla_ticket(
        tenant, alpha, "2026-11-05 08:00", state=SlaState.BREACHED, status=TicketStatus.RESOLVED,
        response_due_at="2026-11-05 10:00", first_response_at="2026-11-05 11:00",
        resolution_due_at="2026-11-06 10:00", resolved_at="2026-11-09 10:00",
    )  # fmt: skip
    sla_ticket(
        tenant, alpha, "2026-11-16 08:00", state=SlaState.BREACHED, status=TicketStatus.OPEN,
        response_due_at="2026-11-16 10:00", first_response_at=None,
        resolution_due_at="2026-11-20 10:00", resolved_at=None,
    )  # fmt: skip
    sla_ticket(
        tenant, alpha, "2026-11-09 08:00", state=SlaState.PAUSED, status=TicketStatus.WAITING,
        response_due_at="2026-11-09 10:00", first_response_at="2026-11-09 09:30",
        resolution_due_at="2026-11-12 10:00", resolved_at=None,
    )  # fmt: skip
    # Beta, November: one met both ways; one opened at 00:30 on 1 November in Rome (23:30
    # UTC on 31 October) answered in time, resolution not yet due; one not yet answered,
    # not yet due.
    sla_ticket(
        tenant, beta, "2026-11-10 08:00", state=SlaState.MET,
        response_due_at="2026-11-10 10:00", first_response_at="2026-11-10 08:30",
        resolution_due_at="2026-11-12 10:00", resolved_at="2026-11-11 10:00",
    )  # fmt: skip
    sla_ticket(
        tenant, beta, "2026-10-31 23:30", state=SlaState.OK, status=TicketStatus.OPEN,
        response_due_at="2026-11-02 10:00", first_response_at="2026-11-02 09:00",
        resolution_due_at="2026-11-30 10:00", resolved_at=None,
    )  # fmt: skip
    sla_ticket(
        tenant, beta, "2026-11-17 09:00", state=SlaState.OK, status=TicketStatus.NEW,
        response_due_at="2026-11-17 11:00", first_response_at=None,
        resolution_due_at="2026-11-19 11:00", resolved_at=None,
    )  # fmt: skip
    # Gamma: no SLA at all; Alpha in October: answered in time, resolved late.
    sla_ticket(tenant, gamma, "2026-11-03 08:00", state=SlaState.NONE)
    sla_ticket(
        tenant, alpha, "2026-10-20 08:00", state=SlaState.BREACHED,
        response_due_at="2026-10-20 10:00", first_response_at="2026-10-20 09:00",
        resolution_due_at="2026-10-21 10:00", resolved_at="2026-10-25 10:00",
    )  # fmt: skip
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


def counts(c: owner.SlaCounts) -> tuple:
    return (c.tickets, c.response_met, c.response_missed, c.resolution_met, c.resolution_missed, c.breached)


def test_sla_by_client(sla, tenant, rome):
    with scope_of(tenant.pk):
        rows = owner.sla_by_client(now=NOW)
    assert [row.client_name for row in rows] == ["Alpha", "Beta"]  # most breaches first; Gamma has no SLA
    alpha, beta = rows
    assert counts(alpha.counts) == (4, 2, 2, 1, 1, 2)
    assert (alpha.counts.response_percent, alpha.counts.resolution_percent) == (50, 50)
    assert counts(beta.counts) == (3, 2, 0, 1, 0, 0)
    assert (beta.counts.response_percent, beta.counts.resolution_percent) == (100, 100)


def test_sla_by_client_sorts_by_the_worst(sla, tenant, rome):
    # Delta: answered late once of one (0 %), no breach: worst first response, fewest breaches.
    delta = ClientFactory(tenant=tenant, name="Delta")
    sla_ticket(
        tenant, delta, "2026-11-12 08:00", state=SlaState.OK, status=TicketStatus.OPEN,
        response_due_at="2026-11-12 10:00", first_response_at="2026-11-12 12:00",
        resolution_due_at="2026-12-12 10:00", resolved_at=None,
    )  # fmt: skip
    with scope_of(tenant.pk):
        names = {
            order: [r.client_name for r in owner.sla_by_client(now=NOW, order=order)]
            for order in owner.SLA_ORDERS
        }
        capped = owner.sla_by_client(now=NOW, order="response", limit=1)
        everyone = owner.sla_by_client(now=NOW, order="response", limit=None)
    assert names["breaches"] == ["Alpha", "Beta", "Delta"]  # ties by name
    assert names["response"] == ["Delta", "Alpha", "Beta"]  # 0 %, 50 %, 100 %
    # Resolution: Alpha 50 %, Beta 100 %, Delta nothing decided yet (last).
    assert names["resolution"] == ["Alpha", "Beta", "Delta"]
    assert [r.client_name for r in capped] == ["Delta", "Alpha"]  # limit + 1
    assert len(everyone) == 3


def test_sla_by_month(sla, tenant, rome):
    months = dashboard(tenant).sla_by_month
    by_period = {str(m.period): m.counts for m in months}
    assert counts(by_period["2026-11"]) == (7, 4, 2, 2, 1, 2)
    assert (by_period["2026-11"].response_percent, by_period["2026-11"].resolution_percent) == (67, 67)
    assert counts(by_period["2026-10"]) == (1, 1, 0, 0, 1, 1)
    assert by_period["2026-10"].resolution_percent == 0
    assert by_period["2026-09"].response_percent is None and len(months) == owner.HISTORY_MONTHS


# --- tickets by week ------------------------------------------------------------------------


def test_tickets_by_week(tenant, rome):
    client = ClientFactory(tenant=tenant)

    def ticket(opened, *, status=TicketStatus.OPEN, resolved=None):
        t = TicketFactory(tenant=tenant, client=client)
        Ticket.unscoped.filter(pk=t.pk).update(
            created_at=at(opened), status=status, resolved_at=at(resolved) if resolved else None
        )

    ticket("2026-11-16 08:00")  # this week
    ticket("2026-11-15 23:30")  # 00:30 on Monday the 16th in Rome: this week
    ticket("2026-11-15 22:30", status=TicketStatus.CLOSED, resolved="2026-11-16 09:00")  # Sunday 23:30
    ticket("2026-11-10 08:00", status=TicketStatus.RESOLVED, resolved="2026-11-12 09:00")
    ticket("2026-08-30 08:00", status=TicketStatus.CLOSED, resolved="2026-08-30 12:00")  # 12 weeks before
    weeks = dashboard(tenant).tickets_by_week
    assert len(weeks) == owner.HISTORY_WEEKS
    assert weeks[0].monday == date(2026, 8, 31) and weeks[-1].monday == date(2026, 11, 16)
    assert [(w.opened, w.resolved) for w in weeks[-2:]] == [(2, 1), (2, 1)]
    assert sum(w.opened for w in weeks) == 4 and sum(w.resolved for w in weeks) == 2


# --- revenue --------------------------------------------------------------------------------


def line(kind, amount, contract=None, currency="EUR"):
    return LineDraft(
        kind=kind,
        description=kind,
        unit_price=Money(Decimal(amount), currency),
        contract=contract,
        tax_rate=Decimal("22"),
    )


def test_revenue_by_kind_and_currency(tenant, rome):
    client = ClientFactory(tenant=tenant, name="Acme", currency="EUR")
    dollars = ClientFactory(tenant=tenant, name="Yankee", currency="USD")
    managed = ContractFactory(tenant=tenant, client=client, kind=ContractKind.MANAGED)
    hours_contract = ContractFactory(tenant=tenant, client=client, kind=ContractKind.PREPAID_HOURS, tier=None)
    break_fix = ContractFactory(tenant=tenant, client=client, kind=ContractKind.BREAK_FIX, tier=None)
    their_managed = ContractFactory(tenant=tenant, client=dollars, kind=ContractKind.MANAGED)
    november, october = date(2026, 11, 5), date(2026, 10, 30)

    def invoice(client, lines, on, period=None):
        bills = {"period_start": period.start, "period_end": period.end} if period else {}
        return invoice_issue(invoice=invoice_draft_create(client=client, lines=lines, **bills), on=on)

    with scope_of(tenant.pk):
        first = invoice(
            client,
            [
                line(LineKind.RECURRING_FEE, "450.00", managed),
                line(LineKind.HOUR_BLOCK, "900.00", hours_contract),
                line(LineKind.LABOUR, "75.50", break_fix),
                line(LineKind.ONSITE, "40.00"),
            ],
            november,
        )
        invoice(client, [line(LineKind.RECURRING_FEE, "350.00", managed)], date(2026, 11, 2))
        # The monthly run bills a period: November's counts in November, issued when it may.
        invoice(
            client, [line(LineKind.RECURRING_FEE, "200.00", managed)], date(2026, 12, 1), Period(2026, 11)
        )
        invoice(
            client, [line(LineKind.RECURRING_FEE, "333.00", managed)], date(2026, 11, 2), Period(2026, 10)
        )
        voided = invoice(client, [line(LineKind.RECURRING_FEE, "1000.00", managed)], november)
        invoice_void(invoice=voided, reason="Wrong month")
        invoice_draft_create(client=client, lines=[line(LineKind.RECURRING_FEE, "999.00", managed)])
        invoice(client, [line(LineKind.RECURRING_FEE, "777.00", managed)], october)
        note = credit_note_create(
            invoice=first, reason="Labour was covered", lines=[line(LineKind.LABOUR, "75.50", break_fix)]
        )
        invoice_issue(invoice=note, on=date(2026, 11, 10))
        invoice(dollars, [line(LineKind.RECURRING_FEE, "100.00", their_managed, "USD")], november)
        rows = owner.revenue(Period(2026, 11))
        december = owner.revenue(Period(2026, 12))
    table = {(r.currency, r.kind): (r.invoiced, r.credited, r.net, r.invoices) for r in rows}
    eur = lambda amount: Money(Decimal(amount), "EUR")  # noqa: E731
    assert [(r.currency, r.kind) for r in rows] == [
        ("EUR", "managed"), ("EUR", "prepaid_hours"), ("EUR", "break_fix"), ("EUR", owner.OTHER), ("USD", "managed")
    ]  # fmt: skip
    assert table[("EUR", "managed")] == (eur("1000.00"), eur("0"), eur("1000.00"), 3)
    assert table[("EUR", "prepaid_hours")] == (eur("900.00"), eur("0"), eur("900.00"), 1)
    assert table[("EUR", "break_fix")] == (eur("75.50"), eur("75.50"), eur("0.00"), 1)
    assert table[("EUR", owner.OTHER)] == (eur("40.00"), eur("0"), eur("40.00"), 1)
    assert table[("USD", "managed")][2] == Money(Decimal("100.00"), "USD")
    assert all(isinstance(r.net.amount, Decimal) for r in rows)
    assert [str(r.label) for r in rows][3] == "Other"
    assert december == []


# --- the page -------------------------------------------------------------------------------


def test_the_page_shows_every_widget(hours, tenant, owner_client):
    sla_seed(tenant=tenant)
    TicketFactory(tenant=tenant, client=ClientFactory(tenant=tenant, name="Hotel"), subject="Printer")
    page = owner_client.get(reverse("owner_dashboard"))
    html = page.content.decode()
    assert page.status_code == 200
    for section in (
        "hours-sold-used",
        "near-threshold",
        "hours-by-contract",
        "sla-by-month",
        "tickets-by-week",
        "sla-by-client",
        "revenue-by-kind",
    ):
        assert f'id="{section}"' in html
    assert html.count('role="img"') == 2  # hours and tickets by week; no revenue yet
    assert "No target decided yet in these months." in html  # Hotel's ticket is not due yet
    assert "Alpha" in html and "Beta" in html and "Hotel" in html
    assert "Ended" not in html  # an ended contract is not listed


def test_the_page_sorts_and_shows_all_clients(tenant, owner_client):
    sla_seed(tenant=tenant)  # a default policy: the tickets run an SLA
    for i in range(owner.ROWS + 2):
        client = ClientFactory(tenant=tenant, name=f"Client {i:02d}")
        TicketFactory(tenant=tenant, client=client, subject=f"Ticket {i}")
    page = owner_client.get(reverse("owner_dashboard") + "?sla=response")
    assert page.context["sla_order"] == "response" and page.context["more_sla"]
    assert len(page.context["sla_clients"]) == owner.ROWS
    everyone = owner_client.get(reverse("owner_dashboard") + "?sla=nonsense&all=sla")
    assert everyone.context["sla_order"] == "breaches"
    assert len(everyone.context["sla_clients"]) == owner.ROWS + 2 and not everyone.context["more_sla"]


def test_the_page_speaks_italian(tenant, make_member, client):
    boss = make_member(tenant, Role.OWNER, language="it")
    client.force_login(boss.user)
    html = client.get(reverse("owner_dashboard")).content.decode()
    for text in ("Tra i clienti", "Ore prepagate vendute e usate", "Rispetto degli SLA per cliente"):
        assert text in html


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.OWNER, 200),
        (Role.ADMIN, 200),
        (Role.ACCOUNT_MANAGER, 403),
        (Role.TECHNICIAN, 403),
        (Role.CLIENT, 403),
    ],
)
def test_who_may_open_it(tenant, make_member, client, role, status):
    member = make_member(tenant, role)
    client.force_login(member.user)
    assert client.get(reverse("owner_dashboard")).status_code == status
    home = client.get(reverse("dashboard")).content.decode()
    assert (reverse("owner_dashboard") in home) == (status == 200)


def test_nothing_of_another_tenant(hours, tenant, other_tenant, owner_client):
    with unscoped():
        theirs = prepaid(other_tenant, "Their client", balance=10)
        ledger(theirs, LedgerKind.DEBIT, -900, timezone.now())
        TicketFactory(tenant=other_tenant, client=theirs.client, subject="Their ticket")
    html = owner_client.get(reverse("owner_dashboard")).content.decode()
    assert "Their client" not in html


# --- constant queries -----------------------------------------------------------------------


def populate(tenant, n: int) -> None:
    """n clients, each with a prepaid contract near its threshold (this month's and last
    month's ledger), an SLA ticket opened this month and one resolved, and an issued invoice
    with a line per contract kind."""
    now = timezone.now()
    sla_seed(tenant=tenant)
    for i in range(n):
        contract = prepaid(tenant, f"Client {i:03d}", balance=100)
        ledger(contract, LedgerKind.CREDIT, 600, now - timedelta(days=40))
        ledger(contract, LedgerKind.DEBIT, -200, now - timedelta(days=1))
        TicketFactory(tenant=tenant, client=contract.client, subject=f"Ticket {i}")
        done = TicketFactory(tenant=tenant, client=contract.client, subject=f"Done {i}")
        Ticket.unscoped.filter(pk=done.pk).update(
            status=TicketStatus.CLOSED, resolved_at=now, sla_state=SlaState.MET
        )
        with scope_of(tenant.pk):
            invoice_issue(
                invoice=invoice_draft_create(
                    client=contract.client,
                    lines=[line(LineKind.HOUR_BLOCK, "900.00", contract), line(LineKind.ONSITE, "40.00")],
                )
            )


def test_constant_queries_at_10_and_100_clients(tenant, other_tenant, make_member, client):
    counts_by_size = {}
    for size, msp in ((10, tenant), (100, other_tenant)):
        populate(msp, size)
        boss = make_member(msp, Role.OWNER)
        client.force_login(boss.user)
        url = reverse("owner_dashboard") + "?all=sla"
        client.get(url)  # one-off work (content types, the session) is not the page's
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url)
        assert page.status_code == 200
        assert len(page.context["sla_clients"]) == size
        assert f"Client {size - 1:03d}" in page.content.decode()
        counts_by_size[size] = len(captured)
    assert counts_by_size[10] == counts_by_size[100] <= 15
    assert Client.unscoped.count() == 110 and InvoiceLine.unscoped.count() == 220


def test_the_page_keeps_the_history_until_asked_to_add_it_up_again(tenant, owner_client):
    contract = prepaid(tenant, "Kilo", balance=600)
    last_month = timezone.now() - timedelta(days=40)
    ledger(contract, LedgerKind.CREDIT, 600, last_month)
    url = reverse("owner_dashboard")

    def sold_before() -> int:
        return sum(
            m.sold_minutes for m in owner_client.get(url + query).context["figures"].hours_by_month[:-1]
        )

    query = ""
    assert sold_before() == 600
    ledger(contract, LedgerKind.CREDIT, 300, last_month)  # written into the past (an import, say)
    assert sold_before() == 600  # kept
    query = "?refresh=1"
    assert sold_before() == 900  # added up again, and kept so
    query = ""
    assert sold_before() == 900
    page = owner_client.get(url).content.decode()
    assert "?refresh=1" in page and "every 10 minutes" in page
