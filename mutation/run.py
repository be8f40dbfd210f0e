"""Measure one module: a baseline run, then one run per mutant, a few at a time."""

from __future__ import annotations

import contextlib
import enum
import json
import os
import signal
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from mutation import worker
from mutation.config import Equivalent, Target
from mutation.mutants import Mutant, mutants


class Outcome(enum.StrEnum):
    KILLED = "killed"  # a test failed (or the suite could not even start)
    TIMEOUT = "timeout"  # the tests ran far longer than the baseline: counted as killed
    SURVIVED = "survived"  # every test passed
    NOT_COVERED = "not covered"  # in a function the tests never call: survives unrun
    EQUIVALENT = "equivalent"  # survived, and explained in equivalent.toml


@attrs.frozen
class Result:
    mutant: Mutant
    outcome: Outcome
    code: str  # the mutated source line
    seconds: float = 0.0
    why: str = ""
    #: The database of the run that decided the outcome (``postgresql``: the SQLite run let
    #: the mutant through, the target's PostgreSQL tests killed it or let it through too).
    database: str = "sqlite"


@attrs.frozen
class Measure:
    """A module's figures."""

    target: Target
    results: tuple[Result, ...]
    baseline_seconds: float
    stale: tuple[Equivalent, ...]  # explanations that matched no surviving mutant

    def count(self, *outcomes: Outcome) -> int:
        return sum(r.outcome in outcomes for r in self.results)

    @property
    def killed(self) -> int:
        return self.count(Outcome.KILLED, Outcome.TIMEOUT)

    @property
    def score(self) -> float:
        """Killed over all mutants, in percent: equivalent mutants count against it."""
        return 100.0 * self.killed / len(self.results) if self.results else 100.0

    @property
    def unexplained(self) -> list[Result]:
        return [r for r in self.results if r.outcome in (Outcome.SURVIVED, Outcome.NOT_COVERED)]


class BaselineFailed(RuntimeError):
    """The module's tests fail (or never import it) without any mutant."""


Log = Callable[[str], None]


def _wait(running: dict[int, tuple[worker.Job, float]], timeout: float
          ) -> tuple[worker.Job, int | None, float]:
    """Wait for one child to end (or be killed for running past ``timeout``)."""
    while True:
        for pid, (job, started) in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            elapsed = time.monotonic() - started
            if done:
                del running[pid]
                return job, os.waitstatus_to_exitcode(status), elapsed
            if elapsed > timeout:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                del running[pid]
                return job, None, elapsed
        time.sleep(0.05)


def _run_all(jobs: Sequence[worker.Job], parallel: int, timeout: float,
             on_done: Callable[[worker.Job, int | None, float], None]) -> None:
    queue = list(jobs)
    running: dict[int, tuple[worker.Job, float]] = {}
    try:
        while queue or running:
            while queue and len(running) < parallel:
                job = queue.pop(0)
                running[worker.start(job)] = (job, time.monotonic())
            on_done(*_wait(running, timeout))
    finally:
        for pid in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)


def _explanations(target: Target, equivalents: Sequence[Equivalent]
                  ) -> dict[tuple[str, str, int], Equivalent]:
    return {(e.code, e.mutant, e.line): e for e in equivalents if e.file == target.path}


def _key(m: Mutant, code: str, ambiguous: set[tuple[str, str]]) -> tuple[str, str, int]:
    """How a mutant is looked up in equivalent.toml: by its line's text and its description,
    and by its line number too where the same text and mutant occur on several lines."""
    return (code, m.description, m.line if (code, m.description) in ambiguous else 0)


def _baseline(job: worker.Job, what: str) -> tuple[float, set[int]]:
    """Run ``job`` without a mutant; it must pass. Its seconds and the functions it called."""
    outcome: dict[str, tuple[int | None, float]] = {}

    def finished(job: worker.Job, status: int | None, seconds: float) -> None:
        outcome["baseline"] = (status, seconds)

    _run_all([job], 1, 3600, finished)
    status, seconds = outcome["baseline"]
    if status != 0:
        tail = job.log.read_text(encoding="utf-8")[-3000:]
        raise BaselineFailed(f"{what} fail without a mutant (exit status {status}):\n{tail}")
    assert job.calls is not None
    return seconds, set(json.loads(job.calls.read_text(encoding="utf-8")))


def _outcome(status: int | None, not_loaded: str) -> Outcome:
    """What a mutant's exit status says: stopped (timeout), failed (killed) or passed."""
    if status is None:
        return Outcome.TIMEOUT
    if status == worker.NOT_LOADED:
        raise BaselineFailed(not_loaded)
    return Outcome.SURVIVED if status == 0 else Outcome.KILLED


def _on_postgresql(target: Target, module: str, path: Path, source: str, logs: Path,
                   results: dict[int, Result], parallel: int, log: Log) -> None:
    """Run the target's PostgreSQL tests against each mutant that survived on SQLite (or was
    not covered there) and that they reach; the outcome of each becomes theirs."""
    left = [r.mutant for r in results.values()
            if r.outcome in (Outcome.SURVIVED, Outcome.NOT_COVERED)]
    if not left:
        return
    tests, database = target.postgresql_tests, worker.POSTGRESQL
    baseline_seconds, called = _baseline(
        worker.Job(module, path, source, None, tests, logs / "baseline-postgresql.log",
                   logs / "calls-postgresql.json", database),
        f"{target.name}: the PostgreSQL tests")
    reached = [m for m in left if m.function_line == 0 or m.function_line in called]
    log(f"{target.name}: PostgreSQL baseline passed in {baseline_seconds:.1f} s; "
        f"{len(reached)} of the {len(left)} mutants left run there")
    by_number = {m.number: m for m in reached}

    def done(job: worker.Job, status: int | None, seconds: float) -> None:
        assert job.number is not None
        previous = results[job.number]
        result = _outcome(status, f"{target.name}: the PostgreSQL tests did not import {module}")
        results[job.number] = attrs.evolve(previous, outcome=result,
                                           seconds=previous.seconds + seconds,
                                           database="postgresql")
        if result is Outcome.SURVIVED:
            m = by_number[job.number]
            log(f"  survived on PostgreSQL too  {target.path}:{m.line}  {m.description}")

    jobs = [worker.Job(module, path, source, m.number, tests,
                       logs / f"{m.number}-postgresql.log", None, database) for m in reached]
    _run_all(jobs, parallel, 3 * baseline_seconds + 30, done)


def measure(target: Target, equivalents: Sequence[Equivalent], *, parallel: int = 1,
            sample: int = 0, log: Log = print) -> Measure:
    """Run the target's tests against each of its mutants (``sample`` of them when > 0)."""
    path = worker.ROOT / target.path
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    module = worker.module_name(path)
    tests = target.quick_tests if sample and target.quick_tests else target.tests
    found = [m for m in mutants(source) if target.covers(m.scope, quick=bool(sample))]
    seen: set[tuple[str, str]] = set()
    ambiguous: set[tuple[str, str]] = set()
    for m in found:
        pair = (lines[m.line - 1].strip(), m.description)
        (ambiguous if pair in seen else seen).add(pair)
    explained = {(code, mutant, line if (code, mutant) in ambiguous else 0): e
                 for (code, mutant, line), e in _explanations(target, equivalents).items()}
    with tempfile.TemporaryDirectory(prefix="kopcore-mutation-") as folder:
        logs = Path(folder)
        baseline_seconds, called = _baseline(
            worker.Job(module, path, source, None, tests, logs / "baseline.log",
                       logs / "calls.json"),
            f"{target.name}: tests")
        log(f"{target.name}: baseline passed in {baseline_seconds:.1f} s; "
            f"{len(found)} mutants")

        def code_of(m: Mutant) -> str:
            return lines[m.line - 1].strip() if 0 < m.line <= len(lines) else ""

        def is_covered(m: Mutant) -> bool:
            return m.function_line == 0 or m.function_line in called

        results: dict[int, Result] = {}
        for m in found:
            if not is_covered(m):
                results[m.number] = Result(m, Outcome.NOT_COVERED, code_of(m))
        runnable = [m for m in found if m.number not in results]
        if sample:
            candidates = [m for m in runnable if _key(m, code_of(m), ambiguous) not in explained]
            step = max(1, len(candidates) // sample)
            runnable = candidates[::step][:sample]
            results.clear()
        by_number = {m.number: m for m in runnable}
        # Generous: a loaded machine runs a mutant's tests slower than its baseline did.
        timeout = 3 * baseline_seconds + 30
        started = time.monotonic()

        def done(job: worker.Job, status: int | None, seconds: float) -> None:
            assert job.number is not None
            m = by_number[job.number]
            result = _outcome(status, f"{target.name}: the tests did not import {module}")
            results[m.number] = Result(m, result, code_of(m), seconds)
            if result is Outcome.SURVIVED:
                log(f"  survived  {target.path}:{m.line}  {m.description}")
            finished = sum(r.seconds > 0 for r in results.values())
            if finished % 25 == 0:
                elapsed = time.monotonic() - started
                log(f"  {finished}/{len(runnable)} run in {elapsed:.0f} s")

        jobs = [worker.Job(module, path, source, m.number, tests, logs / f"{m.number}.log")
                for m in runnable]
        _run_all(jobs, parallel, timeout, done)
        if target.postgresql_tests and not sample:
            _on_postgresql(target, module, path, source, logs, results, parallel, log)

    final: list[Result] = []
    used: set[tuple[str, str, int]] = set()
    for number in sorted(results):
        result = results[number]
        key = _key(result.mutant, result.code, ambiguous)
        if result.outcome in (Outcome.SURVIVED, Outcome.NOT_COVERED) and key in explained:
            used.add(key)
            result = attrs.evolve(result, outcome=Outcome.EQUIVALENT, why=explained[key].why)
        final.append(result)
    stale = () if sample else tuple(e for k, e in explained.items() if k not in used)
    return Measure(target, tuple(final), baseline_seconds, stale)
