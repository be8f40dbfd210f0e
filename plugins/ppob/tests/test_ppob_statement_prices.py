"""Prices in a provider's statement, written with Indonesian or English separators."""

from __future__ import annotations

import pytest
from kopcore_ppob.reconcile import _price

from kopcore.errors import ValidationError


@pytest.mark.parametrize(("text", "rupiah"), [
    ("10125", 10125), ("10125.00", 10125), ("10125,00", 10125), ("10.125", 10125),
    ("10,125", 10125), ("10.125,00", 10125), ("10,125.00", 10125), ("1.010.125", 1010125),
    ("1,010,125.00", 1010125), ("1.010.125,00", 1010125), (" 20 150 ", 20150), ("0", 0),
])
def test_a_statement_price_is_read_as_whole_rupiah(text: str, rupiah: int) -> None:
    assert _price(text, "R1") == rupiah


@pytest.mark.parametrize("text", ["10125,50", "10.125,5", "-100", "abc", "", "NaN", "1e3.5"])
def test_a_price_that_is_not_whole_rupiah_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="not whole rupiah"):
        _price(text, "R1")
