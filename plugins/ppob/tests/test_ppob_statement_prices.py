"""Numbers read from text at the provider boundary: statement prices, in Indonesian or English
notation, and the HTTP timeout setting."""

from __future__ import annotations

import pytest
from kopcore_ppob.digiflazz import _timeout_ms
from kopcore_ppob.errors import ProviderUnavailable
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


@pytest.mark.parametrize("text", ["nan", "inf", "-1", "0", "121", "soon", "", "0.0005"])
def test_a_digiflazz_timeout_that_is_not_a_sane_number_of_timeout_ms_is_refused(text: str) -> None:
    with pytest.raises(ProviderUnavailable, match="must be seconds"):
        _timeout_ms(text, "KOPCORE_PPOB_DIGIFLAZZ_TIMEOUT")


@pytest.mark.parametrize(("text", "milliseconds"),
                         [("20", 20_000), ("0.5", 500), (" 120 ", 120_000)])
def test_a_digiflazz_timeout_in_timeout_ms_is_read(text: str, milliseconds: int) -> None:
    assert _timeout_ms(text, "KOPCORE_PPOB_DIGIFLAZZ_TIMEOUT") == milliseconds
