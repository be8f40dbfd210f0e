"""One translation mechanism for every face of kopcore: web pages, CLI messages, API problem
titles, documents and receipts.

Messages are written in English in the code (the msgid) and translated through gettext
catalogues read with Babel: ``kopcore/locale/<locale>/LC_MESSAGES/kopcore.po``. Indonesian is
the first language (:data:`DEFAULT_LOCALE`); English is the second and needs no catalogue. The
``.po`` files are read directly, so there is no compile step. A message missing from a catalogue
falls back to its English text; ``tests/test_i18n.py`` checks that the Indonesian catalogue covers
every message the code marks.

Formats follow ``UI.md``: dates as ``7 Desember 2026`` (short ``07/12/2026``), amounts as
``Rp1.500.000,00``, and amounts in words (*terbilang*) for slips and large sums.
"""

from __future__ import annotations

import datetime
import functools
import string
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final, Literal

from babel.dates import format_date as _babel_format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _babel_format_decimal

from kopcore.money import Money

Locale = Literal["id", "en"]
LOCALES: Final[tuple[Locale, ...]] = ("id", "en")
DEFAULT_LOCALE: Final[Locale] = "id"
LOCALE_DIR: Final = Path(__file__).parent / "locale"
DOMAIN: Final = "kopcore"


def negotiate(accept_language: str | None, default: Locale = DEFAULT_LOCALE) -> Locale:
    """The locale for an ``Accept-Language`` header: the first of ours the client lists."""
    if not accept_language:
        return default
    weighted: list[tuple[Decimal, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = Decimal(1)
        if params.strip().startswith("q="):
            try:
                quality = Decimal(params.strip()[2:])
            except InvalidOperation:
                quality = Decimal(0)
            if not quality.is_finite():
                quality = Decimal(0)
        weighted.append((-quality, position, tag.strip().lower()))
    for _quality, _position, tag in sorted(weighted):
        language = tag.split("-")[0]
        if language in LOCALES:
            return language
    return default


@functools.cache
def read_catalogue(directory: Path, domain: str, locale: str) -> dict[str, str]:
    """The translated messages of ``<directory>/<locale>/LC_MESSAGES/<domain>.po`` (empty when
    there is no such file); fuzzy and untranslated entries are left out."""
    path = directory / locale / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=domain)
    return {str(message.id): str(message.string) for message in catalog
            if message.id and message.string and not message.fuzzy}


def _catalogue(locale: str) -> dict[str, str]:
    return read_catalogue(LOCALE_DIR, DOMAIN, locale)


def translate(message: str, locale: str = DEFAULT_LOCALE, /, *,
              catalogue: tuple[Path, str] | None = None) -> str:
    """``message`` in ``locale``, unfilled: from ``catalogue`` (a plugin's locale directory and
    domain) first, then the kernel's, else the English msgid itself."""
    if locale == "en":
        return message
    if catalogue is not None:
        found = read_catalogue(catalogue[0], catalogue[1], locale).get(message)
        if found is not None:
            return found
    return _catalogue(locale).get(message, message)


def format_value(value: object, locale: str = DEFAULT_LOCALE) -> str:
    """A message parameter as the person reads it: amounts as ``Rp1.250.000,00``, dates as
    ``7 Desember 2026`` (``December 7, 2026`` in English), anything else as its text."""
    if isinstance(value, Money):
        return format_money(value)
    if isinstance(value, datetime.datetime):
        return f"{format_date(value.date(), locale)} {value:%H:%M}"
    if isinstance(value, datetime.date):
        return format_date(value, locale)
    return str(value)


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` in ``text`` (``{{`` and ``}}`` are literal braces)."""
    return {name for _literal, name, _spec, _conversion in string.Formatter().parse(text)
            if name is not None}


def gettext(message: str, locale: str = DEFAULT_LOCALE, /, **params: object) -> str:
    """``message`` in ``locale``, with ``{name}`` placeholders filled from ``params``."""
    return fill(translate(message, locale), params, locale)


def fill(text: str, params: dict[str, object], locale: str = DEFAULT_LOCALE) -> str:
    """``text`` with its ``{name}`` placeholders filled: amounts and dates as people read them
    in ``locale`` (:func:`format_value`), other values as they are (a format spec applies)."""
    if not params:
        return text
    return text.format(**{name: format_value(value, locale)
                          if isinstance(value, Money | datetime.date) else value
                          for name, value in params.items()})


_ = gettext


def format_date(day: datetime.date, locale: str = DEFAULT_LOCALE, *, short: bool = False) -> str:
    """``7 Desember 2026``, or ``07/12/2026`` when ``short``."""
    if short:
        return day.strftime("%d/%m/%Y")
    return _babel_format_date(day, format="long", locale=locale)


def format_decimal_text(text: str, locale: str = DEFAULT_LOCALE) -> str:
    """A figure the API writes with a decimal point (``"3509.12"``, ``"-1.45"``) as the person
    reads numbers: ``3.509,12`` and ``-1,45`` in Indonesian, ``3,509.12`` in English; its
    decimals kept as written. Text that is not a number comes back as it is."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return str(_babel_format_decimal(value, format=pattern, locale=locale))


def format_money(amount: Money, *, cents: bool = True) -> str:
    """``Rp1.500.000,00`` (``Rp1.500.000`` without ``cents``); negative amounts keep their sign."""
    text = amount.format()
    if not cents and text.endswith(",00"):
        text = text[:-3]
    return text


_ONES_ID: Final = ("", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
                   "sembilan", "sepuluh", "sebelas")
_SCALES_ID: Final = ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"), (10**3, "ribu"))


def _words_id(number: int) -> str:
    if number < 12:
        return _ONES_ID[number]
    if number < 20:
        return f"{_ONES_ID[number - 10]} belas"
    if number < 100:
        tens, rest = divmod(number, 10)
        return f"{_ONES_ID[tens]} puluh {_words_id(rest)}".strip()
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        head = "seratus" if hundreds == 1 else f"{_ONES_ID[hundreds]} ratus"
        return f"{head} {_words_id(rest)}".strip()
    for scale, name in _SCALES_ID:
        if number >= scale:
            count, rest = divmod(number, scale)
            head = "seribu" if scale == 1000 and count == 1 else f"{_words_id(count)} {name}"
            return f"{head} {_words_id(rest)}".strip()
    raise AssertionError("unreachable")


def amount_in_words(amount: Money) -> str:
    """Indonesian *terbilang* of an amount: ``satu juta lima ratus ribu rupiah``.

    Whole rupiah are written out; sen, when present, follow as ``... rupiah lima puluh sen``.
    Negative amounts are prefixed with ``minus``.
    """
    value = amount.amount
    sign = "minus " if value < 0 else ""
    value = abs(value)
    whole = int(value)
    sen = int((value - whole) * 100)
    words = _words_id(whole) if whole else "nol"
    text = f"{sign}{words} rupiah"
    if sen:
        text += f" {_words_id(sen)} sen"
    return text


__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "Locale",
    "_",
    "amount_in_words",
    "fill",
    "format_date",
    "format_money",
    "format_value",
    "gettext",
    "negotiate",
    "placeholders",
    "read_catalogue",
    "translate",
]
