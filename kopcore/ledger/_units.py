"""Units with books of their own: a KSU's savings-and-loan unit (USP), a sharia unit (USPPS).

A unit is a set of GL accounts (:class:`~kopcore.records.UnitSpec`, declared through
``kopcore_units`` by a plugin or by the settings' ``[units.<key>]``); every GL account of no unit
is in the cooperative's main books, the unit :data:`MAIN`. The ledger stays one: a unit's
reports are the kernel's reports over its GL accounts (``reports.* --unit``), the consolidated
reports are those of the whole ledger, and the inter-unit accounts, posted on both sides by an
entry between a unit and the main books, net to zero there (``verify`` checks it).
"""

from __future__ import annotations

from collections.abc import Callable

from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, message
from kopcore.records import UnitSpec

#: The cooperative's main books: every GL account in no declared unit.
MAIN = "utama"


def declared_units(ctx: Context) -> dict[str, tuple[str, UnitSpec]]:
    """Every declared unit by key, with the plugin that declared it. A key or a GL account
    claimed twice raises :class:`~kopcore.errors.Conflict` naming both plugins."""
    found: dict[str, tuple[str, UnitSpec]] = {}
    owners: dict[str, tuple[str, str]] = {}
    for plugin, specs in ctx.kernel.plugins.call("kopcore_units", ctx=ctx):
        for spec in specs or ():
            if spec.key == MAIN or spec.key in found:
                other = found[spec.key][0] if spec.key in found else "kopcore"
                raise Conflict(message("unit {unit_key!r} is declared by {other!r} and "
                                       "{plugin!r}", unit_key=spec.key, other=other,
                                       plugin=plugin))
            for gl_key in sorted(spec.gl_keys):
                if gl_key in owners:
                    unit, other = owners[gl_key]
                    raise Conflict(message("GL account {gl_key!r} is in unit {unit!r} "
                                           "({other}) and in unit {unit_key!r} ({plugin})",
                                           gl_key=gl_key, unit=unit, other=other,
                                           unit_key=spec.key, plugin=plugin))
                owners[gl_key] = (spec.key, plugin)
            found[spec.key] = (plugin, spec)
    return found


def unit_filter(ctx: Context, unit: str) -> Callable[[str], bool]:
    """Whether a GL account (by key) is in the books of ``unit`` (:data:`MAIN`: in no declared
    unit); :class:`~kopcore.errors.NotFound` for a unit nobody declares."""
    units = declared_units(ctx)
    if unit == MAIN:
        elsewhere = frozenset().union(*(spec.gl_keys for _, spec in units.values()))
        return lambda gl_key: gl_key not in elsewhere
    if unit not in units:
        raise NotFound(message("unit {unit} is not declared (units: {units})", unit=unit,
                               units=', '.join([MAIN, *sorted(units)])), field="unit")
    keys = units[unit][1].gl_keys
    return lambda gl_key: gl_key in keys
