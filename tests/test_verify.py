"""``verify_books`` / ``books.verify`` / ``kopcore verify``: the ledger's invariants.

Each check is shown failing on a database damaged by hand (the way only direct SQL can damage
it: the kernel refuses every one of these through its own API), with the entry or account
named; then the API and CLI surfaces, and the statement count that keeps verify set-based.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select, text, update

from kopcore._db import tables as t
from kopcore.kernel import Kernel
from kopcore.ledger import _integrity as integrity
from kopcore.ledger._bulk import EntryRequest, post_entries
from kopcore.ledger._verify import KINDS, VerifyReport, verify_books
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore.testing import Cooperative, KernelFactory
from tests import interfaces_support as support
from tests.interfaces_support import CASH, USER, Env, assert_problem

env = support.env
EQUITY = "GL-equity.grants"


def post(coop: Cooperative, amount: str, memo: str = "setoran") -> int:
    entry = coop.call("entries.post", memo=memo, lines=[
        {"account": Cooperative.CASH, "side": "debit", "amount": amount},
        {"account": EQUITY, "side": "credit", "amount": amount}])
    return int(entry["entry_id"])


def verify(kernel: Kernel, **kwargs: Any) -> VerifyReport:
    return kernel.read("auditor", lambda ctx: verify_books(ctx, **kwargs))


def found(report: VerifyReport) -> set[tuple[str, int | None, int | None]]:
    return {(p.kind, p.entry_id, p.account_id) for p in report.errors}


def account_id(kernel: Kernel, number: str) -> int:
    return int(kernel.db.read(lambda conn: conn.execute(
        select(t.accounts.c.id).where(t.accounts.c.number == number)).scalar_one()))


@contextmanager
def raw(kernel: Kernel, *, foreign_keys: bool = True) -> Iterator[Connection]:
    """A connection with the journal's triggers dropped (and optionally foreign keys off)."""
    with kernel.db.engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if not foreign_keys and not postgres:  # outside a transaction, on the driver
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        with conn.begin():
            for table in ("journal_entries", "postings"):
                if postgres:
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}"))
                else:
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
            if not foreign_keys and postgres:
                conn.execute(text("ALTER TABLE postings DROP CONSTRAINT "
                                  "fk_postings_entry_id_journal_entries"))
            yield conn
        if not foreign_keys and not postgres:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


@pytest.fixture
def coop(make_kernel: KernelFactory) -> Cooperative:
    coop = Cooperative(make_kernel(), capital="1000000")
    for amount in ("100", "200", "300", "400", "500"):
        post(coop, amount)
    coop.call("entries.reverse", entry_id=5)  # entry 7
    return coop


def test_clean_books_pass_every_check(coop: Cooperative) -> None:
    report = verify(coop.kernel)
    assert report.ok
    assert report.errors == []
    assert (report.entries, report.postings) == (7, 14)
    assert report.accounts == coop.kernel.db.read(lambda conn: conn.execute(
        select(func.count()).select_from(t.accounts)).scalar_one())
    fast = verify(coop.kernel, digests=False)
    assert fast.ok
    assert fast.problems == []
    assert fast.seals == 0
    assert set(report.counts) <= set(KINDS)


def test_a_cached_balance_that_differs_from_its_postings(coop: Cooperative) -> None:
    cash = account_id(coop.kernel, Cooperative.CASH)
    with raw(coop.kernel) as conn:
        conn.execute(update(t.accounts).where(t.accounts.c.id == cash)
                     .values(balance=t.accounts.c.balance + 1))
    report = verify(coop.kernel)
    assert found(report) == {("balance_mismatch", None, cash), ("trial_balance", None, None)}
    mismatch = next(p for p in report.errors if p.kind == "balance_mismatch")
    # 1,000,000 + 100 + 200 + 300 + 400 + 500 - 400 (reversed) = 1,001,100.00 rupiah, in sen,
    # plus the one sen.
    assert mismatch.detail == ("account CASH-01: cached balance 100110001, postings sum to "
                               "100110000 (minor units)")


def test_unbalanced_entries_and_entries_with_one_posting(coop: Cooperative) -> None:
    p = t.postings.c
    cash = account_id(coop.kernel, Cooperative.CASH)
    with raw(coop.kernel) as conn:
        conn.execute(update(t.postings).where(p.entry_id == 2, p.account_id == cash)
                     .values(amount=p.amount + 5))
        conn.execute(t.postings.delete().where(p.entry_id == 3, p.account_id != cash))
        conn.execute(update(t.postings).where(p.entry_id == 4, p.account_id != cash)
                     .values(currency="USD"))
    report = verify(coop.kernel)
    kinds = found(report)
    assert ("unbalanced_entry", 2, None) in kinds
    assert ("unbalanced_entry", 3, None) in kinds
    assert ("too_few_postings", 3, None) in kinds
    assert ("currency_mismatch", 4, account_id(coop.kernel, EQUITY)) in kinds
    assert ("balance_mismatch", None, cash) in kinds
    assert {("digest_mismatch", n, None) for n in (2, 3, 4)} <= kinds
    details = {p.detail for p in report.errors if p.kind == "trial_balance"}
    # +5 sen on entry 2, the 200.00 credit of entry 3 gone, the 300.00 credit of entry 4 in USD.
    assert details == {"IDR: postings sum to 50005 (minor units) instead of 0",
                       "USD: postings sum to -30000 (minor units) instead of 0"}
    unbalanced = next(p for p in report.errors if p.entry_id == 2)
    assert unbalanced.detail == "entry 2: IDR postings sum to 5 (minor units) instead of 0"


def test_orphan_postings(coop: Cooperative) -> None:
    with raw(coop.kernel, foreign_keys=False) as conn:
        conn.execute(t.journal_entries.delete().where(t.journal_entries.c.id == 2))
    report = verify(coop.kernel)
    orphans = [p for p in report.errors if p.kind == "orphan_posting"]
    assert [(p.entry_id, p.detail.endswith("names entry 2, which does not exist"))
            for p in orphans] == [(2, True), (2, True)]


def test_reversal_links(coop: Cooperative) -> None:
    e, p = t.journal_entries.c, t.postings.c
    with raw(coop.kernel) as conn:
        # The reversal (7) no longer mirrors entry 5: both its sides scaled (still balanced).
        conn.execute(update(t.postings).where(p.entry_id == 7).values(amount=p.amount * 2))
        # Entry 6 now claims to reverse the reversal (7 reverses entry 5, 400.00).
        conn.execute(update(t.journal_entries).where(e.id == 6).values(reverses_entry_id=7))
    kinds = found(verify(coop.kernel))
    assert ("reversal_mismatch", 7, account_id(coop.kernel, Cooperative.CASH)) in kinds or \
        ("reversal_mismatch", 7, account_id(coop.kernel, EQUITY)) in kinds
    assert ("reversal_of_reversal", 6, None) in kinds
    assert ("reversal_mismatch", 6, account_id(coop.kernel, Cooperative.CASH)) in kinds or \
        ("reversal_mismatch", 6, account_id(coop.kernel, EQUITY)) in kinds
    if coop.kernel.db.dialect == "postgresql":  # SQLite cannot drop the unique constraint
        with raw(coop.kernel) as conn:
            conn.execute(text("ALTER TABLE journal_entries DROP CONSTRAINT "
                              "uq_journal_entries_reverses_entry_id"))
            conn.execute(update(t.journal_entries).where(e.id == 4).values(reverses_entry_id=5))
        assert ("reversed_twice", 5, None) in found(verify(coop.kernel))


def count_statements(kernel: Kernel, work: Callable[[], Any]) -> int:
    seen: list[str] = []

    def listener(*args: Any) -> None:
        seen.append(args[2])

    event.listen(kernel.db.engine, "before_cursor_execute", listener)
    try:
        work()
    finally:
        event.remove(kernel.db.engine, "before_cursor_execute", listener)
    return len(seen)


def bulk(kernel: Kernel, entries: int) -> None:
    lines = [PostingLine(Cooperative.CASH, Side.DEBIT, Money(1)),
             PostingLine(EQUITY, Side.CREDIT, Money(1))]
    for start in range(0, entries, 5000):
        batch = [EntryRequest(lines, "impor") for _ in range(min(5000, entries - start))]
        kernel.write("system", partial(post_entries, requests=batch))


def test_verify_is_set_based(coop: Cooperative, monkeypatch: pytest.MonkeyPatch) -> None:
    """The accounting checks are a fixed number of statements whatever the journal's size; the
    journal pass reads ``BATCH`` entries per two statements (100 here instead of 5000, to keep
    the test small). KOPCORE_VERIFY_SCALE=500000 posts that many more entries (a million
    postings) to time it by hand."""
    scale = os.environ.get("KOPCORE_VERIFY_SCALE")
    if scale is None:
        monkeypatch.setattr(integrity, "BATCH", 100)
    small = count_statements(coop.kernel, lambda: verify(coop.kernel))
    fixed = count_statements(coop.kernel, lambda: verify(coop.kernel, digests=False))
    bulk(coop.kernel, int(scale or 450))
    assert count_statements(coop.kernel, lambda: verify(coop.kernel, digests=False)) == fixed
    large = count_statements(coop.kernel, lambda: verify(coop.kernel))
    batches = -(-verify(coop.kernel).entries // integrity.BATCH)
    assert large - small == 2 * (batches - 1)
    assert verify(coop.kernel).ok


# --- through the API and the CLI ----------------------------------------------------------


def test_books_verify_and_seal_over_the_api(env: Env) -> None:
    report = env.ok("books.verify", user=USER["auditor"])
    assert report["ok"] is True
    assert report["entries"] == 3
    assert report["seals"] == 0
    assert [p["kind"] for p in report["problems"]] == ["unsealed_entries"]
    assert env.ok("books.verify", user=USER["manager"])["ok"] is True
    for role in ("teller", "member"):
        assert_problem(env.call("books.verify", user=USER[role]), 403, "forbidden")
    for role in ("teller", "auditor", "member"):
        assert_problem(env.call("books.seal", user=USER[role]), 403, "forbidden")
    sealed = env.ok("books.seal", user=USER["manager"])
    assert (sealed["sealed"], sealed["seal_id"], sealed["entry_count"]) == (True, 1, 3)
    again = env.ok("books.seal", user=USER["manager"])
    assert (again["sealed"], again["chain_head"]) == (False, sealed["chain_head"])
    report = env.ok("books.verify", {"expect_seal": 1, "expect_chain": sealed["chain_head"]},
                    user=USER["auditor"])
    assert report["ok"] is True
    assert report["problems"] == []
    wrong = env.ok("books.verify", {"expect_seal": 1, "expect_chain": "0" * 64},
                   user=USER["auditor"])
    assert wrong["ok"] is False
    assert wrong["counts"] == {"seal_head_mismatch": 1}
    assert_problem(env.call("books.verify", {"expect_chain": "x" * 65}, user=USER["auditor"]),
                   422, "validation-error")


def test_kopcore_verify_exits_non_zero_when_anything_is_wrong(env: Env) -> None:
    result = env.cli("verify", "--seal", operator=USER["manager"])
    assert result.exit_code == 0, result.stderr
    assert "seal_id: 1\n" in result.stdout
    assert "entry_count: 3\n" in result.stdout
    assert "ok: yes\n" in result.stdout
    report = json.loads(env.cli("verify", "--json", operator=USER["auditor"]).stdout)
    assert report["ok"] is True
    assert report["seals"] == 1
    with raw(env.kernel) as conn:
        conn.execute(update(t.journal_entries).where(t.journal_entries.c.id == 2)
                     .values(memo="setoran diubah"))
    result = env.cli("verify", operator=USER["auditor"])
    assert result.exit_code == 1
    assert "digest_mismatch" in result.stdout
    result = env.cli("verify", "--json", operator=USER["auditor"])
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert [(p["kind"], p["entry_id"]) for p in problems] == [("digest_mismatch", 2)]
    # Read-only commands still need an identified operator with the permission.
    assert env.cli("verify", operator=None).exit_code == 2
    assert env.cli("verify", operator=USER["teller"]).error_code == "forbidden"
    assert env.balance(CASH).to_str() == "11500000.00"  # nothing moved
