"""Mudharabah savings and term deposits: profit sharing by nisbah from a pool.

A pool (``sharia_mudharabah_pools``) gathers savings and deposit accounts sharing one income.
Each account's nisbah (the member's share, in parts per million) is fixed when it is opened —
the pool's default unless agreed otherwise — and changes only with the member's consent, which is
recorded (``sharia_nisbah_changes``).

End of day records every open mudharabah account's balance (``sharia_mudharabah_days``, one
INSERT ... SELECT per chunk). The monthly distribution then works from those rows, for pool ``P``
and month ``M`` with ``S_m`` = the sum of account ``m``'s end-of-day balances over the days of
``M`` (average balance * days in the month) and ``S_P = sum S_m``:

    exact share_m = D * (S_m / S_P) * nisbah_m           (D: the pool's distributable income)

which is DOMAIN.md's ``D * member average / pool average * nisbah`` (the days cancel). The
members' total ``sum exact share_m`` is rounded half up to the pool's rounding unit (Rp1 default;
never above ``D`` itself)
and split over the accounts with :func:`kopcore.money.allocate` (largest remainder, weights
``S_m * nisbah_m``), so the shares sum to the members' total exactly. ``nisbah_m`` is the one in
force at the month's end (a change agreed later does not reach back). An account whose payout
account has closed since (its member left) still counts in ``S_P``; its share cannot be paid and
stays with the cooperative, which keeps ``D - the shares paid``. ``D`` is given by the operator,
or taken from the ledger: the month's income of the sharia GL accounts (revenue sharing), less
the month's expenses of the sharia unit other than profit sharing, wadiah bonuses and the
allowance (profit-loss sharing), apportioned among the pools by ``S_P``.
"""

from __future__ import annotations

import calendar
import enum
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.ledger import Account, Member
from kopcore.money import Money, allocate
from kopcore.records import GLType, PostingLine, Side
from kopcore_sharia import chart
from kopcore_sharia.messages import _
from kopcore_sharia.murabahah import add_months, round_half_up
from kopcore_sharia.tables import (
    deposit_maturities,
    distributions,
    mudharabah_accounts,
    mudharabah_days,
    nisbah_changes,
    pools,
    shares,
    unit_gl,
)

PPM = 1_000_000
#: Credit lines per distribution entry (the kernel takes at most 10,000 postings per entry).
LINES_PER_ENTRY = 5000


class Basis(enum.StrEnum):
    """What the pool shares: revenue (the default in Indonesia) or profit after expenses."""

    REVENUE = "revenue"
    PROFIT = "profit"


class Kind(enum.StrEnum):
    SAVINGS = "savings"
    DEPOSIT = "deposit"


class AtMaturity(enum.StrEnum):
    """A deposit's instruction at maturity: wait for the member (hold), pay the balance to the
    member's settlement account (payout) or place it again for the same term (rollover)."""

    HOLD = "hold"
    PAYOUT = "payout"
    ROLLOVER = "rollover"


PRODUCT = {Kind.SAVINGS: chart.MUDHARABAH_SAVINGS_PRODUCT,
           Kind.DEPOSIT: chart.MUDHARABAH_DEPOSIT_PRODUCT}
GL_KEY = {Kind.SAVINGS: chart.MUDHARABAH_SAVINGS, Kind.DEPOSIT: chart.MUDHARABAH_DEPOSITS}


@attrs.frozen
class Pool:
    code: str
    name: str
    basis: Basis
    nisbah_ppm: int
    rounding_unit: int
    created_on: date


@attrs.frozen
class Holding:
    """A mudharabah account and its terms."""

    account: Account
    pool_code: str
    kind: Kind
    nisbah_ppm: int
    opened_on: date
    term_months: int | None
    maturity_on: date | None
    payout_account_id: int | None
    at_maturity: AtMaturity = AtMaturity.HOLD
    settlement_account_id: int | None = None
    rollovers: int = 0


def check_nisbah(ppm: int, field: str = "nisbah") -> int:
    if not 0 < ppm < PPM:
        raise ValidationError(_("the member's nisbah must be above 0 % and below 100 %"),
                              field=field)
    return ppm


def create_pool(ctx: Context, *, code: str, name: str, basis: Basis, nisbah_ppm: int,
                rounding_unit: int) -> Pool:
    if not code.strip() or not name.strip():
        raise ValidationError(_("a pool needs a code and a name"), field="code")
    check_nisbah(nisbah_ppm)
    if rounding_unit <= 0:
        raise ValidationError(_("rounding unit must be positive"), field="rounding_unit")
    if ctx.conn.execute(sa.select(pools.c.code).where(pools.c.code == code)).first():
        raise Conflict(_("pool {code} already exists", code=code), field="code")
    ctx.conn.execute(pools.insert().values(code=code, name=name.strip(), basis=basis.value,
                                           nisbah_ppm=nisbah_ppm, rounding_unit=rounding_unit,
                                           created_on=ctx.business_date))
    return get_pool(ctx, code)


def get_pool(ctx: Context, code: str) -> Pool:
    row = ctx.conn.execute(sa.select(pools).where(pools.c.code == code)).first()
    if row is None:
        raise NotFound(_("no mudharabah pool {code}", code=code), field="pool")
    values: dict[str, Any] = dict(row._mapping)
    return Pool(**{**values, "basis": Basis(values["basis"])})


def list_pools(ctx: Context) -> list[Pool]:
    codes = ctx.conn.execute(sa.select(pools.c.code).order_by(pools.c.code)).scalars()
    return [get_pool(ctx, code) for code in codes]


def get_holding(ctx: Context, number: str) -> Holding:
    account = ledger.get_account(ctx, number)
    row = ctx.conn.execute(sa.select(mudharabah_accounts).where(
        mudharabah_accounts.c.account_id == account.id)).first()
    if row is None:
        raise NotFound(_("{number} is not a mudharabah account", number=number), field="account")
    return Holding(account, row.pool_code, Kind(row.kind), row.nisbah_ppm, row.opened_on,
                   row.term_months, row.maturity_on, row.payout_account_id,
                   AtMaturity(row.at_maturity), row.settlement_account_id, row.rollovers)


def _members_savings(account: Account | None, member_id: int, field: str, what: str) -> None:
    if account is not None and (account.member_id != member_id or account.product_code not in (
            chart.WADIAH_PRODUCT, chart.MUDHARABAH_SAVINGS_PRODUCT)):
        raise ValidationError(_("{what} the member's own wadiah or mudharabah savings account",
                                what=what),
                              field=field)


def _check_instruction(at_maturity: AtMaturity, settlement: Account | None,
                       payout: int | None) -> None:
    if at_maturity is AtMaturity.PAYOUT and settlement is None and payout is None:
        raise ValidationError(_("a deposit paid out at maturity needs the member's account to "
                                "pay it to"), field="settlement_account")


def open_holding(ctx: Context, member: Member, pool: Pool, kind: Kind, *,
                 nisbah_ppm: int | None, term_months: int | None, payout: Account | None,
                 number: str | None, at_maturity: AtMaturity | None = None,
                 settlement: Account | None = None) -> Holding:
    """Open a mudharabah savings or deposit account in ``pool``; the nisbah is fixed now, and a
    deposit's instruction at maturity is chosen (hold unless given)."""
    nisbah = check_nisbah(pool.nisbah_ppm if nisbah_ppm is None else nisbah_ppm)
    maturity = None
    if kind is Kind.DEPOSIT:
        if term_months is None or not 1 <= term_months <= 120:
            raise ValidationError(_("a deposit needs a term of 1-120 months"), field="term_months")
        maturity = add_months(ctx.business_date, term_months)
        _check_instruction(at_maturity or AtMaturity.HOLD, settlement,
                           payout.id if payout else None)
    elif term_months is not None:
        raise ValidationError(_("only deposits have a term"), field="term_months")
    elif at_maturity is not None or settlement is not None:
        raise ValidationError(_("only deposits mature"), field="at_maturity")
    _members_savings(payout, member.id, "payout_account", _("profit shares are paid to"))
    _members_savings(settlement, member.id, "settlement_account", _("a deposit is paid out to"))
    account = ledger.open_account(
        ctx, name=f"Mudharabah {member.name}"[:200], gl_key=GL_KEY[kind], plugin=chart.PLUGIN,
        member_id=member.id, product_code=PRODUCT[kind], number=number,
        floor=Money.zero(ctx.settings.currency), prefix="MD" if kind is Kind.SAVINGS else "DM")
    ctx.conn.execute(mudharabah_accounts.insert().values(
        account_id=account.id, pool_code=pool.code, member_id=member.id, kind=kind.value,
        nisbah_ppm=nisbah, opened_on=ctx.business_date, term_months=term_months,
        maturity_on=maturity, payout_account_id=payout.id if payout else None,
        accumulated_through=None, at_maturity=(at_maturity or AtMaturity.HOLD).value,
        settlement_account_id=settlement.id if settlement else None, rollovers=0))
    return get_holding(ctx, account.number)


def change_nisbah(ctx: Context, holding: Holding, nisbah_ppm: int, consent: str) -> Holding:
    """Change an account's nisbah; only with the member's consent, recorded with it."""
    check_nisbah(nisbah_ppm)
    if not consent.strip():
        raise ValidationError(_("record the member's consent (a signed letter's reference)"),
                              field="consent")
    if nisbah_ppm == holding.nisbah_ppm:
        raise Conflict(_("the nisbah is already that"), field="nisbah")
    ctx.conn.execute(nisbah_changes.insert().values(
        account_id=holding.account.id, old_ppm=holding.nisbah_ppm, new_ppm=nisbah_ppm,
        consent=consent.strip()[:200], business_date=ctx.business_date, actor=ctx.actor))
    ctx.conn.execute(sa.update(mudharabah_accounts)
                     .where(mudharabah_accounts.c.account_id == holding.account.id)
                     .values(nisbah_ppm=nisbah_ppm))
    return get_holding(ctx, holding.account.number)


def change_instruction(ctx: Context, holding: Holding, at_maturity: AtMaturity,
                       settlement: Account | None) -> Holding:
    """Change what happens to a deposit at maturity; only before its maturity date."""
    number = holding.account.number
    if holding.kind is not Kind.DEPOSIT or holding.maturity_on is None:
        raise Conflict(_("{number} is not a term deposit", number=number), field="account")
    if holding.account.status is ledger.AccountStatus.CLOSED:
        raise Conflict(_("deposit {number} is closed", number=number), field="account")
    if ctx.business_date >= holding.maturity_on:
        raise Conflict(_("deposit {number} matured on {maturity_on}: its instruction can no "
                         "longer change", number=number,
                         maturity_on=holding.maturity_on.isoformat()), field="account")
    _members_savings(settlement, holding.account.member_id or 0, "settlement_account",
                     _("a deposit is paid out to"))
    settlement_id = settlement.id if settlement else holding.settlement_account_id
    _check_instruction(at_maturity, settlement, settlement_id or holding.payout_account_id)
    ctx.conn.execute(sa.update(mudharabah_accounts)
                     .where(mudharabah_accounts.c.account_id == holding.account.id)
                     .values(at_maturity=at_maturity.value, settlement_account_id=settlement_id))
    return get_holding(ctx, number)


# --- end of day ---------------------------------------------------------------------------------


def maturing(day: date) -> sa.ColumnElement[bool]:
    """Deposits to pay out or roll over at the end of ``day``: matured, instructed, open with
    money in them and nothing on hold, and not yet settled for this maturity date."""
    h, done = mudharabah_accounts.c, deposit_maturities.c
    a = query.accounts.alias("deposit_account").c
    return sa.and_(
        h.kind == Kind.DEPOSIT.value, h.maturity_on <= day,
        h.at_maturity.in_((AtMaturity.PAYOUT.value, AtMaturity.ROLLOVER.value)),
        sa.exists().where(a.id == h.account_id, a.status == "open", a.balance != 0,
                          a.held == 0),
        ~sa.exists().where(done.account_id == h.account_id, done.maturity_on == h.maturity_on))


def mature_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """Settle the deposits ``[low, high]`` reaching maturity by the end of ``day``, exactly once
    per maturity date (a ``sharia_deposit_maturities`` row each): a rollover places the balance
    again for the same term (maturity = opening date + term * (rollovers + 1), so month ends do
    not drift; nothing is posted); a payout moves the balances to the settlement accounts (the
    profit-share account when none was named) in one entry for the chunk, closes the deposits
    and sends their last month's share to the same account. A deposit whose settlement account
    is not open waits."""
    h, a = mudharabah_accounts.c, query.accounts.c
    target = sa.func.coalesce(h.settlement_account_id, h.payout_account_id)
    to = query.accounts.alias("target")
    rows = ctx.conn.execute(
        sa.select(h.account_id, h.maturity_on, h.at_maturity, h.opened_on, h.term_months,
                  h.rollovers, h.payout_account_id, a.number,
                  query.normal_balance().label("balance"), target.label("target_id"),
                  to.c.number.label("target_number"), to.c.status.label("target_status"))
        .join(query.accounts, a.id == h.account_id).outerjoin(to, to.c.id == target)
        .where(h.account_id.between(low, high), maturing(day)).order_by(h.account_id)).all()
    currency = ctx.settings.currency
    records: list[dict[str, Any]] = []
    paid = [r for r in rows if r.at_maturity == AtMaturity.PAYOUT.value
            and r.target_status == "open"]
    entry_id = None
    if paid:
        lines = []
        for r in paid:
            lines += [PostingLine(r.number, Side.DEBIT, Money(r.balance, currency)),
                      PostingLine(r.target_number, Side.CREDIT, Money(r.balance, currency))]
        entry_id = ledger.post_entry(
            ctx, lines, memo=f"Pencairan deposito mudharabah jatuh tempo {day.isoformat()}",
            idempotency_key=f"sharia.maturity:{day.isoformat()}:{low}-{high}").id
        for r in paid:
            records.append({"account_id": r.account_id, "maturity_on": r.maturity_on,
                            "action": AtMaturity.PAYOUT.value, "amount": r.balance,
                            "next_maturity_on": None, "business_date": day,
                            "entry_id": entry_id})
            if r.payout_account_id is None:
                ctx.conn.execute(sa.update(mudharabah_accounts)
                                 .where(h.account_id == r.account_id)
                                 .values(payout_account_id=r.target_id))
            ledger.close_account(ctx, r.number)
    rolled = [r for r in rows if r.at_maturity == AtMaturity.ROLLOVER.value]
    if rolled:
        updates = []
        for r in rolled:
            following = add_months(r.opened_on, r.term_months * (r.rollovers + 2))
            updates.append({"id": r.account_id, "following": following,
                            "count": r.rollovers + 1})
            records.append({"account_id": r.account_id, "maturity_on": r.maturity_on,
                            "action": AtMaturity.ROLLOVER.value, "amount": r.balance,
                            "next_maturity_on": following, "business_date": day,
                            "entry_id": None})
        ctx.conn.execute(sa.update(mudharabah_accounts).where(h.account_id == sa.bindparam("id"))
                         .values(maturity_on=sa.bindparam("following"),
                                 rollovers=sa.bindparam("count")), updates)
    if records:
        ctx.conn.execute(deposit_maturities.insert(), records)
    return len(records)


def accumulate_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """Record the end-of-day balance of the open mudharabah accounts ``[low, high]`` not yet
    recorded for ``day``: one INSERT ... SELECT and one UPDATE. Zero balances need no row."""
    h, a = mudharabah_accounts.c, query.accounts.c
    pending = sa.and_(h.account_id.between(low, high),
                      sa.or_(h.accumulated_through.is_(None), h.accumulated_through < day))
    source = (sa.select(h.account_id, sa.literal(day, sa.Date), query.normal_balance())
              .select_from(mudharabah_accounts.join(query.accounts, a.id == h.account_id))
              .where(pending, a.status != "closed", a.balance != 0, h.opened_on <= day))
    ctx.conn.execute(sa.insert(mudharabah_days).from_select(
        ["account_id", "business_date", "balance"], source))
    done = ctx.conn.execute(sa.update(mudharabah_accounts).where(pending)
                            .values(accumulated_through=day))
    return int(done.rowcount)


# --- distribution ---------------------------------------------------------------------------------


def month_of(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def balance_sums(ctx: Context, first: date, last: date, pool_code: str | None = None
                 ) -> dict[int, tuple[str, int]]:
    """Per account: (pool, sum of end-of-day balances from ``first`` to ``last``)."""
    d, h = mudharabah_days.c, mudharabah_accounts.c
    statement = (sa.select(d.account_id, h.pool_code, sa.func.sum(d.balance))
             .join(mudharabah_accounts, h.account_id == d.account_id)
             .where(d.business_date.between(first, last))
             .group_by(d.account_id, h.pool_code).order_by(d.account_id))
    if pool_code is not None:
        statement = statement.where(h.pool_code == pool_code)
    return {int(r[0]): (str(r[1]), int(r[2])) for r in ctx.conn.execute(statement)}


def unit_loss(ctx: Context, first: date, last: date) -> int:
    """The sharia unit's loss for the period under profit-loss sharing (minor units, 0 when it
    made a profit): its expenses other than profit sharing, wadiah bonuses and the allowance,
    less its income."""
    return max(-_unit_result(ctx, first, last, Basis.PROFIT), 0)


def _unit_result(ctx: Context, first: date, last: date, basis: Basis) -> int:
    """Income (less the expenses shared under profit-loss sharing), credit-positive."""
    own = [s.key for s in chart.GL_ACCOUNTS if s.key not in chart.HEAD_OFFICE_KEYS]
    keys = set(own) | set(ctx.conn.execute(sa.select(unit_gl.c.gl_key)).scalars())
    wanted = {GLType.INCOME}
    if basis is Basis.PROFIT:
        wanted.add(GLType.EXPENSE)
    # The allowance (PPAP) is a provision, not a realised cost of the month: it is not shared;
    # nor is a loss already borne by the fund owners.
    excluded = {chart.PROFIT_SHARE_EXPENSE, chart.WADIAH_BONUS, chart.ALLOWANCE_EXPENSE,
                chart.LOSS_BORNE_BY_OWNERS}
    # The wakaf's share of the business it is placed in is, like profit sharing, a share to a
    # fund provider; the nazhir's fee belongs to the wakaf side (maal), not the pool.
    excluded |= {chart.WAKAF_RESULT_EXPENSE, chart.NAZHIR_INCOME}
    results = ledger.operating_results(ctx, first, last, ctx.settings.currency)
    lines = [*results["income"].lines, *results["expenses"].lines]
    return -int(sum(b.net for b in lines
                    if b.key in keys and b.key not in excluded and b.type in wanted))


def unit_income(ctx: Context, first: date, last: date, basis: Basis) -> int:
    """The sharia unit's income for the period (minor units), less its expenses other than
    profit sharing, wadiah bonuses and the allowance (PPAP) when the basis is profit-loss
    sharing."""
    return max(_unit_result(ctx, first, last, basis), 0)


def nisbah_at(ctx: Context, current: dict[int, int], day: date) -> dict[int, int]:
    """Each account's nisbah in force at the end of ``day``: the current one, unless it was
    changed after ``day`` (then the nisbah the first such change replaced). A change agreed
    during a month thus applies from that month's distribution, never to an earlier month."""
    n = nisbah_changes.c
    later = ctx.conn.execute(
        sa.select(n.account_id, n.old_ppm)
        .where(n.account_id.in_(sorted(current)), n.business_date > day)
        .order_by(n.account_id, n.business_date.desc(), n.id.desc())).all()
    result = dict(current)
    for row in later:  # the earliest change after ``day`` comes last and wins
        result[int(row.account_id)] = int(row.old_ppm)
    return result


@attrs.frozen
class Share:
    account_id: int
    balance_sum: int
    nisbah_ppm: int
    amount: int


def allocate_shares(distributable: int, sums: dict[int, int], nisbah: dict[int, int],
                    unit: int, currency: str) -> tuple[int, list[Share]]:
    """The members' total (rounded half up to ``unit``) and each account's share of it, exact
    to the minor unit (largest remainder)."""
    pool_sum = sum(sums.values())
    ids = sorted(i for i in sums if sums[i] > 0)
    if pool_sum <= 0 or not ids:
        raise Conflict(_("the pool had no balance in the period"), field="pool")
    weights = [sums[i] * nisbah[i] for i in ids]
    exact = Fraction(distributable * sum(weights), pool_sum * PPM)
    # Never more than the income itself (a large rounding unit could round past it).
    total = min(round_half_up(exact, unit), distributable // unit * unit)
    parts = allocate(Money(total // unit, currency), weights) if total else [
        Money(0, currency) for _ in ids]
    return total, [Share(i, sums[i], nisbah[i], part.minor * unit)
                   for i, part in zip(ids, parts, strict=True)]


def _open_month(ctx: Context, pool: Pool, month: date
                ) -> tuple[date, date, dict[int, int], Any]:
    """A closed month the pool has not yet distributed: its first and last day, each account's
    balance sum and the function giving the pool's part of a unit-wide amount (by ``S_P``)."""
    first, last = month_of(month)
    if ctx.business_date <= last:
        raise Conflict(_("{first} is not closed yet: end of day of {last} must run first",
                         first=format(first, '%Y-%m'), last=last.isoformat()), field="month")
    c = distributions.c
    if ctx.conn.execute(sa.select(c.id).where(c.pool_code == pool.code,
                                              c.period_to == last)).first():
        raise Conflict(_("pool {pool} has already distributed {first}",
                         pool=pool.code, first=format(first, '%Y-%m')), field="month")
    sums_all = balance_sums(ctx, first, last)
    sums = {i: s for i, (code, s) in sums_all.items() if code == pool.code}
    all_pools = sum(s for _, s in sums_all.values() if s > 0)
    mine = sum(s for s in sums.values() if s > 0)

    def portion(amount: int) -> int:
        return int(Fraction(amount * mine, all_pools)) if all_pools else 0

    return first, last, sums, portion


def _record_month(ctx: Context, pool: Pool, first: date, last: date, sums: dict[int, int],
                  result: int, members: int, accounts: int,
                  negligence: str | None = None) -> int:
    """The pool's distribution row of the month (one per pool and month)."""
    days = (last - first).days + 1
    try:
        return int(ctx.conn.execute(distributions.insert().values(
            pool_code=pool.code, period_from=first, period_to=last, basis=pool.basis.value,
            distributable=result, pool_average=sum(sums.values()) // days,
            members_share=members, accounts=accounts, actor=ctx.actor,
            business_date=ctx.business_date, negligence=negligence,
        ).returning(distributions.c.id)).scalar_one())
    except sa.exc.IntegrityError as exc:
        # Another distribution of the same pool and month committed meanwhile.
        raise Conflict(_("pool {pool} has already distributed {month}", pool=pool.code,
                         month=f"{first:%Y-%m}"), field="month") from exc


def share_loss(ctx: Context, pool: Pool, month: date, loss: Money | None,
               negligence: str | None) -> int:
    """A profit-loss sharing pool's loss of ``month``, borne by its fund owners in proportion
    to their capital (``S_m / S_P``; the manager loses its work, not the owners' nisbah), or by
    the cooperative when the manager's negligence is recorded. Each account's part is
    allocated exactly in the pool's rounding unit (largest remainder) and capped at what the
    account holds (less money on hold); what an account cannot bear (emptied, closed) stays
    with the cooperative. Posted Dr each mudharabah account / Cr
    ``sharia.loss_borne_by_owners``, one entry per 5,000 accounts; recorded as the month's
    distribution with negative shares."""
    if pool.basis is not Basis.PROFIT:
        raise Conflict(_("pool {pool} shares revenue: there is revenue to share, never a loss",
                         pool=pool.code), field="pool")
    first, last, sums, portion = _open_month(ctx, pool, month)
    total = portion(unit_loss(ctx, first, last)) if loss is None else loss.minor
    if total <= 0:
        raise Conflict(_("pool {pool} made no loss in {month}", pool=pool.code,
                         month=f"{first:%Y-%m}"), field="loss")
    ids = sorted(i for i in sums if sums[i] > 0)
    if not ids:
        raise Conflict(_("the pool had no balance in the period"), field="pool")
    currency = ctx.settings.currency
    if negligence is not None and negligence.strip():
        parts = {i: 0 for i in ids}
    else:
        negligence = None
        # In the pool's rounding unit (Rp1 by default), like the shares of a profit: a
        # remainder below one unit stays with the cooperative.
        unit = pool.rounding_unit
        split = allocate(Money(total // unit, currency), [sums[i] for i in ids])
        parts = dict(zip(ids, (m.minor * unit for m in split), strict=True))
    a, h = query.accounts.c, mudharabah_accounts.c
    rows = {r.id: r for r in ctx.conn.execute(
        sa.select(a.id, a.number, a.status, query.normal_balance().label("balance"),
                  h.nisbah_ppm)
        .join(mudharabah_accounts, h.account_id == a.id).where(a.id.in_(ids)))}
    borne: dict[int, int] = {}
    for i in ids:
        row = rows[i]
        held = sum(int(x["amount"]) for x in ledger.active_holds(ctx, row.number)) \
            if parts[i] else 0
        able = 0 if row.status == "closed" else max(int(row.balance) - held, 0)
        borne[i] = min(parts[i], able)
    days = (last - first).days + 1
    distribution_id = _record_month(ctx, pool, first, last, sums, -total,
                                    -sum(borne.values()), len(ids), negligence)
    entry_of: dict[int, int] = {}
    bearing = [i for i in ids if borne[i] > 0]
    for start in range(0, len(bearing), LINES_PER_ENTRY):
        batch = bearing[start:start + LINES_PER_ENTRY]
        lines = [PostingLine(rows[i].number, Side.DEBIT, Money(borne[i], currency))
                 for i in batch]
        lines.append(PostingLine(chart.gl(chart.LOSS_BORNE_BY_OWNERS), Side.CREDIT,
                                 Money(sum(borne[i] for i in batch), currency)))
        entry = ledger.post_entry(
            ctx, lines, memo=f"Kerugian mudharabah {pool.code} {first:%Y-%m} ditanggung "
                             "pemilik dana",
            idempotency_key=f"sharia.loss:{distribution_id}:{start}")
        entry_of.update({i: entry.id for i in batch})
    ctx.conn.execute(shares.insert(), [
        {"distribution_id": distribution_id, "account_id": i,
         "average_balance": sums[i] // days, "nisbah_ppm": int(rows[i].nisbah_ppm),
         "amount": -borne[i], "entry_id": entry_of.get(i)} for i in ids])
    return distribution_id


def distribute(ctx: Context, pool: Pool, month: date, distributable: Money | None
               ) -> int:
    """Share the pool's income of ``month`` among its accounts; returns the distribution id."""
    first, last, sums, portion = _open_month(ctx, pool, month)
    if distributable is None:
        d = portion(unit_income(ctx, first, last, pool.basis))
    else:
        d = distributable.minor
    if d <= 0:
        raise Conflict(_("pool {pool} has no income to distribute for {first}",
                         pool=pool.code, first=format(first, '%Y-%m')),
                       field="distributable_income")
    h, a = mudharabah_accounts.c, query.accounts.c
    rows = ctx.conn.execute(sa.select(h.account_id, h.nisbah_ppm, h.payout_account_id)
                            .where(h.account_id.in_(sorted(sums)))).all()
    nisbah = nisbah_at(ctx, {r.account_id: r.nisbah_ppm for r in rows}, last)
    payout = {r.account_id: r.payout_account_id or r.account_id for r in rows}
    targets = {r.id: r.number for r in ctx.conn.execute(
        sa.select(a.id, a.number).where(a.id.in_(sorted(set(payout.values()))),
                                        a.status != "closed"))}
    currency = ctx.settings.currency
    # Every account that held money in the month counts in the pool and is apportioned its
    # exact share; the share of one whose payout account has closed since (its member left)
    # cannot be paid and stays with the cooperative. The others get their own share, never
    # more.
    _shares, apportioned = allocate_shares(d, sums, nisbah, pool.rounding_unit, currency)
    parts = [p for p in apportioned if payout[p.account_id] in targets]
    total = sum(p.amount for p in parts)
    days = (last - first).days + 1
    distribution_id = _record_month(ctx, pool, first, last, sums, d, total, len(parts))
    records = []
    paying = [p for p in parts if p.amount > 0]
    for start in range(0, len(paying), LINES_PER_ENTRY):
        batch = paying[start:start + LINES_PER_ENTRY]
        lines = []
        for share in batch:
            lines.append(PostingLine(targets[payout[share.account_id]], Side.CREDIT,
                                     Money(share.amount, currency)))
        lines.append(PostingLine(chart.gl(chart.PROFIT_SHARE_EXPENSE), Side.DEBIT,
                                 Money(sum(s.amount for s in batch), currency)))
        entry = ledger.post_entry(
            ctx, lines, memo=f"Bagi hasil mudharabah {pool.code} {first:%Y-%m}",
            idempotency_key=f"sharia.distribution:{distribution_id}:{start}")
        records += [{"account_id": s.account_id, "entry_id": entry.id} for s in batch]
    entry_of = {r["account_id"]: r["entry_id"] for r in records}
    ctx.conn.execute(shares.insert(), [
        {"distribution_id": distribution_id, "account_id": p.account_id,
         "average_balance": p.balance_sum // days, "nisbah_ppm": p.nisbah_ppm,
         "amount": p.amount, "entry_id": entry_of.get(p.account_id)} for p in parts])
    return int(distribution_id)


def withdrawable_on(holding: Holding, day: date) -> bool:
    """Savings any time; a deposit only from its maturity date."""
    return holding.maturity_on is None or day >= holding.maturity_on


def previous_month_end(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)
