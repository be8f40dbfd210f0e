"""Wakaf uang (cash waqf) with the cooperative as nazhir: UU 41/2004, PP 42/2006, PSAK 412
(formerly PSAK 112, Akuntansi Wakaf).

- **Receipt** (``sharia.wakaf-receive``): the wakif's name, the ikrar wakaf or certificate number
  (once), the purpose (mauquf 'alaih), ``permanent`` or ``temporary`` (with the date it is
  returned). Dr cash / Cr ``sharia.wakaf_permanent`` (2136) or ``sharia.wakaf_temporary``
  (2137, a liability to the wakif under PSAK 412).
- **Investment** (``sharia.wakaf-invest``): the principal is placed, never spent. ``financing``
  or ``deposit``: in the cooperative's own sharia financing or deposits — the business keeps the
  money and owes it to the wakaf: Dr ``sharia.wakaf_investment`` (1158) / Cr
  ``sharia.wakaf_placed`` (2139); ``bank``: a bank's sharia deposit, the money leaves:
  Dr 1158 / Cr the cash account. At most the principal not yet invested.
  ``sharia.wakaf-divest`` takes a placement back (the reverse).
- **Result** (``sharia.wakaf-result``): what an investment earned (its profit share), realised.
  The nazhir's part is at most 10 % (UU 41/2004 art. 12), ``result x share`` rounded half up
  to the rupiah, to ``sharia.nazhir_income`` (4159); the rest to ``sharia.wakaf_benefits``
  (2138), the fund for the mauquf 'alaih. Paid by the cooperative's business for a
  ``financing``/``deposit`` placement (Dr ``sharia.wakaf_result_expense``, 5159), received in
  cash for a ``bank`` one.
- **Distribution** (``sharia.wakaf-distribute``): from the results only, never more than they
  hold: the principal is preserved, so a distribution beyond the results is refused.
- **Return** (``sharia.wakaf-return``): a temporary wakaf is paid back to its wakif from its
  return date, once; refused while the principal left would not cover the investments.

Every receipt, investment, result and distribution is recorded beside its journal entry
(``sharia_wakaf``, ``sharia_wakaf_investments``, ``sharia_wakaf_movements``). No wakaf account
is an interest account: the veto refuses any entry mixing them with one.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, InsufficientFunds, NotFound, ValidationError
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import PostingLine, Side
from kopcore.views import EntryOut
from kopcore_sharia import chart
from kopcore_sharia.messages import _
from kopcore_sharia.murabahah import internal_account
from kopcore_sharia.wakaf_tables import investments, movements, wakaf
from kopcore_sharia.zis import MOVE_ERRORS, amil_part

#: The most of an investment's result the nazhir may take, in percent (UU 41/2004 art. 12).
NAZHIR_SHARE_MAX = Decimal(10)
ACTIVE, RETURNED = "active", "returned"


class WakafKind(enum.StrEnum):
    PERMANENT = "permanent"
    TEMPORARY = "temporary"


class Placement(enum.StrEnum):
    FINANCING = "financing"
    DEPOSIT = "deposit"
    BANK = "bank"


INTERNAL_PLACEMENTS = (Placement.FINANCING, Placement.DEPOSIT)
KIND_GL = {WakafKind.PERMANENT: chart.WAKAF_PERMANENT, WakafKind.TEMPORARY: chart.WAKAF_TEMPORARY}


def _balance(ctx: Context, key: str) -> Money:
    return ledger.get_account(ctx, chart.gl(key)).balance


def _amount(ctx: Context, value: Decimal, field: str = "amount") -> Money:
    amount = Money.parse(value, ctx.settings.currency, field=field)
    if not amount.is_positive():
        raise ValidationError(_("amount must be positive"), field=field)
    return amount


def _text(value: str, field: str, message: str) -> str:
    """``value`` stripped; refused with ``message`` (marked by the caller) when empty."""
    text = value.strip()
    if not text:
        raise ValidationError(message, field=field)
    return text


@attrs.frozen
class WakafFundsOut:
    """The wakaf funds after the operation."""

    permanent: Money
    temporary: Money
    invested: Money
    #: Principal not invested: permanent + temporary - invested.
    uninvested: Money
    #: Results for the mauquf 'alaih not yet distributed.
    benefits: Money


def _still_covered(ctx: Context) -> None:
    """After posting: the principal still covers the investments. The check before posting
    gives the message; this one, reading the balances the posting just updated (their rows
    locked until the transaction ends), refuses what a concurrent call would let through."""
    if funds_out(ctx).uninvested.minor < 0:
        raise InsufficientFunds(_("only {left} of wakaf principal is not invested",
                                  left=Money.zero(ctx.settings.currency)), field="amount")


def funds_out(ctx: Context) -> WakafFundsOut:
    permanent, temporary = _balance(ctx, chart.WAKAF_PERMANENT), _balance(ctx,
                                                                          chart.WAKAF_TEMPORARY)
    invested = _balance(ctx, chart.WAKAF_INVESTMENT)
    return WakafFundsOut(permanent, temporary, invested, permanent + temporary - invested,
                         _balance(ctx, chart.WAKAF_BENEFITS))


# --- receipt ----------------------------------------------------------------------------------


@attrs.frozen
class WakafReceiveIn:
    wakif: str = attrs.field(metadata={"help": "The wakif's name", "max_length": 200})
    ikrar: str = attrs.field(metadata={"help": "Number of the akta ikrar wakaf or the wakaf "
                                               "uang certificate (once)", "max_length": 64})
    purpose: str = attrs.field(metadata={"help": "The purpose: the mauquf 'alaih "
                                                 "(beneficiaries) named in the ikrar",
                                         "max_length": 200})
    amount: Decimal = attrs.field(metadata={"help": "Amount in rupiah"})
    cash_account: str = attrs.field(metadata={
        "help": "Account the money comes into (teller cash, bank)", "max_length": 64})
    kind: WakafKind = attrs.field(default=WakafKind.PERMANENT, metadata={
        "help": "permanent (mu'abbad) or temporary (mu'aqqat, returned to the wakif)"})
    until: date | None = attrs.field(default=None, metadata={
        "help": "Temporary wakaf: the date it is returned (after today)"})


@attrs.frozen
class WakafOut:
    id: int
    wakif: str
    ikrar: str
    purpose: str
    kind: str
    amount: Money
    received_on: date
    until: date | None
    status: str
    returned_on: date | None


@attrs.frozen
class WakafReceiptOut:
    wakaf: WakafOut
    entry: EntryOut
    funds: WakafFundsOut


def _wakaf_out(ctx: Context, row: sa.Row[tuple[object, ...]]) -> WakafOut:
    r = row._mapping
    return WakafOut(r["id"], r["wakif"], r["ikrar"], r["purpose"], r["kind"],
                    Money(int(r["amount"]), ctx.settings.currency), r["received_on"], r["until"],
                    r["status"], r["returned_on"])


def _get_wakaf(ctx: Context, wakaf_id: int, lock: bool = False) -> sa.Row[tuple[object, ...]]:
    query = sa.select(wakaf).where(wakaf.c.id == wakaf_id)
    row = ctx.conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(_("no wakaf {id}", id=wakaf_id), field="wakaf")
    return row


def wakaf_receive(ctx: Context, data: WakafReceiveIn) -> WakafReceiptOut:
    """Receive a cash wakaf (wakaf uang) from a wakif under an ikrar: permanent, or temporary
    until a date, into its fund; the principal is preserved and only invested."""
    amount = _amount(ctx, data.amount)
    wakif = _text(data.wakif, "wakif", _("name the wakif"))
    ikrar = _text(data.ikrar, "ikrar", _("give the ikrar wakaf or certificate number"))
    purpose = _text(data.purpose, "purpose", _("name the purpose (mauquf 'alaih)"))
    if data.kind is WakafKind.TEMPORARY:
        if data.until is None or data.until <= ctx.business_date:
            raise ValidationError(_("a temporary wakaf names the date it is returned, after "
                                    "today"), field="until")
    elif data.until is not None:
        raise ValidationError(_("a permanent wakaf is never returned: no until date"),
                              field="until")
    if ctx.conn.execute(sa.select(wakaf.c.id).where(wakaf.c.ikrar == ikrar)).first():
        raise Conflict(_("ikrar {ikrar} is already recorded", ikrar=ikrar), field="ikrar")
    entry = ledger.post_entry(
        ctx, [PostingLine(internal_account(ctx, data.cash_account), Side.DEBIT, amount),
              PostingLine(chart.gl(KIND_GL[data.kind]), Side.CREDIT, amount)],
        memo=f"Penerimaan wakaf {data.kind.value} {ikrar}: {wakif}"[:500])
    try:
        wakaf_id = ctx.conn.execute(wakaf.insert().values(
            wakif=wakif, kind=data.kind.value, amount=amount.minor, ikrar=ikrar,
            purpose=purpose, received_on=ctx.business_date, until=data.until, status=ACTIVE,
            actor=ctx.actor, entry_id=entry.id).returning(wakaf.c.id)).scalar_one()
    except sa.exc.IntegrityError as exc:  # the same ikrar recorded at the same moment
        raise Conflict(_("ikrar {ikrar} is already recorded", ikrar=ikrar),
                       field="ikrar") from exc
    return WakafReceiptOut(_wakaf_out(ctx, _get_wakaf(ctx, wakaf_id)), EntryOut.of(entry),
                           funds_out(ctx))


# --- return of a temporary wakaf ----------------------------------------------------------------


@attrs.frozen
class WakafReturnIn:
    wakaf: int = attrs.field(metadata={"help": "The temporary wakaf's id", "minimum": 1})
    cash_account: str = attrs.field(metadata={
        "help": "Account the money is paid from (teller cash, bank)", "max_length": 64})


def wakaf_return(ctx: Context, data: WakafReturnIn) -> WakafReceiptOut:
    """Pay a temporary wakaf back to its wakif, from its return date, once."""
    row = _get_wakaf(ctx, data.wakaf, lock=True)
    r = row._mapping
    if r["kind"] != WakafKind.TEMPORARY.value:
        raise Conflict(_("a permanent wakaf is never returned"), field="wakaf")
    if r["status"] != ACTIVE:
        raise Conflict(_("wakaf {id} was already returned", id=data.wakaf), field="wakaf")
    if ctx.business_date < r["until"]:
        raise Conflict(_("wakaf {id} is returned from {until}", id=data.wakaf,
                         until=r["until"]), field="wakaf")
    amount = Money(int(r["amount"]), ctx.settings.currency)
    if amount > funds_out(ctx).uninvested:
        raise InsufficientFunds(_("the principal not invested is {left}: take back an "
                                  "investment first (wakaf-divest)",
                                  left=funds_out(ctx).uninvested), field="wakaf")
    entry = ledger.post_entry(
        ctx, [PostingLine(chart.gl(chart.WAKAF_TEMPORARY), Side.DEBIT, amount),
              PostingLine(internal_account(ctx, data.cash_account), Side.CREDIT, amount)],
        memo=f"Pengembalian wakaf temporer {r['ikrar']}: {r['wakif']}"[:500])
    _still_covered(ctx)
    ctx.conn.execute(wakaf.update().where(wakaf.c.id == data.wakaf).values(
        status=RETURNED, returned_on=ctx.business_date, return_entry_id=entry.id))
    return WakafReceiptOut(_wakaf_out(ctx, _get_wakaf(ctx, data.wakaf)), EntryOut.of(entry),
                           funds_out(ctx))


# --- investments ------------------------------------------------------------------------------


@attrs.frozen
class WakafInvestIn:
    amount: Decimal = attrs.field(metadata={"help": "Principal placed, in rupiah"})
    placement: Placement = attrs.field(metadata={
        "help": "financing or deposit (the cooperative's own sharia financing or deposits: "
                "the money stays with the cooperative's business, which owes it to the "
                "wakaf) or bank (a bank's sharia deposit: the money leaves)"})
    placed_with: str = attrs.field(metadata={
        "help": "Where: the contracts, deposit or bank account (recorded)", "max_length": 200})
    cash_account: str | None = attrs.field(default=None, metadata={
        "help": "bank: the account the money leaves (teller cash, bank)", "max_length": 64})


@attrs.frozen
class InvestmentOut:
    id: int
    placement: str
    placed_with: str
    amount: Money
    placed_on: date
    status: str
    returned_on: date | None


@attrs.frozen
class WakafInvestOut:
    investment: InvestmentOut
    entry: EntryOut
    funds: WakafFundsOut


def _investment_out(ctx: Context, row: sa.Row[tuple[object, ...]]) -> InvestmentOut:
    r = row._mapping
    return InvestmentOut(r["id"], r["placement"], r["placed_with"],
                         Money(int(r["amount"]), ctx.settings.currency), r["placed_on"],
                         r["status"], r["returned_on"])


def _get_investment(ctx: Context, investment_id: int, lock: bool = False
                    ) -> sa.Row[tuple[object, ...]]:
    query = sa.select(investments).where(investments.c.id == investment_id)
    row = ctx.conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(_("no wakaf investment {id}", id=investment_id), field="investment")
    return row


def _counter_account(ctx: Context, placement: Placement, cash_account: str | None) -> str:
    """The other side of a placement: the business's debt to the wakaf, or the cash."""
    if placement in INTERNAL_PLACEMENTS:
        if cash_account is not None:
            raise ValidationError(_("a placement in the cooperative's own business moves no "
                                    "cash: no cash_account"), field="cash_account")
        return chart.gl(chart.WAKAF_PLACED)
    if cash_account is None:
        raise ValidationError(_("a bank placement names the cash_account the money leaves"),
                              field="cash_account")
    return internal_account(ctx, cash_account)


def wakaf_invest(ctx: Context, data: WakafInvestIn) -> WakafInvestOut:
    """Invest wakaf principal (never more than is not yet invested): in the cooperative's own
    financing or deposits, or a bank's sharia deposit; the placement is recorded."""
    amount = _amount(ctx, data.amount)
    placed_with = _text(data.placed_with, "placed_with", _("name where the wakaf is placed"))
    counter = _counter_account(ctx, data.placement, data.cash_account)
    left = funds_out(ctx).uninvested
    if amount > left:
        raise InsufficientFunds(_("only {left} of wakaf principal is not invested", left=left),
                                field="amount")
    entry = ledger.post_entry(
        ctx, [PostingLine(chart.gl(chart.WAKAF_INVESTMENT), Side.DEBIT, amount),
              PostingLine(counter, Side.CREDIT, amount)],
        memo=f"Investasi dana wakaf ({data.placement.value}): {placed_with}"[:500])
    _still_covered(ctx)
    investment_id = ctx.conn.execute(investments.insert().values(
        placement=data.placement.value, placed_with=placed_with, amount=amount.minor,
        placed_on=ctx.business_date, status=ACTIVE, actor=ctx.actor, entry_id=entry.id
    ).returning(investments.c.id)).scalar_one()
    return WakafInvestOut(_investment_out(ctx, _get_investment(ctx, investment_id)),
                          EntryOut.of(entry), funds_out(ctx))


@attrs.frozen
class WakafDivestIn:
    investment: int = attrs.field(metadata={"help": "The investment's id", "minimum": 1})
    cash_account: str | None = attrs.field(default=None, metadata={
        "help": "bank: the account the money comes back into", "max_length": 64})


def wakaf_divest(ctx: Context, data: WakafDivestIn) -> WakafInvestOut:
    """Take a wakaf investment back, whole, once: the principal returns to the wakaf."""
    row = _get_investment(ctx, data.investment, lock=True)
    r = row._mapping
    if r["status"] != ACTIVE:
        raise Conflict(_("investment {id} was already taken back", id=data.investment),
                       field="investment")
    counter = _counter_account(ctx, Placement(r["placement"]), data.cash_account)
    amount = Money(int(r["amount"]), ctx.settings.currency)
    entry = ledger.post_entry(
        ctx, [PostingLine(counter, Side.DEBIT, amount),
              PostingLine(chart.gl(chart.WAKAF_INVESTMENT), Side.CREDIT, amount)],
        memo=f"Pencairan investasi dana wakaf ({r['placement']}): {r['placed_with']}"[:500])
    ctx.conn.execute(investments.update().where(investments.c.id == data.investment).values(
        status=RETURNED, returned_on=ctx.business_date, return_entry_id=entry.id))
    return WakafInvestOut(_investment_out(ctx, _get_investment(ctx, data.investment)),
                          EntryOut.of(entry), funds_out(ctx))


# --- results and distributions ------------------------------------------------------------------


@attrs.frozen
class WakafResultIn:
    investment: int = attrs.field(metadata={"help": "The investment that earned it",
                                            "minimum": 1})
    amount: Decimal = attrs.field(metadata={"help": "The result realised (profit share "
                                                    "received), in rupiah"})
    memo: str = attrs.field(metadata={"help": "Period and basis of the result",
                                      "max_length": 200})
    nazhir_share: Decimal = attrs.field(default=NAZHIR_SHARE_MAX, metadata={
        "help": "The nazhir's share in percent, at most 10 (UU 41/2004 art. 12), 2 decimals "
                "at most; rounded half up to the rupiah"})
    cash_account: str | None = attrs.field(default=None, metadata={
        "help": "bank placement: the account the result comes into", "max_length": 64})


@attrs.frozen
class WakafMovementOut:
    funds: WakafFundsOut
    entry: EntryOut
    #: A result's part that went to the nazhir.
    nazhir_part: Money
    #: A result's part for the mauquf 'alaih.
    benefits_part: Money


def _record(ctx: Context, kind: str, amount: Money, nazhir: Money, memo: str, entry_id: int,
            investment_id: int | None = None) -> None:
    ctx.conn.execute(movements.insert().values(
        kind=kind, investment_id=investment_id, amount=amount.minor, nazhir_part=nazhir.minor,
        memo=memo[:200], business_date=ctx.business_date, actor=ctx.actor, entry_id=entry_id))


def wakaf_result(ctx: Context, data: WakafResultIn) -> WakafMovementOut:
    """Record what an investment earned: the nazhir's part (at most 10 %) to the nazhir's
    income, the rest to the fund for the mauquf 'alaih. A placement in the cooperative's own
    business is paid by it (its expense); a bank placement's result comes in as cash."""
    amount = _amount(ctx, data.amount)
    memo = _text(data.memo, "memo", _("give the period and basis of the result"))
    share = data.nazhir_share
    exponent = share.as_tuple().exponent
    if not Decimal(0) <= share <= NAZHIR_SHARE_MAX or not isinstance(exponent, int) \
            or exponent < -2:
        raise ValidationError(_("nazhir_share: 0-{top} percent, 2 decimals at most",
                                top=NAZHIR_SHARE_MAX), field="nazhir_share")
    r = _get_investment(ctx, data.investment)._mapping
    placement = Placement(r["placement"])
    if placement in INTERNAL_PLACEMENTS:
        if data.cash_account is not None:
            raise ValidationError(_("the cooperative's business pays this result: no "
                                    "cash_account"), field="cash_account")
        debit = chart.gl(chart.WAKAF_RESULT_EXPENSE)
    elif data.cash_account is None:
        raise ValidationError(_("a bank placement's result names the cash_account it comes "
                                "into"), field="cash_account")
    else:
        debit = internal_account(ctx, data.cash_account)
    nazhir = amil_part(amount, share)
    benefits = amount - nazhir
    lines = [PostingLine(debit, Side.DEBIT, amount)]
    if benefits.is_positive():
        lines.append(PostingLine(chart.gl(chart.WAKAF_BENEFITS), Side.CREDIT, benefits))
    if nazhir.is_positive():
        lines.append(PostingLine(chart.gl(chart.NAZHIR_INCOME), Side.CREDIT, nazhir))
    entry = ledger.post_entry(ctx, lines, memo=f"Hasil investasi wakaf: {memo}"[:500])
    _record(ctx, "result", amount, nazhir, memo, entry.id, data.investment)
    return WakafMovementOut(funds_out(ctx), EntryOut.of(entry), nazhir, benefits)


@attrs.frozen
class WakafDistributeIn:
    amount: Decimal = attrs.field(metadata={"help": "Amount in rupiah"})
    cash_account: str = attrs.field(metadata={
        "help": "Account the money is paid from (teller cash, bank)", "max_length": 64})
    memo: str = attrs.field(metadata={"help": "The mauquf 'alaih (beneficiaries) and purpose",
                                      "max_length": 200})


def wakaf_distribute(ctx: Context, data: WakafDistributeIn) -> WakafMovementOut:
    """Distribute the wakaf's results to the mauquf 'alaih: never more than the results hold,
    never the principal."""
    amount = _amount(ctx, data.amount)
    memo = _text(data.memo, "memo", _("name the mauquf 'alaih and purpose"))
    held = _balance(ctx, chart.WAKAF_BENEFITS)
    if amount > held:
        raise InsufficientFunds(_("the wakaf's results hold only {held}; the principal is "
                                  "preserved and never distributed", held=held),
                                field="amount")
    entry = ledger.post_entry(
        ctx, [PostingLine(chart.gl(chart.WAKAF_BENEFITS), Side.DEBIT, amount),
              PostingLine(internal_account(ctx, data.cash_account), Side.CREDIT, amount)],
        memo=f"Penyaluran manfaat wakaf: {memo}"[:500])
    if _balance(ctx, chart.WAKAF_BENEFITS).minor < 0:  # a concurrent distribution
        raise InsufficientFunds(_("the wakaf's results hold only {held}; the principal is "
                                  "preserved and never distributed", held=held), field="amount")
    zero = Money.zero(amount.currency)
    _record(ctx, "distribution", amount, zero, memo, entry.id)
    return WakafMovementOut(funds_out(ctx), EntryOut.of(entry), zero, zero)


# --- register ---------------------------------------------------------------------------------


@attrs.frozen
class WakafListIn:
    status: str | None = attrs.field(default=None, metadata={
        "help": "active or returned; default both", "max_length": 16})


@attrs.frozen
class WakafListOut:
    wakaf: list[WakafOut]
    investments: list[InvestmentOut]
    funds: WakafFundsOut


def wakaf_list(ctx: Context, data: WakafListIn) -> WakafListOut:
    """The wakaf received (wakif, ikrar, kind, return date) and the investments, with the
    funds."""
    if data.status not in (None, ACTIVE, RETURNED):
        raise ValidationError(_("status: active or returned"), field="status")
    w, i = sa.select(wakaf).order_by(wakaf.c.id), sa.select(investments).order_by(
        investments.c.id)
    if data.status is not None:
        w, i = w.where(wakaf.c.status == data.status), i.where(
            investments.c.status == data.status)
    return WakafListOut([_wakaf_out(ctx, r) for r in ctx.conn.execute(w)],
                        [_investment_out(ctx, r) for r in ctx.conn.execute(i)], funds_out(ctx))


ERRORS = (*MOVE_ERRORS, Conflict)

OPERATIONS: Sequence[Operation] = (
    Operation("sharia.wakaf-receive", WakafReceiveIn, WakafReceiptOut, wakaf_receive,
              permission=chart.TRANSACT, mutates=True,
              summary="Receive a cash wakaf (permanent or temporary) under its ikrar",
              approval_amount_field="amount", errors=ERRORS),
    Operation("sharia.wakaf-return", WakafReturnIn, WakafReceiptOut, wakaf_return,
              permission=chart.MANAGE, mutates=True,
              summary="Return a temporary wakaf to its wakif at its end", errors=ERRORS),
    Operation("sharia.wakaf-invest", WakafInvestIn, WakafInvestOut, wakaf_invest,
              permission=chart.MANAGE, mutates=True,
              summary="Invest wakaf principal in the cooperative's financing or deposits or "
                      "a bank's sharia deposit", approval_amount_field="amount", errors=ERRORS),
    Operation("sharia.wakaf-divest", WakafDivestIn, WakafInvestOut, wakaf_divest,
              permission=chart.MANAGE, mutates=True,
              summary="Take a wakaf investment back", errors=ERRORS),
    Operation("sharia.wakaf-result", WakafResultIn, WakafMovementOut, wakaf_result,
              permission=chart.MANAGE, mutates=True,
              summary="Record an investment's result: the nazhir's part (at most 10 %), the "
                      "rest for the mauquf 'alaih", approval_amount_field="amount",
              errors=ERRORS),
    Operation("sharia.wakaf-distribute", WakafDistributeIn, WakafMovementOut, wakaf_distribute,
              permission=chart.TRANSACT, mutates=True,
              summary="Distribute the wakaf's results to the mauquf 'alaih (never the "
                      "principal)", approval_amount_field="amount", errors=ERRORS),
    Operation("sharia.wakaf-list", WakafListIn, WakafListOut, wakaf_list,
              permission=chart.READ, mutates=False,
              summary="The wakaf received and its investments", errors=(ValidationError,)),
)
