"""The translation mechanism shared by web, CLI, API and documents (kopcore._i18n)."""

import datetime

import pytest

from kopcore._i18n import amount_in_words, format_date, format_money, gettext, negotiate
from kopcore.money import Money


def test_indonesian_is_the_default_and_english_the_fallback() -> None:
    assert gettext("Deposit") == "Setor"
    assert gettext("Deposit", "en") == "Deposit"
    assert gettext("A message no catalogue has", "id") == "A message no catalogue has"


def test_placeholders_are_filled_after_translation() -> None:
    text = gettext("Insufficient balance: available {available}, requested {requested}", "id",
                   available="Rp1.250.000,00", requested="Rp2.000.000,00")
    assert text == "Saldo tidak cukup: tersedia Rp1.250.000,00, diminta Rp2.000.000,00"


def test_dates_are_written_the_indonesian_way() -> None:
    day = datetime.date(2026, 12, 7)
    assert format_date(day) == "7 Desember 2026"
    assert format_date(day, short=True) == "07/12/2026"
    assert format_date(day, "en") == "December 7, 2026"


def test_money_is_written_with_and_without_sen() -> None:
    assert format_money(Money.parse("1500000")) == "Rp1.500.000,00"
    assert format_money(Money.parse("1500000"), cents=False) == "Rp1.500.000"
    assert format_money(Money.parse("1500000.50"), cents=False) == "Rp1.500.000,50"


@pytest.mark.parametrize(("amount", "words"), [
    ("0", "nol rupiah"),
    ("11", "sebelas rupiah"),
    ("19", "sembilan belas rupiah"),
    ("100", "seratus rupiah"),
    ("115", "seratus lima belas rupiah"),
    ("1000", "seribu rupiah"),
    ("1001", "seribu satu rupiah"),
    ("21000", "dua puluh satu ribu rupiah"),
    ("1500000", "satu juta lima ratus ribu rupiah"),
    ("2000000000", "dua miliar rupiah"),
    ("3000000000000", "tiga triliun rupiah"),
    ("1234567.5", "satu juta dua ratus tiga puluh empat ribu lima ratus enam puluh tujuh rupiah "
                  "lima puluh sen"),
    ("-100", "minus seratus rupiah"),
])
def test_amounts_in_words(amount: str, words: str) -> None:
    assert amount_in_words(Money.parse(amount)) == words


@pytest.mark.parametrize(("header", "locale"), [
    (None, "id"), ("", "id"), ("fr-FR", "id"), ("en-US,en;q=0.9", "en"),
    ("en;q=0.5,id;q=0.8", "id"), ("id-ID", "id"), ("de, en;q=0.1", "en"),
    ("en;q=abc,id;q=0.1", "id"), ("en;q=NaN,id;q=0.1", "id"), ("en;q=0.9,id;q=0.8", "en"),
])
def test_the_locale_is_negotiated_from_accept_language(header: str | None, locale: str) -> None:
    assert negotiate(header) == locale
