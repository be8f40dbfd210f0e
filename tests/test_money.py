"""Money: exact parsing, explicit rounding, Indonesian formatting, currency safety, allocation."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kopcore.errors import CurrencyMismatch, InvalidAmount, ValidationError
from kopcore.money import MAX_MINOR, Money, Rounding, allocate

RP1 = Decimal("1")
RP100 = Decimal("100")


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("1500000", 150_000_000),
        ("12.50", 1250),
        ("12.5", 1250),
        ("0.01", 1),
        ("-75000", -7_500_000),
        (" 250000 ", 25_000_000),
        ("12.340", 1234),
        ("1E+3", 100_000),
        ("-0", 0),
        ("1000000000000000", MAX_MINOR),
        ("-1000000000000000", -MAX_MINOR),
    ],
)
def test_decimal_strings_parse_to_exact_minor_units(text, minor):
    assert Money.parse(text) == Money(minor, "IDR")


def test_integers_and_decimals_parse_exactly():
    assert Money.parse(1_500_000).minor == 150_000_000
    assert Money.parse(Decimal("0.10")).minor == 10
    assert Money.parse("7", "JPY") == Money(7, "JPY")


@pytest.mark.parametrize("value", [0.1, 1.0, 1500000.0, -2.5, float("nan"), float("inf")])
def test_floats_are_refused_even_when_whole(value):
    with pytest.raises(InvalidAmount, match="float"):
        Money.parse(value)


@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_refused(value):
    with pytest.raises(InvalidAmount):
        Money.parse(value)


@pytest.mark.parametrize(
    "value", ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", Decimal("NaN"),
              Decimal("-Infinity")]
)
def test_nan_and_infinities_are_refused(value):
    with pytest.raises(InvalidAmount, match="finite"):
        Money.parse(value)


@pytest.mark.parametrize("value", ["12.345", "0.001", "-0.005", Decimal("1.999")])
def test_more_decimals_than_the_currency_has_are_refused(value):
    with pytest.raises(InvalidAmount, match="at most 2 decimals"):
        Money.parse(value)


def test_a_fraction_beyond_28_significant_digits_is_refused_not_rounded_away():
    # 30 significant digits: a 28-digit Decimal context would round this to exactly 1.00.
    with pytest.raises(InvalidAmount, match="at most 2 decimals"):
        Money.parse("1.00000000000000000000000000001")


def test_a_tiny_amount_with_an_extreme_exponent_is_refused_not_read_as_zero():
    with pytest.raises(InvalidAmount, match="at most 2 decimals"):
        Money.parse("1e-1000030")


def test_yen_has_no_decimals():
    with pytest.raises(InvalidAmount, match="at most 0 decimals"):
        Money.parse("0.5", "JPY")


@pytest.mark.parametrize(("currency", "symbol"),
                         [("IDR", "Rp"), ("USD", "US$"), ("SGD", "S$"), ("MYR", "RM"),
                          ("SAR", "SAR ")])
def test_currencies_with_cents_keep_two_decimals(currency, symbol):
    # 12.34 in a currency of 100 minor units to the major unit is 1,234 minor units.
    money = Money.parse("12.34", currency)
    assert money.minor == 1234
    assert money.to_str() == "12.34"
    assert money.format() == f"{symbol}12,34"
    assert Money.from_decimal(Decimal("0.015"), currency, rounding=Rounding.HALF_UP).minor == 2
    with pytest.raises(InvalidAmount, match="at most 2 decimals"):
        Money.parse("12.345", currency)


def test_yen_amounts_are_whole_yen():
    # JPY has no minor unit: ¥1,500 is 1,500 minor units; ¥2.5 rounds half up to ¥3.
    assert Money.parse("1500", "JPY").minor == 1500
    assert Money(1500, "JPY").format() == "JPY 1.500"
    assert Money.from_decimal(Decimal("2.5"), "JPY", rounding=Rounding.HALF_UP).minor == 3


@pytest.mark.parametrize(
    "value", ["1000000000000000.01", "-1000000000000000.01", 10**16, "1e17", "1e999999",
              Decimal("-1E+40")]
)
def test_amounts_out_of_range_are_refused(value):
    with pytest.raises(InvalidAmount, match="out of range"):
        Money.parse(value)


@pytest.mark.parametrize("currency", ["XXX", "idr", "", "RUPIAH"])
def test_unknown_currencies_are_refused(currency):
    with pytest.raises(InvalidAmount, match="unknown currency"):
        Money.parse("100", currency)
    with pytest.raises(InvalidAmount, match="unknown currency"):
        Money(100, currency)


@pytest.mark.parametrize("value", ["", "abc", "1,5", "1.2.3", "Rp100", None, [1], b"100"])
def test_things_that_are_not_numbers_are_refused(value):
    with pytest.raises(InvalidAmount):
        Money.parse(value)


def test_invalid_amount_is_a_typed_validation_error_naming_the_field():
    with pytest.raises(InvalidAmount) as caught:
        Money.parse("12.345", field="deposit")
    error = caught.value
    assert isinstance(error, ValidationError)
    assert error.code == "invalid-amount"
    assert error.to_problem()["type"] == "https://kopcore.org/problems/invalid-amount"
    with pytest.raises(InvalidAmount, match="deposit"):
        Money.parse("abc", field="deposit")


def test_money_refuses_booleans_and_out_of_range_minor_units():
    with pytest.raises(InvalidAmount):
        Money(True)
    with pytest.raises(InvalidAmount, match="out of range"):
        Money(MAX_MINOR + 1)
    assert Money(-MAX_MINOR).minor == -MAX_MINOR


def test_negative_amounts_have_the_same_range():
    # The limit is Rp1,000 trillion (10^17 sen) either side of zero, and no further.
    assert Money(-MAX_MINOR).minor == -MAX_MINOR
    assert Money.parse("-1000000000000000.00").minor == -MAX_MINOR
    for build in (lambda: Money(-MAX_MINOR - 1),
                  lambda: Money(-MAX_MINOR) - Money(1),
                  lambda: -Money(MAX_MINOR) + Money(-1),
                  lambda: Money.from_decimal(Decimal("-1000000000000000.01"),
                                             rounding=Rounding.DOWN)):
        with pytest.raises(InvalidAmount, match="out of range"):
            build()
    # Rounding brings -Rp1,000 trillion - 0.004 back to the limit, which is allowed.
    assert Money.from_decimal(Decimal("-1000000000000000.004"),
                              rounding=Rounding.HALF_UP).minor == -MAX_MINOR


@given(st.integers(-MAX_MINOR, MAX_MINOR))
def test_canonical_string_parses_back_to_the_same_amount(minor):
    money = Money(minor)
    assert Money.parse(money.to_str()) == money
    assert Money.parse(money.amount) == money


@given(st.integers(-(10**22), 10**22), st.integers(-40, 25))
def test_parse_accepts_exactly_the_amounts_that_are_whole_minor_units_in_range(coefficient,
                                                                               exp):
    value = Decimal(f"{coefficient}E{exp}")
    exact_minor = Fraction(coefficient) * Fraction(10) ** exp * 100
    if exact_minor.denominator != 1 or abs(exact_minor) > MAX_MINOR:
        with pytest.raises(InvalidAmount):
            Money.parse(value)
    else:
        assert Money.parse(value).minor == int(exact_minor)


# --- rounding ---------------------------------------------------------------------------------


def test_domain_example_interest_rounds_half_up_to_the_rupiah():
    # 3 %/yr, 365-day year, 30-day month: Rp1,000,000 for 10 days then Rp3,000,000 for 20.
    daily = (Decimal(1_000_000) * 10 + Decimal(3_000_000) * 20) * Decimal("0.03") / 365
    assert Money.parse("5753.42").round(RP1, Rounding.HALF_UP) == Money.parse("5753")
    assert Money.from_decimal(daily, rounding=Rounding.HALF_UP, unit=RP1) == Money.parse("5753")
    lowest = Decimal(1_000_000) * Decimal("0.03") * 30 / 365
    assert Money.from_decimal(lowest, rounding=Rounding.HALF_UP, unit=RP1) == Money.parse("2466")


@pytest.mark.parametrize(
    ("amount", "mode", "expected"),
    [
        ("2.50", Rounding.HALF_UP, "3"),
        ("2.50", Rounding.HALF_EVEN, "2"),
        ("3.50", Rounding.HALF_EVEN, "4"),
        ("2.49", Rounding.HALF_UP, "2"),
        ("2.51", Rounding.HALF_EVEN, "3"),
        ("2.99", Rounding.DOWN, "2"),
        ("-2.50", Rounding.HALF_UP, "-3"),
        ("-2.50", Rounding.HALF_EVEN, "-2"),
        ("-2.99", Rounding.DOWN, "-2"),
        ("5753.42", Rounding.DOWN, "5753"),
        ("5753.50", Rounding.HALF_UP, "5754"),
    ],
)
def test_rounding_to_the_rupiah(amount, mode, expected):
    assert Money.parse(amount).round(RP1, mode) == Money.parse(expected)


@pytest.mark.parametrize(
    ("amount", "mode", "expected"),
    [
        ("5753.42", Rounding.HALF_UP, "5800"),
        ("5749.99", Rounding.HALF_UP, "5700"),
        ("5750", Rounding.HALF_UP, "5800"),
        ("5650", Rounding.HALF_UP, "5700"),
        ("5650", Rounding.HALF_EVEN, "5600"),
        ("5750", Rounding.HALF_EVEN, "5800"),
        ("5799.99", Rounding.DOWN, "5700"),
        ("49.99", Rounding.HALF_UP, "0"),
        ("-5750", Rounding.HALF_UP, "-5800"),
    ],
)
def test_rounding_to_a_hundred_rupiah(amount, mode, expected):
    assert Money.parse(amount).round(RP100, mode) == Money.parse(expected)


def test_rounding_to_the_minor_unit_by_default():
    assert Money.from_decimal(Decimal("10.005"), rounding=Rounding.HALF_UP) == Money(1001)
    assert Money.from_decimal(Decimal("10.005"), rounding=Rounding.HALF_EVEN) == Money(1000)
    assert Money.from_decimal(Decimal("10.009"), rounding=Rounding.DOWN) == Money(1000)


def test_the_rounding_unit_may_be_from_1e_minus_18_to_below_1e19_major_units():
    # Zero rounds to zero at any unit the range allows; one power of ten further is refused.
    for unit in ("1e-18", "1e18", "9e18"):
        assert Money.from_decimal(Decimal(0), rounding=Rounding.HALF_UP,
                                  unit=Decimal(unit)) == Money(0)
    for unit in ("1e-19", "1e19"):
        with pytest.raises(InvalidAmount, match="rounding unit out of range"):
            Money.from_decimal(Decimal(0), rounding=Rounding.HALF_UP, unit=Decimal(unit))


def test_an_amount_far_below_a_sen_rounds_to_zero():
    # 10^-41 and 10^-50 rupiah are nothing at any rounding.
    for amount in ("1e-41", "1e-50", "-1e-50"):
        for mode in Rounding:
            assert Money.from_decimal(Decimal(amount), rounding=mode) == Money(0)


def test_an_enormous_amount_is_refused_before_any_arithmetic_on_it():
    # 10^5000 rupiah: its minor units would have more digits than Python turns into text.
    with pytest.raises(InvalidAmount, match="out of range"):
        Money.from_decimal(Decimal("1e5000"), rounding=Rounding.HALF_UP)


def test_a_value_out_of_range_is_refused_naming_its_field():
    # 1,000 trillion and one sen is one sen over the limit.
    with pytest.raises(InvalidAmount, match=r"^deposit out of range"):
        Money.parse("1000000000000000.01", field="deposit")
    with pytest.raises(InvalidAmount, match=r"^deposit out of range"):
        Money.parse("99999999999999999999", field="deposit")


def test_a_stored_amount_is_the_same_money():
    assert Money.stored(150, "IDR") == Money(150)
    assert Money.stored(-5, "USD").format() == "-US$0,05"


def test_rounding_is_done_once_on_the_exact_value():
    # Just below half a rupiah, with more digits than a 28-digit context keeps.
    amount = Decimal("2.4999999999999999999999999999999")
    assert Money.from_decimal(amount, rounding=Rounding.HALF_UP, unit=RP1) == Money.parse("2")


def test_rounding_refuses_floats_bad_units_and_out_of_range_results():
    with pytest.raises(InvalidAmount, match="float"):
        Money.from_decimal(2.5, rounding=Rounding.HALF_UP)  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount, match="positive"):
        Money.from_decimal(Decimal("2.5"), rounding=Rounding.HALF_UP, unit=Decimal(0))
    with pytest.raises(InvalidAmount, match="out of range"):
        Money.from_decimal(Decimal("1e30"), rounding=Rounding.HALF_UP)
    with pytest.raises(InvalidAmount, match="decimals"):
        Money.from_decimal(Decimal("1.2345"), rounding=Rounding.HALF_UP, unit=Decimal("0.001"))


def exact_rounding(amount: Decimal, unit: Decimal, mode: Rounding) -> Decimal:
    """An oracle independent of the code under test: the two multiples of ``unit`` around
    ``amount`` and the distance to each, compared exactly as fractions."""
    q = Fraction(amount) / Fraction(unit)
    below = q.numerator // q.denominator  # floor
    above = below if below == q else below + 1
    toward_zero = below if q >= 0 else above
    if mode is Rounding.DOWN:
        units = toward_zero
    elif q - below != above - q:
        units = below if q - below < above - q else above
    elif mode is Rounding.HALF_UP:  # a tie: away from zero
        units = above if q > 0 else below
    else:  # a tie: to the even multiple
        units = below if below % 2 == 0 else above
    return Decimal(units) * unit


def test_the_oracle_agrees_with_hand_rounded_figures():
    assert exact_rounding(Decimal("2.5"), RP1, Rounding.HALF_UP) == 3
    assert exact_rounding(Decimal("-2.5"), RP1, Rounding.HALF_UP) == -3
    assert exact_rounding(Decimal("2.5"), RP1, Rounding.HALF_EVEN) == 2
    assert exact_rounding(Decimal("-3.5"), RP1, Rounding.HALF_EVEN) == -4
    assert exact_rounding(Decimal("0.6"), RP1, Rounding.HALF_UP) == 1
    assert exact_rounding(Decimal("-0.6"), RP1, Rounding.HALF_EVEN) == -1
    assert exact_rounding(Decimal("-2.99"), RP1, Rounding.DOWN) == -2
    assert exact_rounding(Decimal("5650"), RP100, Rounding.HALF_EVEN) == 5600


@given(
    st.decimals(min_value=Decimal("-1e14"), max_value=Decimal("1e14"), allow_nan=False,
                allow_infinity=False, places=6),
    st.sampled_from([Decimal("0.01"), RP1, Decimal("50"), RP100, Decimal("1000")]),
    st.sampled_from(list(Rounding)),
)
def test_rounding_matches_exact_rounding(amount, unit, mode):
    result = Money.from_decimal(amount, rounding=mode, unit=unit)
    assert result.amount == exact_rounding(amount, unit, mode)
    error = abs(Fraction(amount) - Fraction(result.amount))
    if mode is Rounding.DOWN:
        assert error < Fraction(unit)
        assert abs(result.amount) <= abs(amount)
    else:
        assert error <= Fraction(unit) / 2


@given(st.integers(-(10**6), 10**6), st.sampled_from(list(Rounding)))
def test_ties_round_by_the_mode(whole, mode):
    # Exactly half a rupiah above or below a whole rupiah: the case the mode exists for.
    for amount in (Decimal(whole) + Decimal("0.5"), Decimal(whole) - Decimal("0.5")):
        assert Money.from_decimal(amount, rounding=mode, unit=RP1).amount == exact_rounding(
            amount, RP1, mode)


@pytest.mark.parametrize(
    ("amount", "mode", "expected"),
    [
        # Between half a rupiah and one: the sign decides the direction, not the size.
        ("0.60", Rounding.HALF_UP, "1"),
        ("0.60", Rounding.HALF_EVEN, "1"),
        ("0.60", Rounding.DOWN, "0"),
        ("0.50", Rounding.HALF_UP, "1"),
        ("0.50", Rounding.HALF_EVEN, "0"),
        ("0.99", Rounding.HALF_UP, "1"),
        ("-0.60", Rounding.HALF_UP, "-1"),
        ("-0.60", Rounding.HALF_EVEN, "-1"),
        ("-0.60", Rounding.DOWN, "0"),
        ("-0.50", Rounding.HALF_UP, "-1"),
        ("-0.50", Rounding.HALF_EVEN, "0"),
        ("1.50", Rounding.HALF_EVEN, "2"),
        ("-1.50", Rounding.HALF_EVEN, "-2"),
        ("-1.00", Rounding.HALF_UP, "-1"),
        ("0.40", Rounding.HALF_UP, "0"),
    ],
)
def test_amounts_under_one_rupiah_round_by_hand(amount, mode, expected):
    assert Money.parse(amount).round(RP1, mode) == Money.parse(expected)


def test_each_rounding_mode_names_the_decimal_rounding_of_the_same_rule():
    # Rp2.50 and -Rp2.50 to the rupiah, by hand: half up 3 / -3, half even 2 / -2, down 2 / -2.
    for mode, up, down in ((Rounding.HALF_UP, 3, -3), (Rounding.HALF_EVEN, 2, -2),
                           (Rounding.DOWN, 2, -2)):
        assert Decimal("2.5").quantize(Decimal(1), rounding=mode.decimal_mode) == up
        assert Decimal("-2.5").quantize(Decimal(1), rounding=mode.decimal_mode) == down
    assert Decimal("2.7").quantize(Decimal(1), rounding=Rounding.DOWN.decimal_mode) == 2
    # Rp3.50: half even 4 (to the even rupiah), down 3.
    assert Decimal("3.5").quantize(Decimal(1), rounding=Rounding.HALF_EVEN.decimal_mode) == 4


# --- formatting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money.parse("1500000"), "Rp1.500.000,00"),
        (Money.parse("0"), "Rp0,00"),
        (Money(5), "Rp0,05"),
        (Money.parse("999.99"), "Rp999,99"),
        (Money.parse("-1234.56"), "-Rp1.234,56"),
        (Money(-1), "-Rp0,01"),
        (Money(-100), "-Rp1,00"),
        (Money.parse("1000000000000000"), "Rp1.000.000.000.000.000,00"),
        (Money.parse("1234.5", "USD"), "US$1.234,50"),
    ],
)
def test_indonesian_display_format(money, text):
    assert money.format() == text
    assert str(money) == text


def test_canonical_string_uses_a_dot_and_all_decimals():
    assert Money.parse("1500000").to_str() == "1500000.00"
    assert Money(-5).to_str() == "-0.05"
    assert Money(1500, "JPY").to_str() == "1500"


# --- arithmetic -------------------------------------------------------------------------------


def test_arithmetic_and_comparison_within_one_currency():
    a, b = Money.parse("100.50"), Money.parse("0.75")
    assert a + b == Money.parse("101.25")
    assert a - b == Money.parse("99.75")
    assert b - a == Money.parse("-99.75")
    assert -a == Money.parse("-100.50")
    assert b < a
    assert b <= a
    assert a > b
    assert a >= b
    assert a >= Money.parse("100.50")
    assert not a < Money.parse("100.50")
    assert Money.zero() == Money(0)
    assert not Money.zero().is_positive()
    assert a.is_positive()
    assert not (-a).is_positive()


@pytest.mark.parametrize(
    ("left", "right", "lt", "le", "gt", "ge"),
    [
        (100, 100, False, True, False, True),  # equal: only <= and >= hold
        (100, 101, True, True, False, False),  # one sen less
        (101, 100, False, False, True, True),  # one sen more
        (-1, 0, True, True, False, False),
    ],
)
def test_comparisons_at_equality_and_one_sen_apart(left, right, lt, le, gt, ge):
    a, b = Money(left), Money(right)
    assert (a < b, a <= b, a > b, a >= b) == (lt, le, gt, ge)


def test_only_amounts_above_zero_are_positive():
    assert Money(1).is_positive()
    assert not Money(0).is_positive()
    assert not Money(-1).is_positive()


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_mixing_currencies_is_refused(combine):
    with pytest.raises(CurrencyMismatch):
        combine(Money.parse("100"), Money.parse("100", "USD"))


def test_amounts_in_different_currencies_are_never_equal():
    assert Money(100, "IDR") != Money(100, "USD")


def test_combining_money_with_a_plain_number_is_refused():
    with pytest.raises(TypeError):
        Money.parse("1") + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = Money.parse("1") < 2  # type: ignore[operator]


def test_sums_beyond_the_range_are_refused():
    with pytest.raises(InvalidAmount, match="out of range"):
        Money(MAX_MINOR) + Money(1)


# --- allocation -------------------------------------------------------------------------------


def test_allocate_gives_the_leftover_unit_to_the_earliest_largest_remainder():
    assert [m.minor for m in allocate(Money(100), [1, 1, 1])] == [34, 33, 33]
    assert [m.minor for m in allocate(Money(101), [1, 1, 1])] == [34, 34, 33]
    assert [m.minor for m in allocate(Money(10), [1, 2])] == [3, 7]


def test_allocate_domain_shu_example():
    # SHU Rp60,000,000: JU 25 % and JM 20 %; the member's transaction share 5/75, capital 2/100.
    shu = Money.parse("60000000")
    ju, jm, _rest = allocate(shu, [25, 20, 55])
    assert ju == Money.parse("15000000")
    assert jm == Money.parse("12000000")
    member_ju = allocate(ju, [5, 70])[0]
    member_jm = allocate(jm, [2, 98])[0]
    assert member_ju + member_jm == Money.parse("1240000")


def test_allocate_keeps_the_currency_and_gives_zero_weights_nothing():
    parts = allocate(Money(7, "USD"), [0, 3, 0, 1])
    assert [p.minor for p in parts] == [0, 5, 0, 2]
    assert {p.currency for p in parts} == {"USD"}


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [-3], [-1], [3, -1], [0, -1, 2]])
def test_allocate_refuses_weights_that_cannot_share(weights):
    with pytest.raises(InvalidAmount):
        allocate(Money(100), weights)


@given(
    st.integers(-(10**15), 10**15),
    st.lists(st.integers(0, 10**9), min_size=1, max_size=30),
)
def test_allocation_is_exact_and_each_part_within_one_unit_of_its_share(total, weights):
    assume(sum(weights) > 0)
    parts = allocate(Money(total), weights)
    assert len(parts) == len(weights)
    assert sum(p.minor for p in parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        share = Fraction(total * weight, weight_sum)
        assert abs(part.minor - share) < 1
        if weight == 0:
            assert part.minor == 0
