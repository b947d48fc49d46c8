"""The monthly report's figures as values: frozen dataclasses of integer minutes, Money and
dates, their exact JSON form, and the pure rules that derive some of them (unit-tested)."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from djmoney.money import Money

from timetracking.models import labour_amount

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
