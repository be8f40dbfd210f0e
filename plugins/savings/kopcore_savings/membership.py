"""What savings contributes when a member leaves, and which account pays for a member.

Exit (keluar): every savings balance is refunded — pokok, wajib, sukarela (with its interest
accrued so far posted first) and a matured time deposit — net of wajib arrears. The arrears
deducted (at most the refund) are credited to the wajib product's ``arrears_gl_key``. When the
savings policy defers the refund of pokok and wajib (:mod:`kopcore_savings.exit_refunds`), what
is left of it after the arrears is credited to ``payable.member_exit`` instead of being paid.
Exit is refused while an account is frozen or has money on hold, or a time deposit is still running.
"""

from __future__ import annotations

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.ledger import AccountStatus, Member
from kopcore.money import Money
from kopcore.records import ExitContribution, PostingLine, SettlementAccount, Side
from kopcore_savings import exit_refunds, interest, wajib
from kopcore_savings.accounts import member_savings, primary_sukarela, reactivate
from kopcore_savings.messages import _
from kopcore_savings.policy import get_policy
from kopcore_savings.products import SavingsType, get_product
from kopcore_savings.tables import accounts as savings_accounts
from kopcore_savings.tables import deposits

SETTLEMENT_PURPOSES = frozenset({"disbursement", "collection", "payment"})


def settlement_account(ctx: Context, member: Member, purpose: str, currency: str
                       ) -> SettlementAccount | None:
    if purpose not in SETTLEMENT_PURPOSES:
        return None
    primary = primary_sukarela(ctx, member.id, currency)
    if primary is None:
        return None
    return SettlementAccount(primary.number, f"Simpanan sukarela ({primary.product.code})")


def _refusal(ctx: Context, member: Member) -> str | None:
    for savings in member_savings(ctx, member.id):
        number = savings.number
        if savings.account.status is AccountStatus.FROZEN:
            return _("savings account {account} is frozen", account=number)
        if savings.account.held.is_positive():
            return _("savings account {account} has {held} on hold", account=number,
                     held=savings.account.held)
        if savings.type is SavingsType.BERJANGKA:
            status = ctx.conn.execute(sa.select(deposits.c.status).where(
                deposits.c.account_id == savings.account.id)).scalar()
            if status == "active":
                return _("time deposit {account} is still running: withdraw it "
                         "(savings.deposit-withdraw) first", account=number)
    return None


@attrs.frozen
class Settlement:
    """What savings settles for a leaving member, read from the balances as they stand."""

    #: Debits emptying every savings balance; credits of the wajib arrears deducted.
    lines: list[PostingLine]
    #: Every savings balance refunded, in minor units.
    refund: int
    #: The pokok and wajib among them.
    capital: int
    #: Wajib arrears deducted from the refund (at most the refund).
    deducted: int
    currency: str
    note: str

    @property
    def deferrable(self) -> int:
        """The capital the policy may defer: arrears are set against the capital first."""
        return max(self.capital - self.deducted, 0)


def settlement(ctx: Context, member: Member) -> Settlement:
    """The exit's lines and figures from the member's savings as they stand; writes nothing."""
    lines: list[PostingLine] = []
    refund = capital = 0
    currency = ctx.settings.currency
    for savings in member_savings(ctx, member.id):
        current = ledger.get_account(ctx, savings.number).balance
        if current.is_positive():
            lines.append(PostingLine(savings.number, Side.DEBIT, current))
            refund += current.minor
            if savings.type in (SavingsType.POKOK, SavingsType.WAJIB):
                capital += current.minor
                currency = current.currency
    owed = wajib.arrears(ctx, member_id=member.id)
    note = f"{len(lines)} savings account(s) refunded"
    left = refund
    for item in owed:
        product = get_product(ctx, _product_code(ctx, item.account_id))
        deduction = min(item.amount, left)
        if deduction:
            lines.append(PostingLine(ledger.gl_account_number(product.arrears_gl_key), Side.CREDIT,
                                     Money(deduction, product.currency)))
            left -= deduction
            note += f"; wajib arrears {Money(deduction, product.currency).format()} deducted"
    return Settlement(lines, refund, capital, refund - left, currency, note)


@attrs.frozen
class ExitPreview:
    """What an exit today would do with the member's savings: the balances refunded, the wajib
    arrears deducted, what is paid with the exit and the parts the policy defers. Sukarela
    interest earned since its last posting is added by the exit itself."""

    refund: Money
    deducted: Money
    deferred: list[exit_refunds.PlannedPart]

    @property
    def deferred_total(self) -> Money:
        return Money(sum(p.amount.minor for p in self.deferred), self.refund.currency)

    @property
    def paid_now(self) -> Money:
        return self.refund - self.deducted - self.deferred_total


def preview(ctx: Context, member: Member) -> ExitPreview:
    """The exit's savings settlement as it would be today, by the code the exit runs
    (:func:`settlement`, :func:`kopcore_savings.exit_refunds.plan`); writes nothing."""
    found = settlement(ctx, member)
    parts = exit_refunds.plan(get_policy(ctx), found.deferrable, found.currency,
                              ctx.business_date)
    return ExitPreview(Money(found.refund, found.currency),
                       Money(found.deducted, found.currency), parts)


def exit_contribution(ctx: Context, member: Member) -> ExitContribution | None:
    accounts = member_savings(ctx, member.id)
    if not accounts:
        return None
    refusal = _refusal(ctx, member)
    if refusal:
        return ExitContribution(refusal=refusal)
    for savings in accounts:
        if savings.dormant_since is not None:
            reactivate(ctx, savings, "member exit")
        if savings.type is SavingsType.SUKARELA:
            interest.settle_account(ctx, savings.account.id)
    found = settlement(ctx, member)
    lines, note = list(found.lines), found.note
    deferred = exit_refunds.defer(ctx, member, found.deferrable, found.currency)
    if deferred is not None:
        lines.append(deferred)
        note += f"; {deferred.amount.format()} pokok and wajib owed until paid"
    return ExitContribution(lines=lines, note=note)


def _product_code(ctx: Context, account_id: int) -> str:
    return str(ctx.conn.execute(sa.select(savings_accounts.c.product_code)
                                .where(savings_accounts.c.account_id == account_id)).scalar_one())
