"""Built-in plugin: end of day."""

from __future__ import annotations

from datetime import date, datetime

import attrs
from sqlalchemy import case, func, select

from kopcore import hookimpl
from kopcore._db import tables as t
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


@attrs.frozen
class EodStatusIn:
    """No input: the status of the end of day running now, or of the last one."""


@attrs.frozen
class EodTaskOut:
    task: str
    plugin: str
    #: Chunks of the task done, and planned (0 before the task has started).
    chunks_done: int
    chunks: int
    rows: int


@attrs.frozen
class EodStatusOut:
    """Where end of day stands: ``running`` while a day is being closed (``day``), else the
    last closed day (``day``, None before the first end of day), with each task's chunks."""

    business_date: date
    running: bool
    day: date | None
    started_at: datetime | None
    finished_at: datetime | None
    tasks: list[EodTaskOut]


def eod_status(ctx: Context, data: EodStatusIn) -> EodStatusOut:
    """The end of day running now, or the last one: each task's chunks done and planned and
    the rows touched, read from the run's own records (so any worker's progress shows)."""
    from kopcore.eod import eod_tasks

    r = t.eod_runs.c
    run = ctx.conn.execute(select(t.eod_runs).order_by(
        case((r.status == "running", 0), else_=1), r.business_date.desc()).limit(1)).first()
    tasks = []
    if run is not None:
        c = t.eod_chunks.c
        counts = {row.task: row for row in ctx.conn.execute(
            select(c.task, func.count().label("chunks"),
                   func.sum(case((c.status == "done", 1), else_=0)).label("done"),
                   func.sum(func.coalesce(c.rows, 0)).label("rows"))
            .where(c.business_date == run.business_date).group_by(c.task))}
        for plugin, task in eod_tasks(ctx.kernel):
            found = counts.get(task.name)
            tasks.append(EodTaskOut(task.name, plugin, int(found.done or 0) if found else 0,
                                    int(found.chunks) if found else 0,
                                    int(found.rows or 0) if found else 0))
    return EodStatusOut(ctx.business_date, run is not None and run.status == "running",
                        run.business_date if run is not None else None,
                        run.started_at if run is not None else None,
                        run.finished_at if run is not None else None, tasks)


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("eod.run", EodIn, EodOut, run_eod, permission="eod.run", mutates=True,
                  summary="Run end of day", own_transactions=True,
                  errors=(BusinessDateError,)),
        Operation("eod.status", EodStatusIn, EodStatusOut, eod_status, permission="eod.run",
                  mutates=False, summary="End of day status"),
    ]
