"""``python -m mutation [NAME ...] [--quick] [--jobs N] [--fail-under PERCENT] [--list] [--table]``.

Measures the modules of ``targets.toml`` (all, or those named) one at a time, prints each
module's score and its survivors, and writes every outcome to ``mutation/results/NAME.json``.
Exits 1 when a module scores under ``--fail-under`` or has a survivor that ``equivalent.toml``
does not explain; with ``--quick``, when any sampled mutant survives.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from mutation import worker
from mutation.config import Target, load_equivalents, load_targets
from mutation.mutants import mutants
from mutation.run import BaselineFailed, Measure, Outcome, measure

RESULTS = Path(__file__).resolve().parent / "results"


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def summary(m: Measure) -> str:
    return (f"{m.target.name:<22} {len(m.results):>5} {m.killed:>7} "
            f"{m.count(Outcome.TIMEOUT):>8} {m.count(Outcome.EQUIVALENT):>11} "
            f"{len(m.unexplained):>12} {m.score:>7.1f} %")


HEADER = (f"{'module':<22} {'mutants':>5} {'killed':>7} {'timeout':>8} {'equivalent':>11} "
          f"{'unexplained':>12} {'score':>9}")


def report(m: Measure) -> None:
    print(HEADER)
    print(summary(m))
    for r in m.unexplained:
        print(f"  {r.outcome.value:<12} {m.target.path}:{r.mutant.line}  {r.mutant.description}")
    on_postgresql = sum(r.database == "postgresql" and r.outcome is Outcome.KILLED
                        for r in m.results)
    if on_postgresql:
        print(f"  ({on_postgresql} of the killed only by the PostgreSQL tests)")
    for e in m.stale:
        print(f"  stale explanation (no such surviving mutant): {e.file}:{e.line} {e.mutant}")
    sys.stdout.flush()


def write(m: Measure) -> None:
    RESULTS.mkdir(exist_ok=True)
    data = {
        "module": m.target.name, "path": m.target.path,
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "mutants": len(m.results), "killed": m.killed, "score": round(m.score, 1),
        "baseline_seconds": round(m.baseline_seconds, 1),
        "results": [{"number": r.mutant.number, "line": r.mutant.line, "scope": r.mutant.scope,
                     "mutant": r.mutant.description, "code": r.code, "outcome": r.outcome.value,
                     "seconds": round(r.seconds, 1), "database": r.database}
                    for r in m.results],
    }
    path = RESULTS / f"{m.target.name}.json"
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def table(targets: list[Target]) -> str:
    """The docs' table of scores, from the results the last full runs wrote."""
    rows = ["| module | mutants | killed | equivalent | unexplained | score | measured |",
            "|---|---|---|---|---|---|---|"]
    for t in targets:
        path = RESULTS / f"{t.name}.json"
        # A plugin's module by its import path (kopcore_savings/interest.py): shorter, and not
        # a test path that docs/guarantees.md's guard would look for.
        shown = t.path.split("/", 2)[2] if t.path.startswith("plugins/") else t.path
        if not path.exists():
            rows.append(f"| {t.name} (`{shown}`) | not measured | | | | | |")
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        outcomes = [r["outcome"] for r in data["results"]]
        equivalent = outcomes.count(Outcome.EQUIVALENT.value)
        unexplained = outcomes.count(Outcome.SURVIVED.value) + outcomes.count(
            Outcome.NOT_COVERED.value)
        rows.append(f"| {t.name} (`{shown}`) | {data['mutants']} | {data['killed']} | "
                    f"{equivalent} | {unexplained} | {data['score']} % | "
                    f"{data['measured'][:10]} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="modules of targets.toml (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="only the sample each module's `quick` asks for (CI)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    parser.add_argument("--fail-under", type=float, default=95.0, metavar="PERCENT")
    parser.add_argument("--list", action="store_true", help="list modules and mutant counts")
    parser.add_argument("--table", action="store_true",
                        help="the last results (mutation/results) as a Markdown table")
    args = parser.parse_args(argv)
    # Stopped (Ctrl-C or a timeout's SIGTERM): leave through the code that ends the children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    targets = load_targets()
    unknown = set(args.names) - {t.name for t in targets}
    if unknown:
        parser.error(f"unknown module(s): {', '.join(sorted(unknown))}")
    chosen = [t for t in targets if not args.names or t.name in args.names]
    if args.quick:
        chosen = [t for t in chosen if t.quick]
    if args.table:
        print(table(chosen))
        return 0
    if args.list:
        for t in chosen:
            source = (worker.ROOT / t.path).read_text(encoding="utf-8")
            count = sum(t.covers(m.scope) for m in mutants(source))
            print(f"{t.name:<22} {count:>5}  {t.path}")
        return 0

    equivalents = load_equivalents()
    worker.preload()
    failed = False
    for target in chosen:
        try:
            m = measure(target, equivalents, parallel=args.jobs,
                        sample=target.quick if args.quick else 0, log=log)
        except BaselineFailed as error:
            print(error)
            failed = True
            continue
        report(m)
        if args.quick:
            failed |= bool(m.unexplained)
        else:
            write(m)
            failed |= bool(m.unexplained) or m.score < args.fail_under
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
