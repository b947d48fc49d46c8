"""Money rounding in one place: Decimal, to the currency's minor unit, ROUND_HALF_UP."""

from decimal import ROUND_HALF_UP, Decimal

from djmoney.money import Money
from moneyed import get_currency

_NO_MINOR_UNIT = {"JPY", "KRW", "CLP", "ISK", "VND"}


def minor_exponent(currency: str) -> int:
    return 0 if currency in _NO_MINOR_UNIT else 2


def quantize_money(money: Money) -> Money:
    places = Decimal(1).scaleb(-minor_exponent(money.currency.code))
    return Money(Decimal(money.amount).quantize(places, rounding=ROUND_HALF_UP), money.currency)


# Every money column is a DECIMAL(14, 2) (contracts.models.MONEY): amounts from 10**12 on do
# not fit, and PostgreSQL answers "numeric field overflow". Amounts computed from valid input
# (quantity × unit price, a rate × minutes, a sum of lines) are checked against it before
# they are written, so such input is a 400 instead.
MONEY_LIMIT = Decimal(10) ** 12


def money_fits(money: Money) -> bool:
    return abs(Decimal(money.amount)) < MONEY_LIMIT


def format_money(amount, currency: str | None = None) -> str:
    """An amount as every page and document shows money: the active language's style
    ("€1,425.00", "1.425,00 €"), the currency's minor unit. `amount` is a Money, or a
    Decimal/str (JSON-stored lines) with its `currency`; None or "" shows as "" (the caller's
    dash)."""
    if amount is None or amount == "":
        return ""
    if not isinstance(amount, Money):
        amount = Money(Decimal(str(amount)), currency)
    return str(quantize_money(amount))


def zero(currency: str) -> Money:
    get_currency(currency)  # unknown codes fail loudly
    return Money(Decimal("0"), currency)
