"""Allocating one member's deduction over their dues (pure): priority order as given, partial
dues filled as far as the money goes, whole-only dues skipped, an account's later dues held
back once an earlier one is short, and every rupiah either allocated or left over."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from kopcore_payroll.batches import allocate

from kopcore.money import Money
from kopcore.records import DuePriority, MemberDue


def due(reference: str, amount: int, *, account: str = "", partial: bool = True,
        priority: DuePriority = DuePriority.CURRENT) -> MemberDue:
    return MemberDue(1, "owner", "owner.due", priority, Money(amount, "IDR"), date(2026, 3, 5),
                     reference, account=account, partial=partial)


def shares(amount: int, dues: list[MemberDue]) -> tuple[dict[str, int], int]:
    out, left = allocate(amount, dues)
    return {d.reference: share for d, share in out}, left


def test_in_order_partial_then_nothing() -> None:
    dues = [due("wajib", 50, priority=DuePriority.WAJIB), due("feb", 560, account="L1"),
            due("mar", 560, account="L1")]
    assert shares(700, dues) == ({"wajib": 50, "feb": 560, "mar": 90}, 0)
    assert shares(0, dues) == ({"wajib": 0, "feb": 0, "mar": 0}, 0)
    assert shares(2000, dues) == ({"wajib": 50, "feb": 560, "mar": 560}, 830)


def test_a_whole_only_due_is_skipped_and_the_next_one_tried() -> None:
    dues = [due("mb1", 1200, account="MB", partial=False), due("other", 100)]
    assert shares(1000, dues) == ({"mb1": 0, "other": 100}, 900)


def test_an_accounts_later_due_waits_for_the_earlier_one() -> None:
    dues = [due("mb1", 1200, account="MB", partial=False),
            due("mb2", 100, account="MB", partial=False), due("l1", 300, account="L")]
    assert shares(500, dues) == ({"mb1": 0, "mb2": 0, "l1": 300}, 200)


@given(st.integers(0, 5000), st.lists(st.tuples(st.integers(1, 1500), st.booleans(),
                                                st.sampled_from(["A", "B", ""])), max_size=8))
def test_every_rupiah_is_allocated_or_left_and_no_due_gets_more_than_it_asks(
        amount: int, specs: list[tuple[int, bool, str]]) -> None:
    dues = [due(str(i), owed, partial=partial, account=account)
            for i, (owed, partial, account) in enumerate(specs)]
    out, left = allocate(amount, dues)
    assert left >= 0
    assert sum(share for _, share in out) + left == amount
    for d, share in out:
        assert 0 <= share <= d.amount.minor
        assert d.partial or share in (0, d.amount.minor)
