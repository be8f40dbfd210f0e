"""Murabahah financing (PSAK 102): a sale at cost plus a margin agreed once, at the contract.

Amounts are integer minor units throughout; fractions are exact (:class:`fractions.Fraction`)
and rounded half up to the contract's rounding unit. With ``financed = cost + margin - down
payment`` and ``n`` installments, installments 1..n-1 are ``financed / n``, rounded; the last
absorbs the remainder, so the installments sum to ``financed`` exactly. The margin each carries
(recognised when it is paid) depends on the contract's recognition method:

- ``proportional``: ``margin / n`` each, rounded;
- ``annuity``: the margin an annuity at the rate ``r`` implied by the contract would carry:
  ``r`` solves ``A * (1 - (1 + r)^-n) / r = cost - down payment`` with ``A = financed / n``;
  installment ``k`` carries ``outstanding_{k-1} * r`` (exact outstanding), rounded, so more
  margin early and less late.

Either way the last installment's margin absorbs the remainder, so the margins sum to ``margin``
exactly.
The margin never compounds: it is fixed at the contract and only ever recognised or (on early
settlement) partly forgone as a discretionary discount (muqasah).

Books:
- before the contract, the cooperative acquires the goods (:mod:`kopcore_sharia.acquisition`):
  Dr inventory / Cr the paying account ``cost`` (directly, or through the member as agent);
- contract: Dr receivable (member account) ``financed``; Dr the paying account the down payment
  (urbun), if any; Cr inventory ``cost`` (the goods sold); Cr deferred margin (contra-asset)
  ``margin``;
- installment: Dr cash / Cr receivable the installment; Dr deferred margin / Cr margin income
  its margin part;
- ta'zir (Fatwa DSN-MUI 17/2000; late charge, only for a member able to pay but late, an
  operator's judgement), at most once per late installment and at most what the contract agreed
  at signing (``tazir_flat`` + ``tazir_daily`` x days the installment is late): Dr cash /
  Cr the social fund (dana kebajikan), never income; it does not reduce the receivable;
- ta'widh (Fatwa DSN-MUI 43/2004; the real cost the delay caused, with its evidence): Dr cash /
  Cr ta'widh income; it does not reduce the receivable either;
- early settlement: the outstanding receivable is closed, the rest of the deferred margin goes to
  income less the muqasah, and the member pays the outstanding less the muqasah.
"""

from __future__ import annotations

import calendar
import enum
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.ledger import Account, JournalEntry, Member
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_sharia import chart
from kopcore_sharia.messages import _
from kopcore_sharia.tables import collectibility_classes, murabahah, tawidh, tazir
from kopcore_sharia.tazir_terms import TazirTerms

ACTIVE = "active"
SETTLED = "settled"
MAX_INSTALLMENTS = 360


def round_half_up(value: Fraction, unit: int) -> int:
    """``value`` (minor units, ≥ 0) rounded half up to a multiple of ``unit``."""
    steps = value / unit
    return int((steps + Fraction(1, 2)).__floor__()) * unit


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


class Recognition(enum.StrEnum):
    """How the margin is spread over the installments."""

    PROPORTIONAL = "proportional"
    ANNUITY = "annuity"


#: Significant digits of the implied rate's search, and its halvings of the interval from zero
#: to ``installment / principal``: 2^-110 of it, below 1e-30 for any rate under 100 % a month.
RATE_DIGITS = 60
RATE_HALVINGS = 110


def implied_rate(principal: int, installment: Fraction, n: int) -> Fraction:
    """The periodic rate ``r`` at which ``n`` payments of ``installment`` repay ``principal``
    (an annuity), found by bisection to 1e-30; zero when there is no margin. It lies between
    0 and ``installment / principal``, as ``r = installment / principal * (1 - (1 + r)^-n)``."""
    if installment * n <= principal:
        return Fraction(0)
    with localcontext() as dec:
        dec.prec = RATE_DIGITS
        p, a = Decimal(principal), Decimal(installment.numerator) / installment.denominator
        low, high = Decimal(0), a / p
        for _ in range(RATE_HALVINGS):
            mid = (low + high) / 2
            if a * (1 - (1 + mid) ** -n) / mid > p:
                low = mid
            else:
                high = mid
        return Fraction((low + high) / 2)


def _margins(margin: int, financed: int, principal: int, installments: int, unit: int,
             recognition: Recognition) -> list[int]:
    """Margin carried by installments 1..n (the last absorbs the rounding remainder)."""
    if recognition is Recognition.PROPORTIONAL:
        parts = [round_half_up(Fraction(margin, installments), unit)] * (installments - 1)
    else:
        each = Fraction(financed, installments)
        rate = implied_rate(principal, each, installments)
        outstanding = Fraction(principal)
        parts = []
        for _ in range(installments - 1):
            exact = outstanding * rate
            parts.append(round_half_up(exact, unit))
            outstanding -= each - exact
    return [*parts, margin - sum(parts)]


@attrs.frozen
class Installment:
    number: int
    due_on: date
    principal: int
    margin: int

    @property
    def total(self) -> int:
        return self.principal + self.margin


def schedule(*, cost: int, margin: int, down_payment: int, installments: int,
             rounding_unit: int, contract_on: date,
             recognition: Recognition = Recognition.PROPORTIONAL) -> list[Installment]:
    """The installment schedule (minor units); raises ValidationError for impossible terms."""
    if cost <= 0:
        raise ValidationError(_("cost must be positive"), field="cost")
    if margin < 0:
        raise ValidationError(_("margin may not be negative"), field="margin")
    if not 0 <= down_payment < cost:
        raise ValidationError(_("down payment must be at least 0 and below the cost"),
                              field="down_payment")
    if not 1 <= installments <= MAX_INSTALLMENTS:
        raise ValidationError(_("installments: 1-{max_installments}",
                                max_installments=MAX_INSTALLMENTS), field="installments")
    if rounding_unit <= 0:
        raise ValidationError(_("rounding unit must be positive"), field="rounding_unit")
    financed = cost + margin - down_payment
    each_total = round_half_up(Fraction(financed, installments), rounding_unit)
    margins = _margins(margin, financed, cost - down_payment, installments, rounding_unit,
                       Recognition(recognition))
    rows = []
    for number, part in enumerate(margins, start=1):
        total = each_total if number < installments else (
            financed - each_total * (installments - 1))
        if total <= 0 or part < 0 or part > total:
            raise ValidationError(_("amounts too small for this many installments at this "
                                    "rounding unit"), field="installments")
        rows.append(Installment(number, add_months(contract_on, number), total - part, part))
    return rows


@attrs.frozen
class Contract:
    account: Account
    member_id: int
    asset: str
    cost: int
    margin: int
    down_payment: int
    installments: int
    rounding_unit: int
    contract_on: date
    paid_installments: int
    margin_recognised: int
    muqasah: int
    tazir: int
    status: str
    settled_on: date | None
    recognition: Recognition
    next_due_on: date | None
    days_past_due: int
    collectibility: str | None
    allowance: int
    tazir_terms: TazirTerms
    tawidh: int

    def money(self, minor: int) -> Money:
        return Money(minor, self.account.currency)

    def schedule(self) -> list[Installment]:
        return schedule(cost=self.cost, margin=self.margin, down_payment=self.down_payment,
                        installments=self.installments, rounding_unit=self.rounding_unit,
                        contract_on=self.contract_on, recognition=self.recognition)

    @property
    def deferred_margin(self) -> int:
        """Margin not yet recognised (zero once settled)."""
        if self.status == SETTLED:
            return 0
        return self.margin - self.margin_recognised


def get_contract(ctx: Context, number: str, *, lock: bool = False) -> Contract:
    """The contract on account ``number``. ``lock``: hold its row until the transaction ends,
    so two payments (or a payment and a settlement) of one contract never collect the same
    installment (PostgreSQL; SQLite writers are serialised already). The account is read after
    the lock, so its balance is the one the lock protects."""
    account = ledger.get_account(ctx, number)
    query = sa.select(murabahah).where(murabahah.c.account_id == account.id)
    if lock and ctx.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = ctx.conn.execute(query).first()
    if row is None:
        raise NotFound(_("{account} is not a murabahah contract", account=number),
                       field="account")
    if lock:
        account = ledger.get_account(ctx, number)
    values: dict[str, Any] = dict(row._mapping)
    values.pop("account_id")
    values["recognition"] = Recognition(values["recognition"])
    values["tazir_terms"] = TazirTerms(values.pop("tazir_flat"), values.pop("tazir_daily"))
    return Contract(account=account, **values)


def create(ctx: Context, member: Member, *, acquisition_id: int, margin: Money,
           down_payment: Money, installments: int, rounding_unit: Money,
           cash_account: str | None, number: str | None = None,
           recognition: Recognition = Recognition.PROPORTIONAL,
           tazir_flat: Money | None = None, tazir_daily: Money | None = None
           ) -> tuple[Contract, JournalEntry]:
    """Contract a murabahah: sell the goods of an owned acquisition (:mod:`acquisition`) at
    their cost plus ``margin``, opening the receivable, as one entry. The ta'zir terms
    (``tazir_flat`` per late installment plus ``tazir_daily`` per day late) are agreed here,
    once; none agreed, none can be charged. A down payment (urbun) comes in through
    ``cash_account``."""
    from kopcore_sharia import acquisition

    goods = acquisition.claim_for_sale(ctx, acquisition_id, member)
    currency = margin.currency
    cost = Money(goods.cost, currency)
    terms = TazirTerms.agreed(tazir_flat, tazir_daily)
    rows = schedule(cost=cost.minor, margin=margin.minor, down_payment=down_payment.minor,
                    installments=installments, rounding_unit=rounding_unit.minor,
                    contract_on=ctx.business_date, recognition=recognition)
    if down_payment.is_positive():
        if cash_account is None:
            raise ValidationError(_("name the account the down payment comes in to"),
                                  field="cash_account")
        cash_account = internal_account(ctx, cash_account)
    account = ledger.open_account(
        ctx, name=f"Murabahah {member.name}"[:200], gl_key=chart.MURABAHAH_RECEIVABLE,
        plugin=chart.PLUGIN, member_id=member.id, product_code=chart.MURABAHAH_PRODUCT,
        number=number, currency=currency, floor=Money.zero(currency), prefix="MB")
    ctx.conn.execute(murabahah.insert().values(
        account_id=account.id, member_id=member.id, asset=goods.asset, cost=cost.minor,
        margin=margin.minor, down_payment=down_payment.minor, installments=installments,
        rounding_unit=rounding_unit.minor, contract_on=ctx.business_date, paid_installments=0,
        margin_recognised=0, muqasah=0, tazir=0, status=ACTIVE, settled_on=None,
        recognition=recognition.value, next_due_on=rows[0].due_on, days_past_due=0,
        collectibility=None, allowance=0, tazir_flat=terms.flat, tazir_daily=terms.daily,
        tawidh=0))
    financed = cost + margin - down_payment
    lines = [PostingLine(account.number, Side.DEBIT, financed),
             PostingLine(chart.gl(chart.MURABAHAH_INVENTORY), Side.CREDIT, cost)]
    if down_payment.is_positive() and cash_account is not None:
        lines.append(PostingLine(cash_account, Side.DEBIT, down_payment))
    if margin.is_positive():
        lines.append(PostingLine(chart.gl(chart.MURABAHAH_DEFERRED_MARGIN), Side.CREDIT, margin))
    entry = ledger.post_entry(ctx, lines, memo=f"Akad murabahah {account.number}: "
                                               f"{goods.asset}"[:500])
    acquisition.mark_sold(ctx, acquisition_id, account.id)
    return get_contract(ctx, account.number), entry


def internal_account(ctx: Context, number: str, field: str = "cash_account") -> str:
    """``number`` if it is an internal account (teller cash, bank: no member owns it); money a
    member pays in or takes out never passes through another member's account."""
    if ledger.get_account(ctx, number).member_id is not None:
        raise ValidationError(_("{field} must be an internal account (teller cash, bank), "
                                "not a member's account", field=field), field=field)
    return number


def _require_active(contract: Contract) -> None:
    if contract.status != ACTIVE:
        raise Conflict(_("murabahah {account} is already settled",
                         account=contract.account.number), field="account")


def pay_installment(ctx: Context, number: str, cash_account: str
                    ) -> tuple[Contract, Installment, JournalEntry]:
    """Collect the next installment and recognise its margin."""
    cash_account = internal_account(ctx, cash_account)
    contract = get_contract(ctx, number, lock=True)
    _require_active(contract)
    due = contract.schedule()[contract.paid_installments]
    money = contract.money
    lines = [PostingLine(cash_account, Side.DEBIT, money(due.total)),
             PostingLine(number, Side.CREDIT, money(due.total))]
    if due.margin:
        lines += [PostingLine(chart.gl(chart.MURABAHAH_DEFERRED_MARGIN), Side.DEBIT,
                              money(due.margin)),
                  PostingLine(chart.gl(chart.MURABAHAH_MARGIN_INCOME), Side.CREDIT,
                              money(due.margin))]
    entry = ledger.post_entry(ctx, lines, memo=f"Angsuran murabahah {number} "
                                               f"ke-{due.number}/{contract.installments}")
    last = due.number == contract.installments
    following = None if last else contract.schedule()[due.number].due_on
    late = 0 if following is None else max(0, (ctx.business_date - following).days)
    ctx.conn.execute(sa.update(murabahah).where(murabahah.c.account_id == contract.account.id)
                     .values(paid_installments=due.number,
                             margin_recognised=contract.margin_recognised + due.margin,
                             status=SETTLED if last else ACTIVE,
                             settled_on=ctx.business_date if last else None,
                             next_due_on=following, days_past_due=late))
    if last:
        ledger.close_account(ctx, number)
    return get_contract(ctx, number), due, entry


def settle_early(ctx: Context, number: str, cash_account: str, discount: Money
                 ) -> tuple[Contract, Money, JournalEntry]:
    """Settle the whole outstanding now, less a discretionary muqasah of at most the margin
    not yet recognised. Returns the contract, the amount paid and the entry."""
    cash_account = internal_account(ctx, cash_account)
    contract = get_contract(ctx, number, lock=True)
    _require_active(contract)
    if discount.currency != contract.account.currency:
        raise ValidationError(_("discount currency differs from the contract's"), field="discount")
    deferred = contract.deferred_margin
    if discount.minor < 0 or discount.minor > deferred:
        raise ValidationError(_("muqasah must be between 0 and the unrecognised margin {margin}",
                                margin=contract.money(deferred)), field="discount")
    outstanding = contract.account.balance
    paid = outstanding - discount
    money = contract.money
    lines = [PostingLine(number, Side.CREDIT, outstanding)]
    if paid.is_positive():
        lines.append(PostingLine(cash_account, Side.DEBIT, paid))
    if deferred:
        lines.append(PostingLine(chart.gl(chart.MURABAHAH_DEFERRED_MARGIN), Side.DEBIT,
                                 money(deferred)))
    if deferred - discount.minor:
        lines.append(PostingLine(chart.gl(chart.MURABAHAH_MARGIN_INCOME), Side.CREDIT,
                                 money(deferred - discount.minor)))
    memo = f"Pelunasan dipercepat murabahah {number}"
    if discount.is_positive():
        memo += f", muqasah {discount.format()}"
    entry = ledger.post_entry(ctx, lines, memo=memo)
    ctx.conn.execute(sa.update(murabahah).where(murabahah.c.account_id == contract.account.id)
                     .values(margin_recognised=contract.margin_recognised + deferred
                             - discount.minor, muqasah=discount.minor, status=SETTLED,
                             settled_on=ctx.business_date, next_due_on=None, days_past_due=0))
    ledger.close_account(ctx, number)
    return get_contract(ctx, number), paid, entry


def late_installment(contract: Contract, day: date) -> Installment | None:
    """The oldest unpaid installment if it is past due at ``day``, else None."""
    if contract.status != ACTIVE:
        return None
    due = contract.schedule()[contract.paid_installments]
    return due if due.due_on < day else None


def agreed_tazir(contract: Contract, day: date) -> tuple[Installment | None, int]:
    """The late installment at ``day`` and the ta'zir the contract agreed for it then:
    ``tazir_flat + tazir_daily x days late`` (0 when nothing is late or nothing was agreed)."""
    due = late_installment(contract, day)
    if due is None:
        return None, 0
    return due, contract.tazir_terms.allows(due.due_on, day)


def _late_member(contract: Contract, day: date, *, able_to_pay: bool, why: str, field: str,
                 what: str) -> Installment:
    """The late installment a charge is for, after the finding that the member is able to pay
    but late (never a member in hardship) and its recorded ground."""
    _require_active(contract)
    if not able_to_pay:
        raise ValidationError(_("{what} is only for a member able to pay but late; a member in "
                                "hardship is given time instead", what=what), field="able_to_pay")
    if not why.strip():
        raise ValidationError(_("record the ground for the {what}", what=what), field=field)
    due = late_installment(contract, day)
    if due is None:
        upcoming = contract.schedule()[contract.paid_installments].due_on
        raise Conflict(_("murabahah {account} has no installment past due (next due {due})",
                         account=contract.account.number, due=upcoming.isoformat()),
                       field="account")
    return due


def charge_tazir(ctx: Context, number: str, cash_account: str, amount: Money | None, *,
                 able_to_pay: bool, reason: str) -> tuple[Contract, JournalEntry]:
    """Collect the ta'zir agreed at signing on a murabahah's late installment, from a member
    the operator found able to pay (never from one in hardship): at most once per installment,
    ``amount`` at most the agreed ta'zir (default exactly it). It goes to the social fund, never
    to income, and is recorded with its reason."""
    cash_account = internal_account(ctx, cash_account)
    contract = get_contract(ctx, number, lock=True)
    due = _late_member(contract, ctx.business_date, able_to_pay=able_to_pay, why=reason,
                       field="reason", what="ta'zir")
    agreed = agreed_tazir(contract, ctx.business_date)[1]
    if agreed == 0:
        raise Conflict(_("murabahah {account} agreed no ta'zir at signing: none can be charged",
                         account=number), field="account")
    charged = ctx.conn.execute(sa.select(tazir.c.id).where(
        tazir.c.account_id == contract.account.id, tazir.c.installment == due.number)).first()
    if charged is not None:
        raise Conflict(_("the ta'zir of installment {installment} of murabahah {account} is "
                         "already charged", installment=due.number, account=number),
                       field="account")
    if amount is None:
        amount = contract.money(agreed)
    if amount.currency != contract.account.currency:
        raise ValidationError(_("amount currency differs from the contract's"), field="amount")
    if amount.minor > agreed:
        raise ValidationError(_("the contract agreed a ta'zir of {agreed} for installment "
                                "{installment} today; no more may be charged",
                                agreed=contract.money(agreed), installment=due.number),
                              field="amount")
    entry = ledger.post_entry(
        ctx, [PostingLine(cash_account, Side.DEBIT, amount),
              PostingLine(chart.gl(chart.SOCIAL_FUND), Side.CREDIT, amount)],
        memo=f"Ta'zir murabahah {number} angsuran ke-{due.number}: {reason.strip()}"[:500])
    ctx.conn.execute(sa.update(murabahah).where(murabahah.c.account_id == contract.account.id)
                     .values(tazir=contract.tazir + amount.minor))
    ctx.conn.execute(tazir.insert().values(
        account_id=contract.account.id, business_date=ctx.business_date, amount=amount.minor,
        reason=reason.strip()[:200], actor=ctx.actor, entry_id=entry.id,
        installment=due.number))
    return get_contract(ctx, number), entry


def charge_tawidh(ctx: Context, number: str, cash_account: str, amount: Money, *,
                  able_to_pay: bool, cost: str, evidence: str) -> tuple[Contract, JournalEntry]:
    """Collect a ta'widh: compensation of a real cost the cooperative incurred through a
    member's delay (a collection visit, a notice), named with its evidence (a receipt's
    reference), from a member able to pay but late. Unlike ta'zir it may be income; an
    opportunity loss is not a real cost, so the amount is the cost evidenced, entered by the
    operator, never a rate on the debt."""
    cash_account = internal_account(ctx, cash_account)
    contract = get_contract(ctx, number, lock=True)
    due = _late_member(contract, ctx.business_date, able_to_pay=able_to_pay, why=cost,
                       field="cost", what="ta'widh")
    if not evidence.strip():
        raise ValidationError(_("name the evidence of the real cost (a receipt, a voucher)"),
                              field="evidence")
    if amount.currency != contract.account.currency:
        raise ValidationError(_("amount currency differs from the contract's"), field="amount")
    entry = ledger.post_entry(
        ctx, [PostingLine(cash_account, Side.DEBIT, amount),
              PostingLine(chart.gl(chart.TAWIDH_INCOME), Side.CREDIT, amount)],
        memo=f"Ta'widh murabahah {number} angsuran ke-{due.number}: {cost.strip()} "
             f"({evidence.strip()})"[:500])
    ctx.conn.execute(sa.update(murabahah).where(murabahah.c.account_id == contract.account.id)
                     .values(tawidh=contract.tawidh + amount.minor))
    ctx.conn.execute(tawidh.insert().values(
        account_id=contract.account.id, installment=due.number, business_date=ctx.business_date,
        amount=amount.minor, cost=cost.strip()[:200], evidence=evidence.strip()[:200],
        actor=ctx.actor, entry_id=entry.id))
    return get_contract(ctx, number), entry


# --- ageing (end of day) ------------------------------------------------------------------------


def days_between(ctx: Context, day: date, column: Any) -> Any:
    """SQL for the whole days from ``column`` (a date) to ``day``."""
    if ctx.conn.dialect.name == "postgresql":
        return sa.literal(day, sa.Date) - column
    return sa.cast(sa.func.julianday(day.isoformat()) - sa.func.julianday(column), sa.Integer)


def age_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """Days past due and kolektibilitas of the active contracts ``[low, high]`` at the end of
    ``day``: one UPDATE. Days past due count from the oldest unpaid installment's due date."""
    m, c = murabahah.c, collectibility_classes.c
    late = sa.case((m.next_due_on < day, days_between(ctx, day, m.next_due_on)), else_=0)
    cls = (sa.select(c.code).where(c.min_days <= late).order_by(c.min_days.desc()).limit(1)
           .scalar_subquery())
    done = ctx.conn.execute(sa.update(murabahah).where(
        m.account_id.between(low, high), m.status == ACTIVE).values(
        days_past_due=late, collectibility=cls))
    return int(done.rowcount)
