"""Late charges on an ijarah rent, as on a murabahah installment
(:mod:`kopcore_sharia.murabahah`):

- ta'zir (Fatwa DSN-MUI 17/2000): only what the contract agreed at signing (``tazir_flat`` per
  late rent + ``tazir_daily`` per day it is late), at most once per rent, from a member the
  operator found able to pay but late, with the reason; Dr cash / Cr the social fund (dana
  kebajikan), never income;
- ta'widh (Fatwa DSN-MUI 43/2004): the real cost the delay caused, with its evidence, as income
  (Dr cash / Cr Pendapatan Ta'widh).

Neither touches the ujrah receivable. Each is recorded in the plugin's ``sharia_tazir`` /
``sharia_tawidh`` tables (``installment`` is the rent's number).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, ValidationError
from kopcore.ledger import JournalEntry
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_sharia import chart, ijarah
from kopcore_sharia.messages import _
from kopcore_sharia.murabahah import internal_account
from kopcore_sharia.tables import tawidh, tazir


def late_rent(contract: ijarah.Contract, day: date) -> ijarah.Rent | None:
    """The oldest unpaid rent if it is past due at ``day``."""
    if contract.status != ijarah.ACTIVE or contract.paid >= contract.term:
        return None
    rent = contract.schedule()[contract.paid]
    return rent if rent.due_on < day else None


def agreed_tazir(contract: ijarah.Contract, day: date) -> int:
    """The ta'zir the contract agreed for its late rent at ``day`` (0 when none is late)."""
    rent = late_rent(contract, day)
    if rent is None:
        return 0
    return contract.tazir_terms.allows(rent.due_on, day)


def _late(ctx: Context, number: str, *, able_to_pay: bool, why: str, field: str, what: str
          ) -> tuple[ijarah.Contract, ijarah.Rent]:
    contract = ijarah.get_contract(ctx, number, lock=True)
    if contract.status != ijarah.ACTIVE:
        raise Conflict(_("ijarah {account} has ended", account=number), field="account")
    if not able_to_pay:
        raise ValidationError(_("{what} is only for a member able to pay but late; a member in "
                                "hardship is given time instead", what=what), field="able_to_pay")
    if not why.strip():
        raise ValidationError(_("record the ground for the {what}", what=what), field=field)
    contract, _entry = ijarah.accrue_now(ctx, contract)
    rent = late_rent(contract, ctx.business_date)
    if rent is None:
        raise Conflict(_("ijarah {account} has no rent past due", account=number),
                       field="account")
    return contract, rent


def charge_tazir(ctx: Context, number: str, cash_account: str, amount: Money | None, *,
                 able_to_pay: bool, reason: str) -> tuple[ijarah.Contract, JournalEntry]:
    """Collect the ta'zir agreed at signing on the oldest late rent, to the social fund."""
    cash_account = internal_account(ctx, cash_account)
    contract, rent = _late(ctx, number, able_to_pay=able_to_pay, why=reason, field="reason",
                           what="ta'zir")
    agreed = agreed_tazir(contract, ctx.business_date)
    if agreed == 0:
        raise Conflict(_("ijarah {account} agreed no ta'zir at signing: none can be charged",
                         account=number), field="account")
    charged = ctx.conn.execute(sa.select(tazir.c.id).where(
        tazir.c.account_id == contract.account.id, tazir.c.installment == rent.number)).first()
    if charged is not None:
        raise Conflict(_("the ta'zir of rent {rent} of ijarah {account} is already charged",
                         rent=rent.number, account=number), field="account")
    amount = contract.money(agreed) if amount is None else amount
    if amount.minor > agreed:
        raise ValidationError(_("the contract agreed a ta'zir of {agreed} for installment "
                                "{installment} today; no more may be charged",
                                agreed=contract.money(agreed), installment=rent.number),
                              field="amount")
    entry = ledger.post_entry(
        ctx, [PostingLine(cash_account, Side.DEBIT, amount),
              PostingLine(chart.gl(chart.SOCIAL_FUND), Side.CREDIT, amount)],
        memo=f"Ta'zir ijarah {number} ujrah ke-{rent.number}: {reason.strip()}"[:500])
    ctx.conn.execute(tazir.insert().values(
        account_id=contract.account.id, business_date=ctx.business_date, amount=amount.minor,
        reason=reason.strip()[:200], actor=ctx.actor, entry_id=entry.id,
        installment=rent.number))
    return ijarah.get_contract(ctx, number), entry


def charge_tawidh(ctx: Context, number: str, cash_account: str, amount: Money, *,
                  able_to_pay: bool, cost: str, evidence: str
                  ) -> tuple[ijarah.Contract, JournalEntry]:
    """Collect a ta'widh: the real cost a late rent caused, with its evidence, as income."""
    cash_account = internal_account(ctx, cash_account)
    contract, rent = _late(ctx, number, able_to_pay=able_to_pay, why=cost, field="cost",
                           what="ta'widh")
    if not evidence.strip():
        raise ValidationError(_("name the evidence of the real cost (a receipt, a voucher)"),
                              field="evidence")
    entry = ledger.post_entry(
        ctx, [PostingLine(cash_account, Side.DEBIT, amount),
              PostingLine(chart.gl(chart.TAWIDH_INCOME), Side.CREDIT, amount)],
        memo=f"Ta'widh ijarah {number} ujrah ke-{rent.number}: {cost.strip()} "
             f"({evidence.strip()})"[:500])
    ctx.conn.execute(tawidh.insert().values(
        account_id=contract.account.id, installment=rent.number,
        business_date=ctx.business_date, amount=amount.minor, cost=cost.strip()[:200],
        evidence=evidence.strip()[:200], actor=ctx.actor, entry_id=entry.id))
    return ijarah.get_contract(ctx, number), entry
