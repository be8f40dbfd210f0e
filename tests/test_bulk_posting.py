"""post_entries: a batch gives exactly what posting its entries one by one gives."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, text

import kopcore
from kopcore import ledger
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import (
    AccountFrozen,
    InsufficientFunds,
    KopcoreError,
    NotFound,
    UnbalancedEntry,
)
from kopcore.kernel import Kernel
from kopcore.ledger import EntryRequest
from kopcore.ledger._offices import create_office
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore.testing import ON_POSTGRES, START_DATE
from tests.builders import active_member, capitalise, cash_account, member_account, rp
from tests.test_transaction_facts import statements

ACCOUNTS = ("CASH-01", "SAV-1", "SAV-2", "SAV-3")


class Rollback(Exception):
    """Carries a result out of a transaction that must not commit."""

    def __init__(self, result: Any) -> None:
        super().__init__("rollback")
        self.result = result


def books(kernel: Kernel) -> Kernel:
    def work(ctx: Context) -> None:
        cash = cash_account(ctx)
        capitalise(ctx, cash.number, rp("1000000"))
        for number in ACCOUNTS[1:]:
            member_account(ctx, active_member(ctx, f"Anggota {number}"), number=number)
        ledger.post_entry(ctx, [PostingLine("CASH-01", Side.DEBIT, rp("300000")),
                                PostingLine("SAV-1", Side.CREDIT, rp("300000"))],
                          memo="setoran awal")
        ledger.freeze_account(ctx, "SAV-3")
    kernel.write("teller", work)
    return kernel


def outcome(kernel: Kernel, run: Any) -> tuple[str, dict[str, int], int]:
    """(error code or 'ok', balances, entries) of running ``run`` in a rolled-back transaction."""
    def work(ctx: Context) -> None:
        try:
            run(ctx)
            code = "ok"
        except KopcoreError as exc:
            raise Rollback((exc.code, {}, 0)) from None
        state = {n: ledger.get_account(ctx, n).balance.minor for n in ACCOUNTS}
        count = ctx.conn.execute(select(func.count()).select_from(t.journal_entries)).scalar_one()
        raise Rollback((code, state, count))
    with pytest.raises(Rollback) as caught:
        kernel.write("teller", work)
    result: tuple[str, dict[str, int], int] = caught.value.result
    return result


transfers = st.lists(
    st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS),
              st.integers(min_value=1, max_value=40_000_000)),
    min_size=1, max_size=12,
).map(lambda items: [(a, b, n) for a, b, n in items if a != b] or [("CASH-01", "SAV-2", 1)])


def test_a_batch_equals_posting_its_entries_in_order(kernel: Kernel) -> None:
    books(kernel)

    @given(batch=transfers)
    def check(batch: list[tuple[str, str, int]]) -> None:
        requests = [EntryRequest([PostingLine(debit, Side.DEBIT, Money(minor)),
                                  PostingLine(credit, Side.CREDIT, Money(minor))], memo="pindah")
                    for debit, credit, minor in batch]

        def one_by_one(ctx: Context) -> None:
            for request in requests:
                ledger.post_entry(ctx, request.lines, memo=request.memo)

        bulk = outcome(kernel, lambda ctx: ledger.post_entries(ctx, requests))
        assert bulk == outcome(kernel, one_by_one)

    check()


def test_a_batch_posts_entries_postings_and_balances(kernel: Kernel) -> None:
    books(kernel)
    requests = [EntryRequest([PostingLine("CASH-01", Side.DEBIT, rp("1000")),
                              PostingLine(f"SAV-{i}", Side.CREDIT, rp("1000"))],
                             memo=f"setor {i}") for i in (1, 2)] * 50
    entries = kernel.write("teller", lambda ctx: ledger.post_entries(ctx, requests))
    assert len(entries) == 100
    assert len({e.id for e in entries}) == 100
    stored = kernel.read("x", lambda ctx: ledger.get_entry(ctx, entries[-1].id))
    assert stored.postings == entries[-1].postings
    assert kernel.read("x", lambda ctx: ledger.get_account(ctx, "SAV-2").balance) == rp("50000")
    assert kernel.read("x", lambda ctx: ledger.get_account(ctx, "CASH-01").balance) \
        == rp("1400000")
    assert kernel.read("x", ledger.ledger_invariants) == []


@pytest.mark.parametrize(("lines", "error"), [
    ([PostingLine("SAV-1", Side.DEBIT, rp("300001")),
      PostingLine("CASH-01", Side.CREDIT, rp("300001"))], InsufficientFunds),
    ([PostingLine("SAV-3", Side.DEBIT, rp("1")),
      PostingLine("CASH-01", Side.CREDIT, rp("1"))], AccountFrozen),
    ([PostingLine("SAV-1", Side.DEBIT, rp("2")),
      PostingLine("CASH-01", Side.CREDIT, rp("1"))], UnbalancedEntry),
])
def test_one_bad_entry_refuses_the_whole_batch(kernel: Kernel, lines: list[PostingLine],
                                              error: type[KopcoreError]) -> None:
    books(kernel)
    good = EntryRequest([PostingLine("CASH-01", Side.DEBIT, rp("5")),
                         PostingLine("SAV-2", Side.CREDIT, rp("5"))], memo="baik")
    with pytest.raises(error):
        kernel.write("teller", lambda ctx: ledger.post_entries(
            ctx, [good, EntryRequest(lines, memo="buruk")]))
    assert kernel.read("x", lambda ctx: ledger.get_account(ctx, "SAV-2").balance) == Money(0)
    assert kernel.read("x", ledger.ledger_invariants) == []


def test_an_empty_batch_posts_nothing(kernel: Kernel) -> None:
    # The books as they were: cash Rp1,000,000 of capital plus SAV-1's Rp300,000 deposit.
    books(kernel)
    assert outcome(kernel, lambda ctx: ledger.post_entries(ctx, [])) == (
        "ok", {"CASH-01": 1_300_000_00, "SAV-1": 300_000_00, "SAV-2": 0, "SAV-3": 0}, 2)


def test_a_batch_naming_an_unknown_account_is_refused_by_name(kernel: Kernel) -> None:
    books(kernel)
    requests = [EntryRequest([PostingLine("CASH-01", Side.DEBIT, rp("5")),
                              PostingLine(number, Side.CREDIT, rp("5"))], memo="setor")
                for number in ("SAV-2", "SAV-9", "SAV-8")]
    with pytest.raises(NotFound, match="account SAV-8, SAV-9 not found"):
        kernel.write("teller", lambda ctx: ledger.post_entries(ctx, requests))
    assert kernel.read("x", lambda ctx: ledger.get_account(ctx, "SAV-2").balance) == Money(0)


def test_a_batch_has_at_most_10000_entries(kernel: Kernel) -> None:
    # 10,000 deposits of one sen each into SAV-2 post (Rp100 in all); 10,001 are refused before
    # anything is read or written.
    books(kernel)
    one_sen = EntryRequest([PostingLine("CASH-01", Side.DEBIT, Money(1)),
                            PostingLine("SAV-2", Side.CREDIT, Money(1))], memo="satu sen")
    assert outcome(kernel, lambda ctx: ledger.post_entries(ctx, [one_sen] * 10_001)) == (
        "validation-error", {}, 0)
    entries = kernel.write("teller", lambda ctx: ledger.post_entries(ctx, [one_sen] * 10_000))
    assert len(entries) == 10_000
    assert kernel.read("x", lambda ctx: ledger.get_account(ctx, "SAV-2").balance) == rp("100")
    assert kernel.read("x", lambda ctx: ledger.get_account(ctx, "CASH-01").balance) \
        == rp("1300100")


class AfterPosting:
    """Records the entries the after-posting hook is called with."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str, list[int]]] = []

    @kopcore.hookimpl
    def kopcore_after_posting(self, ctx: Context, entry: ledger.JournalEntry) -> None:
        self.seen.append((entry.id, entry.memo, [p.amount.minor for p in entry.postings]))


def test_the_after_posting_hook_sees_every_entry_of_a_batch_in_order(make_kernel: Any) -> None:
    hook = AfterPosting()
    kernel = books(make_kernel(extra_plugins=[("after", hook)]))
    hook.seen.clear()
    requests = [EntryRequest([PostingLine("CASH-01", Side.DEBIT, rp(amount)),
                              PostingLine("SAV-2", Side.CREDIT, rp(amount))], memo=f"setor {n}")
                for n, amount in enumerate(("10", "20", "30.50"), 1)]
    entries = kernel.write("teller", lambda ctx: ledger.post_entries(ctx, requests))
    assert hook.seen == [(entries[0].id, "setor 1", [1000, -1000]),
                         (entries[1].id, "setor 2", [2000, -2000]),
                         (entries[2].id, "setor 3", [3050, -3050])]
    assert [e.id for e in entries] == list(range(entries[0].id, entries[0].id + 3))


def test_entries_between_offices_in_a_batch_move_each_rak_account(kernel: Kernel) -> None:
    # The head office's till (CASH-01, Rp1,300,000) takes Rp100 and then Rp250 for a member's
    # savings account at branch CAB01: each entry adds a RAK line per office, the head office's
    # credited and the branch's debited (as at a branch's counter, test_offices.py), Rp350 in
    # all. No request names a RAK account: they join the batch with the first entry.
    books(kernel)

    def branch(ctx: Context) -> None:
        create_office(ctx, code="CAB01", name="Kantor Cabang 1", kind="cabang", parent="KP")
        ledger.open_account(ctx, name="Titipan Anggota Cabang", gl_key="payable.other",
                            plugin="kopcore", member_id=active_member(ctx, "Anggota Cabang").id,
                            number="SAV-C1", floor=Money(0), office="CAB01")
    kernel.write("teller", branch)
    rak_before = kernel.read("x", lambda ctx: {
        n: ledger.get_account(ctx, n).balance.minor for n in ("RAK-KP", "RAK-CAB01")})
    requests = [EntryRequest([PostingLine("CASH-01", Side.DEBIT, rp(amount)),
                              PostingLine("SAV-C1", Side.CREDIT, rp(amount))], memo="setor")
                for amount in ("100", "250")]
    entries = kernel.write("teller", lambda ctx: ledger.post_entries(ctx, requests))
    assert [len(e.postings) for e in entries] == [4, 4]
    after = kernel.read("x", lambda ctx: {
        n: ledger.get_account(ctx, n).balance.minor for n in ("RAK-KP", "RAK-CAB01", "SAV-C1",
                                                             "CASH-01")})
    assert after == {"RAK-KP": rak_before["RAK-KP"] - 350_00,
                     "RAK-CAB01": rak_before["RAK-CAB01"] + 350_00,
                     "SAV-C1": 350_00, "CASH-01": 1_300_350_00}
    assert kernel.read("x", ledger.ledger_invariants) == []


def test_a_batch_reads_its_accounts_and_facts_once_and_writes_its_entries_at_once(
        kernel: Kernel) -> None:
    # The business date and the other facts of the transaction come as extra columns of the one
    # SELECT of the batch's accounts (kopcore._facts): no statement of their own. The three
    # entries go in by one INSERT statement (not one each).
    books(kernel)
    requests = [EntryRequest([PostingLine("CASH-01", Side.DEBIT, rp("5")),
                              PostingLine(number, Side.CREDIT, rp("5"))], memo="setor")
                for number in ("SAV-1", "SAV-2", "SAV-2")]
    with statements(kernel.db.engine) as sent:
        entries = kernel.write("teller", lambda ctx: ledger.post_entries(ctx, requests))
    facts = [sql for sql in sent if "business_calendar" in sql]
    assert len(facts) == 1, sent
    assert "FROM accounts" in facts[0]
    assert [e.business_date for e in entries] == [START_DATE] * 3
    inserts = [sql for sql in sent if sql.startswith("INSERT INTO journal_entries")]
    assert len(inserts) == 1, inserts
    if ON_POSTGRES:  # the rows numbered in the order given, so that each entry gets its own id
        assert "ORDER BY" in inserts[0], inserts


def test_a_batch_touching_a_single_account_moves_nothing(kernel: Kernel) -> None:
    # One entry debiting and crediting SAV-1 Rp5 each: posted, its balance unchanged.
    books(kernel)
    entries = kernel.write("teller", lambda ctx: ledger.post_entries(ctx, [
        EntryRequest([PostingLine("SAV-1", Side.DEBIT, rp("5")),
                      PostingLine("SAV-1", Side.CREDIT, rp("5"))], memo="koreksi")]))
    assert [p.amount for p in entries[0].postings] == [rp("5"), -rp("5")]
    assert kernel.read("x", lambda ctx: ledger.get_account(ctx, "SAV-1").balance) == rp("300000")


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite reads a batch's entries back; PostgreSQL returns "
                    "their ids from the INSERT")
def test_a_batch_whose_entries_are_not_the_last_rows_written_is_refused(kernel: Kernel) -> None:
    # SQLite: the batch's entries are read back as the table's last rows. A trigger writing an
    # entry of its own after "setor 1" puts it between the batch's two: the batch refuses to
    # guess which id is whose, and nothing is written (SAV-2 stays at Rp0, the two entries of
    # the books stay the only ones).
    books(kernel)
    kernel.write("teller", lambda ctx: ctx.conn.exec_driver_sql(
        "CREATE TRIGGER another_writer AFTER INSERT ON journal_entries "
        "WHEN NEW.memo = 'setor 1' BEGIN "
        "INSERT INTO journal_entries (business_date, memo, actor, operation, source, "
        "request_digest, created_at) VALUES (NEW.business_date, 'penulis lain', NEW.actor, "
        "NEW.operation, NEW.source, '-', NEW.created_at); END"))
    requests = [EntryRequest([PostingLine("CASH-01", Side.DEBIT, rp("5")),
                              PostingLine("SAV-2", Side.CREDIT, rp("5"))], memo=f"setor {n}")
                for n in (1, 2)]
    with pytest.raises(RuntimeError, match="not the table's last rows"):
        kernel.write("teller", lambda ctx: ledger.post_entries(ctx, requests))
    assert kernel.read("x", lambda ctx: ledger.get_account(ctx, "SAV-2").balance) == Money(0)
    assert kernel.read("x", lambda ctx: ctx.conn.execute(
        select(func.count()).select_from(t.journal_entries)).scalar_one()) == 2


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks: SQLite has one writer at a time and "
                    "no row locks")
def test_a_batch_locks_its_own_accounts_and_no_other(kernel: Kernel) -> None:
    # Another transaction holds SAV-3 (not in the batch) locked: a batch moving CASH-01, SAV-1
    # and SAV-2 locks those three only, so it does not wait for SAV-3 (a lock timeout of 2 s
    # would refuse it if it did).
    books(kernel)
    requests = [EntryRequest([PostingLine("CASH-01", Side.DEBIT, rp("5")),
                              PostingLine(number, Side.CREDIT, rp("5"))], memo="setor")
                for number in ("SAV-1", "SAV-2")]

    def batch(ctx: Context) -> list[Any]:
        ctx.conn.execute(text("SET LOCAL lock_timeout = '2s'"))
        return ledger.post_entries(ctx, requests)

    with kernel.db.engine.connect() as other:
        other.execute(select(t.accounts.c.id).where(t.accounts.c.number == "SAV-3")
                      .with_for_update())
        entries = kernel.write("teller", batch)
        other.rollback()
    assert len(entries) == 2
    balances = kernel.read("x", lambda ctx: [ledger.get_account(ctx, n).balance
                                             for n in ("SAV-1", "SAV-2", "SAV-3")])
    assert balances == [rp("300005"), rp("5"), rp("0")]
