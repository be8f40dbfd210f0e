"""``python -m bench [--quick] [--database sqlite|postgres|both] [--output PATH]``.

Runs each workload on a fresh database per workload (an SQLite file in a temporary folder, or
the PostgreSQL database ``kopcore_bench_<pid>`` created on the server of
``$KOPCORE_BENCH_POSTGRES_URL`` and dropped afterwards), prints the environment and a table of
figures, and writes everything to a JSON file.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from bench import (
    api,
    cutover,
    environment,
    eod,
    http_path,
    loans_eod,
    offices,
    pages,
    peer,
    posting,
    savings_eod,
)
from bench.report import Figure, render_table, write_json
from bench.targets import Target, open_target, postgres_admin_url

DEFAULT_OUTPUT = Path(__file__).parent / "results" / "latest.json"
GROUPS = ("posting", "eod", "savings-eod", "loans-eod", "api", "http", "peer", "cutover",
          "offices", "pages")


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


#: group -> (sizes for --quick, sizes for a full run, runner(target, sizes, log)).
#: A new per-database workload is one more entry.
WORKLOADS: dict[str, tuple[Any, Any, Callable[[Target, Any, Callable[[str], None]],
                                              list[Figure]]]] = {
    "posting": (posting.QUICK, posting.FULL, posting.run),
    "eod": (eod.QUICK, eod.FULL, eod.run),
    "savings-eod": (savings_eod.QUICK, savings_eod.FULL, savings_eod.run),
    "loans-eod": (loans_eod.QUICK, loans_eod.FULL, loans_eod.run),
    "api": (api.QUICK, api.FULL, api.run),
    "http": (http_path.QUICK, http_path.FULL, http_path.run),
    "cutover": (cutover.QUICK, cutover.FULL, cutover.run),
    "offices": (offices.QUICK, offices.FULL, offices.run),
    "pages": (pages.QUICK, pages.FULL, pages.run),
}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (about two minutes for both databases)")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"JSON file (default {DEFAULT_OUTPUT})")
    parser.add_argument("--million", action="store_true",
                        help="also run the savings end of day on 1,000,000 accounts "
                             "(PostgreSQL only; several minutes and a few GB of disk)")
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated groups to run (default all: {','.join(GROUPS)})")
    return parser.parse_args(argv)


def _targets_summary(figures: list[Figure]) -> list[dict[str, Any]]:
    out = []
    for f in figures:
        if f.target is not None:
            out.append({"database": f.database, "group": f.group, "case": f.case,
                        "target": f.target_text, "ratio": round(f.ratio or 0, 3),
                        "met": f.met})
        elif f.case.startswith("scaling"):
            out.append({"database": f.database, "group": f.group, "case": f.case,
                        "target": "kopcore 4 clients >= 2x 1 client",
                        "ratio": round(f.measured, 3), "met": f.measured >= 2})
        if "p95_target_ms" in f.details:  # a page time target: "ratio" is the p95 in ms
            limit = f.details["p95_target_ms"]
            out.append({"database": f.database, "group": f.group, "case": f.case,
                        "target": f"p95 <= {limit:g} ms", "ratio": f.details["p95_ms"],
                        "met": f.details["p95_ms"] <= limit})
        if "p99_target_ms" in f.details:  # a latency target: "ratio" is kopcore's p99 in ms
            limit = f.details["p99_target_ms"]
            out.append({"database": f.database, "group": f.group, "case": f.case + ", p99",
                        "target": f"p99 <= {limit:g} ms", "ratio": f.details["p99_ms"],
                        "met": f.details["p99_ms"] <= limit})
    return out


def _terminate(signum: int, _frame: Any) -> None:
    # Turn SIGTERM into SystemExit so every ``finally`` runs: the API server subprocess is
    # terminated and the throw-away databases are dropped.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        print(f"unknown groups: {sorted(unknown)}", file=sys.stderr)
        return 2
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    mode = "quick" if args.quick else "full"
    started = datetime.now(UTC)
    from kopcore import __version__

    result: dict[str, Any] = {
        "kopcore_version": __version__, "mode": mode, "started_at": started.isoformat(),
        "machine": environment.machine(), "databases": {}, "figures": [], "targets": [],
        "errors": [],
    }
    if args.quick:
        result["note"] = "quick sizes: a smoke run; judge the targets on a full run"
    print(f"kopcore {__version__} benchmarks ({mode}) — {started:%Y-%m-%d %H:%M} UTC")
    for key, value in result["machine"].items():
        print(f"  {key:<12} {value}")
    figures: list[Figure] = []
    for database in databases:
        info: dict[str, Any] = {"sizes": {}}
        if database == "postgres":
            info["server"] = postgres_admin_url().rsplit("@", 1)[-1]
        result["databases"][database] = info
        for group in groups:
            if group not in WORKLOADS:
                continue
            quick, full, runner = WORKLOADS[group]
            sizes = quick if args.quick else full
            info["sizes"][group] = attrs.asdict(sizes)
            try:
                with open_target(database, group) as target:
                    if "durability" not in info:
                        info["durability"] = environment.durability(target)
                    figures += runner(target, sizes, log)
            except Exception as exc:
                log(f"[{database}] {group} failed: {type(exc).__name__}: {exc}")
                traceback.print_exc()
                result["errors"].append({"database": database, "group": group,
                                         "error": f"{type(exc).__name__}: {exc}"})
    if args.million and "postgres" in databases and "savings-eod" in groups:
        info = result["databases"]["postgres"]
        info["sizes"]["savings-eod-million"] = attrs.asdict(savings_eod.MILLION)
        try:
            with open_target("postgres", "savings-eod-million") as target:
                figures += savings_eod.run(target, savings_eod.MILLION, log)
        except Exception as exc:
            log(f"[postgres] savings-eod (1,000,000) failed: {type(exc).__name__}: {exc}")
            traceback.print_exc()
            result["errors"].append({"database": "postgres", "group": "savings-eod-million",
                                     "error": f"{type(exc).__name__}: {exc}"})
    if "peer" in groups:
        if "sqlite" in databases:
            raw_rates = {f.case: f.baseline for f in figures
                         if f.database == "sqlite" and f.group == "posting" and f.baseline}
            sizes = peer.QUICK if args.quick else peer.FULL
            peer_figures, result["peer"] = peer.run(sizes, raw_rates, log)
            figures += peer_figures
        else:
            result["peer"] = {"skipped": "the peer runs on SQLite only (--database sqlite|both)"}
    result["figures"] = [f.as_dict() for f in figures]
    result["targets"] = _targets_summary(figures)
    result["finished_at"] = datetime.now(UTC).isoformat()
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

    for database, info in result["databases"].items():
        print(f"\n{database}: " + ", ".join(f"{k}={v}" for k, v in
                                            info.get("durability", {}).items()))
        for group, sizes in info["sizes"].items():
            print(f"  {group} sizes: " + ", ".join(f"{k}={v}" for k, v in sizes.items()))
    if "peer" in result:
        p = result["peer"]
        print(f"\npeer: {p.get('skipped') or p.get('package') + ' ' + str(p.get('version'))}")
    print("\n" + render_table(figures))
    if result["targets"]:
        print("\nTargets (reported, not asserted)"
              + (": --quick sizes are too small to judge them, run the full bench" if args.quick
                 else ":"))
        for t in result["targets"]:
            verdict = "MET" if t["met"] else "MISSED"
            shown = (f"{t['ratio']:.1f} ms" if t["target"].startswith(("p95", "p99"))
                     else f"ratio {t['ratio']:.2f}")
            print(f"  {verdict:<6} {t['database']:<8} {t['case']:<40} {t['target']} "
                  f"({shown})")
    for error in result["errors"]:
        print(f"ERROR {error['database']} {error['group']}: {error['error']}")
    write_json(args.output, result)
    print(f"\nwritten to {args.output}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
