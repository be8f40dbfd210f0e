"""The cooperative's savings policy: what its AD/ART and decisions fix for every product.

- ``exit_refund``: how a leaving member's simpanan pokok and wajib are refunded —
  ``immediate`` (with the rest of the exit settlement; the default), ``installments``
  (``exit_refund_installments`` equal parts, one every ``exit_refund_interval_months`` months
  from the exit) or ``after-rat`` (once the RAT has approved the accounts of the year of the
  exit). A deferred refund is owed to the former member in ``payable.member_exit`` until it is
  paid (:mod:`kopcore_savings.exit_refunds`).
- ``tax_aggregation``: the withholding-tax threshold (PP 15/2009) judged on each ``account``'s
  interest of a month (the default), or on the sum of the ``member``'s accounts
  (:mod:`kopcore_savings.tax_aggregation`).

Kept in ``savings_policy``, one row per setting changed from its default, with who changed it
and on which business date.
"""

from __future__ import annotations

import enum

import attrs
import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import ValidationError
from kopcore_savings.messages import _
from kopcore_savings.tables import policy as policy_table


class ExitRefund(enum.StrEnum):
    IMMEDIATE = "immediate"
    INSTALLMENTS = "installments"
    AFTER_RAT = "after-rat"


class TaxAggregation(enum.StrEnum):
    ACCOUNT = "account"
    MEMBER = "member"


#: At most this many installments (ten years of monthly ones).
MAX_INSTALLMENTS = 120


@attrs.frozen
class SavingsPolicy:
    exit_refund: ExitRefund = ExitRefund.IMMEDIATE
    exit_refund_installments: int = 1
    exit_refund_interval_months: int = 1
    tax_aggregation: TaxAggregation = TaxAggregation.ACCOUNT

    def check(self) -> SavingsPolicy:
        if self.exit_refund is ExitRefund.INSTALLMENTS and not \
                2 <= self.exit_refund_installments <= MAX_INSTALLMENTS:
            raise ValidationError(_("installments: from 2 to {most}", most=MAX_INSTALLMENTS),
                                  field="exit_refund_installments")
        if not 1 <= self.exit_refund_interval_months <= 12:
            raise ValidationError(_("interval between installments: 1 to 12 months"),
                                  field="exit_refund_interval_months")
        return self


def get_policy(ctx: Context) -> SavingsPolicy:
    rows = dict(ctx.conn.execute(sa.select(policy_table.c.name, policy_table.c.value)).all())
    defaults = SavingsPolicy()
    return SavingsPolicy(
        exit_refund=ExitRefund(rows.get("exit_refund", defaults.exit_refund)),
        exit_refund_installments=int(rows.get("exit_refund_installments",
                                              defaults.exit_refund_installments)),
        exit_refund_interval_months=int(rows.get("exit_refund_interval_months",
                                                 defaults.exit_refund_interval_months)),
        tax_aggregation=TaxAggregation(rows.get("tax_aggregation", defaults.tax_aggregation)))


def set_policy(ctx: Context, new: SavingsPolicy) -> SavingsPolicy:
    """Record the policy (checked first); each setting is written with who and when."""
    new.check()
    values = {"exit_refund": new.exit_refund.value,
              "exit_refund_installments": str(new.exit_refund_installments),
              "exit_refund_interval_months": str(new.exit_refund_interval_months),
              "tax_aggregation": new.tax_aggregation.value}
    p = policy_table.c
    for name, value in values.items():
        ctx.conn.execute(sa.delete(policy_table).where(p.name == name))
        ctx.conn.execute(policy_table.insert().values(
            name=name, value=value, changed_on=ctx.business_date, changed_by=ctx.actor))
    return get_policy(ctx)
