"""post_entries: a batch gives exactly what posting its entries one by one gives."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from kopcore import ledger
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import AccountFrozen, InsufficientFunds, KopcoreError, UnbalancedEntry
from kopcore.kernel import Kernel
from kopcore.ledger import EntryRequest
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from tests.builders import active_member, capitalise, cash_account, member_account, rp

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
