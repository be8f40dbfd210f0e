"""Built-in plugin: end of day."""

from __future__ import annotations

from datetime import date

import attrs

from kopcore import hookimpl
from kopcore.context import Context
from kopcore.errors import BusinessDateError
from kopcore.operations import Operation


@attrs.frozen
class EodIn:
    until: date | None = attrs.field(
        default=None, metadata={"help": "Close days until the business date is this "
                                        "(default: one day)"})


@attrs.frozen
class ClosedDayOut:
    business_date: date
    rows: dict[str, int]


@attrs.frozen
class EodOut:
    closed: list[ClosedDayOut]
    business_date: date


def run_eod(ctx: Context, data: EodIn) -> EodOut:
    """Close the business date (or several, to catch up) running every plugin's end-of-day
    work; resumes a crashed run without applying anything twice."""
    from kopcore.eod import current_business_date, run_end_of_day

    closed = run_end_of_day(ctx.kernel, until=data.until, progress=ctx.progress)
    return EodOut([ClosedDayOut(d.business_date, d.tasks) for d in closed],
                  current_business_date(ctx.kernel))


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("eod.run", EodIn, EodOut, run_eod, permission="eod.run", mutates=True,
                  summary="Run end of day", own_transactions=True,
                  errors=(BusinessDateError,)),
    ]
