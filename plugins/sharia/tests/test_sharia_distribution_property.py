"""The profit distribution's allocation is exact for any pool: the members' shares sum to the
members' total to the minor unit, each share is within one rounding unit of its exact value,
and the total is the exact sum rounded half up. Pure arithmetic, no database."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from kopcore_sharia.mudharabah import PPM, Share, allocate_shares

from kopcore.errors import Conflict

accounts = st.dictionaries(
    st.integers(1, 10**6),
    st.tuples(st.integers(0, 10**13), st.integers(1, PPM - 1)),
    min_size=1, max_size=60)


@given(accounts, st.integers(1, 10**12), st.sampled_from([1, 100, 10_000]))
@example({1: (100, PPM - 1)}, 9_999, 10_000)  # rounding half up would pass the income
def test_shares_sum_to_the_members_total_exactly(
        pool: dict[int, tuple[int, int]], distributable: int, unit: int) -> None:
    sums = {i: s for i, (s, _) in pool.items()}
    nisbah = {i: n for i, (_, n) in pool.items()}
    if sum(sums.values()) == 0:
        with pytest.raises(Conflict):
            allocate_shares(distributable, sums, nisbah, unit, "IDR")
        return
    total, shares = allocate_shares(distributable, sums, nisbah, unit, "IDR")
    pool_sum = sum(sums.values())
    exact = {i: Fraction(distributable * sums[i] * nisbah[i], pool_sum * PPM) for i in sums}
    exact_total = sum(exact.values())
    assert abs(total - exact_total) <= Fraction(unit, 2) or total == distributable // unit * unit
    assert total % unit == 0
    assert sum(s.amount for s in shares) == total
    assert total <= distributable  # the cooperative's share is never negative
    for share in shares:
        assert share.amount % unit == 0
        assert share.amount >= 0
        # The member's part of the rounded total, within one unit (largest remainder).
        part = exact[share.account_id] * total / exact_total if exact_total else 0
        assert abs(share.amount - part) < unit
    assert {s.account_id for s in shares} == {i for i in sums if sums[i] > 0}


def test_shares_worked_by_hand() -> None:
    # Balance sums of 1 and 3 sen, nisbah 50 % each, 800 sen of income, a unit of 1 sen: the
    # members' total is 800 x (1 x 50 % + 3 x 50 %) / 4 = 400, shared 1 : 3.
    total, shares = allocate_shares(800, {1: 1, 2: 3}, {1: 500_000, 2: 500_000}, 1, "IDR")
    assert (total, shares) == (400, [Share(1, 1, 500_000, 100), Share(2, 3, 500_000, 300)])
    # A pool whose whole balance sum is one sen still shares: 100 x 60 % = 60.
    assert allocate_shares(100, {7: 1}, {7: 600_000}, 1, "IDR") == (
        60, [Share(7, 1, 600_000, 60)])
    # Income too small to reach a unit (1 x 40 % = 0.4 sen, unit 100): nothing for anyone.
    total, shares = allocate_shares(1, {1: 10, 2: 10}, {1: 400_000, 2: 400_000}, 100, "IDR")
    assert (total, [s.amount for s in shares]) == (0, [0, 0])
    # An account without balance in the period gets no share: 1,000 x 5 x 50 % / 5 = 500.
    assert allocate_shares(1000, {1: 0, 2: 5}, {1: 500_000, 2: 500_000}, 1, "IDR") == (
        500, [Share(2, 5, 500_000, 500)])
    with pytest.raises(Conflict, match="no balance"):
        allocate_shares(1000, {1: 0}, {1: 500_000}, 1, "IDR")
    # Nor has a pool whose balance sums net to nothing, though one of them is in credit.
    with pytest.raises(Conflict, match="no balance"):
        allocate_shares(1000, {1: 5, 2: -5}, {1: 500_000, 2: 500_000}, 1, "IDR")
