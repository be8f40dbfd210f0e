"""Amounts written as text are read exactly, or refused: plain (``1500000.50``) and Indonesian
(``1.500.000,50``) notation; ``50.000`` is ambiguous and refused, never read as fifty; the
OpenAPI document's pattern accepts exactly what is read. The rules alone, without a server (the
API and the CLI reading the same notations: test_amount_text.py)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kopcore.errors import InvalidAmount
from kopcore.money import AMOUNT_TEXT_PATTERN, read_amount

READ = [
    ("0", "0"), ("7", "7"), ("1500000", "1500000"), ("1500000.5", "1500000.5"),
    ("1500000.50", "1500000.50"), ("1.5", "1.5"), ("0.125", "0.125"), ("12.50", "12.50"),
    ("1.500.000", "1500000"), ("1.500.000,50", "1500000.50"), ("1.500.000,5", "1500000.5"),
    ("1500000,50", "1500000.50"), ("1,5", "1.5"), ("0,75", "0.75"), ("12.345.678", "12345678"),
    ("999.999.999.999.999.999", "999999999999999999"), ("-1.234,50", "-1234.50"),
    ("-7", "-7"), (" 1.500.000,00 ", "1500000.00"), ("12.3456", "12.3456"),
    ("1234.567", "1234.567"),  # four digits before the dot: no thousands group
    ("0.500", "0.500"),  # a group never starts with 0
]
AMBIGUOUS = ["50.000", "1.500", "12.375", "999.999", "-50.000", " 50.000 ", "1,000", "2,125",
             "-999,999"]
REFUSED = ["", "-", ".5", "5.", ",5", "5,", "Rp50.000", "50.000 IDR", "1,500,000", "1.50.000",
           "1.5000.000", "1.500.000.50", "1 500 000", "1_500", "+5", "--5", "1e3", "NaN",
           "Infinity", "0x10", "1.500,000,5", "١٢٣", "1.500.000,1234567", "1" * 19]


@pytest.mark.parametrize(("text", "value"), READ)
def test_both_notations_are_read_exactly(text: str, value: str) -> None:
    assert read_amount(text) == Decimal(value)
    assert str(read_amount(text)) == value  # the digits as written, nothing rounded


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_one_separator_and_three_digits_is_refused_as_ambiguous(text: str) -> None:
    with pytest.raises(InvalidAmount, match="ambiguous") as refused:
        read_amount(text, field="amount")
    digits = text.strip().replace(".", "").replace(",", "")
    assert f"write '{digits}'" in refused.value.detail
    assert refused.value.extra == {"field": "amount"}


@pytest.mark.parametrize("text", REFUSED)
def test_anything_else_is_refused_saying_how_to_write_it(text: str) -> None:
    with pytest.raises(InvalidAmount) as refused:
        read_amount(text, field="amount")
    assert "like 1500000 or 1500000.50" in refused.value.detail
    assert "1.500.000,50" in refused.value.detail
    assert "string" not in refused.value.detail


@given(st.text(alphabet="0123456789.,- ", max_size=16))
def test_the_openapi_pattern_accepts_exactly_what_is_read(text: str) -> None:
    try:
        read_amount(text)
    except InvalidAmount:
        accepted = False
    else:
        accepted = True
    assert (re.fullmatch(AMOUNT_TEXT_PATTERN, text.strip()) is not None) is accepted


def test_the_ambiguity_message_gives_both_exact_spellings() -> None:
    with pytest.raises(InvalidAmount) as refused:
        read_amount("12.375", field="annual_rate")
    assert refused.value.detail == (
        "annual_rate '12.375' is ambiguous: write '12375' (or '12.375,00') if the dot groups "
        "thousands, or '12.3750' if it is a decimal point")
    for spelling in ("12375", "12.375,00"):
        assert read_amount(spelling) == 12375
    assert read_amount("12.3750") == Decimal("12.375")
    with pytest.raises(InvalidAmount) as refused:
        read_amount("1,000")
    assert refused.value.detail.endswith("or '1' if it is a decimal comma")
