"""Money without floats: Decimal in Python, scaled integers in the database.

Prices are kept to 1/10000 CNY (a tariff may say 0.0035 CNY/minute); amounts on a
bill are rounded to the fen (0.01 CNY) once, at the bill line, half-up — the rule
Chinese invoices use (0.005 -> 0.01), not Python's default banker's rounding.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator

from engine.errors import Invalid
from engine.messages import N_

FEN = Decimal("0.01")


class ScaledDecimal(TypeDecorator):
    """A Decimal stored as an integer count of 10**-scale units.

    Integers compare and sum exactly on SQLite and PostgreSQL alike; SQLite has no
    decimal type and would keep a NUMERIC as a binary float.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 4):
        super().__init__()
        self.scale = scale
        self.unit = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        scaled = value.scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value).scaleb(-self.scale).quantize(self.unit)


def to_fen(amount: Decimal) -> Decimal:
    """Round an amount half-up to the fen: the one rounding a bill line gets."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


MAX_DIGITS = 12  # a trillion yuan: more than any call center bills


def parse_decimal(text: str, what: str, places: int) -> Decimal:
    """Operator input as a Decimal with at most ``places`` decimals, never negative."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise _invalid(what, N_("invalid %(what)s %(text)r: expected a number like 12.34",
                                what=WORDS.get(what, what), text=text)) from None
    if not value.is_finite() or value < 0:
        raise _invalid(what, N_("invalid %(what)s %(text)r: expected a number of zero or more",
                                what=WORDS.get(what, what), text=text))
    if value.adjusted() >= MAX_DIGITS:  # 1e309 is a Decimal, but no quantize() fits it
        raise _invalid(what, N_("invalid %(what)s %(text)r: more than %(digits)s digits before "
                                "the decimal point", what=WORDS.get(what, what),
                                text=str(text)[:40], digits=MAX_DIGITS))
    if value != value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        raise _invalid(what, N_("invalid %(what)s %(text)r: at most %(places)s decimal places",
                                what=WORDS.get(what, what), text=text, places=places))
    return value


# The inputs' names inside a message (the field keeps its own name).
WORDS = {"discount": N_("discount"), "amount": N_("amount"), "price": N_("price")}


def _invalid(field: str, message: str) -> Invalid:
    # ``what`` is the input's name in every face (the form field, the JSON key, the
    # CLI option), so a form can show the message next to it.
    return Invalid(message, fields={field: message})


def show(amount: Decimal) -> str:
    """Amounts to the fen; a price with finer digits keeps them (0.0035)."""
    return str(amount.quantize(FEN) if amount == amount.quantize(FEN) else amount.normalize())
