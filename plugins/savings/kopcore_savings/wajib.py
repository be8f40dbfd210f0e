"""Simpanan wajib: billing runs, arrears (tunggakan) and their auto-debit from sukarela.

A billing run for a period (``YYYY-MM``) records the period's due amount for every open wajib
account of the product whose member is active, in one INSERT ... SELECT; a period is billed at
most once per account, so running it again bills nothing new. Arrears are never stored: they
are what was billed minus what was paid, and what was paid is the wajib account's balance
(every payment credits it; only exit and reversals debit it). Paying ahead is a credit for the
next periods; periods are settled oldest first.

With ``auto_debit`` the run then moves each member's arrears (or as much as their primary
sukarela account can spare above its minimum balance) from sukarela to wajib.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import KopcoreError, ValidationError
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_savings.accounts import primary_sukarela, record_event
from kopcore_savings.messages import _
from kopcore_savings.products import SavingsProduct, SavingsType, get_product
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import wajib_dues

#: Member pairs per auto-debit entry (two lines each, inside the 10,000-line limit).
BATCH = 4000


def period_end(period: str) -> date:
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period):
        raise ValidationError(_("period is a month written YYYY-MM"), field="period")
    year, month = int(period[:4]), int(period[5:])
    return date(year, month, calendar.monthrange(year, month)[1])


def wajib_product(ctx: Context, code: str) -> SavingsProduct:
    product = get_product(ctx, code)
    if product.type is not SavingsType.WAJIB:
        raise ValidationError(_("{code} is a {product} product, not wajib",
                                code=code, product=product.type.value),
                              field="product")
    return product


def bill(ctx: Context, product: SavingsProduct, period: str) -> int:
    """Record the period's due for every eligible account; returns how many were billed."""
    last_day = period_end(period)
    if last_day.replace(day=1) > ctx.business_date:
        raise ValidationError(_("period {period} has not started yet",
                                period=period), field="period")
    s, a, m, d = savings_accounts.c, query.accounts.c, query.members.c, wajib_dues.c
    source = (
        sa.select(s.account_id, sa.literal(period, sa.String), sa.literal(product.amount,
                                                                         sa.BigInteger),
                  sa.literal(ctx.business_date, sa.Date))
        .select_from(savings_accounts.join(query.accounts, a.id == s.account_id)
                     .join(query.members, m.id == s.member_id))
        .where(s.product_code == product.code, a.status != "closed", m.status == "active",
               s.opened_on <= last_day,
               ~sa.exists().where(d.account_id == s.account_id, d.period == period))
    )
    billed = ctx.conn.execute(sa.insert(wajib_dues).from_select(
        ["account_id", "period", "amount", "billed_on"], source).returning(d.account_id))
    return len(billed.all())


@attrs.frozen
class Arrears:
    account_id: int
    account: str
    member_id: int
    billed: int
    paid: int
    unpaid_periods: list[str]

    @property
    def amount(self) -> int:
        return max(0, self.billed - self.paid)


def arrears(ctx: Context, *, product_code: str | None = None, member_id: int | None = None,
            account_id: int | None = None) -> list[Arrears]:
    """Accounts whose billed dues exceed what they paid, oldest account first."""
    s, a, d = savings_accounts.c, query.accounts.c, wajib_dues.c
    statement = (
        sa.select(s.account_id, a.number, s.member_id, sa.func.sum(d.amount).label("billed"),
                  query.normal_balance().label("paid"))
        .select_from(wajib_dues.join(savings_accounts, s.account_id == d.account_id)
                     .join(query.accounts, a.id == d.account_id))
        .group_by(s.account_id, a.number, s.member_id, a.balance, a.normal_sign)
        .having(sa.func.sum(d.amount) > query.normal_balance())
        .order_by(s.account_id)
    )
    if product_code is not None:
        statement = statement.where(s.product_code == product_code)
    if member_id is not None:
        statement = statement.where(s.member_id == member_id)
    if account_id is not None:
        statement = statement.where(s.account_id == account_id)
    rows = ctx.conn.execute(statement).all()
    found = []
    for row in rows:
        dues = ctx.conn.execute(sa.select(d.period, d.amount).where(d.account_id == row.account_id)
                                .order_by(d.period)).all()
        covered, unpaid = int(row.paid), []
        for period, amount in dues:
            if covered >= amount:
                covered -= amount
            else:
                covered = 0
                unpaid.append(period)
        found.append(Arrears(row.account_id, row.number, row.member_id, int(row.billed),
                             int(row.paid), unpaid))
    return found


def _debit_lines(ctx: Context, product: SavingsProduct) -> list[tuple[str, str, Money]]:
    """(sukarela number, wajib number, amount) for each member in arrears who can pay."""
    pairs = []
    for owed in arrears(ctx, product_code=product.code):
        source = primary_sukarela(ctx, owed.member_id, product.currency)
        if source is None:
            continue
        spare = source.account.available.minor - source.product.min_balance
        amount = min(owed.amount, spare)
        if amount > 0:
            pairs.append((source.number, owed.account, Money(amount, product.currency)))
    return pairs


def _post_pairs(ctx: Context, pairs: list[tuple[str, str, Money]], memo: str) -> int:
    lines = [line for src, dst, amount in pairs
             for line in (PostingLine(src, Side.DEBIT, amount),
                          PostingLine(dst, Side.CREDIT, amount))]
    ledger.post_entry(ctx, lines, memo=memo)
    return len(pairs)


def auto_debit(ctx: Context, product: SavingsProduct, period: str) -> int:
    """Collect arrears from sukarela, one entry per batch of members. A member whose account
    refuses (frozen, dormant, on hold) is left in arrears and the others are still collected."""
    pairs = _debit_lines(ctx, product)
    memo = f"Autodebet tunggakan simpanan wajib {period}"
    collected = 0
    for start in range(0, len(pairs), BATCH):
        batch = pairs[start:start + BATCH]
        savepoint = ctx.conn.begin_nested()
        try:
            collected += _post_pairs(ctx, batch, memo)
            savepoint.commit()
            continue
        except KopcoreError:
            savepoint.rollback()
        for pair in batch:
            one = ctx.conn.begin_nested()
            try:
                collected += _post_pairs(ctx, [pair], memo)
                one.commit()
            except KopcoreError as exc:
                one.rollback()
                refused = ledger.get_account(ctx, pair[0])
                record_event(ctx, refused.id, "auto-debit-refused", exc.detail)
    return collected
