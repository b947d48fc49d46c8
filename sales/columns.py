"""The tiers of an offer as columns side by side: one shape for the live builder (priced
now), the saved offer (its frozen snapshot), the portal and the PDF.

Pure presentation over already-loaded rows: nothing here queries the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from djmoney.money import Money

from assets.choices import AssetKind
from contracts.choices import Feature
from msp.money import quantize_money, zero


@dataclass(frozen=True)
class ColumnLine:
    label: str
    quantity: int
    unit_price: Money
    amount: Money
    kind: str = ""


@dataclass
class OfferColumn:
    name: str
    currency: str
    lines: list[ColumnLine]
    monthly_total: Money
    discount: Money
    features: list[str] = field(default_factory=list)
    includes_labour: bool = False
    onsite_discount_percent: Decimal = Decimal("0")
    tier_id: int | None = None
    option_id: int | None = None
    recommended: bool = False
    accepted: bool = False
    # The tier's SLA first-response targets (minutes), read from the tier when shown.
    sla_response_minutes: int | None = None
    sla_server_response_minutes: int | None = None
    # Set by with_tax(): the tenant's tax on the monthly total, and the total with it.
    tax_rate: Decimal | None = None
    tax: Money | None = None
    total_with_tax: Money | None = None

    @property
    def subtotal(self) -> Money:
        return self.monthly_total + self.discount

    @property
    def has_sla(self) -> bool:
        return self.sla_response_minutes is not None or self.sla_server_response_minutes is not None

    @property
    def feature_labels(self) -> list[str]:
        return [Feature(code).label for code in self.features if code in Feature.values]

    def has_feature(self, code: str) -> bool:
        return code in self.features


def _label(line: dict) -> str:
    # Asset kinds are labelled in the reader's language; services keep their own name.
    kind = line.get("kind")
    if kind in AssetKind.values:
        return AssetKind(kind).label
    return line.get("label", "")


def columns_from_pricing(*, tiers, priced, recommended_tier_id: int | None) -> list[OfferColumn]:
    """Columns for the builder: `priced` is one PricedOption per tier, in the same order."""
    return [
        OfferColumn(
            name=tier.name,
            currency=option.currency,
            lines=[
                ColumnLine(
                    label=str(line.label),
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    amount=line.amount,
                    kind=line.kind,
                )
                for line in option.lines
            ],
            monthly_total=option.monthly_total,
            discount=option.discount,
            features=list(tier.features),
            includes_labour=tier.includes_labour,
            onsite_discount_percent=tier.onsite_discount_percent,
            tier_id=tier.pk,
            recommended=tier.pk == recommended_tier_id,
            sla_response_minutes=tier.sla_first_response_minutes,
            sla_server_response_minutes=tier.sla_server_first_response_minutes,
        )
        for tier, option in zip(tiers, priced, strict=True)
    ]


def with_tax(columns: list[OfferColumn], tax_rate: Decimal) -> list[OfferColumn]:
    """Add the tax line: the tenant's rate (a percent) on each monthly total, rounded once to
    the currency's minor unit, and the total with tax (Decimal, exact)."""
    rate = Decimal(tax_rate)
    for column in columns:
        column.tax_rate = rate
        column.tax = quantize_money(column.monthly_total * rate / Decimal(100))
        column.total_with_tax = column.monthly_total + column.tax
    return columns


def columns_from_offer(offer, options) -> list[OfferColumn]:
    """Columns of a saved offer, from its frozen options (prefetched)."""
    currency = offer.currency
    columns = []
    for option in options:
        lines = [
            ColumnLine(
                label=_label(line),
                quantity=int(line["quantity"]),
                unit_price=Money(Decimal(line["unit_price"]), currency),
                amount=Money(Decimal(line["amount"]), currency),
                kind=line.get("kind", ""),
            )
            for line in option.lines
        ]
        subtotal = sum((line.amount for line in lines), zero(currency))
        # The tier (select_related with the options) states its SLA; a deleted tier, none.
        tier = option.tier if option.tier_id is not None else None
        columns.append(
            OfferColumn(
                name=option.name,
                currency=currency,
                lines=lines,
                monthly_total=option.monthly_total,
                discount=subtotal - option.monthly_total,
                features=list(option.features),
                includes_labour=option.includes_labour,
                onsite_discount_percent=option.onsite_discount_percent,
                tier_id=option.tier_id,
                option_id=option.pk,
                recommended=option.tier_id is not None and option.tier_id == offer.recommended_tier_id,
                accepted=option.pk == offer.accepted_option_id,
                sla_response_minutes=tier.sla_first_response_minutes if tier else None,
                sla_server_response_minutes=tier.sla_server_first_response_minutes if tier else None,
            )
        )
    return columns


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    cells: list[ColumnLine | None]


def comparison_rows(columns: list[OfferColumn]) -> list[ComparisonRow]:
    """Every line label of any column, in first-seen order, with each column's line or None
    (a tier that does not price a kind shows nothing in that row)."""
    labels: list[str] = []
    for column in columns:
        for line in column.lines:
            if line.label not in labels:
                labels.append(line.label)
    return [
        ComparisonRow(
            label=label,
            cells=[next((line for line in column.lines if line.label == label), None) for column in columns],
        )
        for label in labels
    ]


def feature_rows(columns: list[OfferColumn]) -> list[tuple[str, list[bool]]]:
    """The fixed feature list, each with whether each column includes it (only features
    some column includes)."""
    rows = []
    for code, label in Feature.choices:
        included = [column.has_feature(code) for column in columns]
        if any(included):
            rows.append((label, included))
    return rows
