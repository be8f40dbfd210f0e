"""Inputs and database states for the authorisation matrix over every installed operation.

The API loads (validates) an operation's input before it authorises the caller, so a probe that
should be decided by the permission check needs an input that loads. :func:`generic_input`
builds one from the operation's attrs input class: every required field gets a plausible value
of its type, and the fields naming the call's subject (``Operation.account_fields`` and
``member_fields``, filled even when optional) name the account and member given.

:func:`database_state` is everything a request could change: the content of every table in
the database (plugins' tables included), except the audit log, which is only counted since a
refused mutation is on the record too.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
from sqlalchemy import inspect, text

from kopcore.interfaces._convert import fields_of, int_bounds, is_required, unwrap_optional
from kopcore.kernel import Kernel
from kopcore.operations import Operation

#: Values for required fields chosen by name before their type decides: years and months the
#: cooperative's calendar knows, a period in the savings' format, codes and customer numbers in
#: the formats the products check (so an allowed caller gets past the input's own checks).
BY_NAME: dict[str, Any] = {
    "year": 2026,
    "month": 1,
    "period": "2026-01",
    "code": "MTX",
    "customer_no": "081234567890",
    "term": 12,
    "installments": 12,
    "min_days": 1,
}
DAY = "2026-01-05"
MISSING_ID = 999999


def plausible(field: attrs.Attribute[Any], *, cash: str, other_member: str) -> Any:
    """A JSON value of the field's type that the input loader accepts."""
    tp, _ = unwrap_optional(field.type)
    name = field.name
    if tp is str:
        if "account" in name or name == "destination":
            return cash
        if name in ("guarantor", "member"):
            return other_member
        value = BY_NAME.get(name, "matrix")
        return str(value)[: field.metadata.get("max_length", 500)]
    if tp is int:
        low, high = int_bounds(field)
        value = BY_NAME.get(name, MISSING_ID if name.endswith("_id") or name == "proposal"
                            else 1)
        return min(max(value, low), high)
    if tp is bool:
        return False
    if tp is Decimal:
        return "1"
    if tp is date or tp is datetime:
        return "2026-01-01" if name == "month" else DAY
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return next(iter(tp)).value
    if typing.get_origin(tp) is list:
        (item,) = typing.get_args(tp)
        return [{f.name: plausible(f, cash=cash, other_member=other_member)
                 for f in fields_of(item) if is_required(f)}]
    raise TypeError(f"field {name}: no plausible value for {tp!r}")


def generic_input(op: Operation, *, account: str, member: str, cash: str,
                  other_member: str) -> dict[str, Any]:
    """Required fields filled plausibly; the subject fields name ``account`` and ``member``."""
    data = {f.name: plausible(f, cash=cash, other_member=other_member)
            for f in fields_of(op.input) if is_required(f)}
    data.update({name: account for name in op.account_fields})
    data.update({name: member for name in op.member_fields})
    return data


def with_subject(op: Operation, data: Mapping[str, Any], *, account: str, member: str
                 ) -> dict[str, Any]:
    """``data`` with every subject field naming ``account`` / ``member``."""
    return {**data, **{name: account for name in op.account_fields},
            **{name: member for name in op.member_fields}}


def probes(op: Operation, data: Mapping[str, Any], *, other_account: str, other_member: str
           ) -> list[dict[str, Any]]:
    """One variant of ``data`` per subject field, that field naming someone else's."""
    variants = [{**data, name: other_account} for name in op.account_fields]
    return variants + [{**data, name: other_member} for name in op.member_fields]


AUDIT = "audit_log"


class DatabaseState:
    """Snapshots of every table of a kernel's database, read in one transaction."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        engine = kernel.db.engine
        quote = engine.dialect.identifier_preparer.quote
        self.tables = sorted(inspect(engine).get_table_names())
        self.audit = text(f"SELECT count(*) FROM {quote(AUDIT)}")
        contents = [name for name in self.tables if name != AUDIT]
        if engine.dialect.name == "postgresql":
            # The server digests each table's rows in a stable order, all in one round trip.
            selects = [f"SELECT '{name}', count(*), md5(coalesce(string_agg(r::text, chr(10) "
                       f"ORDER BY r::text), '')) FROM {quote(name)} AS r" for name in contents]
        else:
            inspector = inspect(engine)
            selects = []
            for name in contents:
                columns = [quote(c["name"]) for c in inspector.get_columns(name)]
                row = " || ',' || ".join(f"quote({c})" for c in columns)
                selects.append(f"SELECT '{name}', count(*), group_concat(line, char(10)) "
                               f"FROM (SELECT {row} AS line FROM {quote(name)} ORDER BY 1)")
        self.digests = text(" UNION ALL ".join(selects))

    def __call__(self) -> dict[str, Any]:
        """Table name -> (row count, digest of its rows); the audit log -> its row count."""

        def read(conn: Any) -> dict[str, Any]:
            state: dict[str, Any] = {AUDIT: conn.execute(self.audit).scalar_one()}
            for name, count, digest in conn.execute(self.digests):
                state[name] = (count, hash(digest))
            return state

        return self.kernel.db.read(read)


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The tables whose content differs between two states."""
    return sorted(name for name in set(before) | set(after) if before.get(name) !=
                  after.get(name))
