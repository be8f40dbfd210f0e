"""Operations on mudharabah pools, savings and deposits, and the monthly profit distribution."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    Conflict,
    InsufficientFunds,
    MemberNotActive,
    NotFound,
    PostingVetoed,
    ValidationError,
)
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import PostingLine, Side
from kopcore.views import AccountOut, EntryOut
from kopcore_sharia import chart, mudharabah
from kopcore_sharia.messages import _
from kopcore_sharia.mudharabah import AtMaturity, Basis, Kind
from kopcore_sharia.operations import (
    ACCOUNT,
    CASH,
    MEMBER,
    MoveIn,
    _account_out,
    _cash,
    _positive,
)
from kopcore_sharia.tables import distributions, mudharabah_accounts, shares

POOL = {"help": "Mudharabah pool code", "max_length": 32}
SETTLEMENT = {"help": "The member's wadiah or mudharabah savings account a deposit is paid out "
                      "to at maturity (default: the payout account)", "max_length": 64}
NISBAH = {"help": "Member's nisbah in percent (60 for 60 : 40), up to 4 decimals"}
ERRORS = (NotFound, MemberNotActive, Conflict, InsufficientFunds, AccountClosed, AccountFrozen,
          PostingVetoed, ValidationError)


def _ppm(value: Decimal, field: str = "nisbah") -> int:
    scaled = value * 10_000
    if scaled != scaled.to_integral_value():
        raise ValidationError(_("nisbah: at most 4 decimals of a percent"), field=field)
    return mudharabah.check_nisbah(int(scaled), field)


def _percent(ppm: int) -> Decimal:
    return Decimal(format((Decimal(ppm) / 10_000).normalize(), "f"))


@attrs.frozen
class PoolIn:
    code: str = attrs.field(metadata=POOL)
    name: str = attrs.field(metadata={"help": "Pool name", "max_length": 200})
    nisbah: Decimal = attrs.field(metadata={**NISBAH, "help": "Default member nisbah in "
                                            "percent for accounts opened in the pool"})
    basis: Basis = attrs.field(default=Basis.REVENUE, metadata={
        "help": "revenue (revenue sharing, the default) or profit (profit-loss sharing)"})
    rounding_unit: Decimal = attrs.field(default=Decimal(1), metadata={
        "help": "The members' total is rounded half up to this many rupiah"})


@attrs.frozen
class PoolOut:
    code: str
    name: str
    basis: str
    nisbah: Decimal
    rounding_unit: Money
    accounts: int


@attrs.frozen
class PoolsOut:
    pools: list[PoolOut]


@attrs.frozen
class NoInput:
    pass


@attrs.frozen
class OpenIn:
    member: str = attrs.field(metadata=MEMBER)
    pool: str = attrs.field(metadata=POOL)
    kind: Kind = attrs.field(default=Kind.SAVINGS, metadata={
        "help": "savings (tabungan) or deposit (deposito, with a term)"})
    nisbah: Decimal | None = attrs.field(default=None, metadata={
        **NISBAH, "help": "Member's nisbah in percent if agreed otherwise than the pool's"})
    term_months: int | None = attrs.field(default=None, metadata={
        "help": "Deposit term in months", "minimum": 1, "maximum": 120})
    amount: Decimal | None = attrs.field(default=None, metadata={
        "help": "Opening deposit in rupiah (required for a deposit)"})
    cash_account: str | None = attrs.field(default=None, metadata=CASH)
    payout_account: str | None = attrs.field(default=None, metadata={
        "help": "The member's wadiah or mudharabah savings account receiving the profit "
                "shares (default: this account)", "max_length": 64})
    number: str | None = attrs.field(default=None, metadata={
        "help": "Account number (default: MD/DM + id)", "max_length": 64})
    at_maturity: AtMaturity | None = attrs.field(default=None, metadata={
        "help": "A deposit at maturity: hold (the member withdraws, the default), payout (to "
                "the settlement account) or rollover (again for the same term)"})
    settlement_account: str | None = attrs.field(default=None, metadata=SETTLEMENT)


@attrs.frozen
class HoldingOut:
    account: AccountOut
    pool: str
    kind: str
    nisbah: Decimal
    opened_on: date
    maturity_on: date | None
    payout_account: str | None
    at_maturity: str | None
    settlement_account: str | None
    rollovers: int


@attrs.frozen
class HoldingEntryOut:
    holding: HoldingOut
    entry: EntryOut | None


@attrs.frozen
class NisbahIn:
    account: str = attrs.field(metadata=ACCOUNT)
    nisbah: Decimal = attrs.field(metadata=NISBAH)
    consent: str = attrs.field(metadata={
        "help": "The member's consent: reference of the signed agreement", "max_length": 200})


@attrs.frozen
class AccountIn:
    account: str = attrs.field(metadata=ACCOUNT)


@attrs.frozen
class MaturityIn:
    account: str = attrs.field(metadata=ACCOUNT)
    at_maturity: AtMaturity = attrs.field(metadata={
        "help": "hold (the member withdraws), payout (to the settlement account) or rollover "
                "(again for the same term)"})
    settlement_account: str | None = attrs.field(default=None, metadata=SETTLEMENT)


@attrs.frozen
class DistributeIn:
    pool: str = attrs.field(metadata=POOL)
    month: date = attrs.field(metadata={"help": "Any date in the month distributed (closed)"})
    distributable_income: Decimal | None = attrs.field(default=None, metadata={
        "help": "The pool's distributable income in rupiah (default: from the ledger, by the "
                "pool's basis)"})


@attrs.frozen
class LossIn:
    pool: str = attrs.field(metadata=POOL)
    month: date = attrs.field(metadata={"help": "Any date in the month of the loss (closed)"})
    loss: Decimal | None = attrs.field(default=None, metadata={
        "help": "The pool's loss in rupiah (default: the sharia unit's loss of the month from "
                "the ledger, the pool's part by its balances)"})
    negligence: str | None = attrs.field(default=None, metadata={
        "help": "The finding of the manager's negligence (reference and ground): the "
                "cooperative then bears the loss, not the fund owners", "max_length": 200})


@attrs.frozen
class ReportIn:
    pool: str = attrs.field(metadata=POOL)
    month: date = attrs.field(metadata={"help": "Any date in the month"})


@attrs.frozen
class ShareOut:
    account: str
    member: str | None
    average_balance: Money
    nisbah: Decimal
    share: Money


@attrs.frozen
class DistributionOut:
    pool: str
    period_from: date
    period_to: date
    basis: str
    distributable_income: Money
    pool_average_balance: Money
    members_share: Money
    cooperative_share: Money
    accounts: int
    shares: list[ShareOut]
    #: A loss month: the recorded negligence of the manager that keeps the loss with the
    #: cooperative (None: the fund owners bore it). A loss shows as negative amounts.
    negligence: str | None = None


@attrs.frozen
class AccountShareOut:
    pool: str
    period_from: date
    period_to: date
    average_balance: Money
    nisbah: Decimal
    share: Money


@attrs.frozen
class AccountSharesOut:
    account: str
    shares: list[AccountShareOut]


def _pool_out(ctx: Context, pool: mudharabah.Pool) -> PoolOut:
    h = mudharabah_accounts.c
    count = ctx.conn.execute(sa.select(sa.func.count()).where(h.pool_code == pool.code)
                             ).scalar_one()
    return PoolOut(pool.code, pool.name, pool.basis.value, _percent(pool.nisbah_ppm),
                   Money(pool.rounding_unit, ctx.settings.currency), int(count))


def _number(ctx: Context, account_id: int | None) -> str | None:
    if account_id is None:
        return None
    return query.account_number(ctx, account_id)


def _holding_out(ctx: Context, h: mudharabah.Holding) -> HoldingOut:
    deposit = h.kind is Kind.DEPOSIT
    return HoldingOut(_account_out(ctx, h.account), h.pool_code, h.kind.value,
                      _percent(h.nisbah_ppm), h.opened_on, h.maturity_on,
                      _number(ctx, h.payout_account_id),
                      h.at_maturity.value if deposit else None,
                      _number(ctx, h.settlement_account_id), h.rollovers)


def pool_create(ctx: Context, data: PoolIn) -> PoolOut:
    """Set up a mudharabah pool: its default nisbah and whether it shares revenue or profit."""
    unit = _positive(ctx, data.rounding_unit, "rounding_unit")
    pool = mudharabah.create_pool(ctx, code=data.code.strip(), name=data.name,
                                  basis=data.basis, nisbah_ppm=_ppm(data.nisbah),
                                  rounding_unit=unit.minor)
    return _pool_out(ctx, pool)


def pool_list(ctx: Context, data: NoInput) -> PoolsOut:
    """The mudharabah pools."""
    return PoolsOut([_pool_out(ctx, p) for p in mudharabah.list_pools(ctx)])


def open_account(ctx: Context, data: OpenIn) -> HoldingEntryOut:
    """Open a mudharabah savings account or term deposit; its nisbah is fixed from now on
    (changing it needs the member's recorded consent). A deposit is placed at opening."""
    member = ledger.get_member(ctx, data.member)
    pool = mudharabah.get_pool(ctx, data.pool)
    payout = ledger.get_account(ctx, data.payout_account) if data.payout_account else None
    settlement = (ledger.get_account(ctx, data.settlement_account)
                  if data.settlement_account else None)
    amount = _positive(ctx, data.amount, "amount") if data.amount is not None else None
    if data.kind is Kind.DEPOSIT and amount is None:
        raise ValidationError(_("a deposit is placed at opening: give the amount"), field="amount")
    if amount is not None and not data.cash_account:
        raise ValidationError(_("name the account the deposit is paid through"),
                              field="cash_account")
    holding = mudharabah.open_holding(
        ctx, member, pool, data.kind, nisbah_ppm=None if data.nisbah is None else
        _ppm(data.nisbah), term_months=data.term_months, payout=payout, number=data.number,
        at_maturity=data.at_maturity, settlement=settlement)
    entry = None
    if amount is not None:
        entry = EntryOut.of(ledger.post_entry(
            ctx, [PostingLine(_cash(ctx, data.cash_account or ""), Side.DEBIT, amount),
                  PostingLine(holding.account.number, Side.CREDIT, amount)],
            memo=f"Setoran awal mudharabah {holding.account.number}"))
        holding = mudharabah.get_holding(ctx, holding.account.number)
    return HoldingEntryOut(_holding_out(ctx, holding), entry)


def _move(ctx: Context, data: MoveIn, deposit: bool) -> HoldingEntryOut:
    holding = mudharabah.get_holding(ctx, data.account)
    amount = _positive(ctx, data.amount, "amount", holding.account.currency)
    number = holding.account.number
    if holding.kind is Kind.DEPOSIT:
        if deposit:
            raise Conflict(_("{number} is a term deposit: it is placed once, at opening",
                             number=number),
                           field="account")
        if not mudharabah.withdrawable_on(holding, ctx.business_date):
            raise Conflict(_("deposit {number} matures on {maturity_on}",
                             number=number, maturity_on=holding.maturity_on), field="account")
        if amount != holding.account.balance:
            raise ValidationError(_("a matured deposit is withdrawn in full ({balance})",
                                    balance=holding.account.balance), field="amount")
    side, other = (Side.CREDIT, Side.DEBIT) if deposit else (Side.DEBIT, Side.CREDIT)
    memo = "Setoran mudharabah" if deposit else "Penarikan mudharabah"
    entry = ledger.post_entry(ctx, [PostingLine(number, side, amount),
                                    PostingLine(_cash(ctx, data.cash_account), other, amount)],
                              memo=(data.memo.strip() or memo)[:500])
    return HoldingEntryOut(_holding_out(ctx, mudharabah.get_holding(ctx, number)),
                           EntryOut.of(entry))


def deposit(ctx: Context, data: MoveIn) -> HoldingEntryOut:
    """Take a cash deposit into a mudharabah savings account."""
    return _move(ctx, data, deposit=True)


def withdraw(ctx: Context, data: MoveIn) -> HoldingEntryOut:
    """Pay out of a mudharabah account: savings any time (never below zero), a deposit in full
    from its maturity date. The account stays open for the share of the month it was withdrawn
    in, which is withdrawn the same way once distributed."""
    return _move(ctx, data, deposit=False)


def nisbah(ctx: Context, data: NisbahIn) -> HoldingOut:
    """Change an account's nisbah, with the member's consent recorded; it applies from the
    distribution of the month it is agreed in (the nisbah in force at a month's end counts)."""
    holding = mudharabah.get_holding(ctx, data.account)
    return _holding_out(ctx, mudharabah.change_nisbah(ctx, holding, _ppm(data.nisbah),
                                                      data.consent))


def maturity(ctx: Context, data: MaturityIn) -> HoldingOut:
    """Change a deposit's instruction at maturity (hold, payout or rollover), before it
    matures; end of day carries it out on the maturity date."""
    holding = mudharabah.get_holding(ctx, data.account)
    settlement = (ledger.get_account(ctx, data.settlement_account)
                  if data.settlement_account else None)
    return _holding_out(ctx, mudharabah.change_instruction(ctx, holding, data.at_maturity,
                                                           settlement))


def detail(ctx: Context, data: AccountIn) -> HoldingOut:
    """A mudharabah account: pool, nisbah, maturity, balance."""
    return _holding_out(ctx, mudharabah.get_holding(ctx, data.account))


def _report(ctx: Context, pool: str, month: date) -> DistributionOut:
    first, last = mudharabah.month_of(month)
    c = distributions.c
    row = ctx.conn.execute(sa.select(distributions).where(c.pool_code == pool,
                                                          c.period_to == last)).first()
    if row is None:
        raise NotFound(_("pool {pool} has no distribution for {first}",
                         pool=pool, first=format(first, '%Y-%m')), field="month")
    s, a, m = shares.c, query.accounts.c, query.members.c
    currency = ctx.settings.currency
    lines = [ShareOut(r.number, r.member_number, Money(r.average_balance, currency),
                      _percent(r.nisbah_ppm), Money(r.amount, currency))
             for r in ctx.conn.execute(
                 sa.select(a.number, m.member_number, s.average_balance, s.nisbah_ppm, s.amount)
                 .join(query.accounts, a.id == s.account_id)
                 .outerjoin(query.members, m.id == a.member_id)
                 .where(s.distribution_id == row.id).order_by(a.number))]
    return DistributionOut(
        row.pool_code, row.period_from, row.period_to, row.basis,
        Money(row.distributable, currency), Money(row.pool_average, currency),
        Money(row.members_share, currency),
        Money(row.distributable - row.members_share, currency), row.accounts, lines,
        row.negligence)


def loss(ctx: Context, data: LossIn) -> DistributionOut:
    """Record a profit-loss sharing pool's loss of a closed month: borne by the fund owners in
    proportion to their average balances (debited to their mudharabah accounts), unless the
    manager's negligence is recorded, when the cooperative bears it. Revenue-sharing pools
    have revenue to share, never a loss."""
    pool = mudharabah.get_pool(ctx, data.pool)
    given = None if data.loss is None else _positive(ctx, data.loss, "loss")
    mudharabah.share_loss(ctx, pool, data.month, given, data.negligence)
    return _report(ctx, pool.code, data.month)


def distribute(ctx: Context, data: DistributeIn) -> DistributionOut:
    """Distribute a closed month's income of a pool: each account's share is distributable
    income * its average balance / the pool's * its nisbah, allocated exactly (the shares sum
    to the members' total to the rupiah). Credited in one entry per 5,000 accounts against the
    profit-sharing expense."""
    pool = mudharabah.get_pool(ctx, data.pool)
    given = None
    if data.distributable_income is not None:
        given = _positive(ctx, data.distributable_income, "distributable_income")
    mudharabah.distribute(ctx, pool, data.month, given)
    return _report(ctx, pool.code, data.month)


def report(ctx: Context, data: ReportIn) -> DistributionOut:
    """A pool's distribution for a month: income, the members' and the cooperative's share and
    every account's average balance, nisbah and share."""
    return _report(ctx, mudharabah.get_pool(ctx, data.pool).code, data.month)


def account_shares(ctx: Context, data: AccountIn) -> AccountSharesOut:
    """Every profit share an account received, and every loss it bore (negative), month by
    month: the member's distribution statement."""
    holding = mudharabah.get_holding(ctx, data.account)
    s, d = shares.c, distributions.c
    currency = ctx.settings.currency
    rows = ctx.conn.execute(
        sa.select(d.pool_code, d.period_from, d.period_to, s.average_balance, s.nisbah_ppm,
                  s.amount).join(distributions, d.id == s.distribution_id)
        .where(s.account_id == holding.account.id).order_by(d.period_to))
    return AccountSharesOut(holding.account.number, [
        AccountShareOut(r.pool_code, r.period_from, r.period_to,
                        Money(r.average_balance, currency), _percent(r.nisbah_ppm),
                        Money(r.amount, currency)) for r in rows])


OPERATIONS: tuple[Operation, ...] = (
    Operation("sharia.mudharabah-pool-create", PoolIn, PoolOut, pool_create,
              permission=chart.MANAGE, mutates=True, summary="Set up a mudharabah pool",
              errors=(Conflict, ValidationError)),
    Operation("sharia.mudharabah-pools", NoInput, PoolsOut, pool_list, permission=chart.READ,
              mutates=False, summary="List the mudharabah pools"),
    Operation("sharia.mudharabah-open", OpenIn, HoldingEntryOut, open_account,
              permission=chart.TRANSACT, mutates=True,
              summary="Open a mudharabah savings account or deposit", member_fields=("member",),
              approval_amount_field="amount", errors=ERRORS),
    Operation("sharia.mudharabah-deposit", MoveIn, HoldingEntryOut, deposit,
              permission=chart.TRANSACT, mutates=True,
              summary="Deposit into mudharabah savings", account_fields=("account",),
              approval_amount_field="amount", errors=ERRORS),
    Operation("sharia.mudharabah-withdraw", MoveIn, HoldingEntryOut, withdraw,
              permission=chart.TRANSACT, mutates=True,
              summary="Withdraw from a mudharabah account", account_fields=("account",),
              approval_amount_field="amount", errors=ERRORS),
    Operation("sharia.mudharabah-nisbah", NisbahIn, HoldingOut, nisbah,
              permission=chart.MANAGE, mutates=True,
              summary="Change a nisbah with the member's consent", account_fields=("account",),
              errors=(NotFound, Conflict, ValidationError)),
    Operation("sharia.mudharabah-maturity", MaturityIn, HoldingOut, maturity,
              permission=chart.TRANSACT, mutates=True,
              summary="Choose a deposit's payout or rollover at maturity",
              account_fields=("account",), errors=(NotFound, Conflict, ValidationError)),
    Operation("sharia.mudharabah-detail", AccountIn, HoldingOut, detail, permission=chart.READ,
              mutates=False, summary="Show a mudharabah account", account_fields=("account",),
              errors=(NotFound,)),
    Operation("sharia.mudharabah-distribute", DistributeIn, DistributionOut, distribute,
              permission=chart.MANAGE, mutates=True,
              summary="Distribute a pool's monthly profit", errors=ERRORS,
              approval_amount_field="distributable_income"),
    Operation("sharia.mudharabah-loss", LossIn, DistributionOut, loss,
              permission=chart.MANAGE, mutates=True,
              summary="Record a profit-loss sharing pool's monthly loss", errors=ERRORS,
              approval_amount_field="loss"),
    Operation("sharia.mudharabah-report", ReportIn, DistributionOut, report,
              permission=chart.REPORTS, mutates=False,
              summary="A pool's monthly distribution, per member", errors=(NotFound,)),
    Operation("sharia.mudharabah-shares", AccountIn, AccountSharesOut, account_shares,
              permission=chart.READ, mutates=False,
              summary="Profit shares received by an account", account_fields=("account",),
              errors=(NotFound,)),
)
