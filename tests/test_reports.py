"""Statements and financial reports, computed from postings across business dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import kopcore
from kopcore import ledger
from kopcore.context import Context
from kopcore.eod import current_business_date, run_end_of_day
from kopcore.errors import NotFound, PluginError, ValidationError
from kopcore.ledger._reports import GLBalance, gl_balances
from kopcore.money import Money
from kopcore.records import GLAccountSpec, GLType
from tests.builders import active_member, capitalise, cash_account, member_account, rp, transfer
from tests.conftest import START_DATE

DAY1, DAY2, DAY3 = START_DATE, START_DATE + timedelta(days=1), START_DATE + timedelta(days=2)
CASH, SAVINGS = "CASH-01", "SAV-01"


def three_days(kernel) -> dict[str, ledger.JournalEntry]:
    """A small cooperative's first three business days.

    Day 1: Rp1,000,000 capital in cash; a member deposits Rp100,000.
    Day 2: deposits Rp50,000, withdraws Rp30,000, pays a Rp2,500 admin fee from savings.
    Day 3: withdraws Rp20,000; the cooperative buys a Rp300,000 cash box, books Rp5,000
    depreciation and pays Rp40,000 of general expenses.
    """
    entries: dict[str, ledger.JournalEntry] = {}

    def day1(ctx: Context) -> None:
        cash_account(ctx, CASH)
        entries["capital"] = capitalise(ctx, CASH, rp("1000000"))
        member_account(ctx, active_member(ctx), SAVINGS)
        entries["deposit1"] = transfer(ctx, CASH, SAVINGS, rp("100000"), memo="setoran")

    def day2(ctx: Context) -> None:
        entries["deposit2"] = transfer(ctx, CASH, SAVINGS, rp("50000"), memo="setoran")
        entries["withdrawal2"] = transfer(ctx, SAVINGS, CASH, rp("30000"), memo="penarikan")
        entries["fee"] = transfer(ctx, SAVINGS, "GL-income.fees", rp("2500"), memo="biaya adm")

    def day3(ctx: Context) -> None:
        entries["withdrawal3"] = transfer(ctx, SAVINGS, CASH, rp("20000"), memo="penarikan")
        entries["asset"] = transfer(ctx, "GL-fixed_assets", CASH, rp("300000"), memo="brankas")
        entries["depreciation"] = transfer(ctx, "GL-expense.depreciation",
                                           "GL-fixed_assets.depreciation", rp("5000"),
                                           memo="penyusutan")
        entries["expense"] = transfer(ctx, "GL-expense.general", CASH, rp("40000"),
                                      memo="listrik")

    kernel.write("teller", day1)
    run_end_of_day(kernel)
    kernel.write("teller", day2)
    run_end_of_day(kernel)
    kernel.write("teller", day3)
    return entries


def read(kernel, work):
    return kernel.read("auditor", work)


# --- business dates ---------------------------------------------------------------------------


def test_entries_carry_the_business_date_they_were_posted_on(kernel):
    entries = three_days(kernel)
    assert current_business_date(kernel) == DAY3
    assert entries["deposit1"].business_date == DAY1
    assert entries["fee"].business_date == DAY2
    assert entries["expense"].business_date == DAY3


# --- statements -------------------------------------------------------------------------------


def test_statement_has_an_opening_balance_and_a_running_balance(kernel):
    entries = three_days(kernel)
    statement = read(kernel, lambda ctx: ledger.statement(ctx, SAVINGS, DAY2, DAY3))
    assert statement.account == SAVINGS
    assert (statement.from_date, statement.to_date) == (DAY2, DAY3)
    assert statement.opening_balance == rp("100000")
    assert [(line.entry_id, line.business_date, line.memo, line.debit, line.credit, line.balance)
            for line in statement.lines] == [
        (entries["deposit2"].id, DAY2, "setoran", rp("0"), rp("50000"), rp("150000")),
        (entries["withdrawal2"].id, DAY2, "penarikan", rp("30000"), rp("0"), rp("120000")),
        (entries["fee"].id, DAY2, "biaya adm", rp("2500"), rp("0"), rp("117500")),
        (entries["withdrawal3"].id, DAY3, "penarikan", rp("20000"), rp("0"), rp("97500")),
    ]
    assert statement.closing_balance == rp("97500")
    account = read(kernel, lambda ctx: ledger.get_account(ctx, SAVINGS))
    assert statement.closing_balance == account.balance


def test_statement_of_an_asset_account_runs_on_the_debit_side(kernel):
    three_days(kernel)
    statement = read(kernel, lambda ctx: ledger.statement(ctx, CASH, DAY1, DAY1))
    assert statement.opening_balance == Money(0)
    assert [line.balance for line in statement.lines] == [rp("1000000"), rp("1100000")]
    assert [line.debit for line in statement.lines] == [rp("1000000"), rp("100000")]
    assert statement.closing_balance == rp("1100000")


def test_statement_for_a_quiet_period_shows_the_balance_carried_forward(kernel):
    three_days(kernel)
    later = DAY3 + timedelta(days=10)
    statement = read(kernel, lambda ctx: ledger.statement(ctx, SAVINGS, later, later))
    assert statement.lines == []
    assert statement.opening_balance == statement.closing_balance == rp("97500")


def test_statement_cut_off_by_its_line_limit_still_closes_on_the_true_balance(kernel):
    three_days(kernel)
    statement = read(kernel, lambda ctx: ledger.statement(ctx, SAVINGS, DAY1, DAY3, limit=2))
    assert [line.balance for line in statement.lines] == [rp("100000"), rp("150000")]
    assert statement.closing_balance == rp("97500")


def test_statement_refuses_a_backwards_period_and_unknown_accounts(kernel):
    three_days(kernel)
    with pytest.raises(ValidationError, match="from_date"):
        read(kernel, lambda ctx: ledger.statement(ctx, SAVINGS, DAY3, DAY2))
    with pytest.raises(NotFound):
        read(kernel, lambda ctx: ledger.statement(ctx, "NOPE", DAY1, DAY3))


def test_balance_as_of_any_date(kernel):
    three_days(kernel)
    expected = {
        DAY1 - timedelta(days=1): Money(0),
        DAY1: rp("100000"),
        DAY2: rp("117500"),
        DAY3: rp("97500"),
        date(2027, 1, 1): rp("97500"),
    }
    for as_of, amount in expected.items():
        assert read(kernel, lambda ctx, d=as_of: ledger.balance_as_of(ctx, SAVINGS, d)) == amount
    assert read(kernel, lambda ctx: ledger.balance_as_of(ctx, CASH, DAY2)) == rp("1120000")
    assert read(kernel, lambda ctx: ledger.balance_as_of(ctx, CASH, DAY3)) == rp("760000")
    with pytest.raises(NotFound):
        read(kernel, lambda ctx: ledger.balance_as_of(ctx, "NOPE", DAY3))


def test_a_reversal_changes_the_day_it_is_posted_not_the_past(kernel):
    entries = three_days(kernel)
    kernel.write("manager", lambda ctx: ledger.reverse_entry(ctx, entries["fee"].id))
    assert read(kernel, lambda ctx: ledger.balance_as_of(ctx, SAVINGS, DAY2)) == rp("117500")
    assert read(kernel, lambda ctx: ledger.balance_as_of(ctx, SAVINGS, DAY3)) == rp("100000")
    statement = read(kernel, lambda ctx: ledger.statement(ctx, SAVINGS, DAY3, DAY3))
    assert [(line.credit, line.balance) for line in statement.lines] == [
        (rp("0"), rp("97500")), (rp("2500"), rp("100000"))]
    results = read(kernel, lambda ctx: ledger.operating_results(ctx, DAY3, DAY3, "IDR"))
    assert results["income"].total == rp("-2500")


# --- trial balance ----------------------------------------------------------------------------


def test_trial_balance_lists_each_gl_account_on_its_side_and_totals_agree(kernel):
    three_days(kernel)
    trial = read(kernel, lambda ctx: ledger.trial_balance(ctx, DAY3))
    assert trial["as_of"] == DAY3
    assert {line.key: (line.debit, line.credit) for line in trial["lines"]} == {
        "cash": (rp("760000"), rp("0")),
        "fixed_assets": (rp("300000"), rp("0")),
        "fixed_assets.depreciation": (rp("0"), rp("5000")),
        "payable.other": (rp("0"), rp("97500")),
        "equity.grants": (rp("0"), rp("1000000")),
        "income.fees": (rp("0"), rp("2500")),
        "expense.general": (rp("40000"), rp("0")),
        "expense.depreciation": (rp("5000"), rp("0")),
    }
    assert [line.code for line in trial["lines"]] == sorted(line.code for line in trial["lines"])
    assert trial["totals"] == {"IDR": (rp("1105000"), rp("1105000"))}


def test_trial_balance_as_of_an_earlier_date_leaves_out_later_entries(kernel):
    three_days(kernel)
    trial = read(kernel, lambda ctx: ledger.trial_balance(ctx, DAY1))
    assert {line.key: line.net for line in trial["lines"]} == {
        "cash": 110_000_000, "payable.other": -10_000_000, "equity.grants": -100_000_000}
    assert trial["totals"] == {"IDR": (rp("1100000"), rp("1100000"))}


def test_balances_up_to_the_last_entry_sum_the_accounts_and_agree_with_the_journal(kernel):
    """Up to a date no entry is after, the GL balances are summed from the accounts' balances
    (one row each) instead of the journal; both ways give the same figures, and a date before
    the last entry still reads the journal."""
    three_days(kernel)

    def both(ctx: Context, as_of: date) -> tuple[list[GLBalance], list[GLBalance]]:
        # from_date before any entry keeps the journal path and changes no figure.
        return (gl_balances(ctx, as_of=as_of),
                gl_balances(ctx, as_of=as_of, from_date=date(2000, 1, 1)))

    for as_of in (DAY3, DAY3 + timedelta(days=30), DAY2, DAY1):
        from_accounts, from_journal = read(kernel, lambda ctx, d=as_of: both(ctx, d))
        assert from_accounts == from_journal, as_of
    # The accounts' balances are what the fast path reads: a balance set apart from its
    # postings would show there, up to the last entry only (kopcore verify reports it).
    def tamper(ctx: Context) -> None:
        from sqlalchemy import update

        from kopcore._db import tables as t
        ctx.conn.execute(update(t.accounts).where(t.accounts.c.number == SAVINGS)
                         .values(balance=t.accounts.c.balance - 1))

    kernel.write("admin", tamper)
    today, _ = read(kernel, lambda ctx: both(ctx, DAY3))
    earlier, journal = read(kernel, lambda ctx: both(ctx, DAY2))
    assert {b.key: b.net for b in today}["payable.other"] == -9_750_001
    assert earlier == journal


def test_trial_balance_totals_agree_per_currency(kernel):
    def work(ctx: Context) -> None:
        capitalise(ctx, cash_account(ctx).number, rp("1000"))
        for number, gl in (("CASH-USD", "cash"), ("DEP-USD", "payable.other")):
            ledger.open_account(ctx, name=number, gl_key=gl, plugin="kopcore", number=number,
                                currency="USD")
        transfer(ctx, "CASH-USD", "DEP-USD", Money.parse("250.75", "USD"))

    kernel.write("teller", work)
    trial = read(kernel, lambda ctx: ledger.trial_balance(ctx, DAY1))
    assert trial["totals"] == {
        "IDR": (rp("1000"), rp("1000")),
        "USD": (Money.parse("250.75", "USD"), Money.parse("250.75", "USD")),
    }
    position = read(kernel, lambda ctx: ledger.financial_position(ctx, DAY1, "USD"))
    assert position["assets"].total == Money.parse("250.75", "USD")
    assert position["liabilities"].total == Money.parse("250.75", "USD")
    assert position["equity"].total == Money.zero("USD")


# --- financial statements ---------------------------------------------------------------------


def test_financial_position_balances_with_the_current_surplus(kernel):
    three_days(kernel)
    position = read(kernel, lambda ctx: ledger.financial_position(ctx, DAY3, "IDR"))
    assert position["as_of"] == DAY3
    assets = {line.key: line.balance for line in position["assets"].lines}
    assert assets == {"cash": rp("760000"), "fixed_assets": rp("300000"),
                      "fixed_assets.depreciation": rp("-5000")}  # contra-asset reduces assets
    assert position["assets"].total == rp("1055000")
    assert position["liabilities"].total == rp("97500")
    assert position["equity"].total == rp("1000000")
    assert position["current_surplus"] == rp("-42500")  # 2,500 income less 45,000 expenses
    assert position["liabilities_and_equity"] == position["assets"].total
    assert all(line.type is GLType.ASSET for line in position["assets"].lines)


def test_financial_position_balances_on_every_day(kernel):
    three_days(kernel)
    for day in (DAY1 - timedelta(days=1), DAY1, DAY2, DAY3):
        position = read(kernel, lambda ctx, d=day: ledger.financial_position(ctx, d, "IDR"))
        assert position["assets"].total == position["liabilities_and_equity"], day
    position = read(kernel, lambda ctx: ledger.financial_position(ctx, DAY2, "IDR"))
    assert position["assets"].total == rp("1120000")
    assert position["current_surplus"] == rp("2500")


def test_operating_results_cover_only_the_period(kernel):
    three_days(kernel)
    expected = {
        (DAY1, DAY1): (rp("0"), rp("0")),
        (DAY2, DAY2): (rp("2500"), rp("0")),
        (DAY3, DAY3): (rp("0"), rp("45000")),
        (DAY1, DAY3): (rp("2500"), rp("45000")),
        (DAY3 + timedelta(days=1), DAY3 + timedelta(days=30)): (rp("0"), rp("0")),
    }
    for (start, end), (income, expenses) in expected.items():
        results = read(kernel, lambda ctx, s=start, e=end: ledger.operating_results(
            ctx, s, e, "IDR"))
        assert (results["from_date"], results["to_date"]) == (start, end)
        assert results["income"].total == income, (start, end)
        assert results["expenses"].total == expenses, (start, end)
        assert results["surplus"] == income - expenses
    full = read(kernel, lambda ctx: ledger.operating_results(ctx, DAY1, DAY3, "IDR"))
    assert {line.key: line.balance for line in full["expenses"].lines} == {
        "expense.general": rp("40000"), "expense.depreciation": rp("5000")}
    assert {line.key: line.balance for line in full["income"].lines} == {
        "income.fees": rp("2500")}


class TemporaryFunds:
    """A plugin presenting one liability account between liabilities and equity."""

    def __init__(self, gl_type: GLType = GLType.LIABILITY) -> None:
        self.gl_type = gl_type

    @kopcore.hookimpl
    def kopcore_gl_accounts(self) -> list[GLAccountSpec]:
        return [GLAccountSpec("tf.syirkah", "2991", "Tabungan Mudharabah", self.gl_type,
                              position_section="Dana Syirkah Temporer")]


def test_a_declared_position_section_stands_between_liabilities_and_equity(make_kernel):
    kernel = make_kernel(extra_plugins=(("tf", TemporaryFunds()),))
    three_days(kernel)

    def place(ctx: Context) -> None:
        transfer(ctx, CASH, "GL-tf.syirkah", rp("400000"), memo="setoran mudharabah")

    kernel.write("admin", place)
    position = read(kernel, lambda ctx: ledger.financial_position(ctx, DAY3, "IDR"))
    (section,) = position["between_liabilities_and_equity"]
    assert section.title == "Dana Syirkah Temporer"
    assert [(b.key, b.balance) for b in section.lines] == [("tf.syirkah", rp("400000"))]
    assert section.total == rp("400000")
    assert "tf.syirkah" not in {b.key for b in position["liabilities"].lines}
    assert position["liabilities"].total == rp("97500")
    assert position["liabilities_and_equity"] == position["assets"].total == rp("1455000")
    # The account keeps its type everywhere else.
    lines = read(kernel, lambda ctx: ledger.trial_balance(ctx, DAY3)["lines"])
    assert {b.key: b.type for b in lines}["tf.syirkah"] is GLType.LIABILITY


def test_only_a_liability_or_equity_account_may_name_a_position_section(make_kernel):
    with pytest.raises(PluginError, match="position section"):
        make_kernel(extra_plugins=(("tf", TemporaryFunds(GLType.ASSET)),))
