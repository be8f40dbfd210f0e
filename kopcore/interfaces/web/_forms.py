"""Forms from operation declarations: the same attrs input classes, the same conversion.

:func:`form_fields` describes an operation's input class as form fields (label, help, widget,
choices, bounds) using the converter the API and the CLI use (:mod:`kopcore.interfaces._convert`);
:func:`raw_input` turns a submitted form back into the raw text mapping that
:func:`kopcore._service.invoke` loads with ``from_text=True``, exactly as it loads CLI options.
So a value the API or the CLI would refuse is refused here with the same error.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from kopcore._i18n import gettext
from kopcore.interfaces._convert import (
    fields_of,
    help_of,
    int_bounds,
    is_required,
    unwrap_optional,
)

AMOUNT_EXAMPLE = "1.500.000,00"


@attrs.frozen
class FormField:
    """One input of a generated form."""

    name: str
    label: str
    help: str
    widget: str  # text, amount, number, checkbox, date, datetime, select, json, textarea
    required: bool
    value: str
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None


def label(name: str, locale: str) -> str:
    """A field's label: its name as a sentence, through the catalogue (``cash_account`` →
    ``Cash account`` → ``Rekening kas``)."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return gettext(text[:1].upper() + text[1:], locale)


def _widget(tp: Any, name: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    if tp is bool:
        return "checkbox", ()
    if tp is int:
        return "number", ()
    if tp is Decimal:
        return "amount", ()
    if tp is date:
        return "date", ()
    if tp is datetime:
        return "datetime", ()
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "select", tuple((str(m.value), str(m.value)) for m in tp)
    if typing.get_origin(tp) is list:
        return "json", ()
    if name in ("address", "note", "reason_text", "body"):
        return "textarea", ()
    return "text", ()


def _shown(value: Any) -> str:
    if value is None or value is attrs.NOTHING:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def form_fields(cls: type, values: Mapping[str, str], locale: str,
                hidden: frozenset[str] = frozenset()) -> list[FormField]:
    """The fields of an input class, filled with ``values`` (what was typed, or defaults)."""
    found = []
    for field in fields_of(cls):
        if field.name in hidden:
            continue
        tp, _optional = unwrap_optional(field.type)
        widget, choices = _widget(tp, field.name)
        default = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = None
        value = values.get(field.name, _shown(default))
        minimum = maximum = None
        if widget == "number":
            minimum, maximum = int_bounds(field)
        help_text = help_of(field)
        if widget == "amount":
            help_text = gettext("{help} (write it as {example})", locale,
                                help=gettext(help_text, locale), example=AMOUNT_EXAMPLE)
        else:
            help_text = gettext(help_text, locale)
        found.append(FormField(
            name=field.name, label=label(field.name, locale), help=help_text, widget=widget,
            required=is_required(field) and widget != "checkbox", value=value, choices=choices,
            minimum=minimum, maximum=maximum, max_length=field.metadata.get("max_length")))
    return found


def raw_input(cls: type, form: Mapping[str, str]) -> dict[str, str]:
    """The raw text input of a submitted form: the input class's fields only (the form's own
    fields, the CSRF token and the idempotency key, are not input), a checkbox as ``true`` or
    ``false``, and empty optional fields left out (read as "not given", as on the CLI)."""
    raw: dict[str, str] = {}
    for field in fields_of(cls):
        tp, _optional = unwrap_optional(field.type)
        if tp is bool:
            raw[field.name] = "true" if form.get(field.name) in ("true", "on", "1") else "false"
            continue
        value = form.get(field.name)
        if value is not None and value.strip() != "":
            raw[field.name] = value.strip() if tp is not str or field.name != "body" else value
    return raw


def money_fields(cls: type) -> tuple[str, ...]:
    """The amount fields of an input class: a form with one is a money form."""
    return tuple(f.name for f in fields_of(cls) if unwrap_optional(f.type)[0] is Decimal)
