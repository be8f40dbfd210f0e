"""Operations on musyarakah and musyarakah mutanaqisah financing; each becomes an API route and
a CLI command (:mod:`kopcore_sharia.musyarakah` holds the rules and the books)."""

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
from kopcore_sharia import chart, musyarakah, musyarakah_eod
from kopcore_sharia.messages import _
from kopcore_sharia.musyarakah import Basis, Form, Kind
from kopcore_sharia.musyarakah_tables import musyarakah_reports
from kopcore_sharia.operations import (
    ACCOUNT,
    CASH,
    MEMBER,
    _account_out,
    _money,
    _positive,
)

ERRORS = (NotFound, MemberNotActive, Conflict, InsufficientFunds, AccountClosed, AccountFrozen,
          PostingVetoed, ValidationError)


def _ppm(value: Decimal) -> int:
    scaled = value * 10_000
    if scaled != scaled.to_integral_value():
        raise ValidationError(_("nisbah: at most 4 decimals of a percent"), field="nisbah")
    return int(scaled)


def _percent(ppm: int) -> Decimal:
    return Decimal(format((Decimal(ppm) / 10_000).normalize(), "f"))


@attrs.frozen
class ContractIn:
    member: str = attrs.field(metadata=MEMBER)
    business: str = attrs.field(metadata={
        "help": "The business the partners finance, e.g. 'Warung sembako Pasar Baru'",
        "max_length": 200})
    capital: Decimal = attrs.field(metadata={
        "help": "The cooperative's contribution in rupiah: the cash paid, or a non-cash "
                "asset's fair value"})
    member_capital: Decimal = attrs.field(metadata={
        "help": "The member's own contribution in rupiah, recorded (a loss is borne in "
                "proportion to both)"})
    member_contribution: str = attrs.field(metadata={
        "help": "What the member contributes, e.g. 'kas', 'stok barang dagangan'",
        "max_length": 200})
    term_months: int = attrs.field(metadata={"help": "Term of the contract in months",
                                             "minimum": 1, "maximum": musyarakah.MAX_TERM})
    cash_account: str | None = attrs.field(default=None, metadata={
        **CASH, "help": "Account paying the cash contribution (teller cash, bank)"})
    kind: Kind = attrs.field(default=Kind.PERMANENT, metadata={
        "help": "permanent (capital returned at the end) or diminishing (musyarakah "
                "mutanaqisah: the member buys the cooperative's share by installments)"})
    nisbah: Decimal | None = attrs.field(default=None, metadata={
        "help": "The cooperative's share of the result in percent (40 for 40 : 60), up to 4 "
                "decimals; required for a permanent musyarakah"})
    basis: Basis = attrs.field(default=Basis.REVENUE, metadata={
        "help": "revenue (revenue sharing, the default) or profit (profit-loss sharing)"})
    installments: int | None = attrs.field(default=None, metadata={
        "help": "Mutanaqisah: monthly installments buying the cooperative's share",
        "minimum": 1, "maximum": musyarakah.MAX_TERM})
    ujrah: Decimal | None = attrs.field(default=None, metadata={
        "help": "Mutanaqisah: the monthly ujrah of the whole asset agreed at signing, shared "
                "by ownership"})
    form: Form = attrs.field(default=Form.CASH, metadata={
        "help": "cash, or non_cash (an asset of the cooperative handed over at fair value)"})
    asset: str | None = attrs.field(default=None, metadata={
        "help": "Non-cash: the asset handed over", "max_length": 200})
    asset_account: str | None = attrs.field(default=None, metadata={
        "help": "Non-cash: the internal account holding the asset at its carrying value",
        "max_length": 64})
    carrying_value: Decimal | None = attrs.field(default=None, metadata={
        "help": "Non-cash: the asset's carrying value in rupiah"})
    useful_life_months: int | None = attrs.field(default=None, metadata={
        "help": "Non-cash: the asset's remaining useful life in months; the investment is "
                "depreciated over it (none: not depreciated, e.g. land)",
        "minimum": 1, "maximum": 1200})
    rounding_unit: Decimal = attrs.field(default=Decimal(1), metadata={
        "help": "Shares and installments are rounded half up to this many rupiah"})
    number: str | None = attrs.field(default=None, metadata={
        "help": "Account number (default: MS/MM + id)", "max_length": 64})


@attrs.frozen
class AccountIn:
    account: str = attrs.field(metadata=ACCOUNT)


@attrs.frozen
class ReportIn:
    account: str = attrs.field(metadata=ACCOUNT)
    result: Decimal = attrs.field(metadata={
        "help": "The month's realised result in rupiah as agreed: revenue (revenue sharing) or "
                "profit, negative for a loss (profit-loss sharing)"})
    cash_account: str | None = attrs.field(default=None, metadata={
        **CASH, "help": "Account the cooperative's share comes in to (none: the share is "
                        "agreed and owed by the partner, its receivable)"})
    negligence: str | None = attrs.field(default=None, metadata={
        "help": "A loss caused by the partner's negligence: the finding (reference and "
                "ground); the partner then bears it", "max_length": 200})
    memo: str = attrs.field(default="", metadata={"help": "The member's report reference",
                                                  "max_length": 200})


@attrs.frozen
class PayIn:
    account: str = attrs.field(metadata=ACCOUNT)
    cash_account: str = attrs.field(metadata=CASH)


@attrs.frozen
class ReturnIn:
    account: str = attrs.field(metadata=ACCOUNT)
    amount: Decimal = attrs.field(metadata={"help": "Capital returned, in rupiah"})
    cash_account: str = attrs.field(metadata=CASH)


@attrs.frozen
class EndIn:
    account: str = attrs.field(metadata=ACCOUNT)
    amount: Decimal = attrs.field(metadata={
        "help": "Capital the member returns now, in rupiah; the rest becomes a receivable"})
    cash_account: str | None = attrs.field(default=None, metadata=CASH)
    ground: str = attrs.field(default="", metadata={
        "help": "Why the partner owes a shortfall (the finding of negligence), required with "
                "one", "max_length": 200})


@attrs.frozen
class CollectIn:
    account: str = attrs.field(metadata={"help": "The musyarakah receivable (MP...)",
                                         "max_length": 64})
    amount: Decimal = attrs.field(metadata={"help": "Amount paid, in rupiah"})
    cash_account: str = attrs.field(metadata=CASH)


@attrs.frozen
class NoInput:
    pass


@attrs.frozen
class InstallmentOut:
    number: int
    due_on: date
    purchase: Money
    ujrah: Money
    total: Money
    #: The cooperative's share still owned before this installment.
    remaining: Money
    paid: bool


@attrs.frozen
class MusyarakahOut:
    account: AccountOut
    kind: str
    business: str
    basis: str
    #: The cooperative's share of the result in percent (none: a mutanaqisah's ujrah follows
    #: ownership).
    nisbah: Decimal | None
    capital: Money
    form: str
    asset: str | None
    carrying_value: Money | None
    member_capital: Money
    member_contribution: str
    #: The cooperative's share of the whole now, in percent (its remaining capital over both).
    ownership: Decimal
    term_months: int
    contract_on: date
    maturity_on: date
    installments: int | None
    paid_installments: int
    ujrah: Money
    reports: int
    income: Money
    losses: Money
    returned: Money
    #: The investment's balance: what is outstanding.
    outstanding: Money
    deferred_gain: Money
    gain_recognised: Money
    useful_life_months: int | None
    #: Depreciation of a non-cash contribution charged against the investment so far.
    depreciated: Money
    next_installment: InstallmentOut | None
    next_due_on: date | None
    status: str
    ended_on: date | None
    days_past_due: int
    collectibility: str | None
    allowance: Money
    receivable: str | None
    shortfall_ground: str | None


@attrs.frozen
class MusyarakahEntryOut:
    musyarakah: MusyarakahOut
    entry: EntryOut


@attrs.frozen
class ReportOut:
    period: int
    result: Money
    #: The cooperative's share: income, or (negative) the loss it bore.
    share: Money
    negligence: str | None
    memo: str
    business_date: date
    actor: str
    entry_id: int | None


@attrs.frozen
class ReportEntryOut:
    musyarakah: MusyarakahOut
    report: ReportOut
    entry: EntryOut | None


@attrs.frozen
class PayOut:
    musyarakah: MusyarakahOut
    installment: InstallmentOut
    entry: EntryOut


@attrs.frozen
class EndOut:
    musyarakah: MusyarakahOut
    receivable: AccountOut | None
    entry: EntryOut


@attrs.frozen
class CollectOut:
    account: AccountOut
    entry: EntryOut


@attrs.frozen
class ScheduleOut:
    account: str
    installments: list[InstallmentOut]


@attrs.frozen
class ReportsOut:
    account: str
    reports: list[ReportOut]


@attrs.frozen
class ClassOut:
    code: str
    name: str
    contracts: int
    outstanding: Money


@attrs.frozen
class PortfolioOut:
    business_date: date
    classes: list[ClassOut]
    outstanding: Money
    #: Outstanding in every class but the current one (Kurang Lancar, Diragukan, Macet).
    non_performing: Money
    #: non_performing / outstanding in percent, 2 decimals (rounded half up).
    npf: Decimal


def _installment_out(c: musyarakah.Contract, row: musyarakah.Installment) -> InstallmentOut:
    return InstallmentOut(row.number, row.due_on, c.money(row.purchase), c.money(row.ujrah),
                          c.money(row.total), c.money(row.remaining),
                          row.number <= c.paid_installments)


def _out(ctx: Context, c: musyarakah.Contract) -> MusyarakahOut:
    rows = c.schedule()
    upcoming = None
    if rows and c.status == musyarakah.ACTIVE:
        upcoming = _installment_out(c, rows[c.paid_installments])
    receivable = None
    if c.receivable_account_id is not None:
        receivable = query.account_number(ctx, c.receivable_account_id)
    return MusyarakahOut(
        _account_out(ctx, c.account), c.kind.value, c.business, c.basis.value,
        None if c.nisbah_ppm is None else _percent(c.nisbah_ppm), c.money(c.capital),
        c.form.value, c.asset, None if c.carrying_value is None else c.money(c.carrying_value),
        c.money(c.member_capital), c.member_contribution, _percent(c.ownership_ppm),
        c.term_months, c.contract_on, c.maturity_on, c.installments, c.paid_installments,
        c.money(c.ujrah), c.reports, c.money(c.income), c.money(c.losses), c.money(c.returned),
        c.account.balance, c.money(c.deferred_gain), c.money(c.gain_recognised),
        c.useful_life_months, c.money(c.depreciated), upcoming,
        c.next_due_on, c.status, c.ended_on, c.days_past_due, c.collectibility,
        c.money(c.allowance), receivable, c.shortfall_ground)


def contract(ctx: Context, data: ContractIn) -> MusyarakahEntryOut:
    """Sign a musyarakah with a member and hand over the cooperative's capital: cash, or a
    non-cash asset at its fair value (a gain over its carrying value deferred and amortised
    over the term, a loss recognised at once). Permanent: the result is shared by the nisbah,
    a loss by capital, the capital returned at the end. Diminishing (mutanaqisah): the member
    buys the cooperative's share by monthly installments, each with the cooperative's part of
    the agreed ujrah."""
    member = ledger.get_member(ctx, data.member)
    currency = ctx.settings.currency
    if data.form is Form.CASH:
        if data.cash_account is None:
            raise ValidationError(_("name the account paying the cooperative's capital"),
                                  field="cash_account")
        source = data.cash_account
    else:
        if data.asset_account is None or data.carrying_value is None:
            raise ValidationError(_("a non-cash contribution names the asset and its "
                                    "carrying value"), field="asset_account")
        source = data.asset_account
    terms = musyarakah.Terms(
        kind=data.kind, business=data.business,
        capital=_positive(ctx, data.capital, "capital", currency),
        member_capital=_positive(ctx, data.member_capital, "member_capital", currency),
        member_contribution=data.member_contribution, term_months=data.term_months,
        basis=data.basis, nisbah_ppm=None if data.nisbah is None else _ppm(data.nisbah),
        form=data.form, asset=data.asset,
        carrying_value=None if data.carrying_value is None else _positive(
            ctx, data.carrying_value, "carrying_value", currency),
        installments=data.installments, useful_life_months=data.useful_life_months,
        ujrah=None if data.ujrah is None else _money(ctx, data.ujrah, "ujrah", currency),
        rounding_unit=_positive(ctx, data.rounding_unit, "rounding_unit", currency))
    made, entry = musyarakah.create(ctx, member, terms, source_account=source,
                                    number=data.number)
    return MusyarakahEntryOut(_out(ctx, made), EntryOut.of(entry))


def _report_out(c: musyarakah.Contract, r: sa.Row[tuple[object, ...]]) -> ReportOut:
    m = r._mapping
    return ReportOut(int(m["period"]), c.money(int(m["result"])), c.money(int(m["share"])),
                     m["negligence"], str(m["memo"]), m["business_date"], str(m["actor"]),
                     m["entry_id"])


def _reports(ctx: Context, c: musyarakah.Contract) -> list[ReportOut]:
    r = musyarakah_reports.c
    return [_report_out(c, row) for row in ctx.conn.execute(
        sa.select(musyarakah_reports).where(r.account_id == c.account.id).order_by(r.period))]


def report(ctx: Context, data: ReportIn) -> ReportEntryOut:
    """Record the member's report of the next month's realised result: the cooperative's share
    by the nisbah is income when received; a loss (profit-loss sharing) is borne by capital and
    reduces the investment, unless the partner's negligence is recorded."""
    current = musyarakah.get_contract(ctx, data.account)
    result = Money.parse(data.result, current.account.currency, field="result")
    made, _share, entry = musyarakah.report_result(
        ctx, data.account, result, cash_account=data.cash_account,
        negligence=data.negligence, memo=data.memo)
    return ReportEntryOut(_out(ctx, made), _reports(ctx, made)[-1],
                          None if entry is None else EntryOut.of(entry))


def pay(ctx: Context, data: PayIn) -> PayOut:
    """Collect a musyarakah mutanaqisah's next installment: the share bought and the
    cooperative's part of the ujrah."""
    made, row, entry = musyarakah.pay_installment(ctx, data.account, data.cash_account)
    return PayOut(_out(ctx, made), _installment_out(made, row), EntryOut.of(entry))


def return_capital(ctx: Context, data: ReturnIn) -> MusyarakahEntryOut:
    """The member returns the cooperative's capital (a permanent musyarakah: part or all; a
    mutanaqisah: the whole remaining share at once)."""
    current = musyarakah.get_contract(ctx, data.account)
    amount = _positive(ctx, data.amount, "amount", current.account.currency)
    made, entry = musyarakah.return_capital(ctx, data.account, amount, data.cash_account)
    return MusyarakahEntryOut(_out(ctx, made), EntryOut.of(entry))


def end(ctx: Context, data: EndIn) -> EndOut:
    """End a permanent musyarakah at maturity: the capital returned now, and what the partner
    has not returned recorded as a receivable from the partner with its ground."""
    current = musyarakah.get_contract(ctx, data.account)
    amount = _money(ctx, data.amount, "amount", current.account.currency)
    made, receivable, entry = musyarakah.end(ctx, data.account, amount, data.cash_account,
                                             data.ground)
    return EndOut(_out(ctx, made), None if receivable is None else _account_out(ctx, receivable),
                  EntryOut.of(entry))


def collect(ctx: Context, data: CollectIn) -> CollectOut:
    """Collect what a partner owes after a musyarakah ended; the receivable closes when paid."""
    account = ledger.get_account(ctx, data.account)
    amount = _positive(ctx, data.amount, "amount", account.currency)
    after, entry = musyarakah.collect(ctx, data.account, amount, data.cash_account)
    return CollectOut(_account_out(ctx, after), EntryOut.of(entry))


def detail(ctx: Context, data: AccountIn) -> MusyarakahOut:
    """A musyarakah: terms, ownership, outstanding, income, losses, next due, class."""
    return _out(ctx, musyarakah.get_contract(ctx, data.account))


def schedule(ctx: Context, data: AccountIn) -> ScheduleOut:
    """A musyarakah mutanaqisah's installments: share bought, ujrah part, the cooperative's
    share before each, what is paid (a permanent musyarakah has none)."""
    c = musyarakah.get_contract(ctx, data.account)
    return ScheduleOut(data.account, [_installment_out(c, row) for row in c.schedule()])


def reports(ctx: Context, data: AccountIn) -> ReportsOut:
    """The member's monthly result reports of a musyarakah and the cooperative's shares."""
    c = musyarakah.get_contract(ctx, data.account)
    return ReportsOut(data.account, _reports(ctx, c))


def portfolio(ctx: Context, data: NoInput) -> PortfolioOut:
    """Active musyarakah financing per kolektibilitas class (at the last end of day): contracts
    and outstanding (the investments' balance), the non-performing part and its ratio (NPF)."""
    currency = ctx.settings.currency
    lines = musyarakah_eod.outstanding_by_class(ctx)
    total = sum(line.outstanding for line in lines)
    bad = sum(line.outstanding for line in lines[1:])
    npf = Decimal(0) if total == 0 else (Decimal(bad * 100) / total).quantize(Decimal("0.01"),
                                                                            "ROUND_HALF_UP")
    return PortfolioOut(ctx.business_date,
                        [ClassOut(x.code, x.name, x.contracts, Money(x.outstanding, currency))
                         for x in lines], Money(total, currency), Money(bad, currency), npf)


OPERATIONS: tuple[Operation, ...] = (
    Operation("sharia.musyarakah-contract", ContractIn, MusyarakahEntryOut, contract,
              permission=chart.TRANSACT, mutates=True,
              summary="Sign a musyarakah (or mutanaqisah) and hand over the capital",
              member_fields=("member",), approval_amount_field="capital", errors=ERRORS),
    Operation("sharia.musyarakah-report", ReportIn, ReportEntryOut, report,
              permission=chart.TRANSACT, mutates=True,
              summary="Record a month's business result and the cooperative's share",
              account_fields=("account",), errors=ERRORS),
    Operation("sharia.musyarakah-pay", PayIn, PayOut, pay, permission=chart.TRANSACT,
              mutates=True, summary="Collect a musyarakah mutanaqisah installment",
              account_fields=("account",), errors=ERRORS),
    Operation("sharia.musyarakah-return", ReturnIn, MusyarakahEntryOut, return_capital,
              permission=chart.TRANSACT, mutates=True,
              summary="Take back the cooperative's capital in a musyarakah",
              account_fields=("account",), approval_amount_field="amount", errors=ERRORS),
    Operation("sharia.musyarakah-end", EndIn, EndOut, end, permission=chart.TRANSACT,
              mutates=True,
              summary="End a musyarakah at maturity; a shortfall owed becomes a receivable",
              account_fields=("account",), errors=ERRORS),
    Operation("sharia.musyarakah-collect", CollectIn, CollectOut, collect,
              permission=chart.TRANSACT, mutates=True,
              summary="Collect a musyarakah receivable", account_fields=("account",),
              approval_amount_field="amount", errors=ERRORS),
    Operation("sharia.musyarakah-detail", AccountIn, MusyarakahOut, detail,
              permission=chart.READ, mutates=False, summary="Show a musyarakah",
              account_fields=("account",), errors=(NotFound,)),
    Operation("sharia.musyarakah-schedule", AccountIn, ScheduleOut, schedule,
              permission=chart.READ, mutates=False,
              summary="Show a musyarakah mutanaqisah's installments",
              account_fields=("account",), errors=(NotFound,)),
    Operation("sharia.musyarakah-reports", AccountIn, ReportsOut, reports,
              permission=chart.READ, mutates=False,
              summary="Show a musyarakah's result reports and shares",
              account_fields=("account",), errors=(NotFound,)),
    Operation("sharia.musyarakah-portfolio", NoInput, PortfolioOut, portfolio,
              permission=chart.REPORTS, mutates=False,
              summary="Musyarakah outstanding per kolektibilitas class and NPF"),
)
