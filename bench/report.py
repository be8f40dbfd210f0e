"""Figures, targets, the printed table and the JSON file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs


@attrs.define
class Figure:
    """One measured figure: kopcore's throughput and the same-run baseline's.

    ``ratio`` is measured/baseline (1.0 = no overhead; 0.5 = half the baseline's throughput).
    ``target`` is the minimum ratio the issue asks for, reported as met or not, never asserted.
    """

    database: str  # sqlite | postgres
    group: str  # posting | eod | api | peer
    case: str  # e.g. "deposit 1/tx"
    unit: str  # entries/s, rows/s, req/s
    measured: float  # kopcore's figure (python-accounting's in the peer group)
    baseline: float | None = None
    baseline_name: str = "raw driver"
    target: float | None = None
    target_text: str = ""
    details: dict[str, Any] = attrs.field(factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.measured / self.baseline

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target

    def as_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        data["met"] = self.met
        data["measured"] = round(self.measured, 2)
        data["baseline"] = None if self.baseline is None else round(self.baseline, 2)
        return data


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


#: An end of day's first run after a load, against the raw baseline's first run (issue: every
#: end of day, not only the best of two, at least half the raw rate).
FIRST_RUN_TARGET = 0.5


def first_run_figure(best: Figure, kopcore_seconds: float, raw_seconds: float,
                     size: int, what: str) -> Figure:
    """The first run of an end-of-day measurement, reported beside its best (``best``)."""
    return Figure(best.database, best.group, f"{what}, first run (kopcore {kopcore_seconds:.2f} "
                  f"s, raw {raw_seconds:.2f} s)", best.unit, size / kopcore_seconds,
                  size / raw_seconds, target=FIRST_RUN_TARGET,
                  target_text=f">= {FIRST_RUN_TARGET}x raw, first run", details=best.details)


def render_table(figures: list[Figure]) -> str:
    header = ("database", "group", "case", "measured", "baseline", "ratio", "unit", "target")
    rows = [header]
    for f in figures:
        if f.target is None:
            verdict = f.target_text
        else:
            verdict = f"{f.target_text or f'>= {f.target:g}x'}: {'MET' if f.met else 'MISSED'}"
        extra = ""
        if "p50_ms" in f.details:
            extra = f"  p50 {f.details['p50_ms']:.1f} ms p99 {f.details['p99_ms']:.1f} ms"
            if "baseline_p50_ms" in f.details:
                extra += (f" (baseline p50 {f.details['baseline_p50_ms']:.1f} / "
                          f"p99 {f.details['baseline_p99_ms']:.1f})")
            if "server_cpu_ms" in f.details:
                extra += (f", server CPU {f.details['server_cpu_ms']:.2f} ms/request "
                          f"(baseline {f.details['baseline_server_cpu_ms']:.2f})")
        rows.append((f.database, f.group, f.case + extra, _num(f.measured), _num(f.baseline),
                     "-" if f.ratio is None else f"{f.ratio:.2f}", f.unit, verdict))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            cell = str(cell)
            cells.append(cell.rjust(widths[i]) if i in (3, 4, 5) else cell.ljust(widths[i]))
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")


def render_markdown(payload: dict[str, Any]) -> str:
    """A results JSON as markdown (for bench/README.md and docs/performance.md)."""
    m = payload["machine"]
    lines = [
        f"Run {payload['started_at'][:16]} UTC, mode {payload['mode']}: {m['cores']} cores "
        f"({m['cpu']}), {m['memory_gib']} GiB, {m['platform']}; Python {m['python']}, "
        f"SQLAlchemy {m['sqlalchemy']}, psycopg {m['psycopg']}, SQLite {m['sqlite']}; "
        f"load average at start {m.get('load_average_at_start')}"
        + (f", at end {payload['load_average_at_end']}" if "load_average_at_end" in payload
           else "") + ".",
        "",
    ]
    for name, info in payload["databases"].items():
        durability = ", ".join(f"{k}={v}" for k, v in info.get("durability", {}).items())
        lines.append(f"- {name}: {durability}")
    lines += ["", "| database | group | case | measured | baseline | ratio | unit | target |",
              "| --- | --- | --- | ---: | ---: | ---: | --- | --- |"]
    for f in payload["figures"]:
        case = f["case"]
        d = f["details"]
        if "p50_ms" in d:
            beside = "raw" if f["group"] == "http" else "/health"
            case += (f" — p50/p99 {d['p50_ms']:.0f}/{d['p99_ms']:.0f} ms "
                     f"({beside} {d['baseline_p50_ms']:.0f}/{d['baseline_p99_ms']:.0f} ms)")
            if "server_cpu_ms" in d:
                case += (f", server CPU {d['server_cpu_ms']:.2f} ms/request "
                         f"({beside} {d['baseline_server_cpu_ms']:.2f})")
        if f["target"] is not None:
            verdict = f"{f['target_text']}: {'met' if f['met'] else 'missed'}"
        else:
            verdict = f["target_text"]
        ratio = "-" if f["ratio"] is None else f"{f['ratio']:.2f}"
        lines.append(f"| {f['database']} | {f['group']} | {case} | {_num(f['measured'])} | "
                     f"{_num(f['baseline'])} | {ratio} | {f['unit']} | {verdict} |")
    return "\n".join(lines)


def case_key(figure: dict[str, Any]) -> tuple[str, str, str]:
    """What identifies a figure across runs: its case without the run's own seconds, which
    the case names in parentheses (``first run (kopcore 0.22 s, raw 0.05 s)``) and after
    ``seal`` (``seal 0.11 s for 1 entries``)."""
    case = re.sub(r"\s*\([^()]*\)", "", figure["case"])
    return figure["database"], figure["group"], re.sub(r"seal [0-9.]+ s ", "seal ", case)


def _spread_cell(values: list[float | None], digits: int) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "-"
    each = " / ".join("-" if v is None else f"{v:.{digits}f}" for v in values)
    if len(known) < 2:
        return each
    return f"{each} (spread {max(known) - min(known):.{digits}f})"


def render_spread(payloads: list[dict[str, Any]]) -> str:
    """Several results JSONs of the same cases as one markdown table: each figure's ratio in
    every run with its spread (largest minus smallest), the p99 where the case has one, and
    the target's verdict in each run."""
    runs = ", ".join(p["started_at"][:16] + " UTC" for p in payloads)
    lines = [f"Runs: {runs}. Each cell lists the runs in that order.", "",
             "| database | group | case | ratio (else the figure) | p99 ms | target |",
             "| --- | --- | --- | --- | --- | --- |"]
    by_run = [{case_key(f): f for f in p["figures"]} for p in payloads]
    keys = list(dict.fromkeys(k for run in by_run for k in run))
    for key in keys:
        found = [run.get(key) for run in by_run]
        ratios = [None if f is None else f["ratio"] for f in found]
        cell = _spread_cell(ratios, 2)
        if all(r is None for r in ratios):  # no baseline: the figure itself (a p95, a time)
            unit = next(f["unit"] for f in found if f is not None)
            cell = _spread_cell([None if f is None else f["measured"] for f in found], 1) \
                + f" {unit}"
        p99 = [None if f is None else f["details"].get("p99_ms") for f in found]
        first = next(f for f in found if f is not None)
        if first["target"] is None:
            verdict = first["target_text"]
        else:
            verdicts = ["not run" if f is None else "met" if f["met"] else "missed"
                        for f in found]
            verdict = f"{first['target_text']}: {' / '.join(verdicts)}"
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {cell} | "
                     f"{_spread_cell(p99, 0) if any(v is not None for v in p99) else ''} | "
                     f"{verdict} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    files = [a for a in sys.argv[1:] if a != "--spread"]
    loaded = [json.loads(Path(arg).read_text(encoding="utf-8")) for arg in files]
    if "--spread" in sys.argv[1:]:
        print(render_spread(loaded))
    else:
        for payload in loaded:
            print(render_markdown(payload))
            print()
