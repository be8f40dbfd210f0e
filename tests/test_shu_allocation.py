"""The SHU arithmetic: DOMAIN.md's worked example, settings, and exact allocation properties."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kopcore
from kopcore._yearend.shu import allocate_shu, member_bases
from kopcore.context import Context
from kopcore.errors import ConfigurationError, ValidationError
from kopcore.money import Money
from kopcore.records import MemberBasis, ShuBasis, ShuBasisKind
from kopcore.settings import SHU_POOLS, Settings, ShuSettings
from kopcore.testing import use_hypothesis_profile

use_hypothesis_profile()

#: The worked example's statutes: JU 25 %, JM 20 %, the rest to reserve and funds.
EXAMPLE = ShuSettings(reserve=Decimal(40), jasa_modal=Decimal(20), jasa_usaha=Decimal(25),
                      management=Decimal(5), staff=Decimal(5), education=Decimal(5),
                      social=Decimal(0), other=Decimal(0))


def test_the_domain_worked_example_to_the_rupiah() -> None:
    # SHU Rp60,000,000; the member's transactions are 5 of 75, capital 2 of 100 (DOMAIN.md §4).
    surplus = Money.parse("60000000")
    capital = {1: 2, 2: 98}
    patronage = {1: 5, 2: 70}
    result = allocate_shu(surplus, EXAMPLE.weights(), capital, patronage)
    assert result.pools["jasa_usaha"] == Money.parse("15000000")
    assert result.pools["jasa_modal"] == Money.parse("12000000")
    assert result.pools["reserve"] == Money.parse("24000000")
    jm, ju = result.members[1]
    assert ju == Money.parse("1000000")  # 15,000,000 x 5/75
    assert jm == Money.parse("240000")  # 12,000,000 x 2/100
    assert jm + ju == Money.parse("1240000")


def test_a_share_that_does_not_divide_goes_to_the_largest_remainder() -> None:
    # Rp100 of jasa modal among three equal holders: 33.33 each, the odd cent to the first.
    weights = [0, 10000, 0, 0, 0, 0, 0, 0, 0]
    result = allocate_shu(Money(10000), weights, {7: 1, 8: 1, 9: 1}, {})
    assert [result.members[m][0].minor for m in (7, 8, 9)] == [3334, 3333, 3333]


def test_a_pool_without_any_basis_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="no member has a patronage basis"):
        allocate_shu(Money.parse("1000000"), ShuSettings().weights(), {1: 100}, {})
    # ...unless the statutes give that pool nothing.
    no_ju = ShuSettings(jasa_usaha=Decimal(0), reserve=Decimal(60))
    result = allocate_shu(Money.parse("1000000"), no_ju.weights(), {1: 100}, {})
    assert result.members[1] == (Money.parse("200000"), Money(0))


def test_shu_settings_must_sum_to_100_and_say_what_they_sum_to() -> None:
    with pytest.raises(ConfigurationError, match=r"sum to 100, they sum to 101"):
        Settings.from_mapping({"shu": {"reserve": "41"}})
    with pytest.raises(ConfigurationError, match="at most two decimals"):
        Settings.from_mapping({"shu": {"reserve": "39.995", "social": "5.005"}})
    with pytest.raises(ConfigurationError, match="string or an integer"):
        Settings.from_mapping({"shu": {"reserve": 40.0}})
    with pytest.raises(ConfigurationError, match="capital_basis must be one of"):
        Settings.from_mapping({"shu": {"capital_basis": "monthly"}})
    with pytest.raises(ConfigurationError, match="unknown"):
        Settings.from_mapping({"shu": {"dividend": "10"}})
    shu = Settings.from_mapping({"shu": {"reserve": "37.5", "other": "2.5",
                                         "member_payout": "payable"}}).shu
    assert shu.weights() == [3750, 2000, 2000, 500, 500, 500, 500, 250, 0]
    assert sum(shu.weights()) == 10000
    assert Settings().shu.weights() == [4000, 2000, 2000, 500, 500, 500, 500, 0, 0]


@st.composite
def statutes(draw: st.DrawFn) -> list[int]:
    """Random pool weights (hundredths of a percent) summing to 100 %."""
    cuts = sorted(draw(st.lists(st.integers(0, 10000), min_size=len(SHU_POOLS) - 1,
                                max_size=len(SHU_POOLS) - 1)))
    bounds = [0, *cuts, 10000]
    return [b - a for a, b in itertools.pairwise(bounds)]


bases = st.dictionaries(st.integers(1, 10**6), st.integers(1, 10**12), min_size=1, max_size=40)


@given(surplus=st.integers(0, 10**15), weights=statutes(), capital=bases, patronage=bases)
def test_random_allocations_sum_exactly(surplus: int, weights: list[int],
                                        capital: dict[int, int],
                                        patronage: dict[int, int]) -> None:
    result = allocate_shu(Money(surplus), weights, capital, patronage)
    assert sum(p.minor for p in result.pools.values()) == surplus
    for pool, weight in zip(SHU_POOLS, weights, strict=True):
        exact = Fraction(surplus * weight, 10000)
        assert abs(result.pools[pool].minor - exact) < 1
    for index, (pool, basis) in enumerate((("jasa_modal", capital),
                                           ("jasa_usaha", patronage))):
        amount = result.pools[pool].minor
        shares = {m: result.members[m][index].minor for m in result.members}
        assert sum(shares.values()) == amount
        total = sum(basis.values())
        for member, share in shares.items():
            assert share >= 0
            assert abs(share - Fraction(amount * basis.get(member, 0), total)) < 1


def test_pool_weights_and_a_deficit_are_refused() -> None:
    weights = ShuSettings().weights()
    with pytest.raises(ValidationError, match="SHU needs 9 pool weights"):
        allocate_shu(Money.parse("1000"), weights[:-1], {1: 1}, {1: 1})
    # One sen of deficit is a deficit; nothing is no SHU but allocates zeros.
    with pytest.raises(ValidationError, match="closed with a deficit"):
        allocate_shu(Money(-1), weights, {1: 1}, {1: 1})
    nothing = allocate_shu(Money(0), weights, {1: 1}, {1: 1})
    assert set(nothing.pools.values()) == {Money(0)}
    assert nothing.members == {1: (Money(0), Money(0))}


def test_a_member_with_a_zero_basis_gets_nothing_and_a_negative_one_is_refused() -> None:
    # Jasa modal Rp200,000 (20 % of Rp1,000,000) shared by capital 3 : 1 : 0.
    weights = ShuSettings(jasa_usaha=Decimal(0), reserve=Decimal(60)).weights()
    result = allocate_shu(Money.parse("1000000"), weights, {1: 300, 2: 100, 3: 0}, {})
    assert result.members == {1: (Money.parse("150000"), Money(0)),
                              2: (Money.parse("50000"), Money(0)),
                              3: (Money(0), Money(0))}
    with pytest.raises(ValidationError, match="jasa_modal: a member's basis is negative"):
        allocate_shu(Money.parse("1000000"), weights, {1: 300, 2: -1}, {})
    # Only zero bases is no basis at all: the pool cannot be shared.
    with pytest.raises(ValidationError, match="no member has a capital basis"):
        allocate_shu(Money.parse("1000000"), weights, {1: 0, 2: 0}, {})


class Bases:
    """A plugin answering kopcore_shu_bases with whatever it is given."""

    def __init__(self, answer: list[object]) -> None:
        self.answer = answer

    @kopcore.hookimpl
    def kopcore_shu_bases(self, ctx: Context, year_start: date, year_end: date,
                          basis: ShuBasis) -> list[object]:
        return self.answer


def bases(make_kernel: Any, *answers: list[object]) -> dict[int, int]:
    kernel = make_kernel(extra_plugins=[(f"bases-{n}", Bases(answer))
                                        for n, answer in enumerate(answers)])
    return kernel.read("x", lambda ctx: member_bases(ctx, 2026, ShuBasisKind.CAPITAL))


def test_bases_from_several_plugins_add_up_and_zero_is_no_basis(make_kernel: Any) -> None:
    # Member 1: Rp100 + Rp50.25 = 15,025 sen; member 2: Rp0 (left out); member 3: 1 sen.
    assert bases(make_kernel,
                 [MemberBasis(1, Money.parse("100")), MemberBasis(2, Money(0))],
                 [MemberBasis(1, Money.parse("50.25")), MemberBasis(3, Money(1))]) == {
        1: 15_025, 3: 1}


@pytest.mark.parametrize(("answer", "error", "message"), [
    ([("member", 1)], TypeError, "must return MemberBasis records"),
    ([MemberBasis(1, Money(100, "USD"))], ValidationError, "an SHU basis in USD, not IDR"),
    ([MemberBasis(1, Money(-1))], ValidationError, "member id 1 a negative capital basis"),
])
def test_a_plugins_wrong_basis_is_refused_naming_it(make_kernel: Any, answer: list[object],
                                                     error: type[Exception],
                                                     message: str) -> None:
    with pytest.raises(error, match=message):
        bases(make_kernel, answer)
