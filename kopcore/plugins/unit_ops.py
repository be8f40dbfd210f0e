"""Built-in plugin: units with books of their own declared in the settings, and their list.

A KSU keeps its savings-and-loan unit (USP) in books of its own by naming the unit's GL accounts
in ``[units.<key>]``; a plugin declares its own unit through the same hook (``kopcore_units``),
as the sharia plugin does. Each unit's trial balance, financial position and operating results
are the kernel's reports with ``--unit``. See docs/offices.md#units-with-books-of-their-own.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from kopcore import hookimpl
from kopcore.context import Context
from kopcore.errors import Conflict
from kopcore.ledger._units import MAIN, declared_units
from kopcore.operations import Operation
from kopcore.records import UnitSpec


@attrs.frozen
class NoInput:
    """No parameters."""


@attrs.frozen
class UnitOut:
    key: str
    name: str
    plugin: str
    gl_keys: list[str]
    inter_unit_gl_keys: list[str]


@attrs.frozen
class UnitsOut:
    """The declared units; the main books (``utama``) hold every GL account of no unit."""

    main: str
    units: list[UnitOut]


def list_units(ctx: Context, data: NoInput) -> UnitsOut:
    """The units with books of their own and their GL accounts."""
    return UnitsOut(MAIN, [UnitOut(spec.key, spec.name, plugin, sorted(spec.gl_keys),
                                   sorted(spec.inter_unit_gl_keys))
                           for key, (plugin, spec) in sorted(declared_units(ctx).items())])


@hookimpl
def kopcore_units(ctx: Context) -> Sequence[UnitSpec]:
    return [UnitSpec(key, unit.name, frozenset(unit.gl_keys),
                     frozenset(unit.inter_unit_gl_keys))
            for key, unit in sorted(ctx.settings.units.items())]


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [Operation("units.list", NoInput, UnitsOut, list_units, permission="reports.read",
                      mutates=False, summary="Units with books of their own",
                      errors=(Conflict,))]
