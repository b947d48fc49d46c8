"""The dashboards' reads: one aggregate query per widget, whatever the size of the data.

Each function answers one widget of a dashboard (the technician's, the owner's and admin's,
the client contact's portal home) and runs a fixed number of queries: counts are aggregates
in the database (grouped, or conditional), lists are capped. Times are cut at the active time zone's
midnight (the tenant's once the request activates it), durations are integer minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assets.models import Asset
from billing.periods import Period
from contracts.choices import ContractKind, ContractStatus
from contracts.models import Contract, LedgerEntry, SlaPolicy
from contracts.selectors import USE_KINDS
from monitoring.models import Alert
from msp.models import Client, Contact, Membership, OutboundEmail, OutboundEmailStatus, Site
from msp.roles import Role
from reports.models import MonthlyReport, ReportStatus
from sales.choices import OfferStatus
from sales.models import Offer
from tickets import sla
from tickets.choices import OPEN_STATUSES, Priority, SlaState
from tickets.models import Ticket
from tickets.sla_policy import calendar_of
from timetracking.models import TimeEntry, Timer

LIST_SIZE = 8  # rows a list widget shows; "see all" leads to the full list
EXPIRING_DAYS = 60  # contracts and warranties ending within this many days
BURN_DAYS = 30  # the client's forecast: the burn rate over the last 30 days
UTILISATION_ROWS = 12  # the technicians with the most billable time this month

# Open tickets by age: (key, label, from days, to days or None).
AGE_BUCKETS = (
    ("day", _("Under a day"), 0, 1),
    ("days", _("1–3 days"), 1, 3),
    ("week", _("3–7 days"), 3, 7),
    ("month", _("1–4 weeks"), 7, 30),
    ("older", _("Over 30 days"), 30, None),
)
ATTENTION = (SlaState.AT_RISK, SlaState.BREACHED)


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, its value (a number), the value as shown, a link."""

    label: str
    value: int | Decimal
    text: str = ""
    href: str = ""
    tone: str = ""

    @property
    def shown(self) -> str:
        return self.text or str(self.value)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(0)))


# --- tickets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFigures:
    mine_by_priority: dict[str, int]
    mine_attention: int
    open_total: int
    by_age: dict[str, int]
    month_with_sla: int
    month_breached: int

    @property
    def compliance_percent(self) -> int | None:
        """Tickets opened this month whose SLA holds (met or still running), in percent."""
        if not self.month_with_sla:
            return None
        kept = self.month_with_sla - self.month_breached
        return int((Decimal(kept) * 100 / self.month_with_sla).quantize(Decimal("1"), ROUND_HALF_UP))


def _count(queryset) -> Subquery:
    """COUNT(*) of a queryset as a scalar subquery (every row of the scope is one tenant's)."""
    counted = queryset.order_by().values("tenant").annotate(n=Count("pk")).values("n")
    return Subquery(counted[:1], output_field=IntegerField())


def ticket_figures(*, user, now: datetime | None = None, tenant_wide: bool = True) -> TicketFigures:
    """Every ticket count the staff dashboards show, in one query of scalar subqueries, each
    an index range count: the user's open tickets by priority (tenant, assignee, status) and,
    `tenant_wide`, all open tickets (tenant, status, ...), those opened in the last 30 days by
    age (tenant, created_at: the older ones are the rest) and this month's. No count reads the years of closed tickets, nor evaluates an expression per
    open ticket."""
    now = now or timezone.now()
    month_start = local_midnight(timezone.localdate(now).replace(day=1))
    open_ = Ticket.objects.filter(status__in=OPEN_STATUSES)
    mine = open_.filter(assignee_id=user.pk)
    counts = {f"p_{p}": _count(mine.filter(priority=p)) for p in Priority.values}
    counts["mine_attention"] = _count(mine.filter(sla_state__in=ATTENTION))
    if tenant_wide:
        counts["open_total"] = _count(open_)
        for key, _label, low, high in AGE_BUCKETS[:-1]:  # the oldest bucket is the rest
            bucket = open_.filter(
                created_at__lte=now - timedelta(days=low), created_at__gt=now - timedelta(days=high)
            )
            counts[f"age_{key}"] = _count(bucket)
        month = Ticket.objects.filter(created_at__gte=month_start).exclude(sla_state=SlaState.NONE)
        counts["month_with_sla"] = _count(month)
        counts["month_breached"] = _count(month.filter(sla_state=SlaState.BREACHED))
    row = Membership.objects.filter(user_id=user.pk).annotate(**counts).values(*counts).first() or {}
    n = {key: row.get(key) or 0 for key in counts}
    by_age = {key: n.get(f"age_{key}", 0) for key, *_rest in AGE_BUCKETS[:-1]}
    by_age[AGE_BUCKETS[-1][0]] = max(n.get("open_total", 0) - sum(by_age.values()), 0)
    return TicketFigures(
        mine_by_priority={p: n[f"p_{p}"] for p in Priority.values},
        mine_attention=n["mine_attention"],
        open_total=n.get("open_total", 0),
        by_age=by_age,
        month_with_sla=n.get("month_with_sla", 0),
        month_breached=n.get("month_breached", 0),
    )


def tickets_needing_attention(*, user, now: datetime | None = None) -> list[Ticket]:
    """The user's open tickets whose SLA is at risk or breached (by the sweep or by the clock
    already), the nearest due first."""
    now = now or timezone.now()
    late_by_clock = Q(sla_state=SlaState.OK) & (Q(sla_warn_at__lte=now) | Q(sla_breach_at__lte=now))
    return list(
        Ticket.objects.filter(status__in=OPEN_STATUSES, assignee=user)
        .filter(Q(sla_state__in=ATTENTION) | late_by_clock)
        .select_related("client")
        .only(
            "id", "subject", "priority", "status", "sla_state", "sla_breach_at", "sla_warn_at", "client__name"
        )
        .order_by(F("sla_breach_at").asc(nulls_last=True), "pk")[:LIST_SIZE]
    )


# --- time -----------------------------------------------------------------------------------


def running_timer(*, user) -> Timer | None:
    return (
        Timer.objects.filter(technician=user)
        .select_related("ticket")
        .only("id", "started_at", "ticket__id", "ticket__subject")
        .first()
    )


@dataclass(frozen=True)
class MyTime:
    today_minutes: int
    week_minutes: int
    week_billable_minutes: int


def my_time(*, user, now: datetime | None = None) -> MyTime:
    """The user's logged minutes today and this week (from Monday), one query."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    day_start = local_midnight(today)
    week_start = local_midnight(today - timedelta(days=today.weekday()))
    worked = Coalesce("started_at", "created_at")
    row = (
        TimeEntry.objects.annotate(worked=worked)
        .filter(technician=user, worked__gte=week_start)
        .order_by()
        .aggregate(
            today=Sum("minutes", filter=Q(worked__gte=day_start)),
            week=Sum("minutes"),
            billable=Sum("minutes", filter=Q(billable=True)),
        )
    )
    return MyTime(row["today"] or 0, row["week"] or 0, row["billable"] or 0)


@dataclass(frozen=True)
class Utilisation:
    name: str
    logged_minutes: int
    billable_minutes: int
    available_minutes: int

    @property
    def percent(self) -> int:
        """Billable time over the business time available this month so far."""
        if self.available_minutes <= 0:
            return 0
        ratio = Decimal(self.billable_minutes) * 100 / self.available_minutes
        return int(ratio.quantize(Decimal("1"), ROUND_HALF_UP))


def available_minutes_this_month(*, now: datetime | None = None) -> int:
    """Business minutes from the first of the month to now on the tenant's default SLA
    calendar (Mon-Fri 09:00-18:00 in the active zone when there is none): one query."""
    now = now or timezone.now()
    month_start = local_midnight(timezone.localdate(now).replace(day=1))
    policy = SlaPolicy.objects.select_related("calendar").filter(is_default=True).first()
    if policy is not None:
        calendar = calendar_of(policy.calendar)
    else:
        calendar = sla.Calendar.office_hours(timezone.get_current_timezone_name())
    return sla.business_seconds_between(month_start, now, calendar) // 60


def utilisation_per_technician(
    *, tenant, available_minutes: int, now: datetime | None = None
) -> list[Utilisation]:
    """Each technician's (and any member who logged time's) minutes this month, billable and
    not, against the business time available, the most billable first (UTILISATION_ROWS of
    them): two queries, whatever the team's size.

    The month's entries are read once and summed per technician, then matched to the members:
    a sum per member (a subquery each, or a join of the members to their entries) read every
    member's month of entries once for the logged minutes and again for the billable ones."""
    now = now or timezone.now()
    month_start = local_midnight(timezone.localdate(now).replace(day=1))
    sums = {
        row["technician"]: row
        for row in TimeEntry.objects.filter(
            Q(started_at__gte=month_start) | Q(started_at__isnull=True, created_at__gte=month_start)
        )
        .order_by()
        .values("technician")
        .annotate(logged=Sum("minutes"), billable=Sum("minutes", filter=Q(billable=True)))
    }
    members = (
        Membership.objects.filter(tenant=tenant, is_active=True)
        .exclude(role=Role.CLIENT)
        .values("user_id", "role", "user__username", "user__first_name", "user__last_name")
    )
    ranked = []
    for m in members:
        month = sums.get(m["user_id"], {})
        logged, billable = month.get("logged") or 0, month.get("billable") or 0
        if m["role"] != Role.TECHNICIAN and not logged:
            continue
        first, last, username = m["user__first_name"], m["user__last_name"], m["user__username"]
        row = Utilisation(
            name=f"{first} {last}".strip() or username,
            logged_minutes=logged,
            billable_minutes=billable,
            available_minutes=available_minutes,
        )
        ranked.append(((-billable, first, last, username), row))
    ranked.sort(key=lambda pair: pair[0])
    return [row for _key, row in ranked[:UTILISATION_ROWS]]


# --- contracts, assets, offers --------------------------------------------------------------


def clients_low_on_hours() -> list[Contract]:
    """Active prepaid contracts whose balance fell below their renewal threshold, lowest first."""
    return list(
        Contract.objects.filter(
            kind=ContractKind.PREPAID_HOURS,
            status=ContractStatus.ACTIVE,
            balance_minutes__lt=F("renew_threshold_minutes"),
        )
        .select_related("client")
        .order_by("balance_minutes", "pk")[:LIST_SIZE]
    )


def contracts_expiring(*, today: date | None = None) -> list[Contract]:
    today = today or timezone.localdate()
    return list(
        Contract.objects.filter(
            status=ContractStatus.ACTIVE,
            end_date__gte=today,
            end_date__lte=today + timedelta(days=EXPIRING_DAYS),
        )
        .select_related("client")
        .order_by("end_date", "pk")[:LIST_SIZE]
    )


def warranties_expiring(*, today: date | None = None) -> list[Asset]:
    today = today or timezone.localdate()
    return list(
        Asset.objects.filter(
            warranty_expires__gte=today, warranty_expires__lte=today + timedelta(days=EXPIRING_DAYS)
        )
        .select_related("client")
        .only("id", "name", "kind", "warranty_expires", "client__name")
        .order_by("warranty_expires", "pk")[:LIST_SIZE]
    )


def offers_awaiting() -> list[Offer]:
    """Sent offers the client has not decided on, the longest waiting first."""
    return list(
        Offer.objects.filter(status=OfferStatus.SENT)
        .select_related("client")
        .only("id", "title", "sent_at", "valid_until", "client__name")
        .order_by(F("sent_at").asc(nulls_last=True), "pk")[:LIST_SIZE]
    )


# --- the client's portal home ---------------------------------------------------------------


@dataclass(frozen=True)
class MonthBalance:
    """A prepaid contract's balance at the end of a month (`day`: its last day), or now;
    None before the contract had any movement."""

    day: date
    minutes: int | None
    now: bool = False


@dataclass(frozen=True)
class HourForecast:
    contract: Contract
    used_minutes: int  # drawn over the last BURN_DAYS days
    today: date
    # The balance at the end of each of the last HISTORY_MONTHS months, oldest first, then now.
    history: tuple[MonthBalance, ...] = ()

    @property
    def balance_minutes(self) -> int:
        return self.contract.balance_minutes

    @property
    def shown_history(self) -> tuple[MonthBalance, ...]:
        """The history from the first month with a balance (the months before the contract's
        first movement left out)."""
        first = next(
            (i for i, point in enumerate(self.history) if point.minutes is not None), len(self.history)
        )
        return self.history[first:]

    @property
    def threshold_minutes(self) -> int:
        return self.contract.renew_threshold_minutes

    @property
    def minutes_per_week(self) -> int:
        return round(self.used_minutes * 7 / BURN_DAYS)

    @property
    def below_threshold(self) -> bool:
        """The balance is under the renewal threshold already."""
        return self.balance_minutes < self.threshold_minutes

    @property
    def renews_automatically(self) -> bool:
        """A block is bought by itself when the balance falls under the threshold."""
        contract = self.contract
        return bool(contract.auto_renew and contract.renew_block_price and contract.renew_block_minutes > 0)

    def _day_at(self, minutes_to_burn: int) -> date | None:
        if self.used_minutes <= 0 or minutes_to_burn < 0:
            return None
        days = Decimal(minutes_to_burn) * BURN_DAYS / self.used_minutes
        return self.today + timedelta(days=int(days))

    @property
    def runs_out_on(self) -> date | None:
        """When the balance reaches zero at the current burn rate (None: no recent use)."""
        if self.balance_minutes <= 0:
            return None
        return self._day_at(self.balance_minutes)

    @property
    def reaches_threshold_on(self) -> date | None:
        """When the balance falls under the renewal threshold at the current burn rate (None:
        no recent use, or it is under the threshold already)."""
        if self.below_threshold:
            return None
        return self._day_at(self.balance_minutes - self.threshold_minutes)

    def projected(self, day: date) -> int:
        """The balance expected on `day` at the current burn rate (never under zero)."""
        burnt = Decimal(self.used_minutes) * (day - self.today).days / BURN_DAYS
        return max(int(self.balance_minutes - burnt), 0)


def month_ends(today: date, months: int) -> list[date]:
    """The last day of each of the `months` months before `today`'s, oldest first."""
    periods = [Period.of(today).previous()]
    while len(periods) < months:
        periods.append(periods[-1].previous())
    return [period.end for period in reversed(periods[:months])]


def next_month_ends(today: date, months: int) -> list[date]:
    """The last day of this month and of the `months - 1` months after it."""
    ends = [Period.of(today).end]
    while len(ends) < months:
        ends.append(Period.of(ends[-1] + timedelta(days=1)).end)
    return ends[:months]


def _balance_before(moment: datetime) -> Subquery:
    """The contract's balance just before `moment`: its last ledger row's running balance."""
    last = LedgerEntry.objects.filter(contract=OuterRef("pk"), created_at__lt=moment).order_by("-pk")
    return Subquery(last.values("balance_after")[:1], output_field=IntegerField())


def hour_forecasts(*, now: datetime | None = None, months: int = 0) -> list[HourForecast]:
    """The scope's active prepaid contracts with their burn rate over the last BURN_DAYS
    days and, with `months`, their balance at the end of each of the last `months` months:
    one query whatever the number of contracts, months or ledger rows (each month-end is the
    running balance of the contract's last ledger row before the next month's first midnight,
    read backwards along the ledger's (contract, id) index)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ends = month_ends(today, months)
    used = (
        LedgerEntry.objects.filter(
            contract=OuterRef("pk"), kind__in=USE_KINDS, created_at__gte=now - timedelta(days=BURN_DAYS)
        )
        .order_by()
        .values("contract")
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    ends_at = {
        f"end_{i}": _balance_before(local_midnight(end + timedelta(days=1))) for i, end in enumerate(ends)
    }
    contracts = list(
        Contract.objects.filter(kind=ContractKind.PREPAID_HOURS, status=ContractStatus.ACTIVE)
        .annotate(used_total=Subquery(used[:1], output_field=IntegerField()), **ends_at)
        .order_by("start_date", "pk")
    )
    forecasts = []
    for contract in contracts:
        history = [MonthBalance(end, getattr(contract, f"end_{i}")) for i, end in enumerate(ends)]
        if months:
            history.append(MonthBalance(today, contract.balance_minutes, now=True))
        forecasts.append(
            HourForecast(
                contract=contract,
                used_minutes=-(contract.used_total or 0),
                today=today,
                history=tuple(history),
            )
        )
    return forecasts


def open_tickets() -> list[Ticket]:
    """The scope's open tickets, newest first (the portal's home shows its client's)."""
    return list(
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .only(
            "id", "subject", "status", "priority", "sla_state", "sla_warn_at", "sla_breach_at", "created_at"
        )
        .order_by("-created_at", "-pk")[: LIST_SIZE + 1]
    )


def offers_to_decide() -> list[Offer]:
    return list(
        Offer.objects.filter(status=OfferStatus.SENT)
        .only("id", "title", "sent_at", "valid_until")
        .order_by("-sent_at", "-pk")[:LIST_SIZE]
    )


# --- the clients ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientOverview:
    newest: list[Client]
    counts: dict[str, int]
    failed_emails: int


def client_overview(*, with_failed_emails: bool = False) -> ClientOverview:
    """The newest clients, how many clients, sites and contacts the scope holds and (for who
    may see them) how many e-mails failed: one query, the totals riding on every row."""
    totals = {
        "total_clients": _count(Client.objects.all()),
        "total_sites": _count(Site.objects.all()),
        "total_contacts": _count(Contact.objects.all()),
    }
    failed = OutboundEmail.objects.filter(status=OutboundEmailStatus.FAILED)
    if with_failed_emails:
        totals["total_failed"] = _count(failed)
    newest = list(Client.objects.annotate(**totals).order_by("-created_at", "-pk")[:LIST_SIZE])
    if not newest:  # no clients: no sites or contacts either; the mail may still have failed
        return ClientOverview(
            [],
            dict.fromkeys(("clients", "sites", "contacts"), 0),
            failed.count() if with_failed_emails else 0,
        )
    first = newest[0]
    return ClientOverview(
        newest=newest,
        counts={
            "clients": first.total_clients or 0,
            "sites": first.total_sites or 0,
            "contacts": first.total_contacts or 0,
        },
        failed_emails=(first.total_failed or 0) if with_failed_emails else 0,
    )


# --- monthly client reports (reports.models) ----------------------------------------------------


def reports_visible(membership):
    """The monthly reports a member may open: a client contact sees its own company's (the
    scope) once they are sent, never a draft."""
    reports = MonthlyReport.objects.select_related("client")
    if membership is not None and membership.is_client:
        reports = reports.filter(status=ReportStatus.SENT)
    return reports


def report_clients(period) -> set[int]:
    """The clients with something to report for the month (a `billing.periods.Period`): a
    contract running some day of it, or a ticket opened or resolved, time worked, or an alert
    raised in it (the month cut at the active time zone's midnights). Four index reads."""
    start, end = local_midnight(period.start), local_midnight(period.end + timedelta(days=1))
    contracts = (
        Contract.objects.filter(start_date__lte=period.end)
        .exclude(end_date__lt=period.start)
        .exclude(status=ContractStatus.ENDED, end_date__isnull=True)
        .values_list("client_id", flat=True)
    )
    tickets = Ticket.objects.filter(
        Q(created_at__gte=start, created_at__lt=end) | Q(resolved_at__gte=start, resolved_at__lt=end)
    ).values_list("client_id", flat=True)
    worked = TimeEntry.objects.filter(
        Q(started_at__gte=start, started_at__lt=end)
        | Q(started_at__isnull=True, created_at__gte=start, created_at__lt=end)
    ).values_list("ticket__client_id", flat=True)
    alerts = Alert.objects.filter(
        first_seen_at__gte=start, first_seen_at__lt=end, client__isnull=False
    ).values_list("client_id", flat=True)
    found: set[int] = set()
    for ids in (contracts, tickets, worked, alerts):
        found.update(ids.order_by().distinct())
    return found


def report_recipients(client: Client) -> list[str]:
    """Where the client's monthly report goes: its contacts marked "receives monthly
    reports", else its billing email (one query); [] when it has neither."""
    emails = list(
        Contact.objects.filter(client=client, receives_reports=True)
        .exclude(email="")
        .order_by("name", "pk")
        .values_list("email", flat=True)
    )
    unique = list(dict.fromkeys(email.strip() for email in emails))
    if unique:
        return unique
    return [client.billing_email] if client.billing_email else []
