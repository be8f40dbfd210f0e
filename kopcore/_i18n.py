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
from pathlib import Path
from typing import Final, Literal

from babel.dates import format_date as _babel_format_date
from babel.messages.pofile import read_po

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
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, position, tag.strip().lower()))
    for _quality, _position, tag in sorted(weighted):
        language = tag.split("-")[0]
        if language in LOCALES:
            return language
    return default


@functools.cache
def _catalogue(locale: str) -> dict[str, str]:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    return {str(message.id): str(message.string) for message in catalog
            if message.id and message.string and not message.fuzzy}


def gettext(message: str, locale: str = DEFAULT_LOCALE, /, **params: object) -> str:
    """``message`` in ``locale``, with ``{name}`` placeholders filled from ``params``."""
    text = _catalogue(locale).get(message, message) if locale != "en" else message
    return text.format(**params) if params else text


_ = gettext


def format_date(day: datetime.date, locale: str = DEFAULT_LOCALE, *, short: bool = False) -> str:
    """``7 Desember 2026``, or ``07/12/2026`` when ``short``."""
    if short:
        return day.strftime("%d/%m/%Y")
    return _babel_format_date(day, format="long", locale=locale)


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


__all__ = ["DEFAULT_LOCALE", "LOCALES", "Locale", "_", "amount_in_words",
           "format_date", "format_money", "gettext", "negotiate"]
