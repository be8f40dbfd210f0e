"""The cut-over import at scale: a generated legacy cooperative's XLSX file (100,000 members,
about 150,000 accounts: pokok for every member, sukarela for four in ten, a loan for one in
twenty) is checked and imported into an empty kopcore, reporting the time and the peak memory.

Each step runs in a fresh child process (``multiprocessing`` spawn), so its peak resident set
(``VmHWM``) is the import's own: the process that generated the file, and its memory, are not
counted. The figure is accounts imported per second; there is no raw baseline (an import is
kopcore's own work, not a statement a driver could run instead).
"""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs

from bench.legacy import LEAN, create_products, write_workbook
from bench.report import Figure
from bench.targets import START_DATE, Target

AS_OF = START_DATE - timedelta(days=1)


@attrs.frozen
class CutoverSizes:
    members: int


QUICK = CutoverSizes(2_000)
FULL = CutoverSizes(100_000)


def _peak_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _step(url: str, path: str, operation: str, answer: Any) -> None:
    """In the child: start kopcore, then check or import the file, timing it."""
    from kopcore._cutover import importer
    from kopcore.kernel import Kernel
    from kopcore.settings import Settings

    kernel = Kernel.start(Settings(database_url=url, plugins=("savings", "loans")))
    content = Path(path).read_bytes()
    started_mib = _peak_mib()
    began = time.perf_counter()
    if operation == "check":
        outcome = kernel.read("admin", lambda ctx: importer.check_file(ctx, content, AS_OF))
        problems = len(outcome.problems) + len(outcome.differences)
    else:
        outcome = kernel.write("admin", lambda ctx: importer.import_file(ctx, content, AS_OF))
        problems = 0
    seconds = time.perf_counter() - began
    kernel.close()
    answer.put({"seconds": seconds, "peak_mib": _peak_mib(), "started_mib": started_mib,
                "problems": problems, "entries": outcome.entries})


def _in_child(url: str, path: Path, operation: str) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    answer = context.Queue()
    child = context.Process(target=_step, args=(url, str(path), operation, answer))
    child.start()
    result: dict[str, Any] = answer.get()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"the {operation} step failed (exit {child.exitcode})")
    return result


def run(target: Target, sizes: CutoverSizes, log: Callable[[str], None]) -> list[Figure]:
    folder = Path(tempfile.mkdtemp(prefix="kopcore_bench_cutover_"))
    try:
        path = folder / "legacy.xlsx"
        began = time.perf_counter()
        legacy = write_workbook(path, sizes.members, mix=LEAN, as_of=AS_OF)
        log(f"[{target.name}] cutover: {legacy.members} members, {legacy.accounts} savings "
            f"accounts, {legacy.loans} loans written in {time.perf_counter() - began:.1f} s "
            f"({path.stat().st_size / 2**20:.1f} MiB)")
        target.kernel(plugins=("savings", "loans"), migrate=True).write("admin",
                                                                        create_products)
        accounts = legacy.accounts + 2 * legacy.loans
        figures = []
        for operation in ("check", "run"):
            result = _in_child(target.url, path, operation)
            if result["problems"]:
                raise RuntimeError(f"the generated file has {result['problems']} problems")
            log(f"[{target.name}] cutover {operation}: {result['seconds']:.1f} s, peak "
                f"{result['peak_mib']:.0f} MiB (kopcore started: {result['started_mib']:.0f} "
                "MiB)")
            figures.append(Figure(
                target.name, "cutover", f"import {operation} {legacy.members:,} members",
                "accounts/s", accounts / result["seconds"], baseline=None,
                details={"members": legacy.members, "accounts": accounts,
                         "loans": legacy.loans, "seconds": round(result["seconds"], 2),
                         "peak_rss_mib": round(result["peak_mib"], 1),
                         "rss_after_start_mib": round(result["started_mib"], 1),
                         "file_mib": round(path.stat().st_size / 2**20, 2),
                         "entries": result["entries"]}))
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)
