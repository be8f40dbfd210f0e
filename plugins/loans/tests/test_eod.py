"""End of day: accrual, penalties, days past due, kolektibilitas and the allowance (PPAP)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
import sqlalchemy as sa
from kopcore_loans import eod as loans_eod
from kopcore_loans.eod import chunk_figures, daily_penalty
from kopcore_loans.loan import Loan, days_past_due, earned_interest, get_loan, schedule_rows
from kopcore_loans.products import CollectibilityClass, PenaltyBase, replace_classes
from kopcore_loans.repayment import dues, repay
from kopcore_loans.tables import installments, loans, products
from loans_helpers import balance, books_balance, cash, disbursed_loan, member, product

from kopcore import hookimpl, ledger
from kopcore.context import Context
from kopcore.eod import run_end_of_day
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import PostingLine, SettlementAccount, Side

RP = 100
FIRST_DUE = date(2026, 2, 5)  # loans are disbursed on the fixture's start date, 2026-01-05


def unpaid_loan(kernel: Kernel, **product_args: object) -> Loan:
    def work(ctx: Context) -> Loan:
        cash(ctx)
        return disbursed_loan(ctx, member(ctx), product(ctx, **product_args).code)
    return kernel.write("admin", work)


def state(kernel: Kernel, number: str) -> Loan:
    return kernel.read("x", lambda ctx: get_loan(ctx, number))


def close_day(kernel: Kernel, day: date) -> None:
    """Run end of day up to and including ``day`` (the business date becomes day + 1)."""
    run_end_of_day(kernel, until=day + timedelta(days=1))


def test_unpaid_loan_walks_through_every_class_on_the_right_days(loans_kernel: Kernel) -> None:
    loan = unpaid_loan(loans_kernel, accounting="cash")
    allowance = "GL-loans.allowance"
    close_day(loans_kernel, date(2026, 1, 5))
    first = state(loans_kernel, loan.number)
    assert (first.collectibility, first.allowance) == ("L", 60_000 * RP)  # 0.5 % of 12 M
    assert balance(loans_kernel, allowance) == 60_000 * RP
    # (last day in the class, its class, first day of the next class, the next class, PPAP)
    steps = [
        (FIRST_DUE + timedelta(days=90), "L", "KL", 1_200_000),
        (FIRST_DUE + timedelta(days=120), "KL", "D", 6_000_000),
        (FIRST_DUE + timedelta(days=180), "D", "M", 12_000_000),
    ]
    for last_day, cls, next_cls, next_allowance in steps:
        close_day(loans_kernel, last_day)
        before = state(loans_kernel, loan.number)
        assert before.collectibility == cls
        assert before.days_past_due == (last_day - FIRST_DUE).days
        close_day(loans_kernel, last_day + timedelta(days=1))
        after = state(loans_kernel, loan.number)
        assert after.collectibility == next_cls
        assert after.allowance == next_allowance * RP
        assert balance(loans_kernel, allowance) == next_allowance * RP
        assert balance(loans_kernel, "GL-loans.allowance_expense") == next_allowance * RP
    books_balance(loans_kernel)


def test_paying_the_arrears_brings_the_loan_back_and_releases_allowance(
        loans_kernel: Kernel) -> None:
    loans_kernel.write("manager", lambda ctx: replace_classes(ctx, [
        CollectibilityClass("L", "Lancar", 0, Decimal("0.5"), False),
        CollectibilityClass("KL", "Kurang Lancar", 3, Decimal(10), True),
    ]))
    loan = unpaid_loan(loans_kernel, accounting="cash")
    close_day(loans_kernel, FIRST_DUE + timedelta(days=3))
    late = state(loans_kernel, loan.number)
    assert (late.collectibility, late.allowance) == ("KL", 1_200_000 * RP)

    def pay_all_due(ctx: Context) -> None:
        current = get_loan(ctx, loan.number)
        owed = dues(current, schedule_rows(ctx, current.id), ctx.business_date)
        assert owed == 1_180_000 * RP
        repay(ctx, current, ledger.get_account(ctx, "CASH-01"), Money(owed), memo="lunas")
    loans_kernel.write("teller", pay_all_due)
    close_day(loans_kernel, FIRST_DUE + timedelta(days=4))
    back = state(loans_kernel, loan.number)
    assert (back.days_past_due, back.collectibility) == (0, "L")
    assert back.allowance == 55_000 * RP  # 0.5 % of the 11 M left
    assert balance(loans_kernel, "GL-loans.allowance") == back.allowance
    assert balance(loans_kernel, "GL-loans.allowance_expense") == back.allowance
    books_balance(loans_kernel)


def test_interest_accrues_daily_and_is_whole_on_the_due_date(loans_kernel: Kernel) -> None:
    loan = unpaid_loan(loans_kernel, method="anuitas")
    close_day(loans_kernel, date(2026, 1, 20))  # 15 of the period's 31 days
    assert balance(loans_kernel, f"{loan.number}-J") == 180_000 * RP * 15 // 31
    close_day(loans_kernel, FIRST_DUE)
    assert balance(loans_kernel, f"{loan.number}-J") == 180_000 * RP
    assert balance(loans_kernel, "GL-loans.interest_income") == 180_000 * RP
    books_balance(loans_kernel)


def test_penalty_starts_after_the_grace_days(loans_kernel: Kernel) -> None:
    loan = unpaid_loan(loans_kernel, accounting="cash",
                       penalty_percent_per_day=Decimal("0.1"), grace_days=3)
    close_day(loans_kernel, FIRST_DUE + timedelta(days=3))
    assert state(loans_kernel, loan.number).penalty_due == 0
    close_day(loans_kernel, FIRST_DUE + timedelta(days=5))
    # Two days at 0.1 % of the overdue installment of 1,180,000.
    assert state(loans_kernel, loan.number).penalty_due == 2 * 1_180 * RP


def test_auto_debit_collects_due_installments_from_savings(make_kernel) -> None:
    class Savings:
        @hookimpl
        def kopcore_settlement_account(self, ctx, member, purpose, currency):
            return SettlementAccount(f"SV-{member.member_number}")

    kernel = make_kernel(plugins=("loans",), extra_plugins=[("fake-savings", Savings())])

    def work(ctx: Context) -> Loan:
        cash(ctx)
        borrower = member(ctx)
        ledger.open_account(ctx, name="Sukarela", gl_key="payable.other", plugin="kopcore",
                            member_id=borrower.id, number=f"SV-{borrower.member_number}",
                            floor=Money(0))
        ledger.post_entry(ctx, [
            PostingLine("CASH-01", Side.DEBIT, Money(2_000_000 * RP)),
            PostingLine(f"SV-{borrower.member_number}", Side.CREDIT, Money(2_000_000 * RP))],
            memo="setoran")
        return disbursed_loan(ctx, borrower, product(ctx).code, auto_debit=True)
    loan = kernel.write("admin", work)
    close_day(kernel, FIRST_DUE)
    after = state(kernel, loan.number)
    assert after.days_past_due == 0
    assert balance(kernel, loan.number) == 11_000_000 * RP
    savings = kernel.read("x", lambda ctx: ledger.member_accounts(ctx, after.member_id))
    assert [a.balance.minor for a in savings if a.number.startswith("SV-")] == [
        (2_000_000 - 1_180_000) * RP]
    books_balance(kernel)


# --- the figures end of day has the database compute, against the Python rules --------------

#: (version, seq, period_start, due_date, principal, interest, principal_paid, interest_paid,
#: interest_waived, status) of a schedule with every case the rules tell apart.
HAND_SCHEDULE = [
    (1, 1, date(2026, 1, 5), date(2026, 2, 5), 1000, 100, 0, 40, 0, "superseded"),
    (2, 1, date(2026, 1, 5), date(2026, 2, 5), 1000, 100, 1000, 100, 0, "paid"),
    (2, 2, date(2026, 1, 10), date(2026, 2, 10), 200, 20, 200, 20, 0, "open"),  # nothing unpaid
    (2, 3, date(2026, 2, 5), date(2026, 3, 5), 1000, 100, 400, 30, 0, "open"),  # 15 days late
    (2, 4, date(2026, 3, 5), date(2026, 4, 5), 1000, 93, 0, 0, 0, "open"),  # in progress
    (2, 5, date(2026, 4, 5), date(2026, 5, 5), 1000, 90, 0, 60, 0, "open"),  # interest paid ahead
    (2, 6, date(2026, 3, 10), date(2026, 3, 17), 500, 50, 0, 10, 20, "open"),  # waived, in grace
    (2, 7, date(2026, 2, 20), date(2026, 3, 20), 300, 28, 0, 0, 0, "open"),  # due on the day
]
HAND_DAY = date(2026, 3, 20)


def _rewrite_schedule(ctx: Context, loan_id: int, rows: list[tuple[Any, ...]]) -> None:
    ctx.conn.execute(sa.delete(installments).where(installments.c.loan_id == loan_id))
    keys = ("version", "seq", "period_start", "due_date", "principal", "interest",
            "principal_paid", "interest_paid", "interest_waived", "status")
    ctx.conn.execute(installments.insert(), [{"loan_id": loan_id, **dict(zip(keys, row,
                                                                           strict=True))}
                                             for row in rows])


def _figures(ctx: Context, loan_id: int, day: date, *, grace_days: int,
             base: PenaltyBase) -> tuple[int, int, int]:
    """(earned, days past due, overdue) as :func:`chunk_figures` computes them."""
    product_id = ctx.conn.execute(
        sa.select(loans.c.product_id).where(loans.c.id == loan_id)).scalar_one()
    ctx.conn.execute(sa.update(products).where(products.c.id == product_id)
                     .values(grace_days=grace_days, penalty_base=base.value))
    (row,) = chunk_figures(ctx, day, loan_id, loan_id)
    return row[11], row[12], row[13]


def _rules(ctx: Context, loan_id: int, day: date, *, grace_days: int,
           base: PenaltyBase) -> tuple[int, int, int]:
    """The same three figures from the plugin's Python rules (the penalty taken at 100 % a day
    to the minor unit is the overdue amount itself)."""
    rows = schedule_rows(ctx, loan_id, include_superseded=True)
    return (earned_interest(rows, day), days_past_due(rows, day),
            daily_penalty(rows, day, grace_days, Fraction(100), base, 1))


def test_figures_of_a_hand_computed_schedule(loans_kernel: Kernel) -> None:
    loan = unpaid_loan(loans_kernel)

    def work(ctx: Context) -> None:
        _rewrite_schedule(ctx, loan.id, HAND_SCHEDULE)
        # Earned: 40 (paid on the superseded row) + 100 + 20 + 100 (due rows in full)
        # + 93 * 15 // 31 = 45 (15 of the period's 31 days) + 60 (paid ahead, more than the
        # nothing accrued) + 30 (charged after the waiver) + 28 (due today) = 423.
        # Days past due: the oldest open row with something unpaid fell due on 5 March: 15.
        # Overdue beyond 3 days of grace: only the 5 March row, 600 principal + 70 interest.
        for base, overdue in ((PenaltyBase.INSTALLMENT, 670), (PenaltyBase.PRINCIPAL, 600)):
            expected = (423, 15, overdue)
            assert _rules(ctx, loan.id, HAND_DAY, grace_days=3, base=base) == expected
            assert _figures(ctx, loan.id, HAND_DAY, grace_days=3, base=base) == expected
        # The 17 March row (3 days late) counts once past a grace of 2 days: 520 more.
        assert _figures(ctx, loan.id, HAND_DAY, grace_days=2,
                        base=PenaltyBase.INSTALLMENT) == (423, 15, 1190)
        # Before anything fell due each row earns what was paid on it, 40 + 100 + 20 + 30 + 60
        # + 10 = 260: the accruals so far (100 * 10 // 31 = 32 on the 5 February row, 20 * 5
        # // 31 = 3 on the 10 February one, nothing on the rest) are smaller.
        for day in (date(2026, 1, 15), date(2026, 1, 5)):
            assert _rules(ctx, loan.id, day, grace_days=3, base=PenaltyBase.INSTALLMENT) \
                == (260, 0, 0)
            assert _figures(ctx, loan.id, day, grace_days=3, base=PenaltyBase.INSTALLMENT) \
                == (260, 0, 0)
    loans_kernel.write("admin", work)


def test_figures_of_a_large_amount_over_a_long_period(loans_kernel: Kernel) -> None:
    """Interest times days past 2**63 (the ledger holds amounts up to 10**17 minor units): the
    database computes the pro rata share without that product, exactly."""
    loan = unpaid_loan(loans_kernel)
    interest = 10**17 - 1

    def work(ctx: Context) -> None:
        _rewrite_schedule(ctx, loan.id, [
            (1, 1, date(2026, 1, 1), date(2026, 7, 1), 1, interest, 0, 0, 0, "open")])
        day = date(2026, 5, 1)  # 120 of the period's 181 days
        expected = (interest * 120 // 181, 0, 0)
        assert expected[0] == 66_298_342_541_436_463
        assert _rules(ctx, loan.id, day, grace_days=0, base=PenaltyBase.INSTALLMENT) == expected
        assert _figures(ctx, loan.id, day, grace_days=0, base=PenaltyBase.INSTALLMENT) \
            == expected
    loans_kernel.write("admin", work)


def test_figures_agree_with_the_rules_every_day_on_varied_schedules(
        loans_kernel: Kernel) -> None:
    loan = unpaid_loan(loans_kernel)
    generator = random.Random(20260305)

    def varied() -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        start = date(2026, 1, 5)
        for seq in range(1, generator.randint(1, 6) + 1):
            due = start + timedelta(days=generator.choice((0, 1, 7, 28, 31)))
            principal, interest = generator.randint(0, 5000), generator.randint(0, 700)
            waived = generator.choice((0, 0, generator.randint(0, interest)))
            paid = generator.choice((0, interest - waived, generator.randint(0, interest - waived)))
            status = generator.choice(("open", "open", "paid", "superseded"))
            principal_paid = generator.choice((0, principal, generator.randint(0, principal)))
            rows.append((1, seq, start, due, principal, interest, principal_paid, paid, waived,
                         status))
            start = due
        return rows

    def work(ctx: Context) -> None:
        for _ in range(12):
            _rewrite_schedule(ctx, loan.id, varied())
            for offset in range(-2, 100, 3):
                day = date(2026, 1, 5) + timedelta(days=offset)
                for grace, base in ((0, PenaltyBase.INSTALLMENT), (5, PenaltyBase.PRINCIPAL)):
                    assert _figures(ctx, loan.id, day, grace_days=grace, base=base) == \
                        _rules(ctx, loan.id, day, grace_days=grace, base=base), (day, grace)
    loans_kernel.write("admin", work)


def test_loan_rows_are_written_in_batches(loans_kernel: Kernel,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loans_eod, "_ROWS_PER_UPDATE", 2)

    def work(ctx: Context) -> list[str]:
        cash(ctx)
        code = product(ctx, accounting="cash").code
        return [disbursed_loan(ctx, member(ctx, f"Peminjam {k}"), code).number
                for k in range(5)]
    numbers = loans_kernel.write("admin", work)
    close_day(loans_kernel, FIRST_DUE + timedelta(days=91))
    for number in numbers:
        after = state(loans_kernel, number)
        assert (after.days_past_due, after.collectibility) == (91, "KL")
        assert after.allowance == 1_200_000 * RP  # 10 % of 12 M
    assert balance(loans_kernel, "GL-loans.allowance") == 5 * 1_200_000 * RP
    books_balance(loans_kernel)
