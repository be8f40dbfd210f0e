"""ZIS per PSAK 409: zakat, infak/sedekah, amil and non-halal funds, and the social fund (dana
kebajikan), kept apart from the financing business (maal apart from tamwil).

- **Receipts** (``sharia.zis-receive``): into the fund named. A zakat or infak/sedekah receipt
  may give the amil its share (``amil_share``, percent: at most 12.5 % of zakat — the amil is one
  of the eight asnaf — and 20 % of infak/sedekah): ``amil = amount x share``, rounded half up to
  the rupiah, to the amil fund, the rest to the zakat or infak fund, in one entry.
  Non-halal receipts — interest a bank pays on the cooperative's account (jasa giro), which the
  veto keeps out of the sharia books' income — go to the non-halal fund.
- **Distributions** (``sharia.zis-disburse``): never more than the fund holds; a zakat
  distribution names its asnaf (fakir, miskin, amil, mualaf, riqab, gharimin, fisabilillah,
  ibnu sabil); infak/sedekah may; the amil fund pays the amil's costs; the non-halal fund goes
  only to social purposes (never to the amil or the cooperative's operations), so it takes no
  asnaf.
- **Report** (``sharia.zis-report``): per fund opening, received, disbursed, closing, and the
  distributions per fund and asnaf over the period.

Every movement is recorded (``sharia_zis_movements``) beside its journal entry.
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from fractions import Fraction

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    AccountFrozen,
    InsufficientFunds,
    NotFound,
    PostingVetoed,
    ValidationError,
)
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import PostingLine, Side
from kopcore.views import EntryOut
from kopcore_sharia import chart
from kopcore_sharia.messages import _
from kopcore_sharia.murabahah import internal_account, round_half_up
from kopcore_sharia.tables import zis_movements

MOVE_ERRORS = (NotFound, AccountClosed, AccountFrozen, InsufficientFunds, PostingVetoed,
               ValidationError)


class Fund(enum.StrEnum):
    ZAKAT = "zakat"
    INFAQ = "infaq"
    AMIL = "amil"
    NON_HALAL = "non_halal"
    SOCIAL = "social"


class Asnaf(enum.StrEnum):
    """The eight groups entitled to zakat (QS At-Taubah 60)."""

    FAKIR = "fakir"
    MISKIN = "miskin"
    AMIL = "amil"
    MUALAF = "mualaf"
    RIQAB = "riqab"
    GHARIMIN = "gharimin"
    FISABILILLAH = "fisabilillah"
    IBNU_SABIL = "ibnu_sabil"


class Payer(enum.StrEnum):
    """Who pays a zakat or infak/sedekah: a person or an entity (a company, an institution);
    PSAK 409's statement of changes in funds shows the two apart."""

    INDIVIDUAL = "individual"
    ENTITY = "entity"


FUND_GL = {Fund.ZAKAT: chart.ZAKAT_FUND, Fund.INFAQ: chart.INFAQ_FUND,
           Fund.AMIL: chart.AMIL_FUND, Fund.NON_HALAL: chart.NON_HALAL_FUND,
           Fund.SOCIAL: chart.SOCIAL_FUND}
FUNDS = tuple((fund.value, FUND_GL[fund]) for fund in Fund)
#: The most of a receipt the amil may take, in percent.
AMIL_SHARE_MAX = {Fund.ZAKAT: Decimal("12.5"), Fund.INFAQ: Decimal(20)}


@attrs.frozen
class ZisIn:
    fund: Fund = attrs.field(metadata={
        "help": "zakat, infaq (infak and sedekah), amil, non_halal (e.g. a bank's interest) or "
                "social (dana kebajikan / qardhul hasan, where ta'zir lands)"})
    amount: Decimal = attrs.field(metadata={"help": "Amount in rupiah"})
    cash_account: str = attrs.field(metadata={
        "help": "Account the money passes through (teller cash, bank)", "max_length": 64})
    memo: str = attrs.field(metadata={"help": "Payer (muzakki/munfiq) or recipient "
                                              "(mustahik) and purpose", "max_length": 200})
    asnaf: Asnaf | None = attrs.field(default=None, metadata={
        "help": "Distribution: the recipient's asnaf (required for zakat)"})
    amil_share: Decimal = attrs.field(default=Decimal(0), metadata={
        "help": "Receipt of zakat or infaq: the amil's share in percent (at most 12.5 of "
                "zakat, 20 of infaq), rounded half up to the rupiah"})
    payer: Payer = attrs.field(default=Payer.INDIVIDUAL, metadata={
        "help": "Receipt of zakat or infaq: the muzakki or munfiq is an individual (default) "
                "or an entity"})
    restricted: bool = attrs.field(default=False, metadata={
        "help": "Receipt of infaq: restricted by the giver to the purpose in the memo "
                "(muqayyadah); default unrestricted (mutlaqah)"})


@attrs.frozen
class FundOut:
    fund: str
    balance: Money


@attrs.frozen
class ZisOut:
    fund: FundOut
    entry: EntryOut
    #: A receipt's part that went to the amil fund.
    amil_part: Money


@attrs.frozen
class ZisReportIn:
    from_date: date = attrs.field(metadata={"help": "First business date"})
    to_date: date = attrs.field(metadata={"help": "Last business date"})


@attrs.frozen
class FundLineOut:
    fund: str
    gl_account: str
    opening: Money
    received: Money
    disbursed: Money
    closing: Money


@attrs.frozen
class AsnafLineOut:
    fund: str
    asnaf: str | None
    disbursed: Money


@attrs.frozen
class ZisReportOut:
    from_date: date
    to_date: date
    funds: list[FundLineOut]
    #: Distributions of the period per fund and asnaf (asnaf null: none named).
    distributions: list[AsnafLineOut] = attrs.field(factory=list)


def _fund_out(ctx: Context, fund: Fund) -> FundOut:
    return FundOut(fund.value, ledger.get_account(ctx, chart.gl(FUND_GL[fund])).balance)


def _amount(ctx: Context, value: Decimal) -> Money:
    amount = Money.parse(value, ctx.settings.currency, field="amount")
    if not amount.is_positive():
        raise ValidationError(_("amount must be positive"), field="amount")
    return amount


def _record(ctx: Context, fund: Fund, direction: str, amount: Money, memo: str,
            entry_id: int, asnaf: Asnaf | None = None, payer: Payer | None = None,
            restricted: bool | None = None) -> None:
    ctx.conn.execute(zis_movements.insert().values(
        fund=fund.value, direction=direction, asnaf=None if asnaf is None else asnaf.value,
        amount=amount.minor, memo=memo[:200], business_date=ctx.business_date,
        actor=ctx.actor, entry_id=entry_id, payer=None if payer is None else payer.value,
        restricted=restricted))


def amil_part(amount: Money, percent: Decimal) -> Money:
    """``amount x percent / 100``, rounded half up to the rupiah."""
    unit = Money.parse(1, amount.currency).minor
    exact = Fraction(amount.minor) * Fraction(percent) / 100
    return Money(round_half_up(exact, unit), amount.currency)


def zis_receive(ctx: Context, data: ZisIn) -> ZisOut:
    """Receive zakat, infak/sedekah (with the amil's share, if any), an amil or social-fund
    receipt, or non-halal income into its fund (maal), apart from the financing business."""
    amount = _amount(ctx, data.amount)
    if data.asnaf is not None:
        raise ValidationError(_("asnaf names a distribution's recipient, not a receipt"),
                              field="asnaf")
    if data.restricted and data.fund is not Fund.INFAQ:
        raise ValidationError(_("only an infaq is restricted or not by its giver"),
                              field="restricted")
    if data.payer is not Payer.INDIVIDUAL and data.fund not in AMIL_SHARE_MAX:
        raise ValidationError(_("the payer is recorded for zakat and infaq receipts"),
                              field="payer")
    share = data.amil_share
    if share:
        top = AMIL_SHARE_MAX.get(data.fund)
        if top is None:
            raise ValidationError(_("the amil's share is taken from zakat or infaq only"),
                                  field="amil_share")
        exponent = share.as_tuple().exponent
        if not Decimal(0) <= share <= top or not isinstance(exponent, int) or exponent < -2:
            raise ValidationError(_("amil_share: 0-{top} percent, 2 decimals at most", top=top),
                                  field="amil_share")
    amil = amil_part(amount, share) if share else Money.zero(amount.currency)
    memo = data.memo.strip()
    lines = [PostingLine(internal_account(ctx, data.cash_account), Side.DEBIT, amount),
             PostingLine(chart.gl(FUND_GL[data.fund]), Side.CREDIT, amount - amil)]
    if amil.is_positive():
        lines.append(PostingLine(chart.gl(chart.AMIL_FUND), Side.CREDIT, amil))
    entry = ledger.post_entry(ctx, lines,
                              memo=f"Penerimaan {data.fund.value}: {memo}"[:500])
    paid = data.fund in AMIL_SHARE_MAX
    _record(ctx, data.fund, "in", amount - amil, memo, entry.id,
            payer=data.payer if paid else None,
            restricted=data.restricted if data.fund is Fund.INFAQ else None)
    if amil.is_positive():
        _record(ctx, Fund.AMIL, "in", amil, f"Bagian amil dari {data.fund.value}: {memo}",
                entry.id)
    return ZisOut(_fund_out(ctx, data.fund), EntryOut.of(entry), amil)


def zis_disburse(ctx: Context, data: ZisIn) -> ZisOut:
    """Distribute from a fund, never more than it holds: zakat to one of the eight asnaf (named),
    infak/sedekah to a mustahik, the amil fund for the amil's costs, the non-halal fund to
    social purposes only, the social fund as qardhul hasan or a donation."""
    amount = _amount(ctx, data.amount)
    memo = data.memo.strip()
    if not memo:
        raise ValidationError(_("name the recipient (mustahik) and purpose"), field="memo")
    if data.fund is Fund.ZAKAT and data.asnaf is None:
        raise ValidationError(_("zakat goes to one of the eight asnaf: name it"), field="asnaf")
    if data.fund in (Fund.NON_HALAL, Fund.AMIL, Fund.SOCIAL) and data.asnaf is not None:
        raise ValidationError(_("the {fund} fund is not zakat: it takes no asnaf",
                                fund=data.fund.value),
                              field="asnaf")
    if data.amil_share:
        raise ValidationError(_("the amil's share is taken on a receipt"), field="amil_share")
    if data.restricted or data.payer is not Payer.INDIVIDUAL:
        raise ValidationError(_("payer and restricted describe a receipt"), field="payer")
    held = _fund_out(ctx, data.fund).balance
    if amount > held:
        raise InsufficientFunds(_("the {fund} fund holds only {held}", fund=data.fund.value,
                                  held=held),
                                field="amount")
    entry = ledger.post_entry(
        ctx, [PostingLine(chart.gl(FUND_GL[data.fund]), Side.DEBIT, amount),
              PostingLine(internal_account(ctx, data.cash_account), Side.CREDIT, amount)],
        memo=f"Penyaluran {data.fund.value}"
             f"{'' if data.asnaf is None else ' (' + data.asnaf.value + ')'}: {memo}"[:500])
    _record(ctx, data.fund, "out", amount, memo, entry.id, data.asnaf)
    return ZisOut(_fund_out(ctx, data.fund), EntryOut.of(entry), Money.zero(amount.currency))


def zis_report(ctx: Context, data: ZisReportIn) -> ZisReportOut:
    """The ZIS, amil, non-halal and social funds over a period: opening, received, disbursed,
    closing (from the ledger), and the distributions per fund and asnaf."""
    if data.to_date < data.from_date:
        raise ValidationError(_("to_date is before from_date"), field="to_date")
    p, e, a = query.postings.c, query.journal_entries.c, query.accounts.c
    numbers = {chart.gl(key): name for name, key in FUNDS}
    # Credit-normal funds: received = credits (negative amounts), disbursed = debits.
    rows = ctx.conn.execute(
        sa.select(
            a.number,
            sa.func.coalesce(sa.func.sum(sa.case((e.business_date < data.from_date, p.amount),
                                                 else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case(
                (sa.and_(e.business_date >= data.from_date, p.amount < 0), -p.amount),
                else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case(
                (sa.and_(e.business_date >= data.from_date, p.amount > 0), p.amount),
                else_=0)), 0),
        ).select_from(query.postings.join(query.journal_entries, p.entry_id == e.id)
                      .join(query.accounts, p.account_id == a.id))
        .where(a.number.in_(list(numbers)), e.business_date <= data.to_date)
        .group_by(a.number)).all()
    found = {row[0]: (-int(row[1]), int(row[2]), int(row[3])) for row in rows}
    currency = ctx.settings.currency
    lines = []
    for name, key in FUNDS:
        opening, received, disbursed = found.get(chart.gl(key), (0, 0, 0))
        lines.append(FundLineOut(name, chart.gl(key), Money(opening, currency),
                                 Money(received, currency), Money(disbursed, currency),
                                 Money(opening + received - disbursed, currency)))
    m = zis_movements.c
    by_asnaf = ctx.conn.execute(
        sa.select(m.fund, m.asnaf, sa.func.sum(m.amount))
        .where(m.direction == "out", m.business_date.between(data.from_date, data.to_date))
        .group_by(m.fund, m.asnaf)).all()
    order = {f.value: i for i, f in enumerate(Fund)}
    asnaf_order = {x.value: i for i, x in enumerate(Asnaf)}
    distributions = sorted(
        (AsnafLineOut(r[0], r[1], Money(int(r[2]), currency)) for r in by_asnaf),
        key=lambda x: (order.get(x.fund, 99), asnaf_order.get(x.asnaf or "", 99)))
    return ZisReportOut(data.from_date, data.to_date, lines, distributions)


OPERATIONS: tuple[Operation, ...] = (
    Operation("sharia.zis-receive", ZisIn, ZisOut, zis_receive, permission=chart.TRANSACT,
              mutates=True, summary="Receive zakat, infak/sedekah, amil, non-halal or "
                                    "social-fund money into its fund",
              approval_amount_field="amount", errors=MOVE_ERRORS),
    Operation("sharia.zis-disburse", ZisIn, ZisOut, zis_disburse, permission=chart.TRANSACT,
              mutates=True, summary="Distribute from a ZIS, amil, non-halal or social fund",
              approval_amount_field="amount", errors=MOVE_ERRORS),
    Operation("sharia.zis-report", ZisReportIn, ZisReportOut, zis_report,
              permission=chart.READ, mutates=False,
              summary="ZIS, amil, non-halal and social funds report, with the asnaf",
              errors=(ValidationError,)),
)
