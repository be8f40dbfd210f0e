"""Musyarakah financing (Fatwa DSN-MUI 08/2000) and musyarakah mutanaqisah (73/2008), the
cooperative as the passive partner (mitra pasif), accounted for under PSAK 406 (formerly PSAK
106, Akuntansi Musyarakah).

The cooperative puts capital into a member's business beside the member's own; the result is
shared by the nisbah agreed at signing, a loss in proportion to the capital contributed (never by
nisbah). Amounts are integer minor units; fractions are exact and rounded half up.

Books (the investment is the member account ``MS…``/``MM…`` under ``sharia.musyarakah_investment``):

- contract, cash (PSAK 406 par. 28a): Dr investment / Cr the paying account, the amount paid;
- contract, non-cash asset at fair value (par. 28b): Dr investment the fair value / Cr the
  account holding the asset its carrying value; a fair value above it is a deferred gain
  (Cr ``sharia.musyarakah_deferred_gain``, a contra-asset) amortised over the term at end of day
  (Dr deferred gain / Cr ``sharia.musyarakah_valuation_gain``; what is left once the contract
  closes, at once), one below it a loss at once (Dr ``sharia.musyarakah_valuation_loss``); the
  investment is reduced by the asset's depreciation over its useful life, month by month at end
  of day (par. 29: Dr ``sharia.musyarakah_depreciation`` / Cr investment);
- a period's result reported by the member (par. 34): the cooperative's share
  ``result x nisbah`` (revenue or profit, as agreed) is income when received: Dr cash /
  Cr ``sharia.musyarakah_income``; a loss is borne by capital,
  ``loss x capital / (capital + member's capital)``: Dr ``sharia.musyarakah_loss`` /
  Cr investment (par. 31: the investment less losses), unless the partner's negligence is
  recorded (the partner bears it; nothing is posted);
- return of capital: Dr cash / Cr investment; at the end what the partner has not returned is a
  receivable from the partner (par. 33): Dr ``sharia.musyarakah_receivable`` (the member account
  ``MP…``) / Cr investment, with its ground (the negligence finding);
- mutanaqisah installment ``k`` (par. 32: the investment less what the partner paid back):
  the share bought ``capital / n`` (rounded; the last absorbs the remainder) plus the
  cooperative's part of the ujrah, ``ujrah x its remaining share before k / whole value`` (the
  nisbah following ownership, as the fatwa allows): Dr cash / Cr investment the share bought,
  Cr income the ujrah part. After the last the member owns it all.
"""

from __future__ import annotations

import enum
from datetime import date
from fractions import Fraction
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.ledger import Account, JournalEntry, Member
from kopcore.money import Money, exponent
from kopcore.records import PostingLine, Side
from kopcore_sharia import chart
from kopcore_sharia.messages import _
from kopcore_sharia.murabahah import add_months, internal_account, round_half_up
from kopcore_sharia.musyarakah_tables import musyarakah, musyarakah_reports

ACTIVE, SETTLED, ENDED = "active", "settled", "ended"
PPM = 1_000_000
MAX_TERM = 360


class Kind(enum.StrEnum):
    """Permanent (capital returned at the end) or diminishing (bought by installments)."""

    PERMANENT = "permanent"
    DIMINISHING = "diminishing"


class Basis(enum.StrEnum):
    """What the nisbah shares: the business's revenue or its profit (and loss)."""

    REVENUE = "revenue"
    PROFIT = "profit"


class Form(enum.StrEnum):
    """The cooperative's contribution: cash, or a non-cash asset at its fair value."""

    CASH = "cash"
    NON_CASH = "non_cash"


@attrs.frozen
class Installment:
    """A mutanaqisah installment: the share bought and the cooperative's ujrah part."""

    number: int
    due_on: date
    purchase: int
    ujrah: int
    #: The cooperative's share (capital) still owned before this installment.
    remaining: int

    @property
    def total(self) -> int:
        return self.purchase + self.ujrah


def schedule(*, capital: int, member_capital: int, installments: int, ujrah: int, unit: int,
             contract_on: date) -> list[Installment]:
    """A mutanaqisah's installments (minor units); ValidationError for impossible terms."""
    if not 1 <= installments <= MAX_TERM:
        raise ValidationError(_("installments: 1-{max_installments}",
                                max_installments=MAX_TERM), field="installments")
    whole = capital + member_capital
    each = round_half_up(Fraction(capital, installments), unit)
    rows, remaining = [], capital
    for number in range(1, installments + 1):
        purchase = each if number < installments else remaining
        if purchase <= 0:
            raise ValidationError(_("amounts too small for this many installments at this "
                                    "rounding unit"), field="installments")
        part = round_half_up(Fraction(ujrah * remaining, whole), unit)
        rows.append(Installment(number, add_months(contract_on, number), purchase, part,
                                remaining))
        remaining -= purchase
    return rows


@attrs.frozen
class Contract:
    account: Account
    member_id: int
    kind: Kind
    business: str
    basis: Basis
    nisbah_ppm: int | None
    capital: int
    form: Form
    asset: str | None
    carrying_value: int | None
    member_capital: int
    member_contribution: str
    term_months: int
    contract_on: date
    maturity_on: date
    installments: int | None
    ujrah: int
    rounding_unit: int
    paid_installments: int
    reports: int
    income: int
    losses: int
    returned: int
    deferred_gain: int
    gain_recognised: int
    useful_life_months: int | None
    depreciated: int
    status: str
    ended_on: date | None
    next_due_on: date | None
    days_past_due: int
    collectibility: str | None
    allowance: int
    receivable_account_id: int | None
    shortfall_ground: str | None

    def money(self, minor: int) -> Money:
        return Money(minor, self.account.currency)

    def schedule(self) -> list[Installment]:
        """The installments of a mutanaqisah (none for a permanent musyarakah)."""
        if self.kind is not Kind.DIMINISHING or self.installments is None:
            return []
        return schedule(capital=self.capital, member_capital=self.member_capital,
                        installments=self.installments, ujrah=self.ujrah,
                        unit=self.rounding_unit, contract_on=self.contract_on)

    @property
    def ownership_ppm(self) -> int:
        """The cooperative's share of the whole (its remaining capital over both), ppm."""
        whole = self.capital + self.member_capital
        held = max(self.account.balance.minor, 0) if self.status == ACTIVE else 0
        return int(Fraction(held * PPM, whole)) if whole else 0


def get_contract(ctx: Context, number: str, *, lock: bool = False) -> Contract:
    """The musyarakah on account ``number``; ``lock`` holds its row (PostgreSQL) so two payments
    or reports at once never take the same installment or period."""
    account = ledger.get_account(ctx, number)
    select = sa.select(musyarakah).where(musyarakah.c.account_id == account.id)
    if lock and ctx.conn.dialect.name == "postgresql":
        select = select.with_for_update()
    row = ctx.conn.execute(select).first()
    if row is None:
        raise NotFound(_("{account} is not a musyarakah contract", account=number),
                       field="account")
    if lock:
        account = ledger.get_account(ctx, number)
    values: dict[str, Any] = dict(row._mapping)
    values.pop("account_id")
    values["kind"], values["basis"] = Kind(values["kind"]), Basis(values["basis"])
    values["form"] = Form(values["form"])
    return Contract(account=account, **values)


def unit_of(ctx: Context) -> int:
    """One rupiah (the currency's major unit) in minor units."""
    return int(10 ** exponent(ctx.settings.currency))


def _require_active(contract: Contract) -> None:
    if contract.status != ACTIVE:
        raise Conflict(_("musyarakah {account} is no longer active",
                         account=contract.account.number), field="account")


def _update(ctx: Context, contract: Contract, **values: Any) -> None:
    ctx.conn.execute(sa.update(musyarakah)
                     .where(musyarakah.c.account_id == contract.account.id).values(**values))


@attrs.frozen
class Terms:
    """What the partners agree at signing."""

    kind: Kind
    business: str
    capital: Money
    member_capital: Money
    member_contribution: str
    term_months: int
    basis: Basis = Basis.REVENUE
    nisbah_ppm: int | None = None
    form: Form = Form.CASH
    asset: str | None = None
    carrying_value: Money | None = None
    installments: int | None = None
    ujrah: Money | None = None
    rounding_unit: Money | None = None
    useful_life_months: int | None = None


def _check_terms(terms: Terms) -> None:
    if not terms.business.strip():
        raise ValidationError(_("name the business the partners finance"), field="business")
    if not terms.member_contribution.strip():
        raise ValidationError(_("record what the member contributes"),
                              field="member_contribution")
    if not 1 <= terms.term_months <= MAX_TERM:
        raise ValidationError(_("term: 1-{max_months} months", max_months=MAX_TERM),
                              field="term_months")
    if terms.kind is Kind.PERMANENT:
        if terms.nisbah_ppm is None or not 0 < terms.nisbah_ppm < PPM:
            raise ValidationError(_("nisbah: the cooperative's share of the result, above 0 "
                                    "and below 100 percent"), field="nisbah")
    elif terms.installments is None or terms.ujrah is None:
        raise ValidationError(_("a musyarakah mutanaqisah needs its installments and the "
                                "monthly ujrah agreed at signing"), field="installments")
    elif terms.installments > terms.term_months:
        raise ValidationError(_("more installments than months in the term"),
                              field="installments")
    if terms.form is Form.NON_CASH and terms.kind is Kind.DIMINISHING:
        raise ValidationError(_("a musyarakah mutanaqisah's capital is cash: its investment is "
                                "what was paid less what the partner paid back"), field="form")
    if terms.form is Form.NON_CASH and (terms.carrying_value is None
                                        or not (terms.asset or "").strip()):
        raise ValidationError(_("a non-cash contribution names the asset and its carrying "
                                "value"), field="asset")
    if terms.useful_life_months is not None and (
            terms.form is Form.CASH or not 1 <= terms.useful_life_months <= 1200):
        raise ValidationError(_("a useful life (1-1200 months) is for a non-cash asset"),
                              field="useful_life_months")


def create(ctx: Context, member: Member, terms: Terms, *, source_account: str,
           number: str | None = None) -> tuple[Contract, JournalEntry]:
    """Sign a musyarakah and hand over the cooperative's capital as one entry: cash from
    ``source_account`` (teller cash, bank), or a non-cash asset out of ``source_account`` (the
    internal account holding it) at its carrying value, the investment at fair value."""
    _check_terms(terms)
    currency = terms.capital.currency
    unit = (terms.rounding_unit or Money(unit_of(ctx), currency)).minor
    rows = []
    if terms.installments is not None and terms.ujrah is not None and (
            terms.kind is Kind.DIMINISHING):
        rows = schedule(capital=terms.capital.minor, member_capital=terms.member_capital.minor,
                        installments=terms.installments, ujrah=terms.ujrah.minor, unit=unit,
                        contract_on=ctx.business_date)
    source_account = internal_account(ctx, source_account,
                                      "cash_account" if terms.form is Form.CASH
                                      else "asset_account")
    diminishing = terms.kind is Kind.DIMINISHING
    account = ledger.open_account(
        ctx, name=f"Musyarakah {member.name}"[:200], gl_key=chart.MUSYARAKAH_INVESTMENT,
        plugin=chart.PLUGIN, member_id=member.id,
        product_code=chart.MUSYARAKAH_MMQ_PRODUCT if diminishing else chart.MUSYARAKAH_PRODUCT,
        number=number, currency=currency, floor=Money.zero(currency),
        prefix="MM" if diminishing else "MS")
    capital = terms.capital
    handed = terms.carrying_value if terms.form is Form.NON_CASH and terms.carrying_value \
        else capital
    gain = max(capital.minor - handed.minor, 0)
    lines = [PostingLine(account.number, Side.DEBIT, capital),
             PostingLine(source_account, Side.CREDIT, handed)]
    if capital > handed:
        lines.append(PostingLine(chart.gl(chart.MUSYARAKAH_DEFERRED_GAIN), Side.CREDIT,
                                 capital - handed))
    elif handed > capital:
        lines.append(PostingLine(chart.gl(chart.MUSYARAKAH_VALUATION_LOSS), Side.DEBIT,
                                 handed - capital))
    maturity = add_months(ctx.business_date, terms.term_months)
    first_due = rows[0].due_on if rows else add_months(ctx.business_date, 1)
    ctx.conn.execute(musyarakah.insert().values(
        account_id=account.id, member_id=member.id, kind=terms.kind.value,
        business=terms.business.strip()[:200], basis=terms.basis.value,
        nisbah_ppm=terms.nisbah_ppm if terms.kind is Kind.PERMANENT else None,
        capital=capital.minor, form=terms.form.value,
        asset=(terms.asset or "").strip()[:200] or None,
        carrying_value=None if terms.form is Form.CASH else handed.minor,
        member_capital=terms.member_capital.minor,
        member_contribution=terms.member_contribution.strip()[:200],
        term_months=terms.term_months, contract_on=ctx.business_date, maturity_on=maturity,
        installments=terms.installments if diminishing else None,
        ujrah=terms.ujrah.minor if diminishing and terms.ujrah else 0, rounding_unit=unit,
        paid_installments=0, reports=0, income=0, losses=0, returned=0, deferred_gain=gain,
        gain_recognised=0, useful_life_months=terms.useful_life_months, depreciated=0,
        status=ACTIVE, ended_on=None, next_due_on=first_due,
        days_past_due=0, collectibility=None, allowance=0, receivable_account_id=None,
        shortfall_ground=None))
    kind = "musyarakah mutanaqisah" if diminishing else "musyarakah"
    entry = ledger.post_entry(ctx, lines, memo=f"Akad {kind} {account.number}: "
                                               f"{terms.business.strip()}"[:500])
    return get_contract(ctx, account.number), entry


# --- a permanent musyarakah: results, return, end ------------------------------------------------


def loss_share(contract: Contract, loss: int) -> int:
    """The cooperative's part of a loss: by capital contributed, ``loss x capital / (capital +
    member's capital)``, rounded half up to the rupiah unit, at most the investment left."""
    whole = contract.capital + contract.member_capital
    share = round_half_up(Fraction(loss * contract.capital, whole), contract.rounding_unit)
    return min(share, max(contract.account.balance.minor, 0))


def report_result(ctx: Context, number: str, result: Money, *, cash_account: str | None,
                  negligence: str | None, memo: str
                  ) -> tuple[Contract, int, JournalEntry | None]:
    """Record the member's report of the next month's realised result (revenue or profit, as
    agreed): the cooperative's share ``result x nisbah`` is income, received into
    ``cash_account`` or, without one, owed by the partner (its receivable), or its part of a
    loss (by capital) charged against the investment, unless the partner's negligence is
    recorded. Returns the contract, the share (negative for a loss) and the entry."""
    contract = get_contract(ctx, number, lock=True)
    _require_active(contract)
    if contract.kind is not Kind.PERMANENT:
        raise Conflict(_("a musyarakah mutanaqisah shares the ujrah in its installments; it "
                         "takes no result reports"), field="account")
    if result.currency != contract.account.currency:
        raise ValidationError(_("result currency differs from the contract's"), field="result")
    period = contract.reports + 1
    if period > contract.term_months:
        raise Conflict(_("musyarakah {account} has reported every month of its term",
                         account=number), field="account")
    ends = add_months(contract.contract_on, period)
    if ends > ctx.business_date:
        raise Conflict(_("month {period} of musyarakah {account} ends on {ends}; its result "
                         "is reported after", period=period, account=number, ends=ends),
                       field="account")
    if result.minor < 0 and contract.basis is Basis.REVENUE:
        raise ValidationError(_("under revenue sharing the member reports revenue, never a "
                                "negative one"), field="result")
    ground = (negligence or "").strip()
    if ground and result.minor >= 0:
        raise ValidationError(_("negligence is recorded only with a loss"), field="negligence")
    money, entry, share = contract.money, None, 0
    label = f"musyarakah {number} bulan ke-{period}"
    if result.minor > 0:
        assert contract.nisbah_ppm is not None
        share = round_half_up(Fraction(result.minor * contract.nisbah_ppm, PPM),
                              contract.rounding_unit)
        if share:
            # Received now into cash, or agreed and owed by the partner (the receivable).
            debit = (receivable_account(ctx, contract) if cash_account is None
                     else internal_account(ctx, cash_account))
            entry = ledger.post_entry(
                ctx, [PostingLine(debit, Side.DEBIT, money(share)),
                      PostingLine(chart.gl(chart.MUSYARAKAH_INCOME), Side.CREDIT,
                                  money(share))],
                memo=(memo.strip() or f"Bagi hasil {label}")[:500])
    elif result.minor < 0 and not ground:
        share = -loss_share(contract, -result.minor)
        if share:
            entry = ledger.post_entry(
                ctx, [PostingLine(chart.gl(chart.MUSYARAKAH_LOSS), Side.DEBIT, money(-share)),
                      PostingLine(number, Side.CREDIT, money(-share))],
                memo=(memo.strip() or f"Kerugian {label}")[:500])
    ctx.conn.execute(musyarakah_reports.insert().values(
        account_id=contract.account.id, period=period, result=result.minor, share=share,
        negligence=ground[:200] or None, memo=memo.strip()[:200],
        business_date=ctx.business_date, actor=ctx.actor,
        entry_id=None if entry is None else entry.id))
    _update(ctx, contract, reports=period, income=contract.income + max(share, 0),
            losses=contract.losses - min(share, 0),
            next_due_on=add_months(contract.contract_on, min(period + 1, contract.term_months)),
            days_past_due=0)
    return get_contract(ctx, number), share, entry


def receivable_account(ctx: Context, contract: Contract) -> str:
    """The number of the partner's receivable of this contract (``MP…``, what the partner owes:
    a share agreed but not yet paid, a shortfall at the end), opened when first needed or when
    the last one was paid and closed."""
    if contract.receivable_account_id is not None:
        number = query.account_number(ctx, contract.receivable_account_id)
        if ledger.get_account(ctx, number).status is not ledger.AccountStatus.CLOSED:
            return number
    member = ledger.get_member_by_id(ctx, contract.member_id)
    currency = contract.account.currency
    opened = ledger.open_account(
        ctx, name=f"Piutang musyarakah {member.name}"[:200], gl_key=chart.MUSYARAKAH_RECEIVABLE,
        plugin=chart.PLUGIN, member_id=member.id,
        product_code=chart.MUSYARAKAH_RECEIVABLE_PRODUCT, currency=currency,
        floor=Money.zero(currency), prefix="MP")
    _update(ctx, contract, receivable_account_id=opened.id)
    return opened.number


def _settle(ctx: Context, contract: Contract, **values: Any) -> None:
    values.setdefault("status", SETTLED)
    _update(ctx, contract, ended_on=ctx.business_date, next_due_on=None,
            days_past_due=0, **values)
    ledger.close_account(ctx, contract.account.number)


def return_capital(ctx: Context, number: str, amount: Money, cash_account: str
                   ) -> tuple[Contract, JournalEntry]:
    """The member returns capital: part or all of a permanent musyarakah's investment, or the
    whole remaining share of a mutanaqisah bought at once. Settled when nothing is left."""
    cash_account = internal_account(ctx, cash_account)
    contract = get_contract(ctx, number, lock=True)
    _require_active(contract)
    held = contract.account.balance
    if amount.currency != held.currency or not amount.is_positive() or amount > held:
        raise ValidationError(_("the return must be above 0 and at most the investment "
                                "{investment}", investment=held), field="amount")
    if contract.kind is Kind.DIMINISHING and amount != held:
        raise ValidationError(_("a musyarakah mutanaqisah is bought by its installments or at "
                                "once for the whole remaining share {investment}",
                                investment=held), field="amount")
    entry = ledger.post_entry(ctx, [PostingLine(cash_account, Side.DEBIT, amount),
                                    PostingLine(number, Side.CREDIT, amount)],
                              memo=f"Pengembalian modal musyarakah {number}")
    if amount == held:
        _settle(ctx, contract, returned=contract.returned + amount.minor)
    else:
        _update(ctx, contract, returned=contract.returned + amount.minor)
    return get_contract(ctx, number), entry


def end(ctx: Context, number: str, amount: Money, cash_account: str | None, ground: str
        ) -> tuple[Contract, Account | None, JournalEntry]:
    """End a permanent musyarakah at or after its maturity: the member returns ``amount`` and
    what is left of the investment becomes a receivable from the partner (PSAK 406 par. 33),
    recorded with its ``ground`` (the finding of the partner's negligence)."""
    contract = get_contract(ctx, number, lock=True)
    _require_active(contract)
    if contract.kind is not Kind.PERMANENT:
        raise Conflict(_("a musyarakah mutanaqisah ends with its last installment"),
                       field="account")
    if ctx.business_date < contract.maturity_on:
        raise Conflict(_("musyarakah {account} matures on {maturity}", account=number,
                         maturity=contract.maturity_on), field="account")
    held = contract.account.balance
    if amount.minor < 0 or amount > held:
        raise ValidationError(_("the return must be at least 0 and at most the investment "
                                "{investment}", investment=held), field="amount")
    shortfall = held - amount
    lines = []
    if amount.is_positive():
        if cash_account is None:
            raise ValidationError(_("name the account the returned capital comes in to"),
                                  field="cash_account")
        lines.append(PostingLine(internal_account(ctx, cash_account), Side.DEBIT, amount))
    receivable = None
    if shortfall.is_positive():
        if not ground.strip():
            raise ValidationError(_("record the ground of the shortfall the partner owes (the "
                                    "finding of negligence)"), field="ground")
        receivable = ledger.get_account(ctx, receivable_account(ctx, contract))
        lines.append(PostingLine(receivable.number, Side.DEBIT, shortfall))
    lines.append(PostingLine(number, Side.CREDIT, held))
    entry = ledger.post_entry(ctx, lines, memo=f"Akhir akad musyarakah {number}")
    _settle(ctx, contract, status=ENDED if receivable else SETTLED,
            returned=contract.returned + amount.minor,
            shortfall_ground=(ground.strip()[:200] or None) if receivable else None)
    if receivable is not None:
        receivable = ledger.get_account(ctx, receivable.number)
    return get_contract(ctx, number), receivable, entry


def collect(ctx: Context, number: str, amount: Money, cash_account: str
            ) -> tuple[Account, JournalEntry]:
    """Collect what a partner owes after a musyarakah ended (its ``MP…`` receivable)."""
    cash_account = internal_account(ctx, cash_account)
    account = ledger.get_account(ctx, number)
    if account.product_code != chart.MUSYARAKAH_RECEIVABLE_PRODUCT:
        raise NotFound(_("{account} is not a musyarakah receivable", account=number),
                       field="account")
    if not amount.is_positive() or amount > account.balance:
        raise ValidationError(_("the payment must be above 0 and at most what is owed "
                                "{owed}", owed=account.balance), field="amount")
    entry = ledger.post_entry(ctx, [PostingLine(cash_account, Side.DEBIT, amount),
                                    PostingLine(number, Side.CREDIT, amount)],
                              memo=f"Pembayaran piutang musyarakah {number}")
    after = ledger.get_account(ctx, number)
    if after.balance.minor == 0:
        after = ledger.close_account(ctx, number)
    return after, entry


# --- musyarakah mutanaqisah installments -----------------------------------------------------


def pay_installment(ctx: Context, number: str, cash_account: str
                    ) -> tuple[Contract, Installment, JournalEntry]:
    """Collect a mutanaqisah's next installment: the share bought reduces the investment, the
    cooperative's part of the ujrah is income. After the last the member owns the whole."""
    cash_account = internal_account(ctx, cash_account)
    contract = get_contract(ctx, number, lock=True)
    _require_active(contract)
    rows = contract.schedule()
    if not rows:
        raise Conflict(_("a permanent musyarakah has no installments: report its results and "
                         "return its capital"), field="account")
    due = rows[contract.paid_installments]
    money = contract.money
    lines = [PostingLine(cash_account, Side.DEBIT, money(due.total)),
             PostingLine(number, Side.CREDIT, money(due.purchase))]
    if due.ujrah:
        lines.append(PostingLine(chart.gl(chart.MUSYARAKAH_INCOME), Side.CREDIT,
                                 money(due.ujrah)))
    entry = ledger.post_entry(ctx, lines, memo=f"Angsuran musyarakah mutanaqisah {number} "
                                               f"ke-{due.number}/{len(rows)}")
    last = due.number == len(rows)
    values: dict[str, Any] = {"paid_installments": due.number,
                              "income": contract.income + due.ujrah,
                              "returned": contract.returned + due.purchase}
    if last:
        _settle(ctx, contract, **values)
    else:
        following = rows[due.number].due_on
        _update(ctx, contract, next_due_on=following,
                days_past_due=max(0, (ctx.business_date - following).days), **values)
    return get_contract(ctx, number), due, entry
