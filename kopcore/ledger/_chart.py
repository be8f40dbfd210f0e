"""The chart of accounts: plugin-contributed GL accounts, the operator's renumbering, and the
GL posting accounts (``GL-<key>``) through which entries reach a GL account directly."""

from __future__ import annotations

from typing import Any

import attrs
from sqlalchemy import Connection, select, update

from kopcore._db import tables as t
from kopcore.errors import ConfigurationError
from kopcore.ledger._accounts import gl_account_number
from kopcore.records import GLAccountSpec


def effective_chart(registry: dict[str, Any], overrides: dict[str, Any]) -> list[tuple[str,
                                                                                       GLAccountSpec]]:
    """(plugin, spec) pairs with the settings' ``[chart.<key>]`` code/name applied."""
    unknown = sorted(set(overrides) - set(registry))
    if unknown:
        raise ConfigurationError(f"[chart] names unknown GL account keys: {', '.join(unknown)}")
    chart = []
    codes: dict[str, str] = {}
    for key, claimed in sorted(registry.items()):
        spec: GLAccountSpec = claimed.value
        override = overrides.get(key)
        if override is not None:
            spec = attrs.evolve(spec, code=override.code or spec.code,
                                name=override.name or spec.name)
        if spec.code in codes:
            raise ConfigurationError(
                f"GL code {spec.code} is used by both {codes[spec.code]!r} and {key!r}"
            )
        codes[spec.code] = key
        chart.append((claimed.plugin, spec))
    return chart


def chart_in_sync(conn: Connection, chart: list[tuple[str, GLAccountSpec]]) -> bool:
    """True when the database already holds this chart and its GL posting accounts, so a
    start needs no write (and works on a read-only replica)."""
    existing = {r.key: r for r in conn.execute(select(t.gl_accounts))}
    a = t.accounts.c
    have = {r.number: r.name for r in conn.execute(
        select(a.number, a.name).where(a.member_id.is_(None)))}
    for plugin, spec in chart:
        row = existing.get(spec.key)
        if row is None or (row.code, row.name, row.type, bool(row.contra), row.parent_key,
                           row.plugin) != (spec.code, spec.name, spec.type.value, spec.contra,
                                           spec.parent, plugin):
            return False
        if have.get(gl_account_number(spec.key)) != spec.name:
            return False
    return True


def sync_chart(conn: Connection, chart: list[tuple[str, GLAccountSpec]], currency: str,
               business_date: Any) -> None:
    """Insert new GL accounts, apply renumbering/renaming, and make sure each GL account has
    its posting account in the cooperative's currency. Idempotent."""
    g = t.gl_accounts.c
    existing = {r.key: r for r in conn.execute(select(t.gl_accounts))}
    # Move changed codes out of the way first so a swap of two codes never trips uniqueness.
    for _plugin, spec in chart:
        row = existing.get(spec.key)
        if row is not None and row.code != spec.code:
            conn.execute(update(t.gl_accounts).where(g.key == spec.key)
                         .values(code=f"~{spec.key}"[:32]))
    for plugin, spec in chart:
        values = {"code": spec.code, "name": spec.name, "type": spec.type.value,
                  "contra": spec.contra, "parent_key": spec.parent, "plugin": plugin}
        if spec.key in existing:
            conn.execute(update(t.gl_accounts).where(g.key == spec.key).values(**values))
        else:
            conn.execute(t.gl_accounts.insert().values(key=spec.key, **values))
    a = t.accounts.c
    have = {r.number for r in conn.execute(select(a.number).where(a.member_id.is_(None)))}
    for plugin, spec in chart:
        number = gl_account_number(spec.key)
        if number not in have:
            conn.execute(t.accounts.insert().values(
                number=number, name=spec.name, gl_key=spec.key, member_id=None,
                product_code=None, plugin=plugin, currency=currency,
                normal_sign=spec.normal_sign, status="open", balance=0, held=0, floor=None,
                opened_on=business_date,
            ))
        else:
            conn.execute(update(t.accounts).where(a.number == number).values(name=spec.name))
