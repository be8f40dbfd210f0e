"""Showing results and refusals to a person, in their language.

:func:`show` renders an operation's JSON result (what :func:`kopcore._service.invoke` returns,
the same payload the API sends) as HTML: amounts as ``Rp1.500.000,00`` right-aligned, dates as
``7 Desember 2026``, lists of records as tables, nested records as definition lists.
:func:`refusal` turns a :class:`~kopcore.errors.KopcoreError` into the sentence shown above the
form: its title and detail in the person's language, translated as the API and the CLI translate
them (``title_in``/``detail_in``: a plugin's messages from the plugin's catalogue).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

from kopcore._i18n import format_date, format_money, gettext
from kopcore.errors import InvalidAmount, KopcoreError
from kopcore.interfaces.web._forms import AMOUNT_EXAMPLE, label
from kopcore.money import Money

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The converter's refusals of a field (kopcore.interfaces._convert), said to the person.
_FIELD_REFUSALS = (
    (re.compile(r"^(?P<field>\w+) is required$"), "{field} must be filled in."),
    (re.compile(r"^(?P<field>\w+) must be an integer$"), "{field} must be a whole number."),
    (re.compile(r"^(?P<field>\w+) must be between (?P<low>-?\d+) and (?P<high>-?\d+)$"),
     "{field} must be between {low} and {high}."),
    (re.compile(r"^(?P<field>\w+) must be one of: (?P<choices>.*)$"),
     "{field} must be one of: {choices}."),
    (re.compile(r"^(?P<field>\w+) is longer than (?P<limit>\d+) characters$"),
     "{field} may hold at most {limit} characters."),
    (re.compile(r"^(?P<field>\w+) must be an ISO date \(YYYY-MM-DD\)$"),
     "{field} must be a date."),
)
_MAX_ROWS = 500


def is_money(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"amount", "currency"}


def money_of(value: Mapping[str, Any]) -> Money:
    return Money.parse(str(value["amount"]), str(value["currency"]))


def cell(value: Any, locale: str) -> Markup:
    """One value as HTML."""
    if value is None:
        return Markup('<span class="none">\u2013</span>')
    if is_money(value):
        amount = money_of(value)
        css = "money negative" if amount.amount < 0 else "money"
        return Markup('<span class="{}">{}</span>').format(css, format_money(amount))
    if isinstance(value, bool):
        return escape(gettext("Yes", locale) if value else gettext("No", locale))
    if isinstance(value, str) and _DATE.match(value):
        try:
            return escape(format_date(date.fromisoformat(value), locale))
        except ValueError:
            return escape(value)
    if isinstance(value, Mapping | list):
        return show(value, locale)
    return escape(str(value))


def show(payload: Any, locale: str) -> Markup:
    """A result as HTML: a record as a definition list, a list of records as a table."""
    if isinstance(payload, Mapping) and not is_money(payload):
        rows = Markup("").join(
            Markup("<dt>{}</dt><dd>{}</dd>").format(label(str(key), locale), cell(value, locale))
            for key, value in payload.items())
        return Markup('<dl class="record">{}</dl>').format(rows)
    if isinstance(payload, list):
        if not payload:
            return Markup('<p class="empty">{}</p>').format(gettext("Nothing to show", locale))
        if all(isinstance(item, Mapping) and not is_money(item) for item in payload):
            columns = list(payload[0])
            head = Markup("").join(Markup("<th>{}</th>").format(label(c, locale))
                                   for c in columns)
            body = Markup("").join(
                Markup("<tr>{}</tr>").format(Markup("").join(
                    Markup('<td{}>{}</td>').format(
                        Markup(' class="num"') if is_money(item.get(c)) else "",
                        cell(item.get(c), locale)) for c in columns))
                for item in payload[:_MAX_ROWS])
            return Markup('<div class="table-wrap"><table><thead><tr>{}</tr></thead>'
                          '<tbody>{}</tbody></table></div>').format(head, body)
        return Markup("<ul>{}</ul>").format(Markup("").join(
            Markup("<li>{}</li>").format(cell(item, locale)) for item in payload))
    return cell(payload, locale)


#: Refusals whose sentence the web app writes from the error's figures.
def refusal(error: KopcoreError, locale: str, *, requested: Money | None = None) -> str:
    """What is wrong, in the person's language, with the figures and what to do."""
    title = error.title_in(locale)
    if error.code == "insufficient-funds" and "available" in error.extra and requested:
        available = Money.parse(str(error.extra["available"]), requested.currency)
        if error.extra.get("account"):
            return gettext("Insufficient balance in account {account}: available {available}, "
                           "requested {requested}", locale, account=error.extra["account"],
                           available=format_money(available), requested=format_money(requested))
        return gettext("Insufficient balance: available {available}, requested {requested}",
                       locale, available=format_money(available),
                       requested=format_money(requested))
    if isinstance(error, InvalidAmount):
        field = error.extra.get("field")
        typed = re.search(r"'([^']*)'", error.detail)
        return gettext("{field}: the amount {value} is not clear. Write it as {example} or "
                       "1500000: dots group thousands, a comma comes before the sen.", locale,
                       field=label(str(field or "amount"), locale),
                       value=typed.group(1) if typed else "", example=AMOUNT_EXAMPLE)
    for pattern, message in _FIELD_REFUSALS:
        match = pattern.match(error.detail)
        if match:
            found = match.groupdict()
            found["field"] = label(found["field"], locale)
            return gettext(message, locale, **found)
    field = error.extra.get("field")
    where = f"{label(str(field), locale)}: " if field else ""
    return f"{title}. {where}{error.detail_in(locale)}"


def amount_of(text: str | None, currency: str) -> Money | None:
    """The amount a person typed, when it reads exactly (else None: the operation refuses it
    with the reason)."""
    from kopcore.money import read_amount

    if not text:
        return None
    try:
        value = read_amount(text, field="amount")
    except KopcoreError:
        return None
    return Money.parse(str(Decimal(value)), currency)
