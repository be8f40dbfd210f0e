"""Kolektibilitas of sharia financing: classes by days past due, configurable, each with the
allowance (PPAP) it requires.

Defaults (DOMAIN.md §3): 1 Lancar from 0 days (allowance 0.5 %), 2 Kurang Lancar from 91 (10 %),
3 Diragukan from 121 (50 %), 4 Macet from 181 (100 %). End of day (``sharia.murabahah-ageing``)
classifies each active murabahah by the days since its oldest unpaid installment fell due, then
forms its allowance (:mod:`kopcore_sharia.allowance`).
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.operations import Operation
from kopcore_sharia import chart
from kopcore_sharia.messages import _
from kopcore_sharia.tables import collectibility_classes


@attrs.frozen
class ClassIn:
    code: str = attrs.field(metadata={"help": "Class code, e.g. 2", "max_length": 16})
    name: str = attrs.field(metadata={"help": "Class name, e.g. Kurang Lancar",
                                      "max_length": 100})
    min_days: int = attrs.field(metadata={"help": "Days past due from which it applies",
                                          "minimum": 0, "maximum": 3650})
    allowance_rate: Decimal | None = attrs.field(default=None, metadata={
        "help": "Allowance (PPAP) required, percent of the financing net of deferred margin, "
                "2 decimals at most (default: unchanged, 0 for a new class)"})


@attrs.frozen
class CodeIn:
    code: str = attrs.field(metadata={"help": "Class code", "max_length": 16})


@attrs.frozen
class NoInput:
    pass


@attrs.frozen
class ClassOut:
    code: str
    name: str
    min_days: int
    allowance_rate: Decimal


@attrs.frozen
class ClassesOut:
    classes: list[ClassOut]


def classes(ctx: Context, data: object = None) -> ClassesOut:
    """The kolektibilitas classes in force, from current to loss."""
    c = collectibility_classes.c
    return ClassesOut([ClassOut(r.code, r.name, r.min_days, Decimal(r.allowance_bp) / 100)
                       for r in ctx.conn.execute(
        sa.select(collectibility_classes).order_by(c.min_days))])


def _check(ctx: Context) -> ClassesOut:
    found = classes(ctx)
    if not found.classes or found.classes[0].min_days != 0:
        raise ValidationError(_("one class must start at 0 days past due"), field="min_days")
    return found


def set_class(ctx: Context, data: ClassIn) -> ClassesOut:
    """Add a class or change one (threshold, allowance rate); thresholds stay unique and one
    class starts at 0 days. Contracts are reclassified and their allowance adjusted at the next
    end of day."""
    if not data.code.strip() or not data.name.strip():
        raise ValidationError(_("a class needs a code and a name"), field="code")
    c = collectibility_classes.c
    clash = ctx.conn.execute(sa.select(c.code).where(c.min_days == data.min_days,
                                                     c.code != data.code)).first()
    if clash:
        raise Conflict(_("class {clash} already starts at {min_days} days",
                         clash=clash.code, min_days=data.min_days),
                       field="min_days")
    if data.allowance_rate is None:
        rate = ctx.conn.execute(sa.select(c.allowance_bp).where(c.code == data.code)
                                ).scalar() or 0
    else:
        scaled = data.allowance_rate * 100
        if scaled != scaled.to_integral_value() or not 0 <= scaled <= 10_000:
            raise ValidationError(_("allowance rate: 0-100 percent, 2 decimals at most"),
                                  field="allowance_rate")
        rate = int(scaled)
    ctx.conn.execute(sa.delete(collectibility_classes).where(c.code == data.code))
    ctx.conn.execute(collectibility_classes.insert().values(
        code=data.code, name=data.name.strip(), min_days=data.min_days, allowance_bp=rate))
    return _check(ctx)


def remove_class(ctx: Context, data: CodeIn) -> ClassesOut:
    """Remove a class (not the one starting at 0 days)."""
    c = collectibility_classes.c
    if not ctx.conn.execute(sa.delete(collectibility_classes).where(c.code == data.code)
                            ).rowcount:
        raise NotFound(_("no class {code}", code=data.code), field="code")
    return _check(ctx)


OPERATIONS: tuple[Operation, ...] = (
    Operation("sharia.collectibility-classes", NoInput, ClassesOut, classes,
              permission=chart.REPORTS, mutates=False,
              summary="Kolektibilitas classes of sharia financing"),
    Operation("sharia.collectibility-set", ClassIn, ClassesOut, set_class,
              permission=chart.MANAGE, mutates=True,
              summary="Add or change a kolektibilitas class",
              errors=(Conflict, ValidationError)),
    Operation("sharia.collectibility-remove", CodeIn, ClassesOut, remove_class,
              permission=chart.MANAGE, mutates=True,
              summary="Remove a kolektibilitas class", errors=(NotFound, ValidationError)),
)
