"""Operations of the sharia plugin; each becomes an API route and a CLI command."""

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
from kopcore.ledger import Account
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import PostingLine, Side
from kopcore.views import AccountOut, EntryOut
from kopcore_sharia import acquisition, chart, murabahah, tables, tazir_terms
from kopcore_sharia.messages import _

ACCOUNT = {"help": "Sharia account number", "max_length": 64}
MEMBER = {"help": "Member number", "max_length": 32}
CASH = {"help": "Account the money passes through (teller cash, bank)", "max_length": 64}
MEMO = {"help": "Note printed on the statement", "max_length": 200}
MOVE_ERRORS = (NotFound, AccountClosed, AccountFrozen, InsufficientFunds, PostingVetoed,
               ValidationError)


def _money(ctx: Context, value: Decimal, field: str, currency: str | None = None) -> Money:
    amount = Money.parse(value, currency or ctx.settings.currency, field=field)
    if amount.minor < 0:
        raise ValidationError(_("{field} may not be negative", field=field), field=field)
    return amount


def _positive(ctx: Context, value: Decimal, field: str, currency: str | None = None) -> Money:
    amount = _money(ctx, value, field, currency)
    if not amount.is_positive():
        raise ValidationError(_("{field} must be positive", field=field), field=field)
    return amount


def _cash(ctx: Context, number: str) -> str:
    """The cash account named: an internal one (teller cash, bank), never a member's."""
    return murabahah.internal_account(ctx, number)


def _account(ctx: Context, number: str, product: str, what: str) -> Account:
    account = ledger.get_account(ctx, number)
    if account.product_code != product:
        raise NotFound(_("{account} is not a {product} account", account=number, product=what),
                       field="account")
    return account


def _account_out(ctx: Context, account: Account) -> AccountOut:
    member = ledger.get_member_by_id(ctx, account.member_id) if account.member_id else None
    return AccountOut.of(account, member.member_number if member else None)


# --- murabahah ---------------------------------------------------------------------------------

@attrs.frozen
class MurabahahAcquireIn:
    member: str = attrs.field(metadata={"help": "Member the goods are bought for",
                                        "max_length": 32})
    asset: str = attrs.field(metadata={"help": "The goods, e.g. 'Motor Honda Beat'",
                                       "max_length": 200})
    cost: Decimal = attrs.field(metadata={"help": "Purchase cost of the goods in rupiah"})
    cash_account: str = attrs.field(metadata={
        "help": "Account paying the supplier (purchase) or advancing the agent (wakalah)",
        "max_length": 64})
    document: str = attrs.field(metadata={
        "help": "purchase: the supplier's invoice; wakalah: the wakalah agreement",
        "max_length": 200})
    method: acquisition.Method = attrs.field(default=acquisition.Method.PURCHASE, metadata={
        "help": "purchase (the cooperative buys from the supplier) or wakalah (the member "
                "buys as the cooperative's agent)"})
    supplier: str | None = attrs.field(default=None, metadata={
        "help": "The supplier (required for a purchase)", "max_length": 200})


@attrs.frozen
class WakalahPurchaseIn:
    acquisition: int = attrs.field(metadata={"help": "Acquisition id (murabahah-acquisitions)"})
    supplier: str = attrs.field(metadata={"help": "The supplier the agent bought from",
                                          "max_length": 200})
    document: str = attrs.field(metadata={"help": "The supplier's invoice", "max_length": 200})


@attrs.frozen
class AcquisitionsIn:
    member: str | None = attrs.field(default=None, metadata={
        "help": "Only this member's (member number)", "max_length": 32})
    status: str | None = attrs.field(default=None, metadata={
        "help": "agent, owned or sold", "max_length": 16})


@attrs.frozen
class AcquisitionOut:
    id: int
    member: str
    asset: str
    cost: Money
    method: str
    supplier: str | None
    wakalah_document: str | None
    purchase_document: str | None
    status: str
    recorded_on: date
    owned_on: date | None
    entry_id: int
    purchase_entry_id: int | None
    contract: str | None
    actor: str


@attrs.frozen
class AcquisitionEntryOut:
    acquisition: AcquisitionOut
    entry: EntryOut


@attrs.frozen
class AcquisitionsOut:
    acquisitions: list[AcquisitionOut]


@attrs.frozen
class MurabahahContractIn:
    member: str = attrs.field(metadata=MEMBER)
    acquisition: int = attrs.field(metadata={
        "help": "The goods the cooperative owns (murabahah-acquire); the sale is refused before"})
    margin: Decimal = attrs.field(metadata={
        "help": "Margin agreed at the contract in rupiah; fixed, it never compounds"})
    installments: int = attrs.field(metadata={"help": "Number of monthly installments",
                                              "minimum": 1,
                                              "maximum": murabahah.MAX_INSTALLMENTS})
    cash_account: str | None = attrs.field(default=None, metadata={
        "help": "Account the down payment comes in to (required with one)",
        "max_length": 64})
    down_payment: Decimal = attrs.field(default=Decimal(0), metadata={
        "help": "Down payment (urbun) received from the member, in rupiah"})
    rounding_unit: Decimal = attrs.field(default=Decimal(1), metadata={
        "help": "Installments are rounded half up to this many rupiah (the last absorbs the "
                "remainder)"})
    number: str | None = attrs.field(default=None, metadata={
        "help": "Account number (default: MB + id)", "max_length": 64})
    recognition: murabahah.Recognition = attrs.field(
        default=murabahah.Recognition.PROPORTIONAL, metadata={
            "help": "Margin recognition: proportional (equal margin per installment) or "
                    "annuity (more margin early)"})
    tazir_flat: Decimal = attrs.field(default=Decimal(0),
                                      metadata=tazir_terms.flat_help("installment"))
    tazir_daily: Decimal = attrs.field(default=Decimal(0),
                                       metadata=tazir_terms.daily_help("an installment"))


@attrs.frozen
class AccountIn:
    account: str = attrs.field(metadata=ACCOUNT)


@attrs.frozen
class MurabahahPayIn:
    account: str = attrs.field(metadata=ACCOUNT)
    cash_account: str = attrs.field(metadata=CASH)


@attrs.frozen
class MurabahahSettleIn:
    account: str = attrs.field(metadata=ACCOUNT)
    cash_account: str = attrs.field(metadata=CASH)


ABLE_TO_PAY = {"help": "The operator's finding that the member is able to pay but late "
                       "(required true: a member in hardship is given time, never charged)"}


@attrs.frozen
class MurabahahTazirIn:
    account: str = attrs.field(metadata=ACCOUNT)
    cash_account: str = attrs.field(metadata=CASH)
    able_to_pay: bool = attrs.field(metadata=ABLE_TO_PAY)
    reason: str = attrs.field(metadata={"help": "Why the member is found able but late",
                                        "max_length": 200})
    amount: Decimal | None = attrs.field(default=None, metadata={
        "help": "Ta'zir in rupiah, at most what the contract agreed for the late installment "
                "(default: exactly that)"})


@attrs.frozen
class MurabahahTawidhIn:
    account: str = attrs.field(metadata=ACCOUNT)
    amount: Decimal = attrs.field(metadata={
        "help": "The real cost the delay caused, in rupiah (not an opportunity loss)"})
    cash_account: str = attrs.field(metadata=CASH)
    able_to_pay: bool = attrs.field(metadata=ABLE_TO_PAY)
    cost: str = attrs.field(metadata={"help": "The cost incurred, e.g. 'Biaya penagihan ke "
                                              "rumah anggota'", "max_length": 200})
    evidence: str = attrs.field(metadata={"help": "Reference of its evidence: receipt, voucher",
                                          "max_length": 200})


@attrs.frozen
class InstallmentOut:
    number: int
    due_on: date
    principal: Money
    margin: Money
    total: Money
    paid: bool


@attrs.frozen
class MurabahahOut:
    account: AccountOut
    asset: str
    cost: Money
    margin: Money
    down_payment: Money
    selling_price: Money
    installments: int
    paid_installments: int
    margin_recognised: Money
    deferred_margin: Money
    muqasah: Money
    tazir: Money
    outstanding: Money
    next_installment: InstallmentOut | None
    status: str
    contract_on: date
    settled_on: date | None
    recognition: str
    days_past_due: int
    collectibility: str | None
    #: The ta'zir agreed at signing: per late installment, and per day late.
    tazir_flat: Money
    tazir_daily: Money
    #: The ta'zir the contract allows today on its late installment (0 when none is late).
    tazir_agreed_now: Money
    tawidh: Money


@attrs.frozen
class MurabahahEntryOut:
    murabahah: MurabahahOut
    entry: EntryOut


@attrs.frozen
class MurabahahPayOut:
    murabahah: MurabahahOut
    installment: InstallmentOut
    entry: EntryOut


@attrs.frozen
class MurabahahSettleOut:
    murabahah: MurabahahOut
    paid: Money
    entry: EntryOut


@attrs.frozen
class ScheduleOut:
    account: str
    installments: list[InstallmentOut]


def _installment_out(c: murabahah.Contract, row: murabahah.Installment) -> InstallmentOut:
    return InstallmentOut(row.number, row.due_on, c.money(row.principal), c.money(row.margin),
                          c.money(row.total), row.number <= c.paid_installments)


def _murabahah_out(ctx: Context, c: murabahah.Contract) -> MurabahahOut:
    rows = c.schedule()
    upcoming = None
    if c.status == murabahah.ACTIVE:
        upcoming = _installment_out(c, rows[c.paid_installments])
    return MurabahahOut(
        _account_out(ctx, c.account), c.asset, c.money(c.cost), c.money(c.margin),
        c.money(c.down_payment), c.money(c.cost + c.margin), c.installments,
        c.paid_installments, c.money(c.margin_recognised), c.money(c.deferred_margin),
        c.money(c.muqasah), c.money(c.tazir), c.account.balance, upcoming, c.status,
        c.contract_on, c.settled_on, c.recognition.value, c.days_past_due, c.collectibility,
        c.money(c.tazir_terms.flat), c.money(c.tazir_terms.daily),
        c.money(murabahah.agreed_tazir(c, ctx.business_date)[1]), c.money(c.tawidh))


def _acquisition_out(ctx: Context, a: acquisition.Acquisition) -> AcquisitionOut:
    member = ledger.get_member_by_id(ctx, a.member_id)
    contract = None
    if a.contract_account_id is not None:
        contract = ctx.conn.execute(sa.select(query.accounts.c.number).where(
            query.accounts.c.id == a.contract_account_id)).scalar_one()
    return AcquisitionOut(a.id, member.member_number, a.asset,
                          Money(a.cost, ctx.settings.currency), a.method.value, a.supplier,
                          a.wakalah_document, a.purchase_document, a.status, a.recorded_on,
                          a.owned_on, a.entry_id, a.purchase_entry_id, contract, a.actor)


def murabahah_acquire(ctx: Context, data: MurabahahAcquireIn) -> AcquisitionEntryOut:
    """Record the cooperative's acquisition of a murabahah's goods before the sale: bought from
    the supplier into inventory (purchase, with the supplier's invoice), or the money advanced
    to the member as its agent (wakalah, with the agreement) until the member reports the
    purchase."""
    member = ledger.get_member(ctx, data.member)
    found, entry = acquisition.record(
        ctx, member, asset=data.asset, cost=_positive(ctx, data.cost, "cost"),
        cash_account=data.cash_account, method=data.method, supplier=data.supplier,
        document=data.document)
    return AcquisitionEntryOut(_acquisition_out(ctx, found), EntryOut.of(entry))


def murabahah_wakalah_purchase(ctx: Context, data: WakalahPurchaseIn) -> AcquisitionEntryOut:
    """The member, as agent, reports the goods bought with the supplier's invoice: the advance
    becomes the cooperative's inventory, which may then be sold."""
    found, entry = acquisition.report_purchase(ctx, data.acquisition, supplier=data.supplier,
                                               document=data.document)
    return AcquisitionEntryOut(_acquisition_out(ctx, found), EntryOut.of(entry))


def murabahah_acquisitions(ctx: Context, data: AcquisitionsIn) -> AcquisitionsOut:
    """Murabahah acquisitions with their documents: awaiting the agent, owned, sold."""
    member_id = None if data.member is None else ledger.get_member(ctx, data.member).id
    if data.status is not None and data.status not in (acquisition.AGENT, acquisition.OWNED,
                                                       acquisition.SOLD):
        raise ValidationError(_("status: agent, owned or sold"), field="status")
    return AcquisitionsOut([_acquisition_out(ctx, a) for a in acquisition.listing(
        ctx, member_id=member_id, status=data.status)])


def murabahah_contract(ctx: Context, data: MurabahahContractIn) -> MurabahahEntryOut:
    """Contract a murabahah: the cooperative sells goods it owns (an acquisition) to the member
    at cost plus the agreed margin, paid in monthly installments. Posts the receivable, the
    deferred margin (contra-asset) and the goods out of inventory at cost; refused before the
    goods are the cooperative's."""
    member = ledger.get_member(ctx, data.member)
    currency = ctx.settings.currency
    contract, entry = murabahah.create(
        ctx, member, acquisition_id=data.acquisition,
        margin=_money(ctx, data.margin, "margin"),
        down_payment=_money(ctx, data.down_payment, "down_payment"),
        installments=data.installments,
        rounding_unit=_positive(ctx, data.rounding_unit, "rounding_unit", currency),
        cash_account=data.cash_account, number=data.number, recognition=data.recognition,
        tazir_flat=_money(ctx, data.tazir_flat, "tazir_flat", currency),
        tazir_daily=_money(ctx, data.tazir_daily, "tazir_daily", currency))
    return MurabahahEntryOut(_murabahah_out(ctx, contract), EntryOut.of(entry))


def murabahah_pay(ctx: Context, data: MurabahahPayIn) -> MurabahahPayOut:
    """Collect the next murabahah installment in cash and recognise its share of the margin
    (deferred margin to margin income)."""
    contract, row, entry = murabahah.pay_installment(ctx, data.account, data.cash_account)
    return MurabahahPayOut(_murabahah_out(ctx, contract), _installment_out(contract, row),
                           EntryOut.of(entry))


def murabahah_settle(ctx: Context, data: MurabahahSettleIn) -> MurabahahSettleOut:
    """Settle a murabahah early: the member pays the whole outstanding and the margin not yet
    recognised is recognised. A discount (muqasah) needs ``sharia.muqasah-propose`` and a
    second person's approval instead."""
    current = murabahah.get_contract(ctx, data.account)
    contract, paid, entry = murabahah.settle_early(ctx, data.account, data.cash_account,
                                                   Money.zero(current.account.currency))
    return MurabahahSettleOut(_murabahah_out(ctx, contract), paid, EntryOut.of(entry))


def murabahah_tazir(ctx: Context, data: MurabahahTazirIn) -> MurabahahEntryOut:
    """Collect the late charge (ta'zir) agreed at signing from a member able to pay but late,
    once per late installment, at most the agreed amount. It goes to the social fund (dana
    kebajikan), never to income."""
    current = murabahah.get_contract(ctx, data.account)
    amount = None if data.amount is None else _positive(ctx, data.amount, "amount",
                                                        current.account.currency)
    contract, entry = murabahah.charge_tazir(ctx, data.account, data.cash_account, amount,
                                             able_to_pay=data.able_to_pay, reason=data.reason)
    return MurabahahEntryOut(_murabahah_out(ctx, contract), EntryOut.of(entry))


def murabahah_tawidh(ctx: Context, data: MurabahahTawidhIn) -> MurabahahEntryOut:
    """Collect a ta'widh: the real cost the cooperative incurred through a member's delay,
    named with its evidence, from a member able to pay but late. It is income (ta'widh), apart
    from the ta'zir that goes to the social fund."""
    current = murabahah.get_contract(ctx, data.account)
    amount = _positive(ctx, data.amount, "amount", current.account.currency)
    contract, entry = murabahah.charge_tawidh(ctx, data.account, data.cash_account, amount,
                                              able_to_pay=data.able_to_pay, cost=data.cost,
                                              evidence=data.evidence)
    return MurabahahEntryOut(_murabahah_out(ctx, contract), EntryOut.of(entry))


@attrs.frozen
class LateChargeOut:
    kind: str
    installment: int | None
    business_date: date
    amount: Money
    #: The reason a ta'zir was charged, or the cost a ta'widh compensates.
    ground: str
    #: The evidence of a ta'widh's real cost (none for a ta'zir).
    evidence: str | None
    actor: str
    entry_id: int


@attrs.frozen
class LateChargesOut:
    account: str
    tazir: Money
    tawidh: Money
    charges: list[LateChargeOut]


def murabahah_charges(ctx: Context, data: AccountIn) -> LateChargesOut:
    """The ta'zir and ta'widh charged on a murabahah, each with its ground, evidence, user and
    entry, in the order charged."""
    contract = murabahah.get_contract(ctx, data.account)
    money, out = contract.money, []
    for kind, table, ground, evidence in (
            ("tazir", tables.tazir, tables.tazir.c.reason, sa.null()),
            ("tawidh", tables.tawidh, tables.tawidh.c.cost, tables.tawidh.c.evidence)):
        c = table.c
        for r in ctx.conn.execute(sa.select(c.installment, c.business_date, c.amount,
                                            ground.label("ground"),
                                            evidence.label("evidence"), c.actor, c.entry_id)
                                  .where(c.account_id == contract.account.id)):
            out.append(LateChargeOut(kind, r.installment, r.business_date, money(r.amount),
                                     r.ground, r.evidence, r.actor, r.entry_id))
    out.sort(key=lambda x: x.entry_id)
    return LateChargesOut(data.account, money(contract.tazir), money(contract.tawidh), out)


def murabahah_detail(ctx: Context, data: AccountIn) -> MurabahahOut:
    """A murabahah contract: price, margin recognised and deferred, outstanding, next due."""
    return _murabahah_out(ctx, murabahah.get_contract(ctx, data.account))


def murabahah_schedule(ctx: Context, data: AccountIn) -> ScheduleOut:
    """The installment schedule of a murabahah, with what is paid."""
    contract = murabahah.get_contract(ctx, data.account)
    return ScheduleOut(data.account,
                       [_installment_out(contract, row) for row in contract.schedule()])


# --- qardh -------------------------------------------------------------------------------------

@attrs.frozen
class QardhDisburseIn:
    member: str = attrs.field(metadata=MEMBER)
    amount: Decimal = attrs.field(metadata={"help": "Principal lent, in rupiah"})
    cash_account: str = attrs.field(metadata=CASH)
    admin_fee: Decimal = attrs.field(default=Decimal(0), metadata={
        "help": "Flat admin cost in rupiah, deducted from the cash paid out; never a "
                "percentage of the principal"})
    number: str | None = attrs.field(default=None, metadata={
        "help": "Account number (default: QD + id)", "max_length": 64})


@attrs.frozen
class MoveIn:
    account: str = attrs.field(metadata=ACCOUNT)
    amount: Decimal = attrs.field(metadata={"help": "Amount in rupiah"})
    cash_account: str = attrs.field(metadata=CASH)
    memo: str = attrs.field(default="", metadata=MEMO)


@attrs.frozen
class AccountEntryOut:
    account: AccountOut
    entry: EntryOut


def qardh_disburse(ctx: Context, data: QardhDisburseIn) -> AccountEntryOut:
    """Lend a member principal only (qardh), with at most a flat admin cost."""
    member = ledger.get_member(ctx, data.member)
    cash = _cash(ctx, data.cash_account)
    amount = _positive(ctx, data.amount, "amount")
    fee = _money(ctx, data.admin_fee, "admin_fee")
    if fee >= amount:
        raise ValidationError(_("the admin fee must be below the principal"),
                              field="admin_fee")
    account = ledger.open_account(
        ctx, name=f"Qardh {member.name}"[:200], gl_key=chart.QARDH_RECEIVABLE,
        plugin=chart.PLUGIN, member_id=member.id, product_code=chart.QARDH_PRODUCT,
        number=data.number, currency=amount.currency, floor=Money.zero(amount.currency),
        prefix="QD")
    lines = [PostingLine(account.number, Side.DEBIT, amount),
             PostingLine(cash, Side.CREDIT, amount - fee)]
    if fee.is_positive():
        lines.append(PostingLine(chart.gl(chart.QARDH_ADMIN_INCOME), Side.CREDIT, fee))
    entry = ledger.post_entry(ctx, lines, memo=f"Pencairan qardh {account.number}")
    return AccountEntryOut(_account_out(ctx, ledger.get_account(ctx, account.number)),
                           EntryOut.of(entry))


def qardh_repay(ctx: Context, data: MoveIn) -> AccountEntryOut:
    """Take a qardh repayment; more than the outstanding principal is refused. The account
    closes when repaid in full."""
    account = _account(ctx, data.account, chart.QARDH_PRODUCT, "qardh")
    amount = _positive(ctx, data.amount, "amount", account.currency)
    if amount > account.balance:
        raise InsufficientFunds(_("qardh {account} has only {outstanding} outstanding",
                                  account=account.number, outstanding=account.balance),
                                field="amount")
    entry = ledger.post_entry(ctx, [PostingLine(_cash(ctx, data.cash_account), Side.DEBIT, amount),
                                    PostingLine(account.number, Side.CREDIT, amount)],
                              memo=(data.memo.strip() or f"Angsuran qardh {account.number}"))
    after = ledger.get_account(ctx, account.number)
    if after.balance.minor == 0:
        after = ledger.close_account(ctx, account.number)
    return AccountEntryOut(_account_out(ctx, after), EntryOut.of(entry))


# --- wadiah ------------------------------------------------------------------------------------

@attrs.frozen
class WadiahOpenIn:
    member: str = attrs.field(metadata=MEMBER)
    number: str | None = attrs.field(default=None, metadata={
        "help": "Account number (default: WD + id)", "max_length": 64})


def wadiah_open(ctx: Context, data: WadiahOpenIn) -> AccountOut:
    """Open a wadiah yad dhamanah savings account (safekeeping; no promised return)."""
    member = ledger.get_member(ctx, data.member)
    account = ledger.open_account(
        ctx, name=f"Wadiah {member.name}"[:200], gl_key=chart.WADIAH, plugin=chart.PLUGIN,
        member_id=member.id, product_code=chart.WADIAH_PRODUCT, number=data.number,
        floor=Money.zero(ctx.settings.currency), prefix="WD")
    return _account_out(ctx, account)


def _wadiah_move(ctx: Context, data: MoveIn, side: Side, memo: str) -> AccountEntryOut:
    account = _account(ctx, data.account, chart.WADIAH_PRODUCT, "wadiah")
    amount = _positive(ctx, data.amount, "amount", account.currency)
    other = Side.CREDIT if side is Side.DEBIT else Side.DEBIT
    entry = ledger.post_entry(ctx, [PostingLine(account.number, side, amount),
                                    PostingLine(_cash(ctx, data.cash_account), other, amount)],
                              memo=(data.memo.strip() or memo)[:500])
    return AccountEntryOut(_account_out(ctx, ledger.get_account(ctx, account.number)),
                           EntryOut.of(entry))


def wadiah_deposit(ctx: Context, data: MoveIn) -> AccountEntryOut:
    """Take a cash deposit into a wadiah account."""
    return _wadiah_move(ctx, data, Side.CREDIT, "Setoran wadiah")


def wadiah_withdraw(ctx: Context, data: MoveIn) -> AccountEntryOut:
    """Pay a cash withdrawal from a wadiah account; it never goes below zero."""
    return _wadiah_move(ctx, data, Side.DEBIT, "Penarikan wadiah")


def wadiah_balance(ctx: Context, data: AccountIn) -> AccountOut:
    """A wadiah account and its balance."""
    return _account_out(ctx, _account(ctx, data.account, chart.WADIAH_PRODUCT, "wadiah"))


CONTRACT_ERRORS = (NotFound, MemberNotActive, Conflict, InsufficientFunds, AccountClosed,
                   AccountFrozen, PostingVetoed, ValidationError)

OPERATIONS: tuple[Operation, ...] = (
    Operation("sharia.murabahah-acquire", MurabahahAcquireIn, AcquisitionEntryOut,
              murabahah_acquire, permission=chart.TRANSACT, mutates=True,
              summary="Buy a murabahah's goods, or advance the member as agent (wakalah)",
              member_fields=("member",), approval_amount_field="cost",
              errors=CONTRACT_ERRORS),
    Operation("sharia.murabahah-wakalah-purchase", WakalahPurchaseIn, AcquisitionEntryOut,
              murabahah_wakalah_purchase, permission=chart.TRANSACT, mutates=True,
              summary="Record the goods the member bought as agent, with the invoice",
              errors=CONTRACT_ERRORS),
    Operation("sharia.murabahah-acquisitions", AcquisitionsIn, AcquisitionsOut,
              murabahah_acquisitions, permission=chart.REPORTS, mutates=False,
              summary="Murabahah acquisitions with their documents",
              errors=(NotFound, ValidationError)),
    Operation("sharia.murabahah-contract", MurabahahContractIn, MurabahahEntryOut,
              murabahah_contract, permission=chart.TRANSACT, mutates=True,
              summary="Contract a murabahah sale of goods the cooperative owns",
              member_fields=("member",), errors=CONTRACT_ERRORS),
    Operation("sharia.murabahah-pay", MurabahahPayIn, MurabahahPayOut, murabahah_pay,
              permission=chart.TRANSACT, mutates=True,
              summary="Collect the next murabahah installment", account_fields=("account",),
              errors=(Conflict, *MOVE_ERRORS)),
    Operation("sharia.murabahah-settle", MurabahahSettleIn, MurabahahSettleOut,
              murabahah_settle, permission=chart.TRANSACT, mutates=True,
              summary="Settle a murabahah early, without discount",
              account_fields=("account",), errors=(Conflict, *MOVE_ERRORS)),
    Operation("sharia.murabahah-tazir", MurabahahTazirIn, MurabahahEntryOut, murabahah_tazir,
              permission=chart.TRANSACT, mutates=True,
              summary="Collect the ta'zir agreed at signing into the social fund",
              account_fields=("account",), approval_amount_field="amount",
              errors=(Conflict, *MOVE_ERRORS)),
    Operation("sharia.murabahah-tawidh", MurabahahTawidhIn, MurabahahEntryOut,
              murabahah_tawidh, permission=chart.TRANSACT, mutates=True,
              summary="Collect a ta'widh: the real cost of a delay, with its evidence",
              account_fields=("account",), approval_amount_field="amount",
              errors=(Conflict, *MOVE_ERRORS)),
    Operation("sharia.murabahah-charges", AccountIn, LateChargesOut, murabahah_charges,
              permission=chart.READ, mutates=False,
              summary="The ta'zir and ta'widh charged on a murabahah",
              account_fields=("account",), errors=(NotFound,)),
    Operation("sharia.murabahah-detail", AccountIn, MurabahahOut, murabahah_detail,
              permission=chart.READ, mutates=False, summary="Show a murabahah contract",
              account_fields=("account",), errors=(NotFound,)),
    Operation("sharia.murabahah-schedule", AccountIn, ScheduleOut, murabahah_schedule,
              permission=chart.READ, mutates=False, summary="Show a murabahah schedule",
              account_fields=("account",), errors=(NotFound,)),
    Operation("sharia.qardh-disburse", QardhDisburseIn, AccountEntryOut, qardh_disburse,
              permission=chart.TRANSACT, mutates=True, summary="Disburse a qardh",
              member_fields=("member",), approval_amount_field="amount",
              errors=CONTRACT_ERRORS),
    Operation("sharia.qardh-repay", MoveIn, AccountEntryOut, qardh_repay,
              permission=chart.TRANSACT, mutates=True, summary="Take a qardh repayment",
              account_fields=("account",), approval_amount_field="amount",
              errors=(Conflict, *MOVE_ERRORS)),
    Operation("sharia.wadiah-open", WadiahOpenIn, AccountOut, wadiah_open,
              permission=chart.TRANSACT, mutates=True, summary="Open a wadiah account",
              member_fields=("member",), errors=(NotFound, MemberNotActive, Conflict,
                                                 ValidationError)),
    Operation("sharia.wadiah-deposit", MoveIn, AccountEntryOut, wadiah_deposit,
              permission=chart.TRANSACT, mutates=True, summary="Deposit into a wadiah account",
              account_fields=("account",), approval_amount_field="amount", errors=MOVE_ERRORS),
    Operation("sharia.wadiah-withdraw", MoveIn, AccountEntryOut, wadiah_withdraw,
              permission=chart.TRANSACT, mutates=True,
              summary="Withdraw from a wadiah account", account_fields=("account",),
              approval_amount_field="amount", errors=MOVE_ERRORS),
    Operation("sharia.wadiah-balance", AccountIn, AccountOut, wadiah_balance,
              permission=chart.READ, mutates=False, summary="Show a wadiah account",
              account_fields=("account",), errors=(NotFound,)),
)
