"""Checking and importing a cut-over file: the sheets in order, all or nothing, once per file.

:func:`import_file` runs in one write transaction: it checks every row of every sheet (the
kernel's and the plugins', :func:`sheets`), refuses the file with every problem when there is
any, writes the sheets in ``(order, name)`` order dated the cut-over date, reconciles (the
trial balance's writer, :mod:`kopcore._cutover.reconcile`) and records the file's digest, so
the same file sent again answers with the first import and writes nothing. :func:`check_file`
is the same import rolled back: the dry run reports exactly what the import would.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
from sqlalchemy import func, select

from kopcore import ledger
from kopcore._cutover import kernel_sheets
from kopcore._cutover.reading import (
    GUIDE_SHEET,
    ImportFile,
    UnreadableFile,
    data_rows,
    header_problems,
    read_cell,
)
from kopcore._cutover.reconcile import OPENING_GL, opening_balance_left
from kopcore._cutover.tables import imports
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import BusinessDateError, Conflict, ImportRefused, KopcoreError
from kopcore.ledger._records import MemberStatus
from kopcore.money import Money
from kopcore.records import (
    ACCOUNT_NUMBERS,
    ImportProblem,
    ImportRow,
    ImportRun,
    ImportSheet,
    PostingLine,
    Side,
)

#: The operation the import's writes are made under (the dry run's too).
IMPORT_OPERATION = "import.run"
#: Problems reported at most: past that the file needs fixing before the rest is useful.
MAX_PROBLEMS = 10_000


@attrs.frozen
class SheetCount:
    sheet: str
    title: str
    rows: int


@attrs.frozen
class Outcome:
    """What a check or an import found and did."""

    as_of: date
    digest: str
    sheets: list[SheetCount]
    problems: list[ImportProblem]
    differences: list[dict[str, str]]
    imported: bool = False
    replayed: bool = False
    imported_at: datetime | None = None
    entries: int = 0


def sheets(ctx: Context) -> list[ImportSheet]:
    """Every sheet the enabled plugins take, in ``(order, name)`` order; a name claimed by two
    plugins is refused, naming both."""
    owners: dict[str, str] = {}
    found = []
    for plugin, declared in ctx.kernel.plugins.call("kopcore_import_sheets"):
        for sheet in declared:
            if sheet.name in owners:
                raise Conflict(f"import sheet {sheet.name!r} is claimed by both plugin "
                               f"{owners[sheet.name]!r} and plugin {plugin!r}")
            owners[sheet.name] = plugin
            found.append(sheet)
    return sorted(found, key=lambda s: (s.order, s.name))


def digest_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def previous_import(ctx: Context, digest: str) -> Outcome | None:
    """The import of this very file, when it was imported already."""
    row = ctx.conn.execute(select(imports.c.summary).where(imports.c.digest == digest)).first()
    if row is None:
        return None
    return attrs.evolve(outcome_from_json(json.loads(row.summary)), replayed=True)


def check_preconditions(ctx: Context, as_of: date) -> None:
    """The cut-over opens the books: the journal must be empty, and the business date the
    cut-over date or the day after it (kopcore takes over the morning after)."""
    today = ctx.business_date
    if as_of not in (today, today - timedelta(days=1)):
        raise BusinessDateError(
            f"tanggal cut-over {as_of.isoformat()} harus tanggal pembukuan kopcore "
            f"({today.isoformat()}) atau sehari sebelumnya")
    entries = ctx.conn.execute(select(func.count()).select_from(t.journal_entries)).scalar_one()
    if entries:
        raise Conflict(f"pembukuan kopcore sudah berisi {entries} jurnal: impor cut-over "
                       "membuka buku yang masih kosong")


# --- checking ---------------------------------------------------------------------------------


def _new_run(ctx: Context, as_of: date) -> ImportRun:
    m, a = t.members.c, t.accounts.c
    run = ImportRun(ctx, as_of, ledger.gl_account_number(OPENING_GL))
    run.members.update((number, member_id) for number, member_id in ctx.conn.execute(
        select(m.member_number, m.id).where(m.status == MemberStatus.ACTIVE.value)))
    run.shared[ACCOUNT_NUMBERS] = dict.fromkeys(ctx.conn.execute(select(a.number)).scalars())
    return run


def _rows(run: ImportRun, file: ImportFile, sheet: ImportSheet, names: list[str | None],
          *, report: bool) -> Iterator[ImportRow]:
    """The sheet's rows read by type; with ``report``, rows with a cell that cannot be read
    are reported and left out."""
    columns = {c.name: c for c in sheet.columns}
    currency = run.ctx.settings.currency
    for raw in data_rows(file, sheet, names):
        values: dict[str, Any] = {}
        bad = False
        for name, column in columns.items():
            value, problem = read_cell(column, raw.cells.get(name), currency)
            if problem is not None:
                bad = True
                if report:
                    run.problems.append(ImportProblem(sheet.name, raw.number, name, problem))
            values[name] = value
        if not bad:
            yield ImportRow(sheet.name, raw.number, values)


def _check(run: ImportRun, file: ImportFile, ordered: list[ImportSheet]
           ) -> tuple[list[SheetCount], dict[str, list[str | None]]]:
    """Check every row of every sheet; the problems land in ``run.problems``."""
    present = set(file.sheet_names())
    known = {s.name for s in ordered}
    for name in sorted(present - known - {GUIDE_SHEET}):
        run.problems.append(ImportProblem(name, None, None, "lembar tidak dikenal; lembar yang "
                                          f"dikenal: {', '.join(sorted(known))}"))
    counts, headers = [], {}
    for sheet in ordered:
        if sheet.name not in present:
            continue
        header = next(file.rows(sheet.name), (1, ()))[1]
        names, problems, usable = header_problems(sheet, header)
        run.problems.extend(problems)
        if not usable:  # a required column missing or one given twice: rows cannot be read
            counts.append(SheetCount(sheet.name, sheet.title, 0))
            continue
        headers[sheet.name] = names
        count = 0
        for row in _rows(run, file, sheet, names, report=True):
            count += 1
            sheet.check(run, row)
            if len(run.problems) >= MAX_PROBLEMS:
                run.problems.append(ImportProblem(sheet.name, row.number, None,
                                                  "terlalu banyak masalah: perbaiki yang "
                                                  "ini dulu lalu periksa lagi"))
                return counts, headers
        counts.append(SheetCount(sheet.name, sheet.title, count))
        if sheet.finish is not None:
            sheet.finish(run)
    return counts, headers


# --- writing ----------------------------------------------------------------------------------


def _poster(run: ImportRun, sheet: ImportSheet) -> Any:
    def post(lines: list[PostingLine]) -> None:
        net: dict[str, int] = {}
        for line in lines:
            net[line.amount.currency] = net.get(line.amount.currency, 0) + line.signed_minor
        for currency, amount in sorted(net.items()):
            if amount:
                lines.append(PostingLine(run.opening_account,
                                         Side.CREDIT if amount > 0 else Side.DEBIT,
                                         Money(abs(amount), currency)))
        ledger.post_entry(run.ctx, lines,
                          memo=f"Saldo awal {sheet.name} per {run.as_of.isoformat()}")
    return post


def _write(run: ImportRun, file: ImportFile, ordered: list[ImportSheet],
           headers: dict[str, list[str | None]]) -> None:
    subledger: dict[str, int] = {}
    run.shared[kernel_sheets.SUBLEDGER] = subledger
    for sheet in ordered:
        if sheet.name not in headers:
            continue
        run.poster = _poster(run, sheet)
        current: list[ImportRow] = []

        def tracked(sheet: ImportSheet = sheet, current: list[ImportRow] = current
                    ) -> Iterator[ImportRow]:
            for row in _rows(run, file, sheet, headers[sheet.name], report=False):
                current[:] = [row]
                yield row

        try:
            written = sheet.write(run, tracked())
            run.flush()
        except ImportRefused:
            raise
        except KopcoreError as exc:
            where = current[0].number if current else None
            problem = ImportProblem(sheet.name, where, exc.extra.get("field"),
                                    f"ditolak saat ditulis: {exc.detail}")
            raise ImportRefused(_problem_text([problem]),
                                problems=[attrs.asdict(problem)]) from None
        for key, amount in written.subledger.items():
            subledger[key] = subledger.get(key, 0) + amount
    run.poster = None
    if kernel_sheets.TRIAL_BALANCE not in headers:
        left = opening_balance_left(run)
        if left:
            currency = run.ctx.settings.currency
            raise ImportRefused(
                f"saldo awal sebesar {Money(abs(left), currency).format()} belum diimbangi: "
                f"sertakan lembar {kernel_sheets.TRIAL_BALANCE}")


def _problem_text(problems: list[ImportProblem], limit: int = 100) -> str:
    lines = [f"{len(problems)} masalah di berkas impor:"]
    for p in problems[:limit]:
        where = p.sheet + (f" baris {p.row}" if p.row else "") + \
            (f" kolom {p.column}" if p.column else "")
        lines.append(f"  {where}: {p.message}")
    if len(problems) > limit:
        lines.append(f"  ... dan {len(problems) - limit} lagi (jalankan `kopcore import check`)")
    return "\n".join(lines)


def _open(content: bytes) -> ImportFile:
    try:
        return ImportFile(content)
    except UnreadableFile as exc:
        problem = ImportProblem("-", None, None, str(exc))
        raise ImportRefused(_problem_text([problem]), problems=[attrs.asdict(problem)]) \
            from None


def import_file(ctx: Context, content: bytes, as_of: date, *, record: bool = True) -> Outcome:
    """Check and import ``content`` as of ``as_of`` in the caller's write transaction.

    Refuses with :class:`~kopcore.errors.ImportRefused` listing every problem, or every
    difference of the reconciliation; nothing is written then. ``record``: remember the file's
    digest (the dry run does not)."""
    digest = digest_of(content)
    if record:
        earlier = previous_import(ctx, digest)
        if earlier is not None:
            return earlier
    check_preconditions(ctx, as_of)
    file = _open(content)
    try:
        ordered = sheets(ctx)
        # Dated the cut-over date; the same operation for the dry run, so plugins' vetoes
        # judge its entries as they will judge the import's.
        dated = attrs.evolve(ctx, _business_date=as_of, operation=IMPORT_OPERATION)
        run = _new_run(dated, as_of)
        counts, headers = _check(run, file, ordered)
        if run.problems:
            raise ImportRefused(_problem_text(run.problems),
                                problems=[attrs.asdict(p) for p in run.problems],
                                sheets=[attrs.asdict(c) for c in counts])
        _write(run, file, ordered, headers)
    finally:
        file.close()
    entries = ctx.conn.execute(select(func.count()).select_from(t.journal_entries)).scalar_one()
    outcome = Outcome(as_of, digest, counts, [], [], imported=True,
                      imported_at=datetime.now(UTC), entries=int(entries))
    if record:
        ctx.conn.execute(imports.insert().values(
            digest=digest, as_of=as_of, actor=ctx.actor, imported_at=outcome.imported_at,
            summary=json.dumps(outcome_to_json(outcome))))
    return outcome


class _DryRun(Exception):
    """Carries the dry run's outcome out of the transaction it rolls back."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__("dry run")
        self.outcome = outcome


def check_file(ctx: Context, content: bytes, as_of: date) -> Outcome:
    """The dry run: the import in a transaction that is always rolled back, with what it
    found (every problem, or the reconciliation's differences) instead of a refusal.

    Called outside a write transaction (it opens its own through ``ctx.kernel``)."""
    digest = digest_of(content)
    earlier = previous_import(ctx, digest)
    if earlier is not None:
        return earlier

    def trial(write_ctx: Context) -> Outcome:
        try:
            outcome = import_file(write_ctx, content, as_of, record=False)
        except ImportRefused as refused:
            problems = [ImportProblem(**p) for p in refused.extra.get("problems", [])]
            counts = [SheetCount(**c) for c in refused.extra.get("sheets", [])]
            outcome = Outcome(as_of, digest, counts, problems,
                              list(refused.extra.get("differences", [])))
            if not problems and not outcome.differences:
                outcome = attrs.evolve(outcome, problems=[
                    ImportProblem("-", None, None, refused.detail)])
        raise _DryRun(attrs.evolve(outcome, imported=False, imported_at=None))

    try:
        ctx.kernel.write(ctx.actor, trial, operation=ctx.operation, principal=ctx.principal)
    except _DryRun as dry:
        return dry.outcome
    raise RuntimeError("the dry run was not rolled back")


# --- the recorded answer ----------------------------------------------------------------------


def outcome_to_json(outcome: Outcome) -> dict[str, Any]:
    return {"as_of": outcome.as_of.isoformat(), "digest": outcome.digest,
            "sheets": [attrs.asdict(s) for s in outcome.sheets],
            "imported_at": outcome.imported_at.isoformat() if outcome.imported_at else None,
            "entries": outcome.entries}


def outcome_from_json(data: dict[str, Any]) -> Outcome:
    return Outcome(date.fromisoformat(data["as_of"]), data["digest"],
                   [SheetCount(**s) for s in data["sheets"]], [], [], imported=True,
                   imported_at=datetime.fromisoformat(data["imported_at"]),
                   entries=data["entries"])
