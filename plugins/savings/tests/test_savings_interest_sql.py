"""The end of day's interest computed by the database (``kopcore_savings.interest_sql``) against
the Python rules (``interest.settle_python``): hand-checked figures, extreme amounts, and random
accounts, balance histories, rate changes, minimum balances, rounding units, withholding-tax
changes, carried-over interest and closed accounts, on the database the tests run on (SQLite,
or PostgreSQL with ``KOPCORE_TEST_DATABASE``).

Each case writes its accrual rows and product parameters in a transaction that is rolled back,
so one cooperative serves every example.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from kopcore_savings import interest, interest_sql
from kopcore_savings.settlement import Settlement
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import carried_interest, interest_days, products, tax_changes
from savings_coop import Coop

from kopcore import query
from kopcore.context import Context

CODES = ("PA", "PB")
PERIOD_END = date(2026, 3, 31)  # a quarter: January to March
MAX_MINOR = 10**17


class _Rollback(Exception):
    """Carries a case's results out of the transaction it rolls back."""

    def __init__(self, value: Any) -> None:
        self.value = value


@pytest.fixture
def accounts(coop: Coop) -> list[int]:
    """Two quarterly products with two accounts each; their ids, in order."""
    for code in CODES:
        coop.product(code, "sukarela", interest_rate="3", posting_months=3)
    member = coop.member()
    numbers = [coop.open(member, code) for code in CODES for _ in range(2)]
    return coop.kernel.read("auditor", lambda ctx: [
        int(ctx.conn.execute(sa.select(query.accounts.c.id)
                             .where(query.accounts.c.number == n)).scalar_one())
        for n in numbers])


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """Product parameters, and per account its accrual rows (a day, the balance, the rate),
    carried-over interest and whether it is closed."""
    product_params = {}
    for code in CODES:
        months = [date(2026, m, 1) for m in (1, 2, 3)]
        changes = draw(st.lists(st.tuples(
            st.sampled_from(months), st.sampled_from([0, 100_000, 150_000, 1_000_000]),
            st.sampled_from([0, 1, 24_000_000, 10**9])), max_size=2, unique_by=lambda c: c[0]))
        product_params[code] = {
            "interest_method": draw(st.sampled_from(["daily", "average", "lowest"])),
            "days_in_year": draw(st.sampled_from([365, 360])),
            "rounding_unit": draw(st.sampled_from([1, 2, 3, 100, 5_000, 10_000, 10**6])),
            "tax_rate_ppm": draw(st.sampled_from([0, 100_000, 200_000, 1, 999_999])),
            "tax_threshold": draw(st.sampled_from([0, 1, 2_000_000, 24_000_000, 10**12])),
            "minimum": draw(st.sampled_from(["zero", "random", "lowest", "average", "above"])),
            "random_minimum": draw(st.integers(0, 10**9)),
            "changes": changes,
        }
    balance = st.one_of(st.integers(0, 10**4), st.integers(0, 10**9),
                        st.integers(0, MAX_MINOR), st.just(MAX_MINOR))
    rate = st.one_of(st.just(30_000), st.integers(1, 1_000_000))
    per_account = []
    for _ in range(4):
        first = draw(st.integers(0, 89))
        count = draw(st.integers(0, 90 - first))
        days = [date(2026, 1, 1) + timedelta(days=first + k) for k in range(count)]
        skipped = draw(st.sets(st.integers(0, max(count - 1, 0)), max_size=5))
        rows, current, rate_now = [], draw(balance), draw(rate)
        for k, day in enumerate(days):
            if k in skipped:  # a day at 0 % (not accrued)
                continue
            if draw(st.integers(0, 9)) == 0:
                current = draw(balance)
            if draw(st.integers(0, 19)) == 0:
                rate_now = draw(rate)
            rows.append((day, current, rate_now))
        per_account.append({
            "rows": rows,
            "carried": draw(st.one_of(st.none(), st.integers(0, 10**6),
                                      st.integers(0, MAX_MINOR))),
            "closed": draw(st.integers(0, 5)) == 0,
        })
    return {"products": product_params, "accounts": per_account}


def _minimum(params: dict[str, Any], balances: list[int]) -> int:
    kind = params["minimum"]
    if kind == "random" or not balances:
        return int(params["random_minimum"])
    if kind == "lowest":
        return min(balances)
    if kind == "average":  # the floor of the average: earns, one more does not
        return sum(balances) // len(balances)
    if kind == "above":
        return -(-sum(balances) // len(balances))  # the ceiling: earns only if exact
    return 0


def _write_case(ctx: Context, ids: list[int], case: dict[str, Any]) -> None:
    by_product: dict[str, list[int]] = {code: [] for code in CODES}
    for account_id, code in zip(ids, [c for c in CODES for _ in range(2)], strict=True):
        spec = case["accounts"][ids.index(account_id)]
        by_product[code] += [balance for _, balance, _ in spec["rows"]]
        if spec["rows"]:
            ctx.conn.execute(interest_days.insert(), [
                {"account_id": account_id, "business_date": day, "balance": balance,
                 "rate_ppm": rate} for day, balance, rate in spec["rows"]])
        if spec["carried"] is not None:
            ctx.conn.execute(carried_interest.insert().values(
                account_id=account_id, amount=spec["carried"], through=date(2025, 12, 31)))
        if spec["closed"]:
            # closed outside savings, at zero, with its accrual rows not yet paid
            ctx.conn.execute(sa.text("UPDATE accounts SET status = 'closed' WHERE id = :id"),
                             {"id": account_id})
    for code, params in case["products"].items():
        ctx.conn.execute(products.update().where(products.c.code == code).values(
            interest_method=params["interest_method"], days_in_year=params["days_in_year"],
            rounding_unit=params["rounding_unit"], tax_rate_ppm=params["tax_rate_ppm"],
            tax_threshold=params["tax_threshold"],
            interest_min_balance=_minimum(params, by_product[code])))
        for valid_from, rate, threshold in params["changes"]:
            ctx.conn.execute(tax_changes.insert().values(
                product_code=code, valid_from=valid_from, rate_ppm=rate, threshold=threshold))


def both(coop: Coop, ids: list[int], case: dict[str, Any], up_to: date = PERIOD_END
         ) -> tuple[Settlement, Settlement]:
    """(Python's, the database's) settlement of the case, written and rolled back."""
    s = savings_accounts.c
    where = sa.and_(s.account_id.between(min(ids), max(ids)), s.product_code.in_(CODES))

    def work(ctx: Context) -> None:
        _write_case(ctx, ids, case)
        span = (min(ids), max(ids))
        raise _Rollback((interest.settle_python(ctx, up_to, where, span),
                         interest_sql.settle_sql(ctx, up_to, where, span)))

    with pytest.raises(_Rollback) as done:
        coop.kernel.write("system", work)
    python, database = done.value.value
    return python, database


def _case(rows: list[list[tuple[date, int, int]]], *, method: str = "daily", year: int = 365,
          unit: int = 100, minimum: int = 0, tax_rate: int = 100_000,
          threshold: int = 24_000_000, carried: int | None = None) -> dict[str, Any]:
    params = {"interest_method": method, "days_in_year": year, "rounding_unit": unit,
              "tax_rate_ppm": tax_rate, "tax_threshold": threshold, "minimum": "random",
              "random_minimum": minimum, "changes": []}
    return {"products": dict.fromkeys(CODES, params),
            "accounts": [{"rows": r, "carried": carried if k == 0 else None, "closed": False}
                         for k, r in enumerate(rows + [[]] * (4 - len(rows)))]}


def _days(first: date, count: int, balance: int, rate: int) -> list[tuple[date, int, int]]:
    return [(first + timedelta(days=k), balance, rate) for k in range(count)]


def test_the_database_gives_the_hand_computed_figures(coop: Coop, accounts: list[int]) -> None:
    # Account 1: Rp10,000,000 at 3 % for 15 January days, then 0 % (no rows):
    #     10,000,000 x 3 % x 15 / 365 = 4,500,000 / 365 = Rp12,328.77 -> Rp12,329, no tax.
    # Account 2: Rp300,000,000 at 3 % for 15 days = 135,000,000 / 365 = Rp369,863.01
    #     -> Rp369,863, above Rp240,000: 10 % = Rp36,986.3 -> Rp36,986 tax.
    # Account 3: Rp1,000,000 for 31 January days and 28 February days at 3 %: January
    #     930,000 / 365 = Rp2,547.95, February 840,000 / 365 = Rp2,301.37; the running total
    #     rounds to Rp2,548 then Rp4,849 (1,770,000 / 365 = 4,849.32): February gets Rp2,301.
    rows = [_days(date(2026, 1, 5), 15, 1_000_000_000, 30_000),
            _days(date(2026, 1, 5), 15, 30_000_000_000, 30_000),
            _days(date(2026, 1, 1), 59, 100_000_000, 30_000)]
    python, database = both(coop, accounts, _case(rows))
    assert database == python
    assert {type(v) for r in database.records for v in (r["gross"], r["tax"])} == {int}
    assert {type(m[k]) for m in database.monthly for k in ("gross", "tax")} == {int}
    assert [(r["gross"], r["tax"], r["days"]) for r in database.records] == [
        (1_232_900, 0, 15), (36_986_300, 3_698_600, 15), (484_900, 0, 59)]
    assert [(m["month"], m["gross"]) for m in database.monthly][2:] == [
        ("2026-01", 254_800), ("2026-02", 230_100)]
    assert database.credits[1][1] == 36_986_300 - 3_698_600
    assert database.tax == 3_698_600


def test_exactly_half_rounds_up_and_just_under_rounds_down(coop: Coop, accounts: list[int]
                                                          ) -> None:
    # 100 % a year over 360 days, to the sen: Rp1.80 for one day is 0.5 sen -> 1 sen;
    # Rp1.79 is 0.497 sen -> 0. To Rp100 (unit 10,000 sen): Rp18,000 for one day is Rp50
    # -> Rp100; Rp17,999.99 -> Rp0.
    day = date(2026, 3, 31)
    half = _case([[(day, 180, 1_000_000)], [(day, 179, 1_000_000)]], year=360, unit=1)
    python, database = both(coop, accounts, half)
    assert database == python
    assert [r["gross"] for r in database.records] == [1, 0]
    rupiah = _case([[(day, 1_800_000, 1_000_000)], [(day, 1_799_999, 1_000_000)]], year=360,
                   unit=10_000)
    python, database = both(coop, accounts, rupiah)
    assert database == python
    assert [r["gross"] for r in database.records] == [10_000, 0]


def test_days_below_the_minimum_add_nothing_not_even_a_fraction(coop: Coop,
                                                                 accounts: list[int]) -> None:
    # Daily balance, 100 % over 360 days, to the sen, minimum Rp1.79: 26 days at Rp1.00 (below
    # it) then one day at Rp1.80 -> 0.5 sen -> 1 sen, or at Rp1.79 -> 0.497 sen -> 0. Had the
    # 26 days counted even one sen each, the second would reach 205 / 360 = 0.57 -> 1 sen.
    below = _days(date(2026, 3, 5), 26, 100, 1_000_000)
    case = _case([[*below, (date(2026, 3, 31), 180, 1_000_000)],
                  [*below, (date(2026, 3, 31), 179, 1_000_000)]], year=360, unit=1,
                 minimum=179)
    python, database = both(coop, accounts, case)
    assert database == python
    assert [(r["gross"], r["days"]) for r in database.records] == [(1, 27), (0, 27)]


def test_the_largest_balances_at_a_hundred_percent_do_not_overflow(coop: Coop,
                                                                   accounts: list[int]) -> None:
    # 10^17 sen (the money range) every day of 10,000 days at 100 % a year over 360 days, by
    # every method, with the largest carried-over interest: SQLite's 64-bit integers would
    # overflow on balance x rate x days (10^27); the split sums stay under 3.7 x 10^18.
    # Daily: 10^17 x 10,000 / 360 = 2,777,777,777,777,777,777.8 -> ...778 sen, and the
    # carried 10^17 on top.
    rows = [_days(PERIOD_END - timedelta(days=9_999), 10_000, MAX_MINOR, 1_000_000)]
    for method in ("daily", "average", "lowest"):
        case = _case(rows, method=method, year=360, unit=1, tax_rate=1_000_000, threshold=0,
                     carried=MAX_MINOR, minimum=MAX_MINOR)
        python, database = both(coop, accounts, case)
        assert database == python, method
        assert database.records[0]["gross"] == 2_777_777_777_777_777_778 + MAX_MINOR, method
        assert database.records[0]["tax"] == database.records[0]["gross"], method


@pytest.mark.parametrize(("balance", "carried"), [(-100, None), (-1, None), (100, -1)])
def test_a_negative_balance_or_carried_interest_is_refused_as_the_rules_refuse_it(
        coop: Coop, accounts: list[int], balance: int, carried: int | None) -> None:
    # A balance one sen below zero, or carried-over interest of minus one sen: refused.
    case = _case([[(date(2026, 3, 1), balance, 30_000), (date(2026, 3, 2), 100, 30_000)]],
                 method="average", carried=carried)
    s = savings_accounts.c
    where = sa.and_(s.account_id.between(min(accounts), max(accounts)),
                    s.product_code.in_(CODES))

    def work(ctx: Context) -> None:
        _write_case(ctx, accounts, case)
        interest_sql.settle_sql(ctx, PERIOD_END, where, (min(accounts), max(accounts)))

    with pytest.raises(ValueError, match="never negative"):
        coop.kernel.write("system", work)


def test_carried_over_interest_of_zero_is_paid_as_nothing(coop: Coop, accounts: list[int]
                                                          ) -> None:
    # A cut-over row of Rp0 carried: accepted, and the account earns its month alone:
    # Rp1,000,000 x 3 % x 31 / 365 = 930,000 / 365 = Rp2,547.95 -> Rp2,548.
    case = _case([_days(date(2026, 3, 1), 31, 100_000_000, 30_000)], carried=0)
    python, database = both(coop, accounts, case)
    assert database == python
    assert database.records[0]["gross"] == 254_800
    assert database.paid_carried == [accounts[0]]


K = 1_000_000_000  # Rp10,000,000 in sen: where the average's sums split (interest_sql.K)


@pytest.mark.parametrize(("minimum", "gross"), [(K * 5 // 2, 410_959), (K * 5 // 2 + 1, 0)])
def test_the_average_balance_is_held_to_its_minimum_to_the_sen(
        coop: Coop, accounts: list[int], minimum: int, gross: int) -> None:
    # Two days at Rp30,000,000 and Rp20,000,000.01: the average is Rp25,000,000.005, whose
    # floor Rp25,000,000.00 reaches a minimum of exactly that and not one sen more. Earned:
    # 5,000,000,001 sen x 3 % / 365 = 150,000,000,030,000 / 365,000,000 = 410,958.90 sen
    # -> 410,959 (to the sen); below the minimum nothing.
    case = _case([[(date(2026, 3, 1), 3 * K, 30_000), (date(2026, 3, 2), 2 * K + 1, 30_000)]],
                 method="average", unit=1, minimum=minimum)
    python, database = both(coop, accounts, case)
    assert database == python
    assert database.records[0]["gross"] == gross


def test_tax_is_due_above_the_threshold_not_on_it(coop: Coop, accounts: list[int]) -> None:
    # One day at 100 % over 360 days, to the sen: Rp86,400,000 earns exactly Rp240,000, the
    # threshold: no tax; Rp86,400,003.60 earns Rp240,000.01: 10 % = 2,400,000.1 -> 2,400,000
    # sen of tax.
    day = date(2026, 3, 31)
    case = _case([[(day, 8_640_000_000, 1_000_000)], [(day, 8_640_000_360, 1_000_000)]],
                 year=360, unit=1, tax_rate=100_000, threshold=24_000_000)
    python, database = both(coop, accounts, case)
    assert database == python
    assert [(r["gross"], r["tax"]) for r in database.records] == [
        (24_000_000, 0), (24_000_001, 2_400_000)]


@given(case=cases())
def test_the_database_and_the_python_rules_agree(coop: Coop, accounts: list[int],
                                                 case: dict[str, Any]) -> None:
    python, database = both(coop, accounts, case)
    assert database == python
