"""Pricing of offer options: quantities times per-kind prices, minus a discount.

Pure functions over Decimal and Money, so the offer page (live totals), the saved
snapshot, the PDF and the API all agree to the cent.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from djmoney.money import Money

from assets.choices import AssetKind
from msp.money import quantize_money, zero


@dataclass(frozen=True)
class PricedLine:
    label: str
    quantity: int
    unit_price: Money
    kind: str = ""
    service_id: int | None = None

    @property
    def amount(self) -> Money:
        return quantize_money(self.unit_price * self.quantity)

    def snapshot(self) -> dict:
        data = {
            "label": str(self.label),
            "quantity": self.quantity,
            "unit_price": str(self.unit_price.amount),
            "amount": str(self.amount.amount),
        }
        if self.kind:
            data["kind"] = self.kind
        if self.service_id is not None:
            data["service"] = self.service_id
        return data


@dataclass(frozen=True)
class PricedOption:
    currency: str
    lines: list[PricedLine] = field(default_factory=list)
    discount_percent: Decimal = Decimal("0")

    @property
    def subtotal(self) -> Money:
        total = zero(self.currency)
        for line in self.lines:
            total += line.amount
        return total

    @property
    def discount(self) -> Money:
        return quantize_money(self.subtotal * self.discount_percent / Decimal(100))

    @property
    def monthly_total(self) -> Money:
        return self.subtotal - self.discount


def price_tier(
    *,
    tier,
    quantities: dict[str, int],
    discount_percent: Decimal = Decimal("0"),
    services=(),
    service_quantities=None,
) -> PricedOption:
    """Price a tier for these asset counts; kinds the tier does not price cost nothing.

    `tier.prices` should be prefetched; à-la-carte `services` with `service_quantities`
    ({service id: quantity}) are added on top.
    """
    prices = {price.kind: price.price for price in tier.prices.all()}
    lines = [
        PricedLine(
            label=AssetKind(kind).label,
            quantity=int(quantities.get(kind, 0)),
            unit_price=prices[kind],
            kind=kind,
        )
        for kind in AssetKind.values
        if kind in prices and int(quantities.get(kind, 0)) > 0
    ]
    lines += service_lines(services=services, quantities=service_quantities or {})
    return PricedOption(currency=tier.currency, lines=lines, discount_percent=Decimal(discount_percent))


def service_lines(*, services, quantities: dict[int, int]) -> list[PricedLine]:
    return [
        PricedLine(
            label=service.name,
            quantity=int(quantities[service.pk]),
            unit_price=service.price,
            service_id=service.pk,
        )
        for service in services
        if int(quantities.get(service.pk, 0)) > 0
    ]
