"""The loans sub-ledger checked against the ledger (``kopcore_verify``).

The schedule says how much principal is still unpaid; the loan's principal account in the
ledger says how much the member owes. For every active or closed loan the two are equal: an
installment marked paid in the database without the repayment that credits the account (or a
repayment posted without its installments) shows up here. Written-off loans are left out: their
account is cleared against the allowance while the schedule keeps the claim. The interest paid
on the schedule is compared with the interest of the payments recorded for the loan.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kopcore import query as kt
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import Finding
from kopcore_loans.loan import LoanStatus
from kopcore_loans.tables import events, installments, loans

#: Events that carry interest the member paid (a write-off's interest is the claim left).
PAYMENT_EVENTS = ("repayment", "auto-debit", "settlement", "exit-netting")
CHECKED = (LoanStatus.ACTIVE.value, LoanStatus.CLOSED.value)


def _rp(minor: Any, currency: str) -> str:
    # Sums come back as Decimal on PostgreSQL (SUM of BIGINT is NUMERIC), as int on SQLite.
    return Money(int(minor), currency).format()


def _principal_findings(ctx: Context) -> list[Finding]:
    i, ln, a = installments.c, loans.c, kt.accounts.c
    unpaid = (sa.select(i.loan_id, sa.func.sum(i.principal - i.principal_paid).label("unpaid"))
              .where(i.status != "superseded").group_by(i.loan_id).subquery())
    schedule = sa.func.coalesce(unpaid.c.unpaid, 0)
    owed = a.balance * a.normal_sign
    rows: Any = ctx.conn.execute(
        sa.select(ln.number, ln.currency, a.id, a.number.label("account"), owed.label("owed"),
                  schedule.label("unpaid"))
        .select_from(loans.join(kt.accounts, a.id == ln.account_id)
                     .outerjoin(unpaid, unpaid.c.loan_id == ln.id))
        .where(ln.status.in_(CHECKED), owed != schedule).order_by(ln.id))
    return [Finding("schedule_differs_from_ledger",
                    f"loan {r.number}: the schedule has {_rp(r.unpaid, r.currency)} of "
                    f"principal unpaid; account {r.account} in the ledger holds "
                    f"{_rp(r.owed, r.currency)}", account_id=r.id) for r in rows]


def _interest_findings(ctx: Context) -> list[Finding]:
    i, ln, e = installments.c, loans.c, events.c
    on_schedule = (sa.select(i.loan_id, sa.func.sum(i.interest_paid).label("paid"))
                   .group_by(i.loan_id).subquery())
    received = (sa.select(e.loan_id, sa.func.sum(e.interest).label("paid"))
                .where(e.kind.in_(PAYMENT_EVENTS)).group_by(e.loan_id).subquery())
    scheduled = sa.func.coalesce(on_schedule.c.paid, 0)
    paid = sa.func.coalesce(received.c.paid, 0)
    rows: Any = ctx.conn.execute(
        sa.select(ln.number, ln.currency, ln.account_id, scheduled.label("scheduled"),
                  paid.label("paid"))
        .select_from(loans.outerjoin(on_schedule, on_schedule.c.loan_id == ln.id)
                     .outerjoin(received, received.c.loan_id == ln.id))
        .where(ln.status.in_(CHECKED), scheduled != paid).order_by(ln.id))
    return [Finding("interest_paid_differs",
                    f"loan {r.number}: the schedule counts {_rp(r.scheduled, r.currency)} of "
                    f"interest paid; its payments brought {_rp(r.paid, r.currency)}",
                    account_id=r.account_id) for r in rows]


def findings(ctx: Context) -> list[Finding]:
    """Every loan whose schedule disagrees with the ledger or with its payments."""
    return _principal_findings(ctx) + _interest_findings(ctx)
