"""Reading one client's month from the database: a fixed number of aggregate queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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
from reports.figures.values import (
    AlertCount,
    BreakFix,
    ContractHours,
    InvoiceRef,
    KeyCount,
    MonthBalance,
    MonthFigures,
    Party,
    PatchCount,
    Share,
    SlaBreach,
    SlaTarget,
    Warranty,
    WeekTickets,
    WorkTypeMinutes,
    break_fix_cost,
    late_minutes,
    threshold_forecast,
)
from tickets.choices import Priority, Source
from tickets.models import Ticket
from timetracking.models import TimeEntry, worked_between
from timetracking.services import break_fix_rate

HISTORY_MONTHS = 12  # month-end balances drawn in the burn-down, this month included
WARRANTY_DAYS = 90  # warranties ending within this many days after the month's end
LIST_CAP = 50  # rows a list of the report shows at most (breaches, warranties); totals stay exact
PROACTIVE_SOURCES = (Source.MONITORING,)  # no "scheduled" source exists yet: add it here when it does


def month_bounds(period: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month as [first midnight, next month's first midnight) in the zone."""
    start = datetime.combine(period.start, time(0), tzinfo=zone)
    following = period.end + timedelta(days=1)
    return start, datetime.combine(following, time(0), tzinfo=zone)


def _shift(period: Period, months: int) -> Period:
    index = period.year * 12 + period.month - 1 - months
    return Period(index // 12, index % 12 + 1)


def month_figures(client, period: Period, *, now: datetime | None = None) -> MonthFigures:
    """The client's figures for the month (see ``reports.figures``), read in the client's own
    scope: ten queries (one fewer when the client's tenant is already loaded, one fewer
    without prepaid hours), whatever its size. Inside another tenant's or client's scope it
    refuses: that is a bug, not a switch."""
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


# An SLA target is decided in the month when it is met in it (answered by its due time) or
# breached in it (its due time passed in it, unanswered by then): (due field, answer field).
SLA_TARGETS = {
    "response": ("response_due_at", "first_response_at"),
    "resolution": ("resolution_due_at", "resolved_at"),
}


def sla_met(target: str, start: datetime, cutoff: datetime) -> Q:
    due, done = SLA_TARGETS[target]
    return Q(**{f"{done}__gte": start, f"{done}__lt": cutoff, f"{done}__lte": F(due)})


def sla_breached(target: str, start: datetime, cutoff: datetime) -> Q:
    due, done = SLA_TARGETS[target]
    return Q(**{f"{due}__gte": start, f"{due}__lt": cutoff}) & (
        Q(**{f"{done}__isnull": True}) | Q(**{f"{done}__gt": F(due)})
    )


def _ticket_counts(start: datetime, cutoff: datetime, zone: ZoneInfo):
    """Tickets opened and resolved in the month by priority, source and day opened, and the
    SLA targets decided in it (``sla_met`` / ``sla_breached``), in one grouped query."""
    response_met = sla_met("response", start, cutoff)
    response_breached = sla_breached("response", start, cutoff)
    resolution_met = sla_met("resolution", start, cutoff)
    resolution_breached = sla_breached("resolution", start, cutoff)
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
    rows = list(
        Ticket.objects.filter(
            sla_breached("response", start, cutoff) | sla_breached("resolution", start, cutoff)
        )
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
