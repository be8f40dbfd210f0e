"""Simpanan berjangka: time deposits placed for a term at a fixed rate.

Interest is simple: ``principal * rate * days / Y`` for the days from placement to maturity,
rounded half up once to the product's rounding unit. At each month end the interest earned so far
(rounded the same way) is expensed to ``savings.interest_payable``; at maturity the payable is
cleared and the rest expensed.

Withholding tax is judged like sukarela interest, **per calendar month** (PP 15/2009), not on the
whole term paid at maturity: each month the deposit ran gets the difference of the rounded
running interest at its end (the figure its month-end accrual expensed), and only a month above
the threshold is taxed. Rp40,000,000 at 6 % for 12 months earns about Rp200,000 a month: no tax.

At maturity (end of day of the maturity date) a deposit either pays principal plus net interest
to its payout account and closes, or rolls over: the net interest is added to the principal and a
new term starts at the product's current rate. When the payout account refuses the money (it
was closed, say) the interest is credited to the deposit, which waits as ``matured`` for the member.

Early withdrawal forfeits the interest (the accrual is reversed) and costs the product's penalty
rate on the principal, credited to penalty income.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import Conflict, KopcoreError, ValidationError
from kopcore.ledger import JournalEntry, Member
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_savings import chart, tax_aggregation
from kopcore_savings.accounts import (
    SavingsAccount,
    get_savings_account,
    open_savings_account,
    primary_sukarela,
    record_event,
)
from kopcore_savings.interest import (
    MonthAmount,
    month_rows,
    monthly_amounts,
    round_half_up,
    total_amount,
)
from kopcore_savings.messages import _
from kopcore_savings.products import PPM, SavingsProduct, SavingsType
from kopcore_savings.tables import deposits, interest_months

PAYOUT = "payout"
ROLLOVER = "rollover"


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@attrs.frozen
class TimeDeposit:
    savings: SavingsAccount
    principal: int
    rate_ppm: int
    term_months: int
    placed_on: date
    maturity_on: date
    instruction: str
    payout_account: str | None
    accrued: int
    status: str

    @property
    def term_days(self) -> int:
        return (self.maturity_on - self.placed_on).days

    def interest_for(self, days: int) -> Fraction:
        product = self.savings.product
        return Fraction(self.principal * self.rate_ppm * min(days, self.term_days),
                        PPM * product.days_in_year)


def deposit_months(deposit: TimeDeposit) -> list[MonthAmount]:
    """The term's interest per calendar month, each month's gross the rounded running interest
    at its end less the earlier months', with that month's withholding tax."""
    exact: list[tuple[date, Fraction]] = []
    month = deposit.placed_on.replace(day=1)
    before = Fraction(0)
    while month < deposit.maturity_on:
        following = add_months(month, 1)
        through = deposit.interest_for((min(following, deposit.maturity_on)
                                        - deposit.placed_on).days)
        exact.append((month, through - before))
        before, month = through, following
    return monthly_amounts(deposit.savings.product, exact)


def _record_months(ctx: Context, deposit: TimeDeposit, months: list[MonthAmount],
                   entry: JournalEntry | None,
                   catch_up: list[dict[str, Any]] | None = None) -> None:
    rows = month_rows(deposit.savings.account.id, deposit.savings.member_id, months,
                      source="berjangka", paid_on=ctx.business_date) + list(catch_up or [])
    for row in rows:
        row["entry_id"] = entry.id if entry is not None else None
    ledger.insert_rows(ctx, interest_months, rows)


def get_deposit(ctx: Context, number: str) -> TimeDeposit:
    savings = get_savings_account(ctx, number)
    row = ctx.conn.execute(sa.select(deposits).where(deposits.c.account_id == savings.account.id)
                           ).first()
    if row is None:
        raise ValidationError(_("account {account} is not a time deposit", account=number),
                              field="account")
    m: dict[str, Any] = dict(row._mapping)
    m.pop("account_id")
    return TimeDeposit(savings=savings, **m)


def place(ctx: Context, member: Member, product: SavingsProduct, amount: Money, source: str,
          instruction: str, payout_account: str | None) -> tuple[TimeDeposit, JournalEntry]:
    """Open a time deposit for ``member`` funded from ``source`` (teller cash or sukarela)."""
    from kopcore_savings.movements import check_can_pay_out, check_minimum_left

    if product.type is not SavingsType.BERJANGKA:
        raise ValidationError(_("{product} is not a berjangka product",
                                product=product.code), field="product")
    if instruction not in (PAYOUT, ROLLOVER):
        raise ValidationError(_("instruction is payout or rollover"), field="instruction")
    if not amount.is_positive() or amount.minor < product.min_balance:
        raise ValidationError(_("a deposit of {product} is at least {minimum}",
                                product=product.code,
                                minimum=product.money(product.min_balance)), field="amount")
    if payout_account is None:
        primary = primary_sukarela(ctx, member.id, product.currency)
        if primary is None and instruction == PAYOUT:
            raise ValidationError(_("name the payout_account (the member has no sukarela "
                                    "account)"), field="payout_account")
        payout_account = primary.number if primary else None
    if payout_account is not None:
        ledger.get_account(ctx, payout_account)
    paying = _savings_or_none(ctx, source)
    if paying is not None:
        check_can_pay_out(paying)
    savings = open_savings_account(ctx, member, product)
    entry = ledger.post_entry(ctx, [PostingLine(source, Side.DEBIT, amount),
                                    PostingLine(savings.number, Side.CREDIT, amount)],
                              memo=f"Penempatan simpanan berjangka {savings.number}")
    if paying is not None:
        check_minimum_left(ctx, paying)
    assert product.term_months is not None
    ctx.conn.execute(deposits.insert().values(
        account_id=savings.account.id, principal=amount.minor, rate_ppm=product.rate_ppm,
        term_months=product.term_months, placed_on=ctx.business_date,
        maturity_on=add_months(ctx.business_date, product.term_months),
        instruction=instruction, payout_account=payout_account, accrued=0, status="active",
    ))
    return get_deposit(ctx, savings.number), entry


def _savings_or_none(ctx: Context, number: str) -> SavingsAccount | None:
    try:
        return get_savings_account(ctx, number)
    except KopcoreError:
        return None


def _gl(key: str) -> str:
    return ledger.gl_account_number(key)


def _interest_lines(deposit: TimeDeposit, gross: int, tax: int) -> list[PostingLine]:
    """Clear the accrued payable, expense the rest, withhold the tax."""
    cur = deposit.savings.account.currency
    product = deposit.savings.product
    lines = []
    if deposit.accrued:
        lines.append(PostingLine(_gl(chart.INTEREST_PAYABLE_GL), Side.DEBIT,
                                 Money(deposit.accrued, cur)))
    rest = gross - deposit.accrued
    if rest:
        side = Side.DEBIT if rest > 0 else Side.CREDIT
        lines.append(PostingLine(_gl(product.expense_gl_key), side, Money(abs(rest), cur)))
    if tax:
        lines.append(PostingLine(_gl(chart.TAX_PAYABLE_GL), Side.CREDIT, Money(tax, cur)))
    return lines


def mature(ctx: Context, deposit: TimeDeposit, payout_to: str | None = None
           ) -> JournalEntry | None:
    """Settle a deposit at maturity: pay out (to ``payout_to`` or its payout account) or roll
    over as instructed."""
    product = deposit.savings.product
    months, catch_up = tax_aggregation.judge_payment(
        ctx, deposit.savings.account.id, deposit.savings.member_id, "berjangka",
        deposit_months(deposit))
    withheld = sum(int(r["tax"]) for r in catch_up)
    amount = total_amount(months)
    # Tax on interest paid earlier in the term's months is withheld from this payment too.
    amount = attrs.evolve(amount, tax=amount.tax + withheld)
    number = deposit.savings.number
    cur = deposit.savings.account.currency
    lines = _interest_lines(deposit, amount.gross, amount.tax)
    d = deposits.c
    where = d.account_id == deposit.savings.account.id
    target = payout_to or deposit.payout_account
    if deposit.instruction == ROLLOVER and payout_to is None:
        if amount.net:
            lines.append(PostingLine(number, Side.CREDIT, Money(amount.net, cur)))
        entry = ledger.post_entry(ctx, lines, memo=f"Perpanjangan simpanan berjangka {number}") \
            if len(lines) >= 2 else None
        _record_months(ctx, deposit, months, entry, catch_up)
        principal = deposit.principal + amount.net
        ctx.conn.execute(sa.update(deposits).where(where).values(
            principal=principal, rate_ppm=product.rate_ppm, placed_on=deposit.maturity_on,
            maturity_on=add_months(deposit.maturity_on, deposit.term_months), accrued=0))
        record_event(ctx, deposit.savings.account.id, "rolled-over",
                     f"new principal {Money(principal, cur).format()}")
        return entry
    balance = ledger.get_account(ctx, number).balance
    payout = [PostingLine(number, Side.DEBIT, balance)] if balance.is_positive() else []
    if target is not None:
        savepoint = ctx.conn.begin_nested()
        try:
            entry = ledger.post_entry(
                ctx, [*lines, *payout,
                      PostingLine(target, Side.CREDIT, balance + Money(amount.net, cur))],
                memo=f"Pencairan simpanan berjangka {number} ke {target}")
            savepoint.commit()
        except KopcoreError as exc:
            savepoint.rollback()
            record_event(ctx, deposit.savings.account.id, "payout-refused", exc.detail)
        else:
            ctx.conn.execute(sa.update(deposits).where(where).values(status="closed",
                                                                     accrued=0))
            ledger.close_account(ctx, number)
            _record_months(ctx, deposit, months, entry, catch_up)
            return entry
    # No payout possible: the interest joins the deposit, which waits for the member.
    if amount.net:
        lines.append(PostingLine(number, Side.CREDIT, Money(amount.net, cur)))
    entry = ledger.post_entry(ctx, lines, memo=f"Jasa simpanan berjangka {number} jatuh tempo") \
        if len(lines) >= 2 else None
    _record_months(ctx, deposit, months, entry, catch_up)
    ctx.conn.execute(sa.update(deposits).where(where).values(status="matured", accrued=0))
    return entry


def withdraw(ctx: Context, number: str, destination: str) -> JournalEntry:
    """Take a deposit out: early (interest forfeited, penalty charged), or once matured."""
    deposit = get_deposit(ctx, number)
    if deposit.status == "closed":
        raise Conflict(_("time deposit {account} is already paid out", account=number))
    if deposit.status == "active" and ctx.business_date >= deposit.maturity_on:
        entry = mature(ctx, deposit, payout_to=destination)
        if entry is None or get_deposit(ctx, number).status != "closed":
            raise Conflict(_("time deposit {number} could not be paid to {destination}",
                             number=number, destination=destination))
        return entry
    cur = deposit.savings.account.currency
    balance = ledger.get_account(ctx, number).balance
    lines = [PostingLine(number, Side.DEBIT, balance)]
    penalty = 0
    memo = f"Pencairan simpanan berjangka {number}"
    if deposit.status == "active":
        product = deposit.savings.product
        penalty = round_half_up(Fraction(deposit.principal * product.penalty_ppm, PPM),
                                product.rounding_unit)
        penalty = min(penalty, balance.minor)
        if deposit.accrued:
            lines += [PostingLine(_gl(chart.INTEREST_PAYABLE_GL), Side.DEBIT,
                                  Money(deposit.accrued, cur)),
                      PostingLine(_gl(product.expense_gl_key), Side.CREDIT,
                                  Money(deposit.accrued, cur))]
        if penalty:
            lines.append(PostingLine(_gl(chart.PENALTY_INCOME_GL), Side.CREDIT,
                                     Money(penalty, cur)))
        memo = f"Pencairan sebelum jatuh tempo {number} (denda {Money(penalty, cur).format()})"
    if balance.minor - penalty:
        lines.append(PostingLine(destination, Side.CREDIT, balance - Money(penalty, cur)))
    entry = ledger.post_entry(ctx, lines, memo=memo)
    ctx.conn.execute(sa.update(deposits).where(deposits.c.account_id == deposit.savings.account.id)
                     .values(status="closed", accrued=0))
    ledger.close_account(ctx, number)
    record_event(ctx, deposit.savings.account.id, "withdrawn", memo)
    return entry


# --- end of day -------------------------------------------------------------------------------


def _active(ctx: Context, low: int, high: int, *extra: sa.ColumnElement[bool]) -> list[str]:
    d, a = deposits.c, query.accounts.c
    return list(ctx.conn.execute(
        sa.select(a.number).join(deposits, d.account_id == a.id)
        .where(d.account_id.between(low, high), d.status == "active", *extra).order_by(a.id)
    ).scalars())


def accrue_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """At month end, expense the interest earned so far by active deposits in ``[low, high]``:
    one entry per chunk (expense against interest payable)."""
    if (day + timedelta(days=1)).day != 1:
        return 0
    changes = []
    expense: dict[str, int] = {}
    for number in _active(ctx, low, high, deposits.c.maturity_on > day):
        deposit = get_deposit(ctx, number)
        product = deposit.savings.product
        earned = round_half_up(deposit.interest_for((day - deposit.placed_on).days + 1),
                               product.rounding_unit)
        if earned > deposit.accrued:
            changes.append({"deposit_id": deposit.savings.account.id, "earned": earned})
            key = product.expense_gl_key
            expense[key] = expense.get(key, 0) + earned - deposit.accrued
    total = sum(expense.values())
    if total:
        cur = ctx.settings.currency
        lines = [PostingLine(_gl(key), Side.DEBIT, Money(v, cur))
                 for key, v in sorted(expense.items()) if v]
        lines.append(PostingLine(_gl(chart.INTEREST_PAYABLE_GL), Side.CREDIT, Money(total, cur)))
        ledger.post_entry(ctx, lines, memo=f"Akrual jasa simpanan berjangka {day.isoformat()}",
                          idempotency_key=f"savings.deposit-accrual:{day}:{low}-{high}")
    if changes:
        ctx.conn.execute(sa.update(deposits)
                         .where(deposits.c.account_id == sa.bindparam("deposit_id"))
                         .values(accrued=sa.bindparam("earned")), changes)
    return len(changes)


def mature_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """Settle the deposits in ``[low, high]`` that mature on or before ``day``."""
    numbers = _active(ctx, low, high, deposits.c.maturity_on <= day)
    for number in numbers:
        mature(ctx, get_deposit(ctx, number))
    return len(numbers)
