"""The owner's dashboard across clients (issue 12): its reads.

Hours sold and used on prepaid contracts, the clients near their renewal threshold, SLA
compliance by client and by month, tickets opened and resolved by week, revenue by contract
kind. Months and weeks are cut at the active time zone's midnight (the tenant's, once the
request activates it); durations are integer minutes; money is Decimal, per currency.

**Flat at any size.** The page reads the current month and week live, on every request, in a
fixed number of queries whose rows are bounded by the period or by the number of prepaid
contracts, never by the years of history behind them. The months and weeks before (the
charts' history, each contract's last 12 months and burn rate, last month's revenue) are
aggregated by `history()` in a fixed few queries too, but those read a year of rows: the page
keeps them per tenant for HISTORY_SECONDS (`cached_history()`), so they are at most that old,
which the page says (every balance is live). The ledger's past months never change (it is append-only, stamped at insert);
a past month's SLA figures move while its last tickets are answered and resolved.

What counts (the page states it too):

* hours **sold** are the ledger's credits (blocks bought); hours **used** its debits net of
  reversals (an edited entry's old draw given back); expiries are neither;
* a ticket counts for the SLA of the month it was **opened** in, when it runs an SLA. Its
  first response **met** its target when it came by the response due time, **missed** when
  it came later or is still missing past that time (still to come and not yet due: not
  counted yet); resolution likewise by the resolution due time, except that a ticket waiting
  on the client is not counted late while its clock is paused. A **breach** is a ticket in
  the breached state (the SLA clock's verdict, first response or resolution);
* a ticket is **resolved** in the week it was resolved (or closed without being resolved);
* **revenue** of a month is the net amount (before tax) of the lines of the invoices of that
  month, as the invoice list's period filter finds them (the month they bill, or the month
  they were issued in when they bill no period), issued and not voided, by the kind of the
  contract each line bills ("Other" when it bills none), less the credit notes issued in the
  month; per currency, never converted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, NullIf, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from billing.models import InvoiceKind, InvoiceLine, InvoiceStatus
from billing.periods import Period
from contracts.choices import ContractKind, ContractStatus
from contracts.models import Contract, LedgerEntry, LedgerKind
from contracts.selectors import USE_KINDS
from msp.scoping import current_scope
from reports.selectors import BURN_DAYS, local_midnight
from tickets.choices import SlaState, TicketStatus
from tickets.models import Ticket

HISTORY_MONTHS = 12  # hours sold and used, SLA compliance: this month and the 11 before
HISTORY_WEEKS = 12  # tickets opened and resolved: this week and the 11 before
HISTORY_SECONDS = 600  # how long the page keeps the months and weeks before the current ones
ROWS = 10  # rows a list widget shows before "see all"
NEAR_DAYS = 30  # "near the threshold": there already, or there within this many days
SLA_ORDERS = ("breaches", "response", "resolution")  # how the SLA table may be sorted
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
RUNNING = (TicketStatus.NEW, TicketStatus.OPEN)  # a ticket waiting on the client is paused
OTHER = ""  # the revenue of lines that bill no contract
KIND_ORDER = [*ContractKind.values, OTHER]


def percent(part: int, whole: int) -> int | None:
    """part of whole in whole percent (half up), None when there is nothing to count."""
    if not whole:
        return None
    return int((Decimal(part) * 100 / whole).quantize(Decimal("1"), ROUND_HALF_UP))


def hours(minutes: int) -> Decimal:
    """Minutes as hours with one decimal, for a chart's points (tables show h:mm)."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)


def last_months(now: datetime, count: int = HISTORY_MONTHS) -> list[Period]:
    """The last `count` months, oldest first, this month last."""
    periods = [Period.of(timezone.localdate(now))]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods[::-1]


def last_mondays(now: datetime, count: int = HISTORY_WEEKS) -> list[date]:
    """The Mondays of the last `count` weeks, oldest first, this week's last."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(count - 1, -1, -1)]


def _local_date(value) -> date:
    """A truncated instant (aware on PostgreSQL, naive on SQLite) as the local date it starts."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


# --- SLA counts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaCounts:
    tickets: int = 0
    response_met: int = 0
    response_missed: int = 0
    resolution_met: int = 0
    resolution_missed: int = 0
    breached: int = 0

    @property
    def response_percent(self) -> int | None:
        return percent(self.response_met, self.response_met + self.response_missed)

    @property
    def resolution_percent(self) -> int | None:
        return percent(self.resolution_met, self.resolution_met + self.resolution_missed)

    @classmethod
    def of(cls, row: dict) -> SlaCounts:
        return cls(**{name: row.get(name) or 0 for name in cls.__dataclass_fields__})


def sla_counts(now: datetime) -> dict:
    """The aggregates of SlaCounts over a queryset of tickets (see the module's definitions).
    Every column they read is in the index tickets_sla_outcome: no table row is visited."""
    response = Q(response_due_at__isnull=False)
    resolution = Q(resolution_due_at__isnull=False)
    return {
        "tickets": Count("pk"),
        "response_met": Count("pk", filter=response & Q(first_response_at__lte=F("response_due_at"))),
        "response_missed": Count(
            "pk",
            filter=response
            & (
                Q(first_response_at__gt=F("response_due_at"))
                | Q(first_response_at__isnull=True, response_due_at__lt=now)
            ),
        ),
        "resolution_met": Count(
            "pk", filter=resolution & Q(status__in=DONE, resolved_at__lte=F("resolution_due_at"))
        ),
        "resolution_missed": Count(
            "pk",
            filter=resolution
            & (
                Q(status__in=DONE, resolved_at__gt=F("resolution_due_at"))
                | Q(status__in=RUNNING, resolution_due_at__lt=now)
            ),
        ),
        "breached": Count("pk", filter=Q(sla_state=SlaState.BREACHED)),
    }


def _with_sla(since: datetime, until: datetime | None = None):
    tickets = Ticket.objects.filter(created_at__gte=since).exclude(sla_state=SlaState.NONE)
    return tickets.filter(created_at__lt=until) if until is not None else tickets


# --- revenue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revenue:
    kind: str  # a ContractKind value, or OTHER
    currency: str
    invoiced: Money
    credited: Money
    invoices: int

    @property
    def net(self) -> Money:
        return self.invoiced - self.credited

    @property
    def label(self) -> str:
        return kind_label(self.kind)


def kind_label(kind: str) -> str:
    return str(ContractKind(kind).label) if kind else str(_("Other"))


def revenue(period: Period) -> list[Revenue]:
    """The period's net revenue by contract kind and currency (see the module's definition):
    one query over the lines of its invoices and credit notes, grouped in the database."""
    of_period = Q(invoice__period_start=period.start) | Q(
        invoice__period_start__isnull=True, invoice__issue_date__range=(period.start, period.end)
    )
    invoice, credit_note = Q(invoice__kind=InvoiceKind.INVOICE), Q(invoice__kind=InvoiceKind.CREDIT_NOTE)
    rows = (
        InvoiceLine.objects.filter(of_period, invoice__status__in=(InvoiceStatus.ISSUED, InvoiceStatus.PAID))
        .order_by()
        .values("contract__kind", "amount_currency")
        .annotate(
            invoiced=Sum("amount", filter=invoice),
            credited=Sum("amount", filter=credit_note),
            invoices=Count("invoice", filter=invoice, distinct=True),
        )
    )
    totals: dict[tuple[str, str], dict] = defaultdict(lambda: {"invoiced": 0, "credited": 0, "invoices": 0})
    for row in rows:
        total = totals[(row["contract__kind"] or OTHER, row["amount_currency"])]
        for key in ("invoiced", "credited", "invoices"):
            total[key] += row[key] or 0
    ordered = sorted(totals.items(), key=lambda item: (item[0][1], KIND_ORDER.index(item[0][0])))
    return [
        Revenue(
            kind=kind,
            currency=currency,
            invoiced=Money(total["invoiced"], currency),
            credited=Money(total["credited"], currency),
            invoices=total["invoices"],
        )
        for (kind, currency), total in ordered
    ]


# --- the months and weeks before the current ones ------------------------------------------


@dataclass(frozen=True)
class History:
    """What the months and weeks before the current ones add up to (see `history`)."""

    months: tuple[Period, ...]  # the HISTORY_MONTHS - 1 months before this one, oldest first
    mondays: tuple[date, ...]  # the HISTORY_WEEKS - 1 weeks before this one
    hours_by_month: dict[Period, tuple[int, int]]  # (sold, used) minutes
    hours_by_contract: dict[int, tuple[int, int]]  # contract id: (sold, used) over those months
    sla_by_month: dict[Period, SlaCounts]
    tickets_by_week: dict[date, tuple[int, int]]  # Monday: (opened, resolved)
    recent_use: dict[int, int] = field(default_factory=dict)  # contract id: minutes used in BURN_DAYS
    revenue: list[Revenue] = field(default_factory=list)  # last month's
    computed_at: datetime | None = None


def history(*, now: datetime | None = None) -> History:
    """The months and weeks before the current ones, in six queries, each grouping a window
    of rows by period: the ledger's (by contract and month), the tickets' SLA outcomes (by
    month), the tickets opened and those resolved (by week), last month's invoice lines; and
    each contract's use over the last BURN_DAYS days, the burn rate of its forecast."""
    now = now or timezone.now()
    months, mondays = last_months(now), last_mondays(now)
    since, until = local_midnight(months[0].start), local_midnight(months[-1].start)
    ledger = (
        LedgerEntry.objects.filter(created_at__gte=since, created_at__lt=until)
        .annotate(month=TruncMonth("created_at"))
        .order_by()
        .values("contract", "month")
        .annotate(
            sold=Sum("minutes", filter=Q(kind=LedgerKind.CREDIT)),
            used=Sum("minutes", filter=Q(kind__in=USE_KINDS)),
        )
    )
    by_month: dict[Period, list[int]] = defaultdict(lambda: [0, 0])
    by_contract: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in ledger:
        sold, used = row["sold"] or 0, -(row["used"] or 0)
        for total in (by_month[Period.of(_local_date(row["month"]))], by_contract[row["contract"]]):
            total[0] += sold
            total[1] += used
    recent = (
        LedgerEntry.objects.filter(kind__in=USE_KINDS, created_at__gte=now - timedelta(days=BURN_DAYS))
        .order_by()
        .values("contract")
        .annotate(total=Sum("minutes"))
        .values_list("contract", "total")
    )
    sla = (
        _with_sla(since, until)
        .annotate(month=TruncMonth("created_at"))
        .order_by()
        .values("month")
        .annotate(**sla_counts(now))
    )
    week_since, week_until = local_midnight(mondays[0]), local_midnight(mondays[-1])

    def by_week(queryset, column: str) -> dict[date, int]:
        rows = (
            queryset.filter(**{f"{column}__gte": week_since, f"{column}__lt": week_until})
            .annotate(week=TruncWeek(column))
            .order_by()
            .values("week")
            .annotate(n=Count("pk"))
        )
        return {_local_date(row["week"]): row["n"] for row in rows}

    opened = by_week(Ticket.objects.all(), "created_at")
    resolved = by_week(Ticket.objects.filter(status__in=DONE), "resolved_at")
    return History(
        months=tuple(months[:-1]),
        mondays=tuple(mondays[:-1]),
        hours_by_month={period: tuple(by_month.get(period, (0, 0))) for period in months[:-1]},
        hours_by_contract={pk: tuple(total) for pk, total in by_contract.items()},
        sla_by_month={Period.of(_local_date(row["month"])): SlaCounts.of(row) for row in sla},
        tickets_by_week={m: (opened.get(m, 0), resolved.get(m, 0)) for m in mondays[:-1]},
        recent_use={contract: -total for contract, total in recent},
        revenue=revenue(months[-2]),
        computed_at=now,
    )


def history_key(now: datetime) -> str:
    """The cache key of the scope's tenant's history as of `now` (a new month, week or time
    zone is a new key)."""
    scope = current_scope()
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    return (
        f"reports:owner-history:v2:{scope.tenant_id if scope else 0}:"
        f"{timezone.get_current_timezone_name()}:{Period.of(today)}:{monday.isoformat()}"
    )


def cached_history(*, now: datetime | None = None, refresh: bool = False) -> History:
    """`history()`, kept per tenant for HISTORY_SECONDS: one cache read, and on a miss (or
    when asked to `refresh`) its six queries and one write."""
    now = now or timezone.now()
    key = history_key(now)
    found = None if refresh else cache.get(key)
    if isinstance(found, History):
        return found
    computed = history(now=now)
    cache.set(key, computed, HISTORY_SECONDS)
    return computed


# --- the dashboard --------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursMonth:
    period: Period
    sold_minutes: int
    used_minutes: int


@dataclass(frozen=True)
class ContractHours:
    contract_id: int
    name: str
    client_id: int
    client_name: str
    balance_minutes: int
    sold_month: int
    used_month: int
    sold_year: int
    used_year: int

    @property
    def used_percent(self) -> int | None:
        """Used over sold in the last 12 months."""
        return percent(self.used_year, self.sold_year)


@dataclass(frozen=True)
class NearThreshold:
    contract_id: int
    name: str
    client_id: int
    client_name: str
    balance_minutes: int
    threshold_minutes: int
    used_minutes: int  # over the last BURN_DAYS days (as of the history: the burn rate)
    auto_renew: bool
    today: date

    @property
    def headroom(self) -> int:
        return self.balance_minutes - self.threshold_minutes

    @property
    def reached(self) -> bool:
        return self.headroom <= 0

    @property
    def days_left(self) -> int:
        """Days until the balance reaches the threshold at the recent rate (0: it is there)."""
        if self.reached:
            return 0
        return self.headroom * BURN_DAYS // self.used_minutes

    @property
    def reaches_on(self) -> date:
        return self.today + timedelta(days=self.days_left)

    @property
    def is_near(self) -> bool:
        return self.reached or (self.used_minutes > 0 and self.days_left <= NEAR_DAYS)


@dataclass(frozen=True)
class ClientSla:
    client_id: int
    client_name: str
    counts: SlaCounts


@dataclass(frozen=True)
class MonthSla:
    period: Period
    counts: SlaCounts


@dataclass(frozen=True)
class WeekTickets:
    monday: date
    opened: int
    resolved: int


@dataclass(frozen=True)
class OwnerDashboard:
    month: Period
    hours_by_month: list[HoursMonth]
    hours_by_contract: list[ContractHours]  # ROWS + 1 at most: the caller knows there are more
    near_threshold: list[NearThreshold]  # ROWS + 1 at most
    sla_by_client: list[ClientSla]  # ROWS + 1 at most, or every client when asked
    sla_by_month: list[MonthSla]
    tickets_by_week: list[WeekTickets]
    revenue_last_month: list[Revenue]
    revenue_this_month: list[Revenue]
    history_at: datetime | None


def _ledger_sum(condition: Q) -> Coalesce:
    """The minutes of a contract's ledger rows matching `condition`, as a correlated
    subquery: a range of the index (contract, created_at) per contract."""
    rows = (
        LedgerEntry.objects.filter(condition, contract=OuterRef("pk"))
        .order_by()
        .values("contract")
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def prepaid_contracts(*, now: datetime) -> list[dict]:
    """Every prepaid contract (ended ones too: their hours were sold and used), with its
    balance and what it bought and used this month: one query, two index ranges of this
    month per contract, whatever the years of ledger behind them."""
    month_start = local_midnight(timezone.localdate(now).replace(day=1))
    return list(
        Contract.objects.filter(kind=ContractKind.PREPAID_HOURS)
        .annotate(
            sold_month=_ledger_sum(Q(kind=LedgerKind.CREDIT, created_at__gte=month_start)),
            used_month=_ledger_sum(Q(kind__in=USE_KINDS, created_at__gte=month_start)),
        )
        .values(
            "pk",
            "name",
            "status",
            "client_id",
            "client__name",
            "balance_minutes",
            "renew_threshold_minutes",
            "auto_renew",
            "sold_month",
            "used_month",
        )
        .order_by("client__name", "pk")
    )


def _worst_first(order: str) -> list:
    """SQL order of the per-client rows: the worst first by `order` (SLA_ORDERS)."""

    def share(met, missed):  # met per thousand decided; NULL (nothing decided) last
        return F(met) * 1000 / NullIf(F(met) + F(missed), 0)

    response = share("response_met", "response_missed").asc(nulls_last=True)
    resolution = share("resolution_met", "resolution_missed").asc(nulls_last=True)
    breaches = F("breached").desc()
    keys = {
        "breaches": [breaches, resolution, response],
        "response": [response, breaches, resolution],
        "resolution": [resolution, breaches, response],
    }[order]
    return [*keys, "client__name", "client"]


def sla_by_client(*, now: datetime, order: str = "breaches", limit: int | None = ROWS) -> list[ClientSla]:
    """This month's SLA compliance per client, the worst first by `order`: one query grouping
    the month's tickets per client, sorted and cut in the database (`limit` + 1 rows, or every
    client with tickets when `limit` is None)."""
    month_start = local_midnight(timezone.localdate(now).replace(day=1))
    rows = (
        _with_sla(month_start)
        .order_by()
        .values("client", "client__name")
        .annotate(**sla_counts(now))
        .order_by(*_worst_first(order if order in SLA_ORDERS else SLA_ORDERS[0]))
    )
    if limit is not None:
        rows = rows[: limit + 1]
    return [ClientSla(row["client"], row["client__name"], SlaCounts.of(row)) for row in rows]


def owner_dashboard(
    *,
    now: datetime | None = None,
    sla_order: str = "breaches",
    sla_limit: int | None = ROWS,
    past: History | None = None,
) -> OwnerDashboard:
    """Every widget of the page: the current month and week and every balance read live (six
    queries), the months and weeks before and the burn rates from `past` (`history()` when not
    given)."""
    now = now or timezone.now()
    past = past if past is not None else history(now=now)
    months, mondays = last_months(now), last_mondays(now)
    this_month, today = months[-1], timezone.localdate(now)

    contracts = prepaid_contracts(now=now)
    month_sold = sum(c["sold_month"] for c in contracts)
    month_used = -sum(c["used_month"] for c in contracts)
    hours_by_month = [HoursMonth(p, *past.hours_by_month.get(p, (0, 0))) for p in months[:-1]]
    hours_by_month.append(HoursMonth(this_month, month_sold, month_used))

    active = [c for c in contracts if c["status"] == ContractStatus.ACTIVE]
    by_contract = []
    for c in active:
        sold_before, used_before = past.hours_by_contract.get(c["pk"], (0, 0))
        by_contract.append(
            ContractHours(
                contract_id=c["pk"],
                name=c["name"],
                client_id=c["client_id"],
                client_name=c["client__name"],
                balance_minutes=c["balance_minutes"],
                sold_month=c["sold_month"],
                used_month=-c["used_month"],
                sold_year=sold_before + c["sold_month"],
                used_year=used_before - c["used_month"],
            )
        )
    by_contract.sort(key=lambda row: -row.used_year)  # stable: the client's name among equals

    near = [
        NearThreshold(
            contract_id=c["pk"],
            name=c["name"],
            client_id=c["client_id"],
            client_name=c["client__name"],
            balance_minutes=c["balance_minutes"],
            threshold_minutes=c["renew_threshold_minutes"],
            used_minutes=past.recent_use.get(c["pk"], 0),
            auto_renew=c["auto_renew"],
            today=today,
        )
        for c in active
    ]
    near = sorted((row for row in near if row.is_near), key=lambda row: (row.days_left, row.headroom))

    month_start = local_midnight(this_month.start)
    sla_month = SlaCounts.of(_with_sla(month_start).order_by().aggregate(**sla_counts(now)))
    sla_by_month = [MonthSla(p, past.sla_by_month.get(p, SlaCounts())) for p in months[:-1]]
    sla_by_month.append(MonthSla(this_month, sla_month))

    week_start = local_midnight(mondays[-1])
    opened = Ticket.objects.filter(created_at__gte=week_start).count()
    resolved = Ticket.objects.filter(status__in=DONE, resolved_at__gte=week_start).count()
    weeks = [WeekTickets(m, *past.tickets_by_week.get(m, (0, 0))) for m in mondays[:-1]]
    weeks.append(WeekTickets(mondays[-1], opened, resolved))

    return OwnerDashboard(
        month=this_month,
        hours_by_month=hours_by_month,
        hours_by_contract=by_contract[: ROWS + 1],
        near_threshold=near[: ROWS + 1],
        sla_by_client=sla_by_client(now=now, order=sla_order, limit=sla_limit),
        sla_by_month=sla_by_month,
        tickets_by_week=weeks,
        revenue_last_month=past.revenue,
        revenue_this_month=revenue(this_month),
        history_at=past.computed_at,
    )
