"""The benchmark suite still runs: tiny sizes on SQLite, each workload's own checks included
(the savings end of day compares its seeded accounts with ones made by the operations, and
kopcore's books with the raw baseline's, and raises when they differ)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as bench_main
from bench import environment, eod, posting, savings_eod
from bench import targets as bench_targets
from bench.report import Figure, render_spread
from bench.targets import open_target


def test_posting_bench_measures_both_sides_on_tiny_sizes() -> None:
    sizes = posting.PostingSizes(40, 10, 200, 1.0, 20, 1.0, 1)
    lines: list[str] = []
    with open_target("sqlite", "smoke") as target:
        figures = posting.run(target, sizes, lines.append)
    cases = {f.case for f in figures}
    posted = {"deposit 1/tx", "deposit 100/tx", "transfer 1/tx", "transfer 100/tx"}
    assert posted <= cases
    assert {f"{case}, vs raw writes only" for case in posted} <= cases
    cpu = [f for f in figures if "client CPU per entry" in f.case]
    assert sorted(f.case.split(",")[0] for f in cpu) == sorted(posted)
    targeted = posted | {f.case for f in cpu if "1/tx" in f.case}  # the hot path's CPU
    for figure in figures:
        assert figure.measured > 0
        assert figure.baseline
        assert figure.baseline > 0
        assert figure.ratio is not None
        assert (figure.met is not None) == (figure.case in targeted)
    for figure in cpu:
        # Entries per CPU-second: 1000 / the milliseconds per entry in the case's text.
        kopcore_ms = figure.details["kopcore"]["cpu_ms_per_entry"]
        assert figure.measured == pytest.approx(1000 / kopcore_ms)
        assert f"kopcore {kopcore_ms:.3f} ms" in figure.case
        assert figure.target == (posting.CPU_TARGET if "1/tx" in figure.case else None)
    assert round(posting.CPU_TARGET, 3) == 0.667  # 1 / 1.5


def _books(target: object) -> tuple[list[tuple[int, int]], int, int]:
    """(id, balance) of every account, the number of entries and the sum of all postings."""
    conn = target.raw_connect()  # type: ignore[attr-defined]
    try:
        balances = [tuple(r) for r in conn.execute("SELECT id, balance FROM accounts "
                                                   "ORDER BY id").fetchall()]
        entries = conn.execute("SELECT count(*) FROM journal_entries").fetchone()[0]
        total = conn.execute("SELECT sum(amount) FROM postings").fetchone()[0]
    finally:
        conn.close()
    return balances, entries, total


def test_the_raw_bulk_baseline_writes_what_entry_by_entry_posting_writes() -> None:
    """The set-based 100/tx baseline (one statement per kind of row) leaves the books exactly
    as posting the same entries one transaction each does: same balances, entry count, and a
    ledger whose balances equal the sums of their postings."""
    from kopcore.ledger._verify import verify_books

    entries = (posting.make_entries("deposit", 30, 25, seed=3)
               + posting.make_entries("transfer", 30, 25, seed=4))
    books = []
    for per_tx in (1, 50):
        with open_target("sqlite", "rawbulk") as target:
            seeded = bench_targets.seed_members(target, 30)
            raw = posting.RawPoster(target, seeded)
            try:
                posting.drive(raw.post, entries, per_tx, 60.0, "Setoran")
            finally:
                raw.close()
            books.append(_books(target))
            report = target.kernels[0].db.read(lambda conn: verify_books(conn, digests=False))
            assert report.ok, report.problems
    assert books[0] == books[1]
    balances, count, total = books[1]
    assert count == 1 + 50
    assert total == 0
    # A deposit of Rp a credits the member (stored balance a lower, credit-normal) and debits
    # the cash: the cash balance is the opening funding plus every deposit.
    deposits = sum(amount for _, _, amount in entries[:25])
    cash = dict(balances)[seeded.cash_id]
    assert cash == bench_targets.OPENING_MINOR * 30 + deposits


def test_seeded_opening_entries_carry_the_digests_kopcore_would_have_given_them() -> None:
    """The seal checks the seed's entries as it checks kopcore's own (not as digest-less
    entries from before revision k0002): both shapes of seed verify and seal."""
    from kopcore.ledger._integrity import seal_journal
    from kopcore.ledger._verify import verify_books

    for per_account in (False, True):
        with open_target("sqlite", "seeddigest") as target:
            bench_targets.seed_members(target, 5, entry_per_account=per_account)
            kernel = target.kernels[0]
            report = kernel.db.read(lambda conn: verify_books(conn))
            assert report.ok, report.problems
            assert report.entries == (5 if per_account else 1)
            assert "missing_digest" not in report.counts
            sealed = kernel.write("bench", seal_journal)
            assert sealed is not None
            assert sealed.entry_count == report.entries


def test_the_end_of_day_bench_reports_its_first_run_and_the_seal() -> None:
    sizes = eod.EodSizes(200, 50, 2)
    with open_target("sqlite", "smoke") as target:
        figures = eod.run(target, sizes, lambda _: None)
    best, first = figures
    assert "first run" in first.case
    assert first.target == 0.5
    seals = best.details["seals"]
    # The first end of day seals the seed's opening entry (200 members + the cash: 201
    # postings); the second has nothing new to seal.
    assert [(s["entries"], s["postings"]) for s in seals] == [(1, 201), (0, 0)]
    runs = best.details["rounds_seconds"]
    assert first.measured == pytest.approx(200 / runs["kopcore"][0])
    assert first.baseline == pytest.approx(200 / runs["raw"][0])


def test_the_disk_fsync_rate_is_measured_where_the_databases_are(tmp_path: Path) -> None:
    rate = environment.fsync_rate(tmp_path, seconds=0.05)
    assert rate > 0
    assert list(tmp_path.iterdir()) == []  # the probe file is removed


@pytest.mark.skipif(importlib.util.find_spec("kopcore_savings") is None,
                    reason="needs the savings plugin installed")
def test_savings_eod_bench_ends_with_the_same_books_as_its_raw_baseline() -> None:
    # Just above 1,000 accounts: account i and i + 1,000 have the same balance, so each
    # reference account made by the operations has a bulk-seeded twin to be compared with.
    sizes = savings_eod.SavingsSizes(1_005, 500)
    lines: list[str] = []
    with open_target("sqlite", "smoke") as target:
        figures = savings_eod.run(target, sizes, lines.append)
    assert [f.unit for f in figures] == ["accounts/s", "accounts/s"]
    details = figures[0].details
    assert details["same_books_as_raw"] is True
    assert details["reference_twins_checked"] == savings_eod.REFERENCE
    assert all(f.baseline and f.measured > 0 for f in figures)


def test_bench_writes_its_json_and_refuses_unknown_groups(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    assert bench_main.main(["--only", "nonsense", "--output", str(tmp_path / "x.json")]) == 2

    def tiny(target: object, sizes: object, log: object) -> list[Figure]:
        return [Figure("sqlite", "eod", "tiny", "rows/s", 2.0, 4.0, target=1 / 3,
                       target_text="within 3x raw")]

    monkeypatch.setitem(bench_main.WORKLOADS, "eod", (eod.QUICK, eod.FULL, tiny))
    out = tmp_path / "result.json"
    assert bench_main.main(["--quick", "--only", "eod", "--output", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["figures"][0]["ratio"] == 0.5
    assert result["targets"] == [{"database": "sqlite", "group": "eod", "case": "tiny",
                                  "target": "within 3x raw", "ratio": 0.5, "met": True}]
    assert "durability" in result["databases"]["sqlite"]


@pytest.mark.skipif(any(importlib.util.find_spec(name) is None
                        for name in ("kopcore_savings", "kopcore_loans")),
                    reason="the cut-over bench imports savings and loans")
def test_cutover_bench_checks_and_imports_in_child_processes_and_reports_their_memory() -> None:
    from bench import cutover

    lines: list[str] = []
    with open_target("sqlite", "smoke") as target:
        figures = cutover.run(target, cutover.CutoverSizes(200), lines.append)

    assert [f.case for f in figures] == ["import check 200 members", "import run 200 members"]
    for figure in figures:
        assert figure.measured > 0
        assert figure.details["accounts"] == 300
        assert figure.details["peak_rss_mib"] >= figure.details["rss_after_start_mib"] > 0


def test_http_bench_drives_kopcore_and_its_raw_ceiling_on_one_server() -> None:
    from bench import http_path

    sizes = http_path.HttpSizes(30, 12, 30.0, 2, clients=2)
    lines: list[str] = []
    with open_target("sqlite", "smoke") as target:
        figures = http_path.run(target, sizes, lines.append)
        # Every deposit went through, on both sides: 12 a round, 2 rounds each, plus the
        # warm-up rounds of 40.
        conn = target.raw_connect()
        try:
            entries = conn.execute("SELECT COUNT(*) FROM journal_entries WHERE operation = "
                                   "'entries.post'").fetchone()[0]
            audited = conn.execute("SELECT COUNT(*) FROM audit_log WHERE operation = "
                                   "'entries.post' AND outcome = 'ok'").fetchone()[0]
        finally:
            conn.close()
    assert [f.case for f in figures] == ["deposit, 2 connections", "balance read, 2 connections",
                                         "web page: balance, 2 connections"]
    for figure in figures:
        assert figure.group == "http"
        assert figure.details["kopcore"]["requests"] == 24
        assert figure.details["raw"]["requests"] == 24
        assert figure.measured > 0
        assert figure.baseline
        assert figure.target == http_path.RATIO_TARGET
        # The server's CPU time comes from /proc in clock ticks (10 ms): 24 short requests may
        # fit in none of them, so the smoke run only checks that the figure is reported.
        assert figure.details["server_cpu_ms"] >= 0
    # Both sides write an entry and an audit row per deposit.
    assert entries == audited
    assert entries >= 48


def test_pages_bench_signs_in_to_both_apps_and_times_every_page() -> None:
    from bench import pages

    sizes = pages.PageSizes(members=12, months=0, requests=2)
    lines: list[str] = []
    with open_target("sqlite", "smoke") as target:
        figures = pages.run(target, sizes, lines.append)
        conn = target.raw_connect()
        try:
            added = conn.execute("SELECT COUNT(*) FROM members WHERE name LIKE 'Anggota Uji %' "
                                 "AND status = 'active'").fetchone()[0]
        finally:
            conn.close()
    assert added == 12
    measured = pages.pages({"search": "x", "member": "x", "account": "x"})
    assert [f.case for f in figures] == [f"{title} (12 more members)"
                                         for _who, title, _path in measured]
    for figure in figures:
        assert figure.group == "pages"
        assert figure.unit == "ms p95"
        # Each page answered 200 (a refusal stops the workload) with a page of its own.
        assert figure.details["bytes"] > 0
        assert figure.details["p50_page_ms"] <= figure.details["p95_ms"] \
            <= figure.details["p99_page_ms"]
        assert figure.target_text.startswith("p95 <= 100 ms: ")
    by_path = {f.details["path"]: f.details["as"] for f in figures}
    assert by_path["/anggota/"] == "member"
    assert by_path["/app/approvals"] == "manager"


def test_the_spread_of_two_runs_pairs_each_case_across_its_run_seconds() -> None:
    # The first-run case names its seconds, which differ between runs: the case is one row.
    def run(started: str, seconds: str, ratio: float, p99: float) -> dict[str, Any]:
        first = {"database": "sqlite", "group": "eod", "unit": "rows/s", "measured": 1.0,
                 "case": f"set-based task, seal {seconds} s for 1 entries, first run "
                         f"(kopcore {seconds} s, raw 0.05 s)", "ratio": ratio, "met": ratio >= 0.5,
                 "target": 0.5, "target_text": ">= 0.5x raw, first run", "details": {}}
        page = {"database": "sqlite", "group": "pages", "case": "staff home", "unit": "ms p95",
                "measured": p99, "ratio": None, "met": None, "target": None,
                "target_text": "p95 <= 100 ms: MET", "details": {"p99_ms": p99}}
        return {"started_at": started, "figures": [first, page]}

    table = render_spread([run("2026-12-07T22:13", "0.11", 0.25, 3.5),
                           run("2026-12-07T23:40", "0.13", 0.52, 4.0)])
    rows = [line for line in table.splitlines() if line.startswith("| sqlite")]
    assert rows == [
        "| sqlite | eod | set-based task, seal for 1 entries, first run | 0.25 / 0.52 "
        "(spread 0.27) |  | >= 0.5x raw, first run: missed / met |",
        "| sqlite | pages | staff home | 3.5 / 4.0 (spread 0.5) ms p95 | 4 / 4 (spread 0) | "
        "p95 <= 100 ms: MET |"]
