"""The savings sub-ledger checked against the ledger (``kopcore_verify``).

- **Time-deposit accruals**: the interest each deposit has accrued (``accrued``, expensed to
  interest payable at month end and cleared at maturity) adds up to the balance of the interest
  payable account: an accrual edited in the database would pay out interest never expensed.
- **Interest postings**: each period's interest recorded for an account (gross less tax) is
  what its journal entry credited to that account.
- **Exit refunds**: the refunds still owed to former members (``savings_exit_refunds``) are
  no more than ``payable.member_exit`` holds (it may hold more: refunds an operator chose to pay
  later through the kernel's exit payout).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kopcore import ledger
from kopcore import query as kt
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import Finding
from kopcore_savings import chart
from kopcore_savings.exit_refunds import EXIT_PAYABLE_GL
from kopcore_savings.tables import deposits, exit_refunds, interest_postings


def _accrual_findings(ctx: Context) -> list[Finding]:
    payable = ledger.get_account(ctx, ledger.gl_account_number(chart.INTEREST_PAYABLE_GL))
    accrued = int(ctx.conn.execute(sa.select(sa.func.coalesce(
        sa.func.sum(deposits.c.accrued), 0))).scalar_one())
    if accrued == payable.balance.minor:
        return []
    return [Finding("deposit_accruals_differ",
                    f"time deposits record {Money(accrued, payable.currency).format()} of "
                    f"interest accrued; the interest payable account {payable.number} holds "
                    f"{payable.balance.format()}", account_id=payable.id)]


def _posting_findings(ctx: Context) -> list[Finding]:
    ip, p, a = interest_postings.c, kt.postings.c, kt.accounts.c
    credited = sa.func.coalesce(p.amount * a.normal_sign, 0)
    rows: Any = ctx.conn.execute(
        sa.select(ip.account_id, ip.entry_id, ip.period_to, ip.gross, ip.tax,
                  credited.label("credited"), a.number, a.currency)
        .select_from(interest_postings.join(kt.accounts, a.id == ip.account_id)
                     .outerjoin(kt.postings, sa.and_(p.entry_id == ip.entry_id,
                                                     p.account_id == ip.account_id)))
        .where(ip.gross - ip.tax > 0, credited != ip.gross - ip.tax).order_by(ip.id))
    return [Finding("interest_posting_differs",
                    f"account {r.number}: interest to {r.period_to.isoformat()} is recorded as "
                    f"{Money(r.gross - r.tax, r.currency).format()} net; entry {r.entry_id} "
                    f"credited {Money(int(r.credited), r.currency).format()}",
                    account_id=r.account_id, entry_id=r.entry_id) for r in rows]


def _exit_refund_findings(ctx: Context) -> list[Finding]:
    payable = ledger.get_account(ctx, ledger.gl_account_number(EXIT_PAYABLE_GL))
    r = exit_refunds.c
    owed = int(ctx.conn.execute(sa.select(sa.func.coalesce(sa.func.sum(r.amount), 0))
                                .where(r.paid_on.is_(None))).scalar_one())
    if owed <= payable.balance.minor:
        return []
    return [Finding("exit_refunds_exceed_payable",
                    f"refunds of {Money(owed, payable.currency).format()} are recorded as owed "
                    f"to former members; {payable.number} holds only "
                    f"{payable.balance.format()}", account_id=payable.id)]


def findings(ctx: Context) -> list[Finding]:
    """Time-deposit accruals against interest payable; interest records against entries;
    refunds owed to former members against the exit payable."""
    return _accrual_findings(ctx) + _posting_findings(ctx) + _exit_refund_findings(ctx)
