"""Savings accounts: a kernel member account plus its savings row (product, activity, dormancy).

The kernel account holds the money (its floor is zero: the pipeline itself refuses an
overdraft); ``savings_accounts`` holds what only savings needs: the operator's product, the last
member-initiated activity and dormancy.
"""

from __future__ import annotations

from datetime import date

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.ledger import Account, AccountStatus, Member
from kopcore.money import Money
from kopcore_savings import chart
from kopcore_savings.messages import _
from kopcore_savings.products import SavingsProduct, SavingsType, get_product
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import events

PREFIX = {SavingsType.POKOK: "SP", SavingsType.WAJIB: "SW", SavingsType.SUKARELA: "SS",
          SavingsType.BERJANGKA: "SB"}


@attrs.frozen
class SavingsAccount:
    account: Account
    product: SavingsProduct
    member_id: int
    opened_on: date
    last_activity_on: date
    dormant_since: date | None

    @property
    def number(self) -> str:
        return self.account.number

    @property
    def type(self) -> SavingsType:
        return self.product.type


def open_savings_account(ctx: Context, member: Member, product: SavingsProduct,
                         number: str | None = None) -> SavingsAccount:
    """Open a member's account of ``product``. A member holds at most one pokok and one wajib
    account per product; sukarela and berjangka accounts may be many. A non-member
    counterparty holds no pokok or wajib: those are a member's capital."""
    if product.type in (SavingsType.POKOK, SavingsType.WAJIB):
        if not member.is_member:
            raise ValidationError(_("{member} is a non-member counterparty: it holds no "
                                    "simpanan pokok or wajib", member=member.member_number),
                                  field="product")
        s = savings_accounts.c
        existing = ctx.conn.execute(
            sa.select(s.account_id).where(s.member_id == member.id,
                                          s.product_code == product.code)
        ).first()
        if existing is not None:
            raise Conflict(_("member {member} already has a {product} account",
                             member=member.member_number, product=product.code),
                           field="product")
    account = ledger.open_account(
        ctx, name=f"{product.name} {member.name}"[:200], gl_key=product.gl_key,
        plugin=chart.PLUGIN, member_id=member.id, product_code=product.type.product_type,
        number=number, currency=product.currency,
        floor=Money(0, product.currency), prefix=PREFIX[product.type],
    )
    ctx.conn.execute(savings_accounts.insert().values(
        account_id=account.id, product_code=product.code, member_id=member.id,
        opened_on=ctx.business_date, last_activity_on=ctx.business_date,
    ))
    return get_savings_account(ctx, account.number)


def get_savings_account(ctx: Context, number: str) -> SavingsAccount:
    """The savings account numbered ``number``; NotFound for any other kind of account."""
    account = ledger.get_account(ctx, number)
    row = ctx.conn.execute(
        sa.select(savings_accounts).where(savings_accounts.c.account_id == account.id)
    ).first()
    if row is None or account.plugin != chart.PLUGIN:
        raise NotFound(_("account {account} is not a savings account", account=number),
                       field="account")
    return SavingsAccount(account, get_product(ctx, row.product_code), row.member_id,
                          row.opened_on, row.last_activity_on, row.dormant_since)


def member_savings(ctx: Context, member_id: int, *, include_closed: bool = False
                   ) -> list[SavingsAccount]:
    """A member's savings accounts, oldest first."""
    numbers = [a.number for a in ledger.member_accounts(ctx, member_id)
               if a.plugin == chart.PLUGIN
               and (include_closed or a.status is not AccountStatus.CLOSED)]
    found = []
    for number in numbers:
        try:
            found.append(get_savings_account(ctx, number))
        except NotFound:
            continue
    return found


def primary_sukarela(ctx: Context, member_id: int, currency: str) -> SavingsAccount | None:
    """The member's oldest open sukarela account in ``currency``: where money for the member
    is paid in or taken from by other plugins."""
    for savings in member_savings(ctx, member_id):
        if (savings.type is SavingsType.SUKARELA and savings.account.currency == currency
                and savings.account.status is AccountStatus.OPEN):
            return savings
    return None


def record_event(ctx: Context, account_id: int, event: str, note: str | None = None) -> None:
    ctx.conn.execute(events.insert().values(
        account_id=account_id, event=event, business_date=ctx.business_date, actor=ctx.actor,
        note=note[:200] if note else None,
    ))


def record_activity(ctx: Context, savings: SavingsAccount) -> None:
    """Stamp a member-initiated movement; a dormant account it was allowed on is reactivated."""
    values: dict[str, object] = {"last_activity_on": ctx.business_date}
    if savings.dormant_since is not None:
        values["dormant_since"] = None
        record_event(ctx, savings.account.id, "reactivated", f"by {ctx.operation}")
    ctx.conn.execute(sa.update(savings_accounts)
                     .where(savings_accounts.c.account_id == savings.account.id).values(**values))


def reactivate(ctx: Context, savings: SavingsAccount, note: str) -> None:
    """Staff reactivate a dormant account (after checking the member, say)."""
    if savings.dormant_since is None:
        raise Conflict(_("account {account} is not dormant", account=savings.number))
    ctx.conn.execute(sa.update(savings_accounts)
                     .where(savings_accounts.c.account_id == savings.account.id)
                     .values(dormant_since=None, last_activity_on=ctx.business_date))
    record_event(ctx, savings.account.id, "reactivated", note)
