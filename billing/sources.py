"""What is billable: each source turns into draft lines that claim what they bill.

Reads only, scoped by the default managers. A thing already claimed by a line (of any
invoice not voided) is not offered again, and the database refuses a second claim anyway
(`BilledItem`), so two runs racing each other cannot bill it twice.
"""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from djmoney.money import Money

from assets.choices import AssetKind
from assets.models import Asset
from billing.models import BilledItem, LineKind
from billing.periods import Period
from billing.services.invoices import Claim, LineDraft
from contracts.choices import ContractKind, ContractStatus
from contracts.models import Contract, HourBlock, RecurringService, ServiceTier
from msp.money import quantize_money
from msp.people import display_name
from timetracking.models import TimeEntry, labour_amount

FEE = "contract_fee"


def day_text(value, tenant) -> str:
    """A day as the reader's language writes it (the run activates the client's language); a
    moment is first read in the MSP's time zone."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value, ZoneInfo(tenant.timezone)).date()
    return date_format(value, "DATE_FORMAT")


BLOCK = "hour_block"
ENTRY = "time_entry"


def _claimed(kind: str, period: str = ""):
    return Exists(BilledItem.objects.filter(source_kind=kind, source_id=OuterRef("pk"), period=period))


CLAIMS_READ = 5000  # ids per query (PostgreSQL takes at most 65,535 parameters, SQLite 32,766)


def _unclaimed(rows, kind: str) -> list:
    """The rows no line has claimed as `kind` yet, their claims read by key: one query per
    5,000 rows, whatever has been billed before.

    Not a `NOT EXISTS` in the rows' query: the run inserts claims as it goes (thousands for a
    tenant's first month), which the planner's statistics do not know of, so it joined every
    row to all of the tenant's claims (a scan of them per row under row-level security, a
    materialised list per row without it): the labour query of a 25-client tenant's last
    clients took 0.1 s without the fence and 0.8 s with it. Looked up by their unique key
    (tenant, kind, id), each claim costs the same however many there are."""
    rows = list(rows)
    claimed = set()
    for start in range(0, len(rows), CLAIMS_READ):
        ids = [row.pk for row in rows[start : start + CLAIMS_READ]]
        claimed.update(
            BilledItem.objects.filter(source_kind=kind, period="", source_id__in=ids).values_list(
                "source_id", flat=True
            )
        )
    return [row for row in rows if row.pk not in claimed]


def billable_contracts(period: Period):
    """Contracts running some day of the period, with the client and tier loaded."""
    return (
        Contract.objects.filter(start_date__lte=period.end)
        .exclude(end_date__lt=period.start)
        .exclude(status=ContractStatus.ENDED, end_date__isnull=True)
        .select_related("client__tenant", "tier")
        .prefetch_related("tier__prices")
        .order_by("client__name", "client_id", "pk")
    )


def prorated(price: Money, days: int, period: Period) -> Money:
    if days >= period.days:
        return price
    return quantize_money(price * Decimal(days) / Decimal(period.days))


def fee_lines(contract: Contract, period: Period, asset_counts: Counter, since=None) -> list[LineDraft]:
    """A managed contract's month: the tier's price per asset kind times the client's assets
    at the period's end, and its à-la-carte services, prorated by day for a partial month;
    the days of a free trial are shown at their value and discounted 100 %, line by line (so
    a month wholly in the trial totals exactly 0.00)."""
    if contract.kind != ContractKind.MANAGED:
        return []
    start = max(contract.start_date, since) if since else contract.start_date
    if contract.end_date is not None and contract.end_date < start:
        return []
    days = period.active_days(start, contract.end_date)
    if days == 0:
        return []
    partial = days < period.days
    suffix = (
        (" " + _("(%(days)s of %(total)s days)") % {"days": days, "total": period.days}) if partial else ""
    )
    common = {
        "contract": contract,
        "period_start": max(period.start, start),
        "period_end": min(period.end, contract.end_date) if contract.end_date else period.end,
    }
    charges: list[tuple[str, str, Decimal, Money]] = []  # (kind, description, quantity, monthly price)
    if contract.tier_id is not None:
        prices = {price.kind: price.price for price in contract.tier.prices.all()}
        for kind in AssetKind.values:
            count = asset_counts.get(kind, 0)
            if kind in prices and count:
                description = f"{contract.tier.name} · {AssetKind(kind).label} · {period}{suffix}"
                charges.append((LineKind.RECURRING_FEE, description, Decimal(count), prices[kind]))
    elif contract.monthly_fee is not None:
        charges.append(
            (LineKind.RECURRING_FEE, f"{contract} · {period}{suffix}", Decimal(1), contract.monthly_fee)
        )
    services = {
        service.pk: service for service in RecurringService.objects.filter(pk__in=_service_ids(contract))
    }
    for item in contract.lines or []:
        service = services.get(item.get("service"))
        if service is None or not int(item.get("quantity") or 0):
            continue
        agreed = Money(Decimal(str(item.get("unit_price", service.price.amount))), contract.currency)
        charges.append(
            (LineKind.SERVICE, f"{service.name} · {period}{suffix}", Decimal(int(item["quantity"])), agreed)
        )
    if not charges:
        return []
    lines = [
        LineDraft(
            kind=kind,
            description=description,
            quantity=quantity,
            unit_price=prorated(price, days, period),
            **common,
        )
        for kind, description, quantity, price in charges
    ]
    trial_days = (
        period.active_days(start, min(contract.trial_end, contract.end_date or contract.trial_end))
        if contract.trial_end
        else 0
    )
    if trial_days:
        note = _("Free trial until %(day)s (%(days)s days)") % {
            "day": day_text(contract.trial_end, contract.client.tenant),
            "days": trial_days,
        }
        lines += [
            LineDraft(
                kind=LineKind.DISCOUNT,
                description=f"{note}: {description}",
                quantity=quantity,
                unit_price=-prorated(price, trial_days, period) if trial_days < days else -line.unit_price,
                **common,
            )
            for (kind, description, quantity, price), line in zip(charges, lines, strict=True)
        ]
    lines[0] = LineDraft(**{**lines[0].__dict__, "claims": (Claim(FEE, contract.pk, str(period)),)})
    return lines


def _service_ids(contract: Contract) -> list[int]:
    return [
        item["service"] for item in contract.lines or [] if isinstance(item, dict) and item.get("service")
    ]


def asset_counts_by_client(client_ids, period: Period) -> dict[int, Counter]:
    """Each client's assets by kind on the period's last day: one query."""
    counts: dict[int, Counter] = {}
    rows = (
        Asset.objects.filter(client_id__in=client_ids, created_at__date__lte=period.end)
        .values_list("client_id", "kind")
        .order_by()
    )
    for client_id, kind in rows:
        counts.setdefault(client_id, Counter())[kind] += 1
    return counts


def block_lines(contracts, blocks=None, since=None) -> list[LineDraft]:
    """Hour blocks bought and not yet invoiced (a prepaid block is billed when bought), of
    these contracts: one query."""
    by_id = {contract.pk: contract for contract in contracts}
    if blocks is None:
        blocks = (
            HourBlock.objects.filter(contract_id__in=by_id)
            .filter(**({"purchased_at__date__gte": since} if since else {}))
            .exclude(_claimed(BLOCK))
            .order_by("contract_id", "purchased_at", "pk")
        )
    lines = []
    for block in blocks:
        hours = Decimal(block.minutes) / Decimal(60)
        lines.append(
            LineDraft(
                kind=LineKind.HOUR_BLOCK,
                description=_("Prepaid hours: %(hours)s h block (%(origin)s), bought %(day)s")
                % {
                    "hours": f"{hours.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP).normalize():f}",
                    "origin": block.get_origin_display(),
                    "day": day_text(block.purchased_at, by_id[block.contract_id].client.tenant),
                },
                unit_price=block.price,
                contract=by_id[block.contract_id],
                claims=(Claim(BLOCK, block.pk),),
            )
        )
    return lines


ONSITE = "onsite_fee"


def onsite_lines(contracts, period: Period, fee: Money | None, client, since=None) -> list[LineDraft]:
    """A call-out fee per on-site visit (a time entry marked on site) up to the period's end,
    less the on-site discount of the client's managed tier: two queries."""
    if fee is None:
        return []
    managed = next((c for c in contracts if c.kind == ContractKind.MANAGED and c.tier_id), None)
    discount = managed.tier.onsite_discount_percent if managed is not None else Decimal(0)
    unit_price = quantize_money(fee * (Decimal(100) - discount) / Decimal(100))
    entries = _unclaimed(
        _billable_entries(contracts, client.pk, period, since)
        .filter(onsite=True)
        .order_by("started_at", "created_at", "pk"),
        ONSITE,
    )
    lines = []
    for entry in entries:
        worked = day_text(entry.started_at or entry.created_at, client.tenant)
        description = _("On-site call-out · %(day)s · %(ticket)s") % {"day": worked, "ticket": entry.ticket}
        if discount:
            description += " " + _("(%(tier)s: %(discount)s %% off)") % {
                "tier": managed.tier.name,
                "discount": f"{discount.normalize():f}",
            }
        lines.append(
            LineDraft(
                kind=LineKind.ONSITE,
                description=description,
                unit_price=unit_price,
                contract=next((c for c in contracts if c.pk == entry.contract_id), None),
                claims=(Claim(ONSITE, entry.pk),),
            )
        )
    return lines


def labour_rate(contract: Contract) -> Money | None:
    if contract.kind == ContractKind.PREPAID_HOURS:
        return contract.overage_rate or contract.hourly_rate
    return contract.hourly_rate


# What a line says of an entry (the rest of a time entry is never read by the run).
ENTRY_FIELDS = (
    "contract",
    "ticket__subject",
    "technician__first_name",
    "technician__last_name",
    "technician__username",
    "started_at",
    "created_at",
    "overage_minutes",
    "hourly_rate",
    "hourly_rate_currency",
    "note",
)


def _billable_entries(contracts, client_id: int, period: Period, since=None):
    """The client's time entries up to the period's end (from `since`, the day billing
    started here): those on its contracts, and those on tickets that bill to no contract
    (they carry the break/fix rate); with their ticket's number and subject and the
    technician's name, and nothing else joined (the tenant is the run's)."""
    entries = TimeEntry.objects.filter(
        Q(contract_id__in=[contract.pk for contract in contracts])
        | Q(contract__isnull=True, hourly_rate__isnull=False, ticket__client_id=client_id),
        billable=True,
        created_at__lt=day_start(period.end + datetime.timedelta(days=1)),
    )
    if since:
        entries = entries.filter(created_at__gte=day_start(since))
    return entries.select_related("ticket", "technician").only(*ENTRY_FIELDS)


def day_start(day: datetime.date) -> datetime.datetime:
    """The day's first moment in the current time zone: ``created_at < day_start(d + 1)`` is
    ``created_at__date <= d`` spelled as a range the (tenant, contract, created_at) index serves."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def pending_breakfix_clients(period: Period, since=None) -> list[int]:
    """Clients with labour on tickets that bill to no contract, not yet invoiced: one query."""
    entries = TimeEntry.objects.filter(
        contract__isnull=True,
        hourly_rate__isnull=False,
        billable=True,
        overage_minutes__gt=0,
        invoiced_at=None,
    )
    if since:
        entries = entries.filter(created_at__gte=day_start(since))
    return list(
        entries.filter(created_at__lt=day_start(period.end + datetime.timedelta(days=1)))
        .exclude(_claimed(ENTRY))
        .values_list("ticket__client_id", flat=True)
        .distinct()
        .order_by()
    )


def labour_lines(contracts, period: Period, client, since=None) -> list[LineDraft]:
    """Overage and break/fix labour worked up to the period's end and not yet invoiced, one
    line per time entry (date, technician, ticket, minutes), at the contract's rate or, on a
    ticket billing to no contract, the break/fix rate the entry carries: two queries."""
    by_id = {contract.pk: contract for contract in contracts}
    entries = _unclaimed(
        _billable_entries(contracts, client.pk, period, since)
        # An entry on an issued invoice is stamped (`invoiced_at`, until the invoice is voided):
        # last months' entries are not read again only to find their claims.
        .filter(overage_minutes__gt=0, invoiced_at__isnull=True)
        .order_by("contract_id", "started_at", "created_at", "pk"),
        ENTRY,
    )
    lines = []
    for entry in entries:
        contract = by_id.get(entry.contract_id)
        rate = labour_rate(contract) if contract is not None else entry.hourly_rate
        if rate is None:
            continue  # no rate agreed: the entry waits (the contract page says so)
        prepaid = contract is not None and contract.kind == ContractKind.PREPAID_HOURS
        worked = day_text(entry.started_at or entry.created_at, client.tenant)
        technician = display_name(entry.technician)
        # One line per entry at quantity 1: the amount is the rate times the minutes rounded
        # once (timetracking.models.labour_amount), the figure the draw-down already showed.
        lines.append(
            LineDraft(
                kind=LineKind.OVERAGE if prepaid else LineKind.LABOUR,
                description=_("%(day)s · %(ticket)s · %(technician)s · %(minutes)s min at %(rate)s/h")
                % {
                    "day": worked,
                    "ticket": entry.ticket,
                    "technician": technician,
                    "minutes": entry.overage_minutes,
                    "rate": rate,
                },
                detail=entry.note,
                unit_price=labour_amount(rate, entry.overage_minutes),
                contract=contract,
                claims=(Claim(ENTRY, entry.pk),),
            )
        )
    return lines


def comparison(client, contracts, lines, asset_counts: Counter) -> dict:
    """What the month would have cost under the cheapest tier that includes labour, for the
    client's devices, beside the labour this invoice bills ({} when it does not apply)."""
    if any(contract.kind == ContractKind.MANAGED for contract in contracts):
        return {}
    labour = [line for line in lines if line.kind in (LineKind.LABOUR, LineKind.OVERAGE)]
    if not labour or not asset_counts:
        return {}
    tiers = ServiceTier.objects.filter(
        includes_labour=True, is_active=True, currency=client.currency
    ).prefetch_related("prices")
    best = None
    for tier in tiers:
        prices = {price.kind: price.price for price in tier.prices.all()}
        monthly = sum(
            (prices[kind] * count for kind, count in asset_counts.items() if kind in prices),
            Money(0, client.currency),
        )
        if monthly.amount > 0 and (best is None or monthly < best[1]):
            best = (tier, monthly)
    if best is None:
        return {}
    labour_total = sum((line.unit_price * line.quantity for line in labour), Money(0, client.currency))
    return {
        "tier": best[0].name,
        "monthly": str(quantize_money(best[1]).amount),
        "labour": str(quantize_money(labour_total).amount),
        "currency": client.currency,
    }
