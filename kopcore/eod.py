"""Business date and end of day (tutup hari).

The business date lives in the database. :func:`run_end_of_day` closes the current business
date: every enabled plugin's :class:`~kopcore.records.EodTask` runs in chunks; each chunk's writes
and its "done" mark commit together, so a crashed run resumes after the last finished chunk and no
chunk is applied twice. When every chunk of the date is done the date advances, guarded by its old
value so two workers can never advance it twice. Several worker processes may run this at once:
on PostgreSQL they claim chunks with ``FOR UPDATE SKIP LOCKED``. A cooperative with several
offices closes its day only after each office holding cash has closed it
(:mod:`kopcore._office_days`).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial

import attrs
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from kopcore._db import tables as t
from kopcore._office_days import offices_still_open
from kopcore.context import Context
from kopcore.errors import BusinessDateError, message
from kopcore.kernel import SYSTEM_ACTOR, Kernel
from kopcore.records import EodTask

log = logging.getLogger(__name__)

#: progress(task name, chunks done, chunks in all)
Progress = Callable[[str, int, int], None]


@attrs.frozen
class DayClosed:
    business_date: date
    tasks: dict[str, int]
    """Rows touched per task by this worker."""


def current_business_date(kernel: Kernel) -> date:
    return kernel.read(SYSTEM_ACTOR, lambda ctx: ctx.business_date)


def eod_tasks(kernel: Kernel) -> list[tuple[str, EodTask]]:
    """Every enabled plugin's end-of-day tasks, in running order (declared and checked for
    name conflicts at start-up)."""
    tasks = [(claimed.plugin, claimed.value) for claimed in kernel.plugins.eod_tasks.values()]
    return sorted(tasks, key=lambda pt: (pt[1].order, pt[1].name))


def _plan(ctx: Context, day: date, task: EodTask, chunk_size: int) -> None:
    c = t.eod_chunks.c
    lock = select(t.eod_runs.c.status).where(t.eod_runs.c.business_date == day)
    if ctx.conn.dialect.name == "postgresql":
        lock = lock.with_for_update()
    ctx.conn.execute(lock)
    planned = ctx.conn.execute(
        select(func.count()).where(c.business_date == day, c.task == task.name)
    ).scalar_one()
    if planned:
        return
    chunks = task.chunks(ctx, day, chunk_size) or [(1, 0)]
    ctx.conn.execute(t.eod_chunks.insert(), [
        {"business_date": day, "task": task.name, "chunk_no": n, "low_id": low, "high_id": high,
         "status": "pending" if low <= high else "done", "rows": None if low <= high else 0}
        for n, (low, high) in enumerate(chunks)
    ])


def _run_one_chunk(ctx: Context, day: date, task: EodTask) -> int | None:
    """Claim and run one pending chunk; ``None`` when none is left to claim."""
    c = t.eod_chunks.c
    claim = (select(c.chunk_no, c.low_id, c.high_id)
             .where(c.business_date == day, c.task == task.name, c.status == "pending")
             .order_by(c.chunk_no).limit(1))
    if ctx.conn.dialect.name == "postgresql":
        claim = claim.with_for_update(skip_locked=True)
    chunk = ctx.conn.execute(claim).first()
    if chunk is None:
        return None
    rows = task.run(ctx, day, chunk.low_id, chunk.high_id)
    ctx.conn.execute(
        update(t.eod_chunks)
        .where(c.business_date == day, c.task == task.name, c.chunk_no == chunk.chunk_no,
               c.status == "pending")
        .values(status="done", rows=rows, finished_at=datetime.now(UTC))
    )
    return rows


def _progress(ctx: Context, day: date, task: str) -> tuple[int, int]:
    c = t.eod_chunks.c
    row = ctx.conn.execute(
        select(func.count(), func.sum(case((c.status == "done", 1), else_=0)))
        .where(c.business_date == day, c.task == task)
    ).one()
    return int(row[1] or 0), int(row[0])


def close_business_date(kernel: Kernel, *, progress: Progress | None = None,
                        wait_seconds: int = 600) -> DayClosed:
    """Run end of day for the current business date and advance it by one day."""
    day = current_business_date(kernel)
    chunk_size = kernel.settings.eod_chunk_size
    still_open = kernel.read(SYSTEM_ACTOR, lambda ctx: offices_still_open(ctx, day))
    if still_open:
        raise BusinessDateError(
            message("end of day {day}: the offices close their day first (offices close-day): "
                    "{still_open} still open", day=day.isoformat(),
                    still_open=', '.join(office.code for office in still_open)))

    def start(ctx: Context) -> None:
        exists = ctx.conn.execute(
            select(t.eod_runs.c.status).where(t.eod_runs.c.business_date == day)
        ).first()
        if exists is None:
            # Another worker starting the same day at the same moment inserts it first: fine.
            savepoint = ctx.conn.begin_nested()
            try:
                ctx.conn.execute(t.eod_runs.insert().values(
                    business_date=day, status="running", started_at=datetime.now(UTC)))
                savepoint.commit()
            except IntegrityError:
                savepoint.rollback()

    kernel.write(SYSTEM_ACTOR, start, operation="eod")
    touched: dict[str, int] = {}
    for _plugin, task in eod_tasks(kernel):
        op = task.operation
        kernel.write(SYSTEM_ACTOR, partial(_plan, day=day, task=task, chunk_size=chunk_size),
                     operation=op)
        touched[task.name] = 0
        waiting_since: int | None = None
        while True:
            rows = kernel.write(SYSTEM_ACTOR, partial(_run_one_chunk, day=day, task=task),
                                operation=op)
            if rows is None:
                # Nothing to claim: the rest is held by other workers. Keep claiming while
                # waiting, so a chunk put back by a worker that crashed is taken over.
                waiting_since = waiting_since or time.monotonic_ns()
                if _others_done(kernel, day, task.name, waiting_since, wait_seconds):
                    break
                time.sleep(0.2)
                continue
            waiting_since = None
            touched[task.name] += rows
            if progress is not None:
                done, total = kernel.read(SYSTEM_ACTOR,
                                          partial(_progress, day=day, task=task.name))
                progress(task.name, done, total)
    _seal(kernel)
    kernel.write(SYSTEM_ACTOR, lambda ctx: _advance(ctx, day), operation="eod")
    return DayClosed(day, touched)


def _seal(kernel: Kernel) -> None:
    """Seal the day's journal entries (docs/integrity.md). A tampered entry is left unsealed
    and logged, not allowed to stop the day: ``kopcore verify`` reports it."""
    from kopcore.errors import Conflict
    from kopcore.ledger._integrity import seal_now

    try:
        seal_now(kernel, SYSTEM_ACTOR)
    except Conflict as exc:
        log.error("end of day: journal not sealed: %s", exc.detail)


def _others_done(kernel: Kernel, day: date, task: str, waiting_since: int,
                 wait_seconds: int) -> bool:
    """True when every chunk of ``task`` is done; raises after ``wait_seconds`` of waiting."""
    done, total = kernel.read(SYSTEM_ACTOR, partial(_progress, day=day, task=task))
    if done == total:
        return True
    if time.monotonic_ns() - waiting_since > wait_seconds * 1_000_000_000:
        raise BusinessDateError(message(
            "end of day {day}: {count} chunk(s) of {task} still held by another worker ({host} "
            "gave up waiting)", day=day, count=total - done, task=task,
            host=socket.gethostname()))
    return False


def _advance(ctx: Context, day: date) -> None:
    ctx.conn.execute(
        update(t.eod_runs)
        .where(t.eod_runs.c.business_date == day, t.eod_runs.c.status == "running")
        .values(status="done", finished_at=datetime.now(UTC))
    )
    ctx.conn.execute(
        update(t.business_calendar).where(t.business_calendar.c.business_date == day)
        .values(business_date=day + timedelta(days=1))
    )
    ctx.forget_facts()


def run_end_of_day(kernel: Kernel, *, until: date | None = None,
                   progress: Progress | None = None) -> list[DayClosed]:
    """Close business dates until the business date is ``until`` (default: one day).

    Catches up several days when the cooperative is behind; refuses a target in the past.
    """
    today = current_business_date(kernel)
    target = until or today + timedelta(days=1)
    if target <= today:
        raise BusinessDateError(message(
            "business date is already {today}; end of day moves it forward only", today=today))
    if (target - today).days > 366:
        raise BusinessDateError(message("end of day catches up at most 366 days at once"))
    closed = []
    while current_business_date(kernel) < target:
        closed.append(close_business_date(kernel, progress=progress))
    return closed
