"""Simpanan wajib operations: billing runs and the arrears list."""

from __future__ import annotations

import attrs

from kopcore import ledger
from kopcore.context import Context
from kopcore.money import Money
from kopcore_savings import wajib
from kopcore_savings.operations.common import MEMBER, PRODUCT


@attrs.frozen
class BillIn:
    product: str = attrs.field(metadata=PRODUCT)
    period: str = attrs.field(metadata={"help": "Month billed, YYYY-MM", "max_length": 7})


@attrs.frozen
class BillOut:
    product: str
    period: str
    billed: int
    collected: int


@attrs.frozen
class ArrearsIn:
    product: str | None = attrs.field(default=None, metadata=PRODUCT)
    member: str | None = attrs.field(default=None, metadata=MEMBER)


@attrs.frozen
class ArrearsLineOut:
    member: str
    account: str
    billed: Money
    paid: Money
    arrears: Money
    unpaid_periods: list[str]


@attrs.frozen
class ArrearsOut:
    """Tunggakan simpanan wajib: billed minus paid, unpaid periods oldest first."""

    items: list[ArrearsLineOut]
    total: Money


def wajib_bill(ctx: Context, data: BillIn) -> BillOut:
    """Bill a month of simpanan wajib (once per account), then auto-debit arrears if the
    product says so. Running it again bills nothing new."""
    product = wajib.wajib_product(ctx, data.product)
    billed = wajib.bill(ctx, product, data.period)
    collected = wajib.auto_debit(ctx, product, data.period) if product.auto_debit else 0
    return BillOut(product.code, data.period, billed, collected)


def wajib_arrears(ctx: Context, data: ArrearsIn) -> ArrearsOut:
    """Members in arrears on simpanan wajib."""
    member_id = ledger.get_member(ctx, data.member).id if data.member else None
    if data.product:
        wajib.wajib_product(ctx, data.product)
    cur = ctx.settings.currency
    items = []
    for owed in wajib.arrears(ctx, product_code=data.product, member_id=member_id):
        number = ledger.get_member_by_id(ctx, owed.member_id).member_number
        items.append(ArrearsLineOut(number, owed.account, Money(owed.billed, cur),
                                    Money(owed.paid, cur), Money(owed.amount, cur),
                                    owed.unpaid_periods))
    return ArrearsOut(items, Money(sum(i.arrears.minor for i in items), cur))
