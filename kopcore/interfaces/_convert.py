"""One converter between plain data and operation classes, used by the API and the CLI alike.

``load(cls, data)`` turns a mapping (a JSON body, query parameters or CLI options) into an
instance of an attrs input class, refusing unknown fields, missing required fields and values of
the wrong type with :class:`~kopcore.errors.ValidationError` naming the field. Amounts
(``Decimal`` fields) must be strings or integers — JSON floats are refused, so no client can
lose a rupiah to binary floating point; a string is read by :func:`kopcore.money.read_amount`
(``1500000.50`` or ``1.500.000,50``; ``50.000`` is refused as ambiguous). ``dump(obj)``
renders an output instance as JSON data (Money as ``{"amount": "1500000.00", "currency":
"IDR"}``). ``schema(cls)`` is the JSON Schema of either, for the OpenAPI document.

Text is normalised to NFC and may not hold control characters (line breaks and tabs aside)
or bidirectional overrides; names and memos (fields ``name``, ``memo``, ``*_name``) are one line
of visible text, without line breaks or invisible formatting characters either.

Supported field types: ``str``, ``int``, ``bool``, ``Decimal``, ``date``, ``datetime``,
``StrEnum`` subclasses, ``Money`` (outputs), nested attrs classes and ``list[...]`` (outputs),
and ``X | None``. Field metadata: ``help`` (documentation), ``max_length`` (strings),
``minimum``/``maximum`` (integers).
"""

from __future__ import annotations

import enum
import re
import types
import typing
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, Union

import attrs

from kopcore.errors import InvalidAmount, KopcoreError, ValidationError, message
from kopcore.interfaces import _edge as edge
from kopcore.money import AMOUNT_TEXT_PATTERN, Money, read_amount, to_decimal

T = TypeVar("T")
DECIMAL_PATTERN = r"^-?[0-9]{1,18}(\.[0-9]{1,6})?$"
DEFAULT_MAX_LENGTH = 500


_FIELDS: dict[type, tuple[attrs.Attribute[Any], ...]] = {}


def fields_of(cls: type) -> tuple[attrs.Attribute[Any], ...]:
    """The attrs fields of ``cls`` with their annotations resolved to types (cached)."""
    if cls not in _FIELDS:
        attrs.resolve_types(cls)
        _FIELDS[cls] = tuple(attrs.fields(cls))
    return _FIELDS[cls]


def unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """``X | None`` → (X, True); anything else → (tp, False)."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


#: Integers in inputs (ids, cursors, counts) fit PostgreSQL's INTEGER, the type of every id
#: column: a larger value could only fail in the database (a 500), so it is refused here.
INT_LIMIT = 2**31 - 1


def int_bounds(field: attrs.Attribute[Any]) -> tuple[int, int]:
    """The accepted range of an integer input: its ``minimum``/``maximum`` within INT_LIMIT."""
    low = field.metadata.get("minimum", -INT_LIMIT)
    high = field.metadata.get("maximum", INT_LIMIT)
    return max(low, -INT_LIMIT), min(high, INT_LIMIT)


def is_required(field: attrs.Attribute[Any]) -> bool:
    return field.default is attrs.NOTHING


def help_of(field: attrs.Attribute[Any]) -> str:
    return str(field.metadata.get("help", field.name.replace("_", " ")))


# --- loading ----------------------------------------------------------------------------------


def load(cls: type[T], data: Mapping[str, Any], *, from_text: bool = False) -> T:
    """Build an input instance from ``data``. ``from_text``: values are strings (query
    parameters, CLI) and are parsed; otherwise they are JSON values and must have the type."""
    if not isinstance(data, Mapping):
        raise ValidationError(message("request body must be a JSON object"))
    fields = fields_of(cls)
    known = {f.name for f in fields}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationError(message("unknown field(s): {fields}", fields=", ".join(unknown)),
                              field=unknown[0])
    kwargs: dict[str, Any] = {}
    for field in fields:
        if field.name not in data or (from_text and data[field.name] in (None, "")):
            if is_required(field):
                raise ValidationError(message("{field} is required", field=field.name),
                                      field=field.name)
            continue
        kwargs[field.name] = _value(field, data[field.name], from_text)
    try:
        return cls(**kwargs)
    except KopcoreError:
        raise
    except (ValueError, TypeError) as exc:
        raise ValidationError(str(exc)) from None


def _value(field: attrs.Attribute[Any], raw: Any, from_text: bool) -> Any:
    tp, optional = unwrap_optional(field.type)
    name = field.name
    if raw is None:
        if optional:
            return None
        raise ValidationError(message("{field} may not be null", field=name), field=name)
    if tp is bool:
        if isinstance(raw, bool):
            return raw
        if from_text and isinstance(raw, str) and raw.lower() in ("true", "false", "1", "0"):
            return raw.lower() in ("true", "1")
        raise ValidationError(message("{field} must be true or false", field=name),
                              field=name)
    if tp is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif from_text and isinstance(raw, str) and re.fullmatch(r"-?[0-9]{1,18}", raw.strip()):
            value = int(raw)
        else:
            raise ValidationError(message("{field} must be an integer", field=name),
                                  field=name)
        low, high = int_bounds(field)
        if not low <= value <= high:
            raise ValidationError(message("{field} must be between {low} and {high}",
                                          field=name, low=low, high=high), field=name)
        return value
    if tp is Decimal:
        if isinstance(raw, str):
            return read_amount(raw, field=name)
        try:
            return to_decimal(raw, field=name)
        except InvalidAmount as exc:
            raise InvalidAmount(exc.detail, field=name) from None
    if tp is str:
        if not isinstance(raw, str):
            raise ValidationError(message("{field} must be a string", field=name),
                                  field=name)
        if "\x00" in raw:
            raise ValidationError(message("{field} contains a NUL character", field=name),
                                  field=name)
        # The limit applies to the text as stored, after normalisation (which may lengthen it).
        text = _text(name, raw)
        limit = field.metadata.get("max_length", DEFAULT_MAX_LENGTH)
        if len(text) > limit:
            raise ValidationError(message("{field} is longer than {count} characters",
                                          field=name, count=limit), field=name)
        return text
    if tp is date or tp is datetime:
        if isinstance(raw, str):
            try:
                return tp.fromisoformat(raw)
            except ValueError:
                pass
        raise ValidationError(message("{field} must be an ISO date (YYYY-MM-DD)", field=name),
                              field=name)
    if typing.get_origin(tp) is list and attrs.has(typing.get_args(tp)[0]):
        return _list_of(field, typing.get_args(tp)[0], raw, from_text)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(raw)
        except ValueError:
            choices = ", ".join(str(m.value) for m in tp)
            raise ValidationError(message("{field} must be one of: {choices}", field=name,
                                          choices=choices), field=name) from None
    raise TypeError(f"field {name}: type {tp!r} is not supported in operation inputs")


#: Characters that make text display otherwise than it reads (Trojan Source, CVE-2021-42574):
#: bidirectional embeddings, overrides and isolates. Refused in every text input.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Line breaks and tabs, allowed in free text (an address) but not in a name or a memo.
LAYOUT = frozenset("\t\n\r")


def single_line(field_name: str) -> bool:
    """Names and memos (fields ``name``, ``memo`` and ``*_name``) are one line of visible
    text: what a statement, a receipt or a list of members prints."""
    return field_name in ("name", "memo") or field_name.endswith("_name")


def _text(name: str, raw: str) -> str:
    """Text input in NFC, without control or bidirectional-override characters; in a name or a
    memo, without line breaks, tabs or invisible format characters (zero-width spaces and
    joiners, bidirectional marks, soft hyphens) either, so what is stored is what is seen."""
    text = unicodedata.normalize("NFC", raw)
    strict = single_line(name)
    for char in text:
        category = unicodedata.category(char)
        if char in BIDI_CONTROLS:
            why = message("a bidirectional override")
        elif category == "Cc" and (strict or char not in LAYOUT):
            why = message("a control character")
        elif category == "Cf" and strict:
            why = message("an invisible formatting character")
        else:
            continue
        raise ValidationError(message("{field} contains {why} (U+{code}); send visible text "
                                      "only", field=name, why=why, code=format(ord(char), "04X")),
                              field=name)
    return text


MAX_ITEMS = 1000


def _list_of(field: attrs.Attribute[Any], item: type, raw: Any, from_text: bool) -> list[Any]:
    """A list of nested objects: a JSON array (on the CLI, the array as JSON text)."""
    name = field.name
    if from_text and isinstance(raw, str):
        try:
            raw = edge.parse_json(raw, name)
        except ValidationError:
            raise ValidationError(message("{field} must be a JSON array", field=name),
                                  field=name) from None
    if not isinstance(raw, list) or len(raw) > MAX_ITEMS:
        raise ValidationError(message("{field} must be an array of at most {count} objects",
                                      field=name, count=MAX_ITEMS), field=name)
    items: list[Any] = []
    for index, element in enumerate(raw):
        try:
            items.append(load(item, element))
        except ValidationError as exc:
            inner = exc.extra.get("field")
            where = f"{name}[{index}]" + (f".{inner}" if inner else "")
            raise type(exc)(message("{where}: {detail}", where=where, detail=exc.detail),
                            field=where) from None
    return items


# --- dumping ----------------------------------------------------------------------------------


def dump(value: Any) -> Any:
    """Render an output value as JSON-ready data."""
    if isinstance(value, Money):
        return {"amount": value.to_str(), "currency": value.currency}
    if attrs.has(type(value)):
        return {f.name: dump(getattr(value, f.name)) for f in fields_of(type(value))}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    return value


# --- schema -----------------------------------------------------------------------------------

MONEY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "amount": {"type": "string", "pattern": DECIMAL_PATTERN,
                   "description": "Exact decimal amount in major units"},
        "currency": {"type": "string", "minLength": 3, "maxLength": 3},
    },
    "required": ["amount", "currency"],
    "additionalProperties": False,
}


def type_schema(tp: Any, field: attrs.Attribute[Any] | None = None, *, for_input: bool = True
                ) -> dict[str, Any]:
    tp, optional = unwrap_optional(tp)
    schema: dict[str, Any]
    if tp is bool:
        schema = {"type": "boolean"}
    elif tp is int:
        schema = {"type": "integer"}
        if field is not None and for_input:
            schema["minimum"], schema["maximum"] = int_bounds(field)
        elif field is not None:
            if "minimum" in field.metadata:
                schema["minimum"] = field.metadata["minimum"]
            if "maximum" in field.metadata:
                schema["maximum"] = field.metadata["maximum"]
    elif tp is Decimal:
        schema = {"type": "string", "pattern": AMOUNT_TEXT_PATTERN if for_input
                  else DECIMAL_PATTERN, "format": "decimal"}
    elif tp is str:
        limit = field.metadata.get("max_length", DEFAULT_MAX_LENGTH) if field and for_input \
            else None
        schema = {"type": "string"} | ({"maxLength": limit} if limit else {})
    elif tp is date:
        schema = {"type": "string", "format": "date"}
    elif tp is datetime:
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(tp, type) and issubclass(tp, enum.Enum):
        schema = {"type": "string", "enum": [m.value for m in tp]}
    elif tp is Money:
        schema = dict(MONEY_SCHEMA)
    elif typing.get_origin(tp) in (list, tuple):
        item = type_schema(typing.get_args(tp)[0], for_input=for_input)
        schema = {"type": "array", "items": item}
        if for_input:
            schema["maxItems"] = MAX_ITEMS
    elif typing.get_origin(tp) is dict:
        value = type_schema(typing.get_args(tp)[1], for_input=for_input)
        schema = {"type": "object", "additionalProperties": value}
    elif isinstance(tp, type) and attrs.has(tp):
        schema = object_schema(tp, for_input=for_input)
    elif tp is Any:
        schema = {}
    else:
        raise TypeError(f"type {tp!r} has no JSON schema mapping")
    if field is not None and "help" in field.metadata:
        schema["description"] = field.metadata["help"]
    if optional:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def object_schema(cls: type, *, for_input: bool = True) -> dict[str, Any]:
    fields = fields_of(cls)
    schema: dict[str, Any] = {
        "type": "object",
        "title": cls.__name__,
        "properties": {f.name: type_schema(f.type, f, for_input=for_input) for f in fields},
        "additionalProperties": False,
    }
    required = [f.name for f in fields if is_required(f)]
    if required:
        schema["required"] = required
    if cls.__doc__:
        schema["description"] = cls.__doc__.strip().splitlines()[0]
    return schema


def query_parameters(cls: type) -> list[dict[str, Any]]:
    """OpenAPI parameters for a read operation's input fields (sent as the query string)."""
    params = []
    for f in fields_of(cls):
        schema = type_schema(f.type, f)
        if "anyOf" in schema:
            schema = schema["anyOf"][0]
        schema.pop("description", None)
        params.append({"name": f.name, "in": "query", "required": is_required(f),
                       "description": help_of(f), "schema": schema})
    return params
