"""What the savings operations share: field metadata and the savings account view."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from kopcore import ledger
from kopcore.context import Context
from kopcore.money import Money
from kopcore.views import AccountOut
from kopcore_savings import interest, wajib
from kopcore_savings.accounts import get_savings_account
from kopcore_savings.products import SavingsType

ACCOUNT = {"help": "Savings account number", "max_length": 64}
MEMBER = {"help": "Member number", "max_length": 32}
PRODUCT = {"help": "Savings product code", "max_length": 32}
CASH = {"help": "Account the money passes through (teller cash, bank)", "max_length": 64}
MEMO = {"help": "Note printed on the statement", "max_length": 200}


def percent(ppm: int) -> Decimal:
    """Parts per million of one as a percentage without exponent: 30000 → 3, 32500 → 3.25."""
    value = Decimal(ppm) / 10_000
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


@attrs.frozen
class SavingsAccountOut:
    """A savings account: the ledger account plus product, dormancy, interest and arrears."""

    account: AccountOut
    product: str
    type: str
    last_activity_on: date
    dormant_since: date | None
    accrued_interest: Money
    wajib_arrears: Money | None


def savings_out(ctx: Context, number: str) -> SavingsAccountOut:
    s = get_savings_account(ctx, number)
    member = ledger.get_member_by_id(ctx, s.member_id)
    # A sukarela product whose rate was set to zero may still owe the period's earlier days.
    accrued = interest.accrued_estimate(ctx, s.account.id, s.product) \
        if s.type is SavingsType.SUKARELA else 0
    arrears = None
    if s.type is SavingsType.WAJIB:
        owed = wajib.arrears(ctx, account_id=s.account.id)
        arrears = s.product.money(owed[0].amount if owed else 0)
    return SavingsAccountOut(AccountOut.of(s.account, member.member_number), s.product.code,
                             s.type.value, s.last_activity_on, s.dormant_since,
                             s.product.money(accrued), arrears)
