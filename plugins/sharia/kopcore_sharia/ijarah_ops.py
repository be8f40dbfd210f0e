"""Operations of ijarah and ijarah muntahiyah bittamlik (:mod:`kopcore_sharia.ijarah`); each
becomes an API route (``/api/v1/sharia/ijarah-…``) and a CLI command (``kopcore sharia
ijarah-…``)."""

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
from kopcore.views import AccountOut, EntryOut
from kopcore_sharia import chart, ijarah, ijarah_charges, tazir_terms
from kopcore_sharia.messages import _
from kopcore_sharia.murabahah import MAX_INSTALLMENTS
from kopcore_sharia.operations import (
    ACCOUNT,
    CASH,
    MEMBER,
    MurabahahTawidhIn,
    MurabahahTazirIn,
    _account_out,
    _money,
    _positive,
)

ERRORS = (NotFound, MemberNotActive, Conflict, InsufficientFunds, AccountClosed, AccountFrozen,
          PostingVetoed, ValidationError)


@attrs.frozen
class IjarahAcquireIn:
    asset: str = attrs.field(metadata={"help": "The asset to lease, e.g. 'Mesin jahit Juki'",
                                       "max_length": 200})
    cost: Decimal = attrs.field(metadata={"help": "Acquisition cost in rupiah"})
    useful_life_months: int = attrs.field(metadata={
        "help": "Useful life in months (an ijarah depreciates over it)", "minimum": 1,
        "maximum": ijarah.MAX_LIFE_MONTHS})
    cash_account: str = attrs.field(metadata={"help": "Account paying the supplier",
                                              "max_length": 64})
    supplier: str = attrs.field(metadata={"help": "The supplier", "max_length": 200})
    document: str = attrs.field(metadata={"help": "The supplier's invoice", "max_length": 200})
    residual: Decimal = attrs.field(default=Decimal(0), metadata={
        "help": "Residual value in rupiah at the end of the useful life (default 0)"})


@attrs.frozen
class IjarahAssetsIn:
    status: str | None = attrs.field(default=None, metadata={
        "help": "available, leased or transferred", "max_length": 16})


@attrs.frozen
class AssetOut:
    id: int
    asset: str
    cost: Money
    residual: Money
    useful_life_months: int
    accumulated_depreciation: Money
    #: Gradual sale: the cost and accumulated depreciation of the parts sold so far.
    sold_cost: Money
    sold_accumulated_depreciation: Money
    #: Of the part still the cooperative's.
    carrying_amount: Money
    depreciated_months: int
    supplier: str
    document: str
    acquired_on: date
    status: str
    contract: str | None
    entry_id: int
    actor: str


@attrs.frozen
class AssetEntryOut:
    asset: AssetOut
    entry: EntryOut


@attrs.frozen
class AssetsOut:
    assets: list[AssetOut]


@attrs.frozen
class IjarahContractIn:
    member: str = attrs.field(metadata=MEMBER)
    asset: int = attrs.field(metadata={
        "help": "The asset the cooperative owns and has not leased (ijarah-acquire)"})
    ujrah: Decimal = attrs.field(metadata={"help": "Monthly rent (ujrah) in rupiah, fixed"})
    term: int = attrs.field(metadata={"help": "Lease term in months", "minimum": 1,
                                      "maximum": MAX_INSTALLMENTS})
    kind: ijarah.Kind = attrs.field(default=ijarah.Kind.IJARAH, metadata={
        "help": "ijarah (the asset returns at the end) or imbt (ijarah muntahiyah bittamlik: "
                "it passes to the member)"})
    transfer: ijarah.Transfer | None = attrs.field(default=None, metadata={
        "help": "imbt: hibah (a gift at the end), sale (at transfer_price at the end) or "
                "gradual (transfer_price in equal parts, one bought with each rent)"})
    transfer_price: Decimal | None = attrs.field(default=None, metadata={
        "help": "imbt by sale or gradual sale: the price agreed now"})
    number: str | None = attrs.field(default=None, metadata={
        "help": "Account number (default: IJ + id)", "max_length": 64})
    tazir_flat: Decimal = attrs.field(default=Decimal(0),
                                      metadata=tazir_terms.flat_help("rent"))
    tazir_daily: Decimal = attrs.field(default=Decimal(0),
                                       metadata=tazir_terms.daily_help("a rent"))


@attrs.frozen
class IjarahAccountIn:
    account: str = attrs.field(metadata=ACCOUNT)


@attrs.frozen
class IjarahPayIn:
    account: str = attrs.field(metadata=ACCOUNT)
    cash_account: str = attrs.field(metadata=CASH)


@attrs.frozen
class IjarahEndIn:
    account: str = attrs.field(metadata=ACCOUNT)
    cash_account: str | None = attrs.field(default=None, metadata={
        "help": "imbt by sale: the account the price comes in to", "max_length": 64})


@attrs.frozen
class IjarahEarlySaleIn:
    account: str = attrs.field(metadata=ACCOUNT)
    price: Decimal = attrs.field(metadata={
        "help": "The price agreed now (in proportion to the rents left, or as agreed)"})
    cash_account: str = attrs.field(metadata={"help": "Account the price comes in to",
                                              "max_length": 64})


@attrs.frozen
class RentOut:
    number: int
    due_on: date
    ujrah: Money
    depreciation: Money
    #: Gradual sale: the price of the part bought with this rent (0 otherwise).
    sale_price: Money
    #: What the member pays for the month: ujrah + sale price.
    total: Money
    recognised: bool
    paid: bool


@attrs.frozen
class IjarahOut:
    account: AccountOut
    asset: AssetOut
    kind: str
    transfer: str | None
    transfer_price: Money
    ujrah: Money
    term: int
    contract_on: date
    rents_recognised: int
    rents_paid: int
    #: Ujrah fallen due and unpaid (the member account's balance).
    receivable: Money
    income_recognised: Money
    depreciation: Money
    next_rent: RentOut | None
    status: str
    ended_on: date | None
    days_past_due: int
    collectibility: str | None
    allowance: Money
    #: The ta'zir agreed at signing, and what it allows today on the late rent.
    tazir_flat: Money
    tazir_daily: Money
    tazir_agreed_now: Money


@attrs.frozen
class IjarahEntryOut:
    ijarah: IjarahOut
    entry: EntryOut | None


@attrs.frozen
class IjarahPayOut:
    ijarah: IjarahOut
    rent: RentOut
    entry: EntryOut


@attrs.frozen
class IjarahScheduleOut:
    account: str
    rents: list[RentOut]


def _asset_out(ctx: Context, a: ijarah.Asset) -> AssetOut:
    money = ctx.settings.currency
    contract = None
    if a.contract_account_id is not None:
        contract = ctx.conn.execute(sa.select(query.accounts.c.number).where(
            query.accounts.c.id == a.contract_account_id)).scalar_one()
    return AssetOut(a.id, a.asset, Money(a.cost, money), Money(a.residual, money),
                    a.useful_life_months, Money(a.accumulated, money),
                    Money(a.sold_cost, money), Money(a.sold_accumulated, money),
                    Money(a.carrying, money),
                    a.depreciated_months, a.supplier, a.document, a.acquired_on, a.status,
                    contract, a.entry_id, a.actor)


def _rent_out(c: ijarah.Contract, rent: ijarah.Rent) -> RentOut:
    return RentOut(rent.number, rent.due_on, c.money(rent.ujrah), c.money(rent.depreciation),
                   c.money(rent.sale_price), c.money(rent.total), rent.number <= c.accrued,
                   rent.number <= c.paid)


def _ijarah_out(ctx: Context, c: ijarah.Contract) -> IjarahOut:
    rents = c.schedule()
    upcoming = (_rent_out(c, rents[c.paid]) if c.status == ijarah.ACTIVE and c.paid < c.term
                else None)
    return IjarahOut(
        _account_out(ctx, c.account), _asset_out(ctx, ijarah.get_asset(ctx, c.asset_id)),
        c.kind.value, None if c.transfer is None else c.transfer.value,
        c.money(c.transfer_price), c.money(c.ujrah), c.term, c.contract_on, c.accrued, c.paid,
        c.account.balance, c.money(c.ujrah * c.accrued), c.money(c.depreciation), upcoming,
        c.status, c.ended_on, c.days_past_due, c.collectibility, c.money(c.allowance),
        c.money(c.tazir_terms.flat), c.money(c.tazir_terms.daily),
        c.money(ijarah_charges.agreed_tazir(c, ctx.business_date)))


def ijarah_acquire(ctx: Context, data: IjarahAcquireIn) -> AssetEntryOut:
    """Buy an asset to lease, at cost, with the supplier's invoice (Dr Aset Ijarah / Cr the
    paying account). A lease is refused for an asset the cooperative does not own."""
    currency = ctx.settings.currency
    found, entry = ijarah.acquire(
        ctx, asset=data.asset, cost=_positive(ctx, data.cost, "cost"),
        residual=_money(ctx, data.residual, "residual", currency),
        useful_life_months=data.useful_life_months, cash_account=data.cash_account,
        supplier=data.supplier, document=data.document)
    return AssetEntryOut(_asset_out(ctx, found), EntryOut.of(entry))


def ijarah_assets(ctx: Context, data: IjarahAssetsIn) -> AssetsOut:
    """Assets bought to lease: cost, depreciation, carrying amount, status and lease."""
    if data.status is not None and data.status not in (ijarah.AVAILABLE, ijarah.LEASED,
                                                       ijarah.TRANSFERRED):
        raise ValidationError(_("status: available, leased or transferred"), field="status")
    return AssetsOut([_asset_out(ctx, a) for a in ijarah.assets(ctx, data.status)])


def ijarah_contract(ctx: Context, data: IjarahContractIn) -> IjarahEntryOut:
    """Lease an asset the cooperative owns to a member for a monthly ujrah: a plain ijarah, or
    an IMBT that ends in the asset passing to the member by hibah or sale. No entry: the
    rents are recognised as they fall due."""
    member = ledger.get_member(ctx, data.member)
    currency = ctx.settings.currency
    price = (None if data.transfer_price is None
             else _money(ctx, data.transfer_price, "transfer_price", currency))
    contract = ijarah.create(
        ctx, member, asset_id=data.asset, ujrah=_positive(ctx, data.ujrah, "ujrah", currency),
        term=data.term, kind=data.kind, transfer=data.transfer, transfer_price=price,
        number=data.number, tazir_flat=_money(ctx, data.tazir_flat, "tazir_flat", currency),
        tazir_daily=_money(ctx, data.tazir_daily, "tazir_daily", currency))
    return IjarahEntryOut(_ijarah_out(ctx, contract), None)


def ijarah_pay(ctx: Context, data: IjarahPayIn) -> IjarahPayOut:
    """Collect the oldest unpaid rent (one ujrah) once it has fallen due."""
    contract, rent, entry = ijarah.pay(ctx, data.account, data.cash_account)
    return IjarahPayOut(_ijarah_out(ctx, contract), _rent_out(contract, rent),
                        EntryOut.of(entry))


def ijarah_end(ctx: Context, data: IjarahEndIn) -> IjarahEntryOut:
    """End a lease whose term has run, every rent paid: a plain ijarah returns the asset to the
    cooperative; an IMBT transfers it to the member by hibah or by sale at the agreed price."""
    contract, _asset, entry = ijarah.end(ctx, data.account, data.cash_account)
    return IjarahEntryOut(_ijarah_out(ctx, contract),
                          None if entry is None else EntryOut.of(entry))


def ijarah_early_sale(ctx: Context, data: IjarahEarlySaleIn) -> IjarahEntryOut:
    """Sell an IMBT's asset to the member before the term ends, every rent due so far paid; the
    rents not yet due lapse and the difference from the carrying amount is a gain or a loss."""
    current = ijarah.get_contract(ctx, data.account)
    price = _positive(ctx, data.price, "price", current.account.currency)
    contract, _asset, entry = ijarah.sell_early(ctx, data.account, price, data.cash_account)
    return IjarahEntryOut(_ijarah_out(ctx, contract), EntryOut.of(entry))


def ijarah_tazir(ctx: Context, data: MurabahahTazirIn) -> IjarahEntryOut:
    """Collect the ta'zir agreed at signing on a late rent from a member able to pay but late,
    once per rent, at most the agreed amount, to the social fund (never income)."""
    current = ijarah.get_contract(ctx, data.account)
    amount = None if data.amount is None else _positive(ctx, data.amount, "amount",
                                                        current.account.currency)
    contract, entry = ijarah_charges.charge_tazir(ctx, data.account, data.cash_account, amount,
                                                  able_to_pay=data.able_to_pay,
                                                  reason=data.reason)
    return IjarahEntryOut(_ijarah_out(ctx, contract), EntryOut.of(entry))


def ijarah_tawidh(ctx: Context, data: MurabahahTawidhIn) -> IjarahEntryOut:
    """Collect a ta'widh: the real cost a late rent caused, with its evidence, as income."""
    current = ijarah.get_contract(ctx, data.account)
    amount = _positive(ctx, data.amount, "amount", current.account.currency)
    contract, entry = ijarah_charges.charge_tawidh(ctx, data.account, data.cash_account,
                                                   amount, able_to_pay=data.able_to_pay,
                                                   cost=data.cost, evidence=data.evidence)
    return IjarahEntryOut(_ijarah_out(ctx, contract), EntryOut.of(entry))


def ijarah_detail(ctx: Context, data: IjarahAccountIn) -> IjarahOut:
    """A lease: the asset, ujrah, rents recognised and paid, receivable, depreciation,
    kolektibilitas."""
    return _ijarah_out(ctx, ijarah.get_contract(ctx, data.account))


def ijarah_schedule(ctx: Context, data: IjarahAccountIn) -> IjarahScheduleOut:
    """The lease's rents with their due dates and the depreciation of each month."""
    contract = ijarah.get_contract(ctx, data.account)
    return IjarahScheduleOut(data.account, [_rent_out(contract, r) for r in contract.schedule()])


OPERATIONS: tuple[Operation, ...] = (
    Operation("sharia.ijarah-acquire", IjarahAcquireIn, AssetEntryOut, ijarah_acquire,
              permission=chart.TRANSACT, mutates=True,
              summary="Buy an asset to lease (aset ijarah), at cost",
              approval_amount_field="cost", errors=ERRORS),
    Operation("sharia.ijarah-assets", IjarahAssetsIn, AssetsOut, ijarah_assets,
              permission=chart.REPORTS, mutates=False,
              summary="Assets bought to lease, their depreciation and status",
              errors=(ValidationError,)),
    Operation("sharia.ijarah-contract", IjarahContractIn, IjarahEntryOut, ijarah_contract,
              permission=chart.TRANSACT, mutates=True,
              summary="Lease an asset the cooperative owns (ijarah or IMBT)",
              member_fields=("member",), errors=ERRORS),
    Operation("sharia.ijarah-pay", IjarahPayIn, IjarahPayOut, ijarah_pay,
              permission=chart.TRANSACT, mutates=True,
              summary="Collect the oldest unpaid ijarah rent", account_fields=("account",),
              errors=ERRORS),
    Operation("sharia.ijarah-end", IjarahEndIn, IjarahEntryOut, ijarah_end,
              permission=chart.TRANSACT, mutates=True,
              summary="End a lease: the asset returns, or passes to the member (IMBT)",
              account_fields=("account",), errors=ERRORS),
    Operation("sharia.ijarah-early-sale", IjarahEarlySaleIn, IjarahEntryOut, ijarah_early_sale,
              permission=chart.TRANSACT, mutates=True,
              summary="Sell an IMBT's asset to the member before the term ends",
              account_fields=("account",), errors=ERRORS),
    Operation("sharia.ijarah-tazir", MurabahahTazirIn, IjarahEntryOut, ijarah_tazir,
              permission=chart.TRANSACT, mutates=True,
              summary="Collect the ta'zir agreed at signing on a late ijarah rent",
              account_fields=("account",), approval_amount_field="amount", errors=ERRORS),
    Operation("sharia.ijarah-tawidh", MurabahahTawidhIn, IjarahEntryOut, ijarah_tawidh,
              permission=chart.TRANSACT, mutates=True,
              summary="Collect a ta'widh: the real cost of a late rent, with its evidence",
              account_fields=("account",), approval_amount_field="amount", errors=ERRORS),
    Operation("sharia.ijarah-detail", IjarahAccountIn, IjarahOut, ijarah_detail,
              permission=chart.READ, mutates=False, summary="Show an ijarah contract",
              account_fields=("account",), errors=(NotFound,)),
    Operation("sharia.ijarah-schedule", IjarahAccountIn, IjarahScheduleOut, ijarah_schedule,
              permission=chart.READ, mutates=False, summary="Show an ijarah's rents",
              account_fields=("account",), errors=(NotFound,)),
)
