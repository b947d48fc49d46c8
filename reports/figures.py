"""The monthly client report's figures: what was bought, done, prevented, and what it cost.

``month_figures(client, period)`` reads one client's month in a fixed number of queries,
whatever the size of its history (every count and sum is an aggregate in the database; the
two lists are capped), inside that client's scope, so nothing of another client or tenant
can reach it. The result is a frozen ``MonthFigures`` of plain values (integer minutes,
Money, dates): ``to_json()`` / ``MonthFigures.from_json()`` round-trip it exactly, so a sent
report keeps the figures it was made from whatever later changes.

The month is the calendar month in the MSP's time zone. Every figure is read as at the end
of the month (or now, for the month still running), so generating a past month again gives
the same figures: hours from the ledger rows written in the month; tickets by when they were
opened and resolved; an SLA target counts in the month it was decided (met when answered in
time, breached when its due time passed unanswered). Two things are only known as they are
now: the assets' patch status, and the names of things.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from djmoney.money import Money

from assets.choices import PatchStatus
from assets.models import Asset
from billing.models import Invoice, InvoiceKind, InvoiceStatus
from billing.periods import Period
from contracts.choices import ContractKind, ContractStatus
from contracts.models import BlockOrigin, Contract, LedgerEntry, LedgerKind
from monitoring.models import Alert
from msp import scoping
from msp.money import zero
from msp.selectors import document_language
from tickets.choices import Priority, Source
from tickets.models import Ticket
from timetracking.models import TimeEntry, labour_amount, worked_between
from timetracking.services import break_fix_rate

HISTORY_MONTHS = 12  # month-end balances drawn in the burn-down, this month included
WARRANTY_DAYS = 90  # warranties ending within this many days after the month's end
LIST_CAP = 50  # rows a list of the report shows at most (breaches, warranties); totals stay exact
PROACTIVE_SOURCES = (Source.MONITORING,)  # no "scheduled" source exists yet: add it here when it does


# --- the figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """Who the report is from (the MSP, as on its documents) or for (the client)."""

    name: str
    address: str = ""
    vat: str = ""
    logo: str = ""  # a data: URI, so the document needs no URL


@dataclass(frozen=True)
class MonthBalance:
    period: str  # "YYYY-MM"
    balance_minutes: int


@dataclass(frozen=True)
class Forecast:
    """When the balance reaches the renewal threshold at this month's pace.

    state: "date" (``on`` is set), "below" (already at or under the threshold at the
    month's end), "idle" (nothing used this month: no pace to project)."""

    state: str
    on: date | None = None
    minutes_per_week: int = 0


@dataclass(frozen=True)
class ContractHours:
    contract_id: int
    name: str
    auto_renew: bool
    threshold_minutes: int
    renew_block_minutes: int
    balance_start_minutes: int
    bought_minutes: int  # every block credited in the month: purchases and renewals
    renewed_minutes: int  # of which auto-renewals
    blocks_bought: int
    renewals: int
    used_minutes: int  # drawn by time entries, net of reversals
    expired_minutes: int
    balance_end_minutes: int
    daily_balance: tuple[int, ...]  # at the end of each day of the month
    month_ends: tuple[MonthBalance, ...]  # closing balances of the last HISTORY_MONTHS months it ran
    forecast: Forecast


@dataclass(frozen=True)
class KeyCount:
    """Tickets of one priority or source: opened and resolved in the month."""

    key: str
    opened: int
    closed: int


@dataclass(frozen=True)
class WeekTickets:
    """Tickets opened in one week of the month (days 1-7, 8-14, ...), by priority: ``counts``
    follows ``tickets.choices.Priority`` (P1 first)."""

    first_day: date
    last_day: date
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class SlaTarget:
    met: int
    breached: int

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> int | None:
        """Targets met in percent, half up to a whole number (None: no target decided)."""
        if not self.total:
            return None
        return int((Decimal(self.met) * 100 / self.total).quantize(Decimal(1), ROUND_HALF_UP))


@dataclass(frozen=True)
class SlaBreach:
    ticket_id: int
    subject: str
    priority: str
    target: str  # "response" or "resolution"
    due_at: datetime
    done_at: datetime | None  # None: not done by the month's end
    late_minutes: int  # to the answer, or to the month's end when still not done


@dataclass(frozen=True)
class Share:
    tickets: int
    minutes: int


@dataclass(frozen=True)
class WorkTypeMinutes:
    name: str  # "" for entries without a work type
    minutes: int
    billable_minutes: int


@dataclass(frozen=True)
class AlertCount:
    key: str  # a severity, or a check name
    opened: int
    resolved: int


@dataclass(frozen=True)
class PatchCount:
    status: str
    assets: int
    missing_patches: int


@dataclass(frozen=True)
class Warranty:
    asset_id: int
    name: str
    kind: str
    expires: date


@dataclass(frozen=True)
class InvoiceRef:
    invoice_id: int
    number: str
    kind: str
    subtotal: Money


@dataclass(frozen=True)
class BreakFix:
    """The month's billable work at the break/fix rate, beside what was invoiced for it.

    ``rate_source``: "contract" (the client's break/fix contract), "tenant" (the MSP's
    default break/fix rate) or "" (no rate in the client's currency: no comparison)."""

    rate: Money | None
    rate_source: str
    billable_minutes: int
    cost: Money | None
    invoiced: Money  # invoices for the month less their credit notes, before tax
    invoices: tuple[InvoiceRef, ...]

    @property
    def saving(self) -> Money | None:
        return None if self.cost is None else self.cost - self.invoiced


@dataclass(frozen=True)
class MonthFigures:
    period: str
    start: date
    end: date
    as_of: datetime  # the month's end, or the moment it was read for a month still running
    timezone: str
    language: str
    currency: str
    tenant_id: int
    client_id: int
    client: Party
    msp: Party
    contracts: tuple[ContractHours, ...]
    tickets_opened: int
    tickets_closed: int
    by_priority: tuple[KeyCount, ...]
    by_source: tuple[KeyCount, ...]
    by_week: tuple[WeekTickets, ...]
    sla_response: SlaTarget
    sla_resolution: SlaTarget
    breaches: tuple[SlaBreach, ...]
    breaches_total: int
    proactive: Share
    reactive: Share
    alerts_opened: int
    alerts_resolved: int
    alerts_with_ticket: int
    alerts_by_severity: tuple[AlertCount, ...]
    alerts_by_check: tuple[AlertCount, ...]
    assets_total: int
    patches: tuple[PatchCount, ...]
    warranties: tuple[Warranty, ...]
    warranties_total: int
    worked_minutes: int
    work_types: tuple[WorkTypeMinutes, ...]
    break_fix: BreakFix

    def to_json(self) -> dict:
        """Plain JSON types: Decimals and money as strings, dates and times in ISO 8601."""
        return _dump(self)

    @classmethod
    def from_json(cls, data: dict) -> MonthFigures:
        return _load(cls, data)

    @property
    def hours_used_minutes(self) -> int:
        return sum(c.used_minutes for c in self.contracts)

    @property
    def breaches_shown(self) -> int:
        return len(self.breaches)


# --- JSON: by the dataclasses' own annotations ------------------------------------------------


def _dump(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency.code}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_dump(item) for item in value]
    return value


_HINTS: dict[type, dict] = {}


def _hints(cls) -> dict:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _load(kind, data):
    if data is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        (inner,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _load(inner, data)
    if origin is tuple:
        inner = typing.get_args(kind)[0]
        return tuple(_load(inner, item) for item in data)
    if dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        return kind(**{f.name: _load(hints[f.name], data[f.name]) for f in dataclasses.fields(kind)})
    if kind is Money:
        return Money(Decimal(data["amount"]), data["currency"])
    if kind is Decimal:
        return Decimal(data)
    if kind is datetime:
        return datetime.fromisoformat(data)
    if kind is date:
        return date.fromisoformat(data)
    return data


# --- pure rules (unit-tested) -----------------------------------------------------------------


def threshold_forecast(
    *, balance_minutes: int, threshold_minutes: int, used_minutes: int, days: int, from_day: date
) -> Forecast:
    """When a balance reaches the threshold if use goes on at `used_minutes` per `days`.

    The day is the first on whose end the balance is at or under the threshold:
    ``from_day`` + ceil((balance − threshold) × days / used)."""
    per_week = (
        int((Decimal(max(used_minutes, 0)) * 7 / days).quantize(Decimal(1), ROUND_HALF_UP)) if days else 0
    )
    if balance_minutes <= threshold_minutes:
        return Forecast("below", None, per_week)
    if used_minutes <= 0 or days <= 0:
        return Forecast("idle", None, per_week)
    days_left = math.ceil(Decimal(balance_minutes - threshold_minutes) * days / used_minutes)
    return Forecast("date", from_day + timedelta(days=days_left), per_week)


def break_fix_cost(rate: Money | None, billable_minutes: int) -> Money | None:
    """The billable minutes at the break/fix rate, rounded once (``labour_amount``: the
    project's labour pricing, half up to the currency's minor unit). None without a rate."""
    if rate is None:
        return None
    return labour_amount(rate, billable_minutes)


def late_minutes(due: datetime, done: datetime | None, cutoff: datetime) -> int:
    """Whole minutes from the due time to the answer (or to the cutoff, when none came by
    then), never negative."""
    end = min(done, cutoff) if done is not None else cutoff
    return max(int((end - due).total_seconds()) // 60, 0)


# --- reading the month ------------------------------------------------------------------------


def month_bounds(period: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month as [first midnight, next month's first midnight) in the zone."""
    start = datetime.combine(period.start, time(0), tzinfo=zone)
    following = period.end + timedelta(days=1)
    return start, datetime.combine(following, time(0), tzinfo=zone)


def _shift(period: Period, months: int) -> Period:
    index = period.year * 12 + period.month - 1 - months
    return Period(index // 12, index % 12 + 1)


def month_figures(client, period: Period, *, now: datetime | None = None) -> MonthFigures:
    """The client's figures for the month (see the module's docstring): 11 queries."""
    active = scoping.current_scope()
    if active is not None and (
        active.tenant_id != client.tenant_id or active.client_id not in (None, client.pk)
    ):
        raise RuntimeError(f"client {client.pk}'s report asked for inside another scope")
    token = scoping.activate(scoping.Scope(tenant_id=client.tenant_id, client_id=client.pk))
    try:
        return _read(client, period, now or timezone.now())
    finally:
        scoping.restore(token)


def _read(client, period: Period, now: datetime) -> MonthFigures:
    tenant = client.tenant
    zone = ZoneInfo(tenant.timezone)
    start, end = month_bounds(period, zone)
    cutoff = min(end, now)

    contracts = _contracts(period, start, end, zone, cutoff)
    counts, sla_response, sla_resolution = _ticket_counts(start, cutoff, zone)
    breaches = _breaches(start, cutoff)
    time_rows = list(
        TimeEntry.objects.filter(worked_between(start, cutoff))
        .values("work_type__name", "ticket__source")
        .annotate(minutes=Sum("minutes"), billable=Sum("billed_minutes", filter=Q(billable=True)))
        .order_by()
    )
    alerts = list(
        Alert.objects.filter(
            Q(first_seen_at__gte=start, first_seen_at__lt=cutoff)
            | Q(resolved_at__gte=start, resolved_at__lt=cutoff)
        )
        .values("severity", "check_name")
        .annotate(
            opened=Count("pk", filter=Q(first_seen_at__gte=start, first_seen_at__lt=cutoff)),
            resolved=Count("pk", filter=Q(resolved_at__gte=start, resolved_at__lt=cutoff)),
            ticketed=Count(
                "pk", filter=Q(first_seen_at__gte=start, first_seen_at__lt=cutoff, ticket__isnull=False)
            ),
        )
        .order_by()
    )
    warranty_soon = Q(
        warranty_expires__gt=period.end, warranty_expires__lte=period.end + timedelta(days=WARRANTY_DAYS)
    )
    patches = list(
        Asset.objects.values("patch_status")
        .annotate(
            assets=Count("pk"),
            missing=Sum("missing_patches"),
            warranties=Count("pk", filter=warranty_soon),
        )
        .order_by()
    )
    warranty_rows = list(
        Asset.objects.filter(warranty_soon)
        .order_by("warranty_expires", "name", "pk")
        .values("pk", "name", "kind", "warranty_expires")[:LIST_CAP]
    )
    invoices = _invoices(client, period)

    # Tickets by priority and source, proactive against reactive.
    by_priority = {p: [0, 0] for p in Priority.values}
    by_source = {s: [0, 0] for s in Source.values}
    for row in counts:
        for table, key in ((by_priority, row["priority"]), (by_source, row["source"])):
            pair = table.setdefault(key, [0, 0])
            pair[0] += row["opened"]
            pair[1] += row["closed"]
    proactive_tickets = sum(by_source.get(s, [0, 0])[0] for s in PROACTIVE_SOURCES)
    weeks = [
        [period.start + timedelta(days=first), period.start + timedelta(days=min(first + 6, period.days - 1))]
        for first in range(0, period.days, 7)
    ]
    week_counts = [[0] * len(Priority.values) for _week in weeks]
    for row in counts:
        if row["opened"] and row["priority"] in Priority.values:
            week = (row["day"] - period.start).days // 7
            week_counts[week][Priority.values.index(row["priority"])] += row["opened"]
    tickets_opened = sum(pair[0] for pair in by_priority.values())

    # Time: by work type, proactive against reactive.
    work: dict[str, list[int]] = {}
    proactive_minutes = worked = billable = 0
    for row in time_rows:
        minutes, billed = row["minutes"] or 0, row["billable"] or 0
        pair = work.setdefault(row["work_type__name"] or "", [0, 0])
        pair[0] += minutes
        pair[1] += billed
        worked += minutes
        billable += billed
        if row["ticket__source"] in PROACTIVE_SOURCES:
            proactive_minutes += minutes

    # Alerts by severity and by check.
    severities: dict[str, list[int]] = {}
    checks: dict[str, list[int]] = {}
    for row in alerts:
        for table, key in ((severities, row["severity"]), (checks, row["check_name"])):
            pair = table.setdefault(key, [0, 0])
            pair[0] += row["opened"]
            pair[1] += row["resolved"]

    rate, rate_source = _rate(tenant, client, contracts["break_fix"])
    currency = client.currency
    invoiced = zero(currency)
    for ref in invoices:
        invoiced = invoiced - ref.subtotal if ref.kind == InvoiceKind.CREDIT_NOTE else invoiced + ref.subtotal

    return MonthFigures(
        period=str(period),
        start=period.start,
        end=period.end,
        as_of=cutoff.astimezone(UTC),
        timezone=tenant.timezone,
        language=document_language(client),
        currency=currency,
        tenant_id=tenant.pk,
        client_id=client.pk,
        client=Party(name=client.name),
        msp=_msp(tenant),
        contracts=contracts["prepaid"],
        tickets_opened=tickets_opened,
        tickets_closed=sum(pair[1] for pair in by_priority.values()),
        by_priority=tuple(KeyCount(k, *v) for k, v in by_priority.items()),
        by_source=tuple(KeyCount(k, *v) for k, v in by_source.items()),
        by_week=tuple(
            WeekTickets(first, last, tuple(n)) for (first, last), n in zip(weeks, week_counts, strict=True)
        ),
        sla_response=sla_response,
        sla_resolution=sla_resolution,
        breaches=breaches,
        breaches_total=sla_response.breached + sla_resolution.breached,
        proactive=Share(proactive_tickets, proactive_minutes),
        reactive=Share(tickets_opened - proactive_tickets, worked - proactive_minutes),
        alerts_opened=sum(pair[0] for pair in severities.values()),
        alerts_resolved=sum(pair[1] for pair in severities.values()),
        alerts_with_ticket=sum(row["ticketed"] for row in alerts),
        alerts_by_severity=tuple(
            AlertCount(k, *v)
            for k, v in sorted(severities.items(), key=lambda item: (SEVERITY_ORDER.get(item[0], 9), item[0]))
        ),
        alerts_by_check=tuple(
            AlertCount(k, *v) for k, v in sorted(checks.items(), key=lambda item: (-item[1][0], item[0]))
        ),
        assets_total=sum(row["assets"] for row in patches),
        patches=tuple(
            PatchCount(row["patch_status"], row["assets"], row["missing"] or 0)
            for row in sorted(patches, key=lambda r: PATCH_ORDER.get(r["patch_status"], 99))
        ),
        warranties=tuple(
            Warranty(row["pk"], row["name"], row["kind"], row["warranty_expires"])
            for row in warranty_rows[:LIST_CAP]
        ),
        warranties_total=sum(row["warranties"] for row in patches),
        worked_minutes=worked,
        work_types=tuple(
            WorkTypeMinutes(name, *pair)
            for name, pair in sorted(work.items(), key=lambda item: (-item[1][0], item[0]))
        ),
        break_fix=BreakFix(
            rate=rate,
            rate_source=rate_source,
            billable_minutes=billable,
            cost=break_fix_cost(rate, billable),
            invoiced=invoiced,
            invoices=invoices,
        ),
    )


SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
PATCH_ORDER = {
    PatchStatus.MISSING: 0,
    PatchStatus.FAILED: 1,
    PatchStatus.UP_TO_DATE: 2,
    PatchStatus.UNKNOWN: 3,
}


def _msp(tenant) -> Party:
    from msp.identity import logo_data_uri

    return Party(
        name=tenant.document_name, address=tenant.address, vat=tenant.vat_number, logo=logo_data_uri(tenant)
    )


def _rate(tenant, client, break_fix_contract) -> tuple[Money | None, str]:
    """The break/fix rate: the client's break/fix contract's, else the MSP's default (when
    it is in the client's currency, as timetracking bills work without a contract)."""
    if break_fix_contract is not None and break_fix_contract.hourly_rate is not None:
        if str(break_fix_contract.hourly_rate.currency) == client.currency:
            return break_fix_contract.hourly_rate, "contract"
    rate = break_fix_rate(tenant=tenant, client=client)
    return (rate, "tenant") if rate is not None else (None, "")


def _contracts(period: Period, start: datetime, end: datetime, zone: ZoneInfo, cutoff: datetime) -> dict:
    """The client's contracts running in the month (one query, the prepaid ones with their
    month's ledger sums) and the prepaid ones' balance day by day (one grouped query)."""
    window_start = datetime.combine(_shift(period, HISTORY_MONTHS - 1).start, time(0), tzinfo=zone)
    in_month = Q(ledger__created_at__gte=start, ledger__created_at__lt=cutoff)

    def moved(condition=None):
        return Sum("ledger__minutes", filter=in_month & condition if condition is not None else in_month)

    running = (
        Q(start_date__lte=period.end)
        & ~Q(end_date__lt=period.start)
        & ~Q(status=ContractStatus.ENDED, end_date__isnull=True)
    )
    with_movement = Exists(
        LedgerEntry.objects.filter(contract=OuterRef("pk"), created_at__gte=start, created_at__lt=cutoff)
    )
    rows = list(
        Contract.objects.filter(running | with_movement)
        .annotate(
            before=Sum("ledger__minutes", filter=Q(ledger__created_at__lt=start)),
            before_window=Sum("ledger__minutes", filter=Q(ledger__created_at__lt=window_start)),
            credits=moved(Q(ledger__kind=LedgerKind.CREDIT)),
            renewed=moved(Q(ledger__kind=LedgerKind.CREDIT, ledger__block__origin=BlockOrigin.AUTO_RENEW)),
            credit_count=Count("ledger", filter=in_month & Q(ledger__kind=LedgerKind.CREDIT)),
            renewal_count=Count(
                "ledger",
                filter=in_month
                & Q(ledger__kind=LedgerKind.CREDIT, ledger__block__origin=BlockOrigin.AUTO_RENEW),
            ),
            use=moved(Q(ledger__kind__in=[LedgerKind.DEBIT, LedgerKind.REVERSAL])),
            expired=moved(Q(ledger__kind=LedgerKind.EXPIRY)),
        )
        .order_by("start_date", "pk")
    )
    prepaid = [c for c in rows if c.kind == ContractKind.PREPAID_HOURS]
    break_fix = next(
        (c for c in rows if c.kind == ContractKind.BREAK_FIX and c.status == ContractStatus.ACTIVE), None
    ) or next((c for c in rows if c.kind == ContractKind.BREAK_FIX), None)
    days: dict[int, dict[date, int]] = {c.pk: {} for c in prepaid}
    if prepaid:
        for contract_id, day, minutes in (
            LedgerEntry.objects.filter(
                contract_id__in=list(days), created_at__gte=window_start, created_at__lt=cutoff
            )
            .annotate(day=TruncDate("created_at", tzinfo=zone))
            .values("contract_id", "day")
            .annotate(minutes=Sum("minutes"))
            .values_list("contract_id", "day", "minutes")
            .order_by()
        ):
            days[contract_id][day] = minutes
    history = [_shift(period, back) for back in range(HISTORY_MONTHS - 1, -1, -1)]
    last_day = min(period.end, timezone.localtime(cutoff, zone).date()) if cutoff < end else period.end
    result = []
    for c in prepaid:
        moves = days[c.pk]
        balance = c.before_window or 0
        month_ends = []
        for month in history:
            balance += sum(m for day, m in moves.items() if month.start <= day <= month.end)
            if month.end >= c.start_date:  # the months before the contract show nothing
                month_ends.append(MonthBalance(str(month), balance))
        daily, running_balance = [], c.before or 0
        for offset in range((last_day - period.start).days + 1):
            running_balance += moves.get(period.start + timedelta(days=offset), 0)
            daily.append(running_balance)
        balance_start = c.before or 0
        bought, used, expired = c.credits or 0, -(c.use or 0), -(c.expired or 0)
        balance_end = balance_start + bought - used - expired
        result.append(
            ContractHours(
                contract_id=c.pk,
                name=c.name,
                auto_renew=c.auto_renew,
                threshold_minutes=c.renew_threshold_minutes,
                renew_block_minutes=c.renew_block_minutes,
                balance_start_minutes=balance_start,
                bought_minutes=bought,
                renewed_minutes=c.renewed or 0,
                blocks_bought=c.credit_count,
                renewals=c.renewal_count,
                used_minutes=used,
                expired_minutes=expired,
                balance_end_minutes=balance_end,
                daily_balance=tuple(daily),
                month_ends=tuple(month_ends),
                forecast=threshold_forecast(
                    balance_minutes=balance_end,
                    threshold_minutes=c.renew_threshold_minutes,
                    used_minutes=used,
                    days=len(daily),
                    from_day=last_day,
                ),
            )
        )
    return {"prepaid": tuple(result), "break_fix": break_fix}


def _ticket_counts(start: datetime, cutoff: datetime, zone: ZoneInfo):
    """Tickets opened and resolved in the month by priority, source and day opened, and the SLA targets
    decided in it (met: answered in time in the month; breached: due in the month and not
    answered by then), in one grouped query."""
    response_met = Q(
        first_response_at__gte=start,
        first_response_at__lt=cutoff,
        first_response_at__lte=F("response_due_at"),
    )
    response_breached = Q(response_due_at__gte=start, response_due_at__lt=cutoff) & (
        Q(first_response_at__isnull=True) | Q(first_response_at__gt=F("response_due_at"))
    )
    resolution_met = Q(
        resolved_at__gte=start, resolved_at__lt=cutoff, resolved_at__lte=F("resolution_due_at")
    )
    resolution_breached = Q(resolution_due_at__gte=start, resolution_due_at__lt=cutoff) & (
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=F("resolution_due_at"))
    )
    opened = Q(created_at__gte=start, created_at__lt=cutoff)
    closed = Q(resolved_at__gte=start, resolved_at__lt=cutoff)
    rows = list(
        Ticket.objects.filter(
            opened
            | closed
            | Q(response_due_at__gte=start, response_due_at__lt=cutoff)
            | Q(resolution_due_at__gte=start, resolution_due_at__lt=cutoff)
            | Q(first_response_at__gte=start, first_response_at__lt=cutoff)
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("priority", "source", "day")
        .annotate(
            opened=Count("pk", filter=opened),
            closed=Count("pk", filter=closed),
            response_met=Count("pk", filter=response_met),
            response_breached=Count("pk", filter=response_breached),
            resolution_met=Count("pk", filter=resolution_met),
            resolution_breached=Count("pk", filter=resolution_breached),
        )
        .order_by()
    )
    response = SlaTarget(sum(r["response_met"] for r in rows), sum(r["response_breached"] for r in rows))
    resolution = SlaTarget(
        sum(r["resolution_met"] for r in rows), sum(r["resolution_breached"] for r in rows)
    )
    return rows, response, resolution


def _breaches(start: datetime, cutoff: datetime) -> tuple[SlaBreach, ...]:
    """The targets breached in the month (of the first LIST_CAP tickets breaching one), the
    earliest due first: one query. How many there are in all, the SLA counts say."""
    response = Q(response_due_at__gte=start, response_due_at__lt=cutoff) & (
        Q(first_response_at__isnull=True) | Q(first_response_at__gt=F("response_due_at"))
    )
    resolution = Q(resolution_due_at__gte=start, resolution_due_at__lt=cutoff) & (
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=F("resolution_due_at"))
    )
    rows = list(
        Ticket.objects.filter(response | resolution)
        .order_by("created_at", "pk")[:LIST_CAP]
        .values(
            "pk",
            "subject",
            "priority",
            "response_due_at",
            "first_response_at",
            "resolution_due_at",
            "resolved_at",
        )
    )
    breaches = []
    for row in rows:
        for target, due, done in (
            ("response", row["response_due_at"], row["first_response_at"]),
            ("resolution", row["resolution_due_at"], row["resolved_at"]),
        ):
            if due is None or not (start <= due < cutoff) or (done is not None and done <= due):
                continue
            answered = done if done is not None and done < cutoff else None
            breaches.append(
                SlaBreach(
                    ticket_id=row["pk"],
                    subject=row["subject"],
                    priority=row["priority"],
                    target=target,
                    due_at=due,
                    done_at=answered,
                    late_minutes=late_minutes(due, done, cutoff),
                )
            )
    breaches.sort(key=lambda b: (b.due_at, b.ticket_id, b.target))
    return tuple(breaches[:LIST_CAP])


def _invoices(client, period: Period) -> tuple[InvoiceRef, ...]:
    """The issued invoices for the month (by their period) and the credit notes correcting
    them, in the client's currency: one query."""
    issued = ~Q(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])
    for_month = Q(kind=InvoiceKind.INVOICE, period_start__gte=period.start, period_start__lte=period.end) | Q(
        kind=InvoiceKind.CREDIT_NOTE,
        corrects__period_start__gte=period.start,
        corrects__period_start__lte=period.end,
        corrects__status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PAID],
    )
    rows = (
        Invoice.objects.filter(issued & for_month, currency=client.currency)
        .order_by("issue_date", "pk")
        .values_list("pk", "number", "kind", "subtotal", "subtotal_currency")
    )
    return tuple(
        InvoiceRef(pk, number, kind, Money(amount, currency)) for pk, number, kind, amount, currency in rows
    )
