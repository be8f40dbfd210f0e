"""Exact money: integer minor units plus a currency.

Storage holds integer minor units (BIGINT). `Decimal` appears only at the edges (parsing user
input, formatting, API payloads). Floats are refused everywhere: ``Money.parse(0.1)`` raises.

Rounding is always explicit: every operation that can produce a fraction of the minor unit takes a
:class:`Rounding` mode and, where a product needs it, a rounding *unit* expressed in major units
(``Decimal("1")`` for Rp1, ``Decimal("100")`` for Rp100).

>>> Money.parse("1500000").format()
'Rp1.500.000,00'
>>> Money.parse("12.345")
Traceback (most recent call last):
...
kopcore.errors.InvalidAmount: IDR amounts have at most 2 decimals, got '12.345'
"""

from __future__ import annotations

import enum
import math
import re
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import attrs

from kopcore.errors import CurrencyMismatch, InvalidAmount, message

#: ISO 4217 minor-unit exponents of the currencies the kernel knows. IDR has two (sen) by ISO,
#: even though cooperatives round to whole rupiah; products pick their rounding unit.
CURRENCY_EXPONENTS: dict[str, int] = {"IDR": 2, "USD": 2, "SGD": 2, "MYR": 2, "SAR": 2, "JPY": 0}
CURRENCY_SYMBOLS: dict[str, str] = {"IDR": "Rp", "USD": "US$", "SGD": "S$", "MYR": "RM"}
DEFAULT_CURRENCY = "IDR"

#: Largest absolute amount in minor units (10^17 sen = Rp1,000 trillion). Sums of many such
#: amounts still fit a signed 64-bit BIGINT.
MAX_MINOR = 10**17


class Rounding(enum.StrEnum):
    """How a fraction of the rounding unit is resolved."""

    HALF_UP = "half-up"
    HALF_EVEN = "half-even"
    DOWN = "down"

    @property
    def decimal_mode(self) -> str:
        return {
            Rounding.HALF_UP: ROUND_HALF_UP,
            Rounding.HALF_EVEN: ROUND_HALF_EVEN,
            Rounding.DOWN: ROUND_DOWN,
        }[self]


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise InvalidAmount(message("unknown currency '{currency}'",
                                    currency=currency)) from None


def _check_range(minor: int) -> int:
    if abs(minor) > MAX_MINOR:
        raise InvalidAmount(message("amount out of range: {minor} minor units (limit "
                                    "{max_minor})", minor=minor,
                                    max_minor=MAX_MINOR))
    return minor


def to_decimal(value: Any, *, field: str = "amount") -> Decimal:
    """Turn user input into a finite Decimal; refuse floats, booleans, NaN and infinities."""
    if isinstance(value, bool | float):
        raise InvalidAmount(message(
            "{field} must be a decimal string or an integer, not a float ({value})",
            field=field, value=repr(value)))
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise InvalidAmount(message("{field} is not a decimal number: {value}",
                                        field=field, value=repr(value))) from None
    else:
        raise InvalidAmount(message("{field} must be a decimal string, got {kind}",
                                    field=field, kind=type(value).__name__))
    if not result.is_finite():
        raise InvalidAmount(message("{field} must be finite, got '{value}'",
                                    field=field, value=value))
    return result


#: How people and programs write an amount (or a rate) as text; see :func:`read_amount`.
PLAIN = r"[0-9]{1,18}(?:\.[0-9]{1,6})?"
GROUPED = r"[1-9][0-9]{0,2}(?:\.[0-9]{3}){1,5}(?:,[0-9]{1,6})?"
DECIMAL_COMMA = r"[0-9]{1,18},[0-9]{1,6}"
#: Readable two ways: one separator followed by exactly three digits. "50.000" is fifty
#: thousand in Indonesian and fifty in plain notation; "1,000" is one in Indonesian and a
#: thousand in English.
AMBIGUOUS = r"[1-9][0-9]{0,2}[.,][0-9]{3}"
AMOUNT_TEXT = re.compile(rf"(-?)({PLAIN}|{GROUPED}|{DECIMAL_COMMA})")
#: The same grammar as a JSON Schema (ECMA-262) pattern, for the OpenAPI document.
AMOUNT_TEXT_PATTERN = rf"^-?(?!{AMBIGUOUS}$)(?:{PLAIN}|{GROUPED}|{DECIMAL_COMMA})$"


def _ambiguous(field: str, text: str) -> InvalidAmount:
    sign = "-" if text.startswith("-") else ""
    whole, separator, fraction = text.lstrip("-").partition("." if "." in text else ",")
    thousands = f"{sign}{whole}{fraction}"
    grouped = f"{sign}{whole}.{fraction},00"
    decimal = format(Decimal(f"{sign}{whole}.{fraction}").normalize(), "f")
    if re.fullmatch(rf"-?{AMBIGUOUS}", decimal):
        decimal += "0"  # four decimals say it is not a thousands group
    values = {"field": field, "text": text, "thousands": thousands, "grouped": grouped,
              "decimal": decimal}
    if separator == ".":
        return InvalidAmount(message(
            "{field} '{text}' is ambiguous: write '{thousands}' (or '{grouped}') if the dot "
            "groups thousands, or '{decimal}' if it is a decimal point", **values), field=field)
    return InvalidAmount(message(
        "{field} '{text}' is ambiguous: write '{thousands}' (or '{grouped}') if the comma "
        "groups thousands, or '{decimal}' if it is a decimal comma", **values), field=field)


def read_amount(text: str, *, field: str = "amount") -> Decimal:
    """Read an amount or a rate written by a person or a program, exactly, or refuse it.

    Two notations are understood, with an optional leading ``-``:

    - **plain**, as kopcore's JSON writes amounts: digits and an optional decimal point,
      ``1500000``, ``1500000.50``, ``1.5``, ``0.125``;
    - **Indonesian**, as kopcore prints them for people: dots group thousands and a comma is
      the decimal separator, ``1.500.000``, ``1.500.000,50``, ``1500000,50``, ``1,5``.

    One dot or comma followed by exactly three digits (``50.000``, ``1,000``) reads two ways:
    it is refused as ambiguous, never guessed, with both unambiguous spellings in the message.
    Anything else (spaces inside, ``Rp``, ``1,500,000``, ``1.50.000``) is refused too, with an
    :class:`~kopcore.errors.InvalidAmount` that says how to write it.
    """
    stripped = text.strip()
    if re.fullmatch(rf"-?{AMBIGUOUS}", stripped):
        raise _ambiguous(field, stripped)
    match = AMOUNT_TEXT.fullmatch(stripped)
    if match is None:
        raise InvalidAmount(message(
            "{field} '{text}' is not an amount: write digits with a decimal point, like "
            "1500000 or 1500000.50, or as kopcore prints them, like 1.500.000 or 1.500.000,50",
            field=field, text=text), field=field)
    sign, number = match.groups()
    if "," in number or number.count(".") > 1:
        number = number.replace(".", "").replace(",", ".")
    return Decimal(sign + number)


@attrs.frozen(order=False)
class Money:
    """An exact amount: ``minor`` units of ``currency`` (IDR sen by default)."""

    minor: int = attrs.field(validator=attrs.validators.instance_of(int))
    currency: str = DEFAULT_CURRENCY

    def __attrs_post_init__(self) -> None:
        if isinstance(self.minor, bool):
            raise InvalidAmount(message("amount must be an integer number of minor units"))
        exponent(self.currency)
        _check_range(self.minor)

    # --- construction -------------------------------------------------------------------
    @classmethod
    def stored(cls, minor: int, currency: str) -> Money:
        """An amount the kernel itself wrote (a balance, a posting read back, a line already
        validated): built without the checks of ``Money(...)``, which the reads of an
        end-of-day entry with thousands of accounts would otherwise repeat for every value."""
        money = object.__new__(cls)
        object.__setattr__(money, "minor", minor)
        object.__setattr__(money, "currency", currency)
        return money

    @classmethod
    def parse(cls, value: Any, currency: str = DEFAULT_CURRENCY, *, field: str = "amount") -> Money:
        """Parse a major-unit amount (``"1500000"``, ``"12.50"``, ``Decimal``, ``int``).

        Refuses floats, NaN, infinities, more decimals than the currency has and values out of
        range, each with :class:`~kopcore.errors.InvalidAmount`.
        """
        amount = to_decimal(value, field=field)
        exp = exponent(currency)
        # Integer arithmetic on the digits: Decimal.scaleb rounds to the context's 28 digits
        # (silently dropping a fraction) and overflows or underflows on extreme exponents.
        sign, digits, dexp = amount.as_tuple()
        assert isinstance(dexp, int)  # finite: to_decimal refused NaN and infinities
        coefficient = "".join(map(str, digits)).rstrip("0")
        shift = dexp + exp + len(digits) - len(coefficient)
        if not coefficient:
            return cls(0, currency)
        if shift < 0:
            raise InvalidAmount(message(
                "{currency} amounts have at most {count} decimals, got '{value}'",
                currency=currency, count=exp, value=str(value)))
        if len(coefficient) + shift > len(str(MAX_MINOR)):
            raise InvalidAmount(message("{field} out of range: '{value}'",
                                        field=field, value=value))
        minor = int(coefficient) * 10**shift
        if abs(minor) > MAX_MINOR:
            raise InvalidAmount(message("{field} out of range: '{value}'",
                                        field=field, value=value))
        return cls(-minor if sign else minor, currency)

    @classmethod
    def from_decimal(
        cls,
        amount: Decimal,
        currency: str = DEFAULT_CURRENCY,
        *,
        rounding: Rounding,
        unit: Decimal | None = None,
    ) -> Money:
        """Round an exact Decimal result (interest, shares) to money, explicitly."""
        amount = to_decimal(amount)
        exp = exponent(currency)
        step = to_decimal(unit, field="unit") if unit is not None else Decimal(1).scaleb(-exp)
        if step <= 0:
            raise InvalidAmount(message("rounding unit must be positive"))
        if not -18 <= step.adjusted() <= 18:
            raise InvalidAmount(message("rounding unit out of range: '{unit}'",
                                        unit=unit))
        # Bound the magnitudes before exact Fraction arithmetic: dividing Decimals in the
        # default 28-digit context rounds once before the explicit rounding (double rounding)
        # and fails untyped on large values.
        if amount and amount.adjusted() > 40:
            raise InvalidAmount(message("amount out of range: '{amount}'",
                                        amount=amount))
        if amount and amount.adjusted() < -40:
            amount = Decimal(0)  # far below half of any allowed unit: rounds to zero
        quotient = Fraction(amount) / Fraction(step)
        if rounding is Rounding.DOWN:
            units = math.trunc(quotient)
        elif rounding is Rounding.HALF_EVEN:
            units = round(quotient)
        else:
            units = math.floor(abs(quotient) + Fraction(1, 2)) * (-1 if quotient < 0 else 1)
        minor = units * Fraction(step) * 10**exp
        if minor.denominator != 1:
            raise InvalidAmount(
                message("{currency} amounts have at most {exp} decimals; rounding unit '{unit}' "
                        "is finer", currency=currency, exp=exp, unit=unit)
            )
        return cls(_check_range(int(minor)), currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(0, currency)

    # --- views --------------------------------------------------------------------------
    @property
    def amount(self) -> Decimal:
        """The major-unit Decimal, e.g. ``Decimal('1500000.00')``."""
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    def to_str(self) -> str:
        """Canonical decimal string used at the API edge (``'1500000.00'``)."""
        exp = exponent(self.currency)
        return f"{self.amount:.{exp}f}"

    def format(self) -> str:
        """Indonesian display format: ``Rp1.500.000,00``."""
        exp = exponent(self.currency)
        sign = "-" if self.minor < 0 else ""
        whole, _, frac = f"{abs(self.amount):,.{exp}f}".partition(".")
        body = whole.replace(",", ".") + ("," + frac if frac else "")
        return f"{sign}{CURRENCY_SYMBOLS.get(self.currency, self.currency + ' ')}{body}"

    def round(self, unit: Decimal, rounding: Rounding) -> Money:
        """Round to a unit in major units (Rp1, Rp100)."""
        return Money.from_decimal(self.amount, self.currency, rounding=rounding, unit=unit)

    # --- arithmetic ---------------------------------------------------------------------
    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(message("cannot combine {currency} and {other_currency}",
                                           currency=self.currency,
                                           other_currency=other.currency))

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def is_positive(self) -> bool:
        return self.minor > 0

    def __str__(self) -> str:
        return self.format()


def allocate(total: Money, weights: list[int]) -> list[Money]:
    """Split ``total`` by integer weights, exactly, by the largest-remainder method.

    The parts always sum to ``total`` to the minor unit; ties in remainder go to the earlier
    weight. Used for SHU and profit-sharing allocations.

    >>> [m.minor for m in allocate(Money(100), [1, 1, 1])]
    [34, 33, 33]
    """
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise InvalidAmount(message("allocation weights must be non-negative and not all zero"))
    weight_sum = sum(weights)
    shares = [total.minor * w // weight_sum for w in weights]
    remainders = [total.minor * w % weight_sum for w in weights]
    left = total.minor - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return [Money(s, total.currency) for s in shares]
