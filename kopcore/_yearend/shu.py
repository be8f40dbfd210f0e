"""Sharing the year's surplus (SHU, sisa hasil usaha) per the statutes (AD/ART).

The surplus of a closed financial year (income less expenses, moved into ``equity.shu_current``
by the year's closing entry) is split into pools by the ``[shu]`` percentages: reserve (cadangan),
jasa modal (JM), jasa usaha (JU), management, staff, education, social, others and the reserve for
the risk of loans (cadangan tujuan risiko). JM is shared
among members by their capital basis S (pokok + wajib), JU by their patronage basis T (loan
interest paid, as configured); plugins contribute both through ``kopcore_shu_bases``.

Per member: ``SHU_m = JU * T_m / T_total + JM * S_m / S_total``. Every split is exact to the
minor unit by the largest-remainder method (:func:`kopcore.money.allocate`): the pools sum to the
surplus and members' shares sum to their pool, to the rupiah, ties going to the earlier pool or
the lower member id.

A draft is computed for the annual members' meeting (RAT), approved by another user than its
drafter, then posted: the reserve to ``equity.reserve``, the risk reserve to
``equity.reserve_risk``, the other non-member pools to their fund
accounts (liabilities), and each member's share to the account the ``kopcore_settlement_account``
hook names (purpose ``shu-credit``, then ``disbursement``) or, when none is offered or settings
say so, to ``payable.shu_members`` (SHU payable to members).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from kopcore._db import tables as t
from kopcore._yearend.closing import SHU_CURRENT, YEAR, get_period, year_bounds
from kopcore._yearend.tables import shu_drafts, shu_members, shu_pools
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError, message
from kopcore.ledger._accounts import get_account, gl_account_number
from kopcore.ledger._members import get_member_by_id
from kopcore.ledger._posting import post_entry
from kopcore.ledger._records import AccountStatus, MemberStatus
from kopcore.money import Money, allocate
from kopcore.records import (
    MemberBasis,
    PostingLine,
    SettlementPurpose,
    ShuBasis,
    ShuBasisKind,
    Side,
)
from kopcore.settings import SHU_POOLS

SHU_PAYABLE = "payable.shu_members"
FUND_MANAGEMENT = "payable.shu_management"
FUND_STAFF = "payable.shu_staff"
FUND_EDUCATION = "payable.shu_education"
FUND_SOCIAL = "payable.shu_social"
FUND_OTHER = "payable.shu_other"
RESERVE = "equity.reserve"
RISK_RESERVE = "equity.reserve_risk"

#: Where each pool that is not shared among members goes.
POOL_GL: dict[str, str] = {
    "reserve": RESERVE,
    "management": FUND_MANAGEMENT,
    "staff": FUND_STAFF,
    "education": FUND_EDUCATION,
    "social": FUND_SOCIAL,
    "other": FUND_OTHER,
    "risk_reserve": RISK_RESERVE,
}
#: The pools shared among members, and by which basis.
MEMBER_POOLS: dict[str, ShuBasisKind] = {
    "jasa_modal": ShuBasisKind.CAPITAL,
    "jasa_usaha": ShuBasisKind.PATRONAGE,
}
#: Settlement purposes asked, in order, for the account a member's share is credited to.
CREDIT_PURPOSES = (SettlementPurpose.SHU_CREDIT, SettlementPurpose.DISBURSEMENT)
#: Member lines per journal entry when posting (an entry has at most 10,000 postings).
MEMBERS_PER_ENTRY = 2000

DRAFT, APPROVED, POSTED, SUPERSEDED = "draft", "approved", "posted", "superseded"


# --- the arithmetic (pure) -----------------------------------------------------------------


@attrs.frozen
class Allocation:
    """Pools in :data:`~kopcore.settings.SHU_POOLS` order, and each member's (jasa modal,
    jasa usaha)."""

    pools: dict[str, Money]
    members: dict[int, tuple[Money, Money]]


def allocate_shu(surplus: Money, weights: Sequence[int], capital: Mapping[int, int],
                 patronage: Mapping[int, int]) -> Allocation:
    """Split ``surplus`` into the pools by ``weights`` (hundredths of a percent, in
    :data:`SHU_POOLS` order), then jasa modal by ``capital`` and jasa usaha by ``patronage``
    (member id -> basis in minor units), exactly.

    >>> a = allocate_shu(Money.parse("60000000"), [5500, 2000, 2500, 0, 0, 0, 0, 0, 0],
    ...                  {1: 2, 2: 98}, {1: 5, 2: 70})
    >>> [m.to_str() for m in a.members[1]]
    ['240000.00', '1000000.00']
    """
    if len(weights) != len(SHU_POOLS):
        raise ValidationError(message("SHU needs {count} pool weights",
                                      count=len(SHU_POOLS)))
    if surplus.minor < 0:
        raise ValidationError(message("there is no SHU to share: the year closed with a deficit"))
    parts = allocate(surplus, list(weights)) if surplus.minor else \
        [Money(0, surplus.currency)] * len(SHU_POOLS)
    pools = dict(zip(SHU_POOLS, parts, strict=True))
    shares: dict[str, dict[int, Money]] = {}
    for pool, bases in (("jasa_modal", capital), ("jasa_usaha", patronage)):
        shares[pool] = _share(pool, pools[pool], bases)
    zero = Money(0, surplus.currency)
    members = {m: (shares["jasa_modal"].get(m, zero), shares["jasa_usaha"].get(m, zero))
               for m in sorted(set(capital) | set(patronage))}
    return Allocation(pools, members)


def _share(pool: str, amount: Money, bases: Mapping[int, int]) -> dict[int, Money]:
    if any(v < 0 for v in bases.values()):
        raise ValidationError(message("{pool}: a member's basis is negative",
                                      pool=pool))
    ids = sorted(m for m, v in bases.items() if v > 0)
    if not ids:
        if amount.minor:
            kind = MEMBER_POOLS[pool].value
            raise ValidationError(
                message("no member has a {kind} basis to share {pool} ({amount}) by: set "
                        "shu.{pool} to 0 or choose another shu.{kind}_basis",
                        kind=kind, pool=pool, amount=amount))
        return {}
    return dict(zip(ids, allocate(amount, [bases[m] for m in ids]), strict=True))


# --- bases from plugins --------------------------------------------------------------------


def _method(ctx: Context, kind: ShuBasisKind) -> str:
    shu = ctx.settings.shu
    return shu.capital_basis if kind is ShuBasisKind.CAPITAL else shu.patronage_basis


def member_bases(ctx: Context, year: int, kind: ShuBasisKind) -> dict[int, int]:
    """Member id -> basis (minor units) for ``year``, added up over every plugin's answer;
    non-member counterparties left out."""
    start, end = year_bounds(year)
    basis = ShuBasis(kind, _method(ctx, kind))
    totals: dict[int, int] = defaultdict(int)
    for plugin, answer in ctx.kernel.plugins.call(
            "kopcore_shu_bases", ctx=ctx, year_start=start, year_end=end, basis=basis):
        for item in answer:
            if not isinstance(item, MemberBasis):
                raise TypeError(f"plugin {plugin!r}: kopcore_shu_bases must return "
                                f"MemberBasis records, got {type(item).__name__}")
            if item.amount.currency != ctx.settings.currency:
                raise ValidationError(message("plugin '{plugin}' gave an SHU basis in "
                                              "{currency}, not {cooperative_currency}",
                                              plugin=plugin,
                                              currency=item.amount.currency,
                                              cooperative_currency=ctx.settings.currency))
            if item.amount.minor < 0:
                raise ValidationError(message("plugin '{plugin}' gave member id {member_id} a "
                                              "negative {kind} basis",
                                              plugin=plugin,
                                              member_id=item.member_id,
                                              kind=kind.value))
            totals[item.member_id] += item.amount.minor
    # A counterparty served by agreement who is not a member has no share of the SHU.
    outsiders = set(ctx.conn.execute(
        select(t.members.c.id).where(t.members.c.membership == "non-member")).scalars())
    return {m: v for m, v in totals.items() if v and m not in outsiders}


# --- drafts --------------------------------------------------------------------------------


@attrs.frozen
class Draft:
    id: int
    year: int
    status: str
    currency: str
    surplus: Money
    capital_basis: str
    patronage_basis: str
    member_payout: str
    drafted_by: str
    approved_by: str | None
    posted_by: str | None
    posted_on: Any
    entry_id: int | None
    #: pool -> (weight in hundredths of a percent, amount), in SHU_POOLS order.
    pools: dict[str, tuple[int, Money]]


@attrs.frozen
class MemberShare:
    member_id: int
    capital: Money
    patronage: Money
    jasa_modal: Money
    jasa_usaha: Money
    account: str | None
    entry_id: int | None

    @property
    def total(self) -> Money:
        return self.jasa_modal + self.jasa_usaha


def _draft_of(ctx: Context, row: Any) -> Draft:
    cur = row.currency
    pools = {r.pool: (int(r.weight), Money(r.amount, cur)) for r in ctx.conn.execute(
        select(shu_pools).where(shu_pools.c.draft_id == row.id).order_by(shu_pools.c.seq))}
    return Draft(row.id, row.year, row.status, cur, Money(row.surplus, cur), row.capital_basis,
                 row.patronage_basis, row.member_payout, row.drafted_by, row.approved_by,
                 row.posted_by, row.posted_on, row.entry_id, pools)


def get_draft(ctx: Context, draft_id: int) -> Draft:
    row = ctx.conn.execute(select(shu_drafts).where(shu_drafts.c.id == draft_id)).first()
    if row is None:
        raise NotFound(message("SHU draft {draft_id} not found",
                               draft_id=draft_id), field="draft_id")
    return _draft_of(ctx, row)


def current_draft(ctx: Context, year: int) -> Draft:
    """The year's live draft: the posted or approved one, else the latest draft."""
    row = ctx.conn.execute(
        select(shu_drafts).where(shu_drafts.c.year == year, shu_drafts.c.status != SUPERSEDED)
        .order_by(shu_drafts.c.id.desc()).limit(1)).first()
    if row is None:
        raise NotFound(message("no SHU draft for {year}: run shu draft --year {year}",
                               year=year), field="year")
    return _draft_of(ctx, row)


def member_shares(ctx: Context, draft: Draft, *, after: int = 0, limit: int | None = None,
                  member_id: int | None = None) -> list[MemberShare]:
    m = shu_members.c
    query = select(shu_members).where(m.draft_id == draft.id, m.member_id > after) \
        .order_by(m.member_id)
    if member_id is not None:
        query = query.where(m.member_id == member_id)
    if limit is not None:
        query = query.limit(limit)
    cur = draft.currency
    return [MemberShare(r.member_id, Money(r.capital, cur), Money(r.patronage, cur),
                        Money(r.jasa_modal, cur), Money(r.jasa_usaha, cur), r.account,
                        r.entry_id) for r in ctx.conn.execute(query)]


def basis_totals(ctx: Context, found: Draft) -> tuple[Money, Money]:
    """The capital and patronage bases summed over the draft's members."""
    m = shu_members.c
    row = ctx.conn.execute(select(func.coalesce(func.sum(m.capital), 0),
                                  func.coalesce(func.sum(m.patronage), 0))
                           .where(m.draft_id == found.id)).one()
    return Money(int(row[0]), found.currency), Money(int(row[1]), found.currency)


def draft(ctx: Context, year: int) -> Draft:
    """Compute the SHU allocation of a closed year as a draft for the RAT. A previous draft
    not yet approved is superseded; an approved or posted one is final."""
    _start, end = year_bounds(year)
    closed = get_period(ctx, YEAR, end)
    if closed is None:
        raise Conflict(message("the financial year {year} is not closed: run years close --year "
                               "{year} first", year=year), field="year")
    assert closed.surplus is not None
    if not closed.surplus.is_positive():
        raise Conflict(message("the financial year {year} closed with a surplus of {surplus}: "
                               "there is no SHU to share", year=year,
                               surplus=closed.surplus), field="year")
    d = shu_drafts.c
    final = ctx.conn.execute(select(d.id, d.status).where(
        d.year == year, d.status.in_([APPROVED, POSTED]))).first()
    if final is not None:
        raise Conflict(message("the SHU of {year} is already {shu_status} (draft {draft})",
                               year=year, shu_status=message(final.status), draft=final.id),
                       field="year")
    shu = ctx.settings.shu
    capital = member_bases(ctx, year, ShuBasisKind.CAPITAL)
    patronage = member_bases(ctx, year, ShuBasisKind.PATRONAGE)
    weights = shu.weights()
    result = allocate_shu(closed.surplus, weights, capital, patronage)
    ctx.conn.execute(update(shu_drafts).where(d.year == year, d.status == DRAFT)
                     .values(status=SUPERSEDED))
    try:
        draft_id = ctx.conn.execute(shu_drafts.insert().values(
            year=year, status=DRAFT, currency=closed.surplus.currency,
            surplus=closed.surplus.minor, capital_basis=shu.capital_basis,
            patronage_basis=shu.patronage_basis, member_payout=shu.member_payout,
            drafted_by=ctx.actor, drafted_at=datetime.now(UTC),
        ).returning(d.id)).scalar_one()
    except IntegrityError:
        # The unique index on the year's live draft: a concurrent draft (or approval) won.
        raise Conflict(message("the SHU of {year} was drafted or approved at the same time by "
                               "another request: nothing was written; see shu show --year {year}",
                               year=year),
                       field="year") from None
    ctx.conn.execute(shu_pools.insert(), [
        {"draft_id": draft_id, "pool": pool, "seq": seq, "weight": weight,
         "amount": result.pools[pool].minor}
        for seq, (pool, weight) in enumerate(zip(SHU_POOLS, weights, strict=True))])
    if result.members:
        ctx.conn.execute(shu_members.insert(), [
            {"draft_id": draft_id, "member_id": member_id, "capital": capital.get(member_id, 0),
             "patronage": patronage.get(member_id, 0), "jasa_modal": jm.minor,
             "jasa_usaha": ju.minor, "account": None, "entry_id": None}
            for member_id, (jm, ju) in result.members.items()])
    return get_draft(ctx, draft_id)


def approve(ctx: Context, draft_id: int) -> Draft:
    """Approve a draft (as decided by the RAT): someone other than its drafter."""
    found = get_draft(ctx, draft_id)
    if found.status != DRAFT:
        raise Conflict(message("SHU draft {draft_id} is {found}, not a draft",
                               draft_id=draft_id, found=message(found.status)),
                       field="draft_id")
    if found.drafted_by == ctx.actor:
        raise Conflict(message("SHU draft {draft_id} was drafted by {actor}: another user "
                               "approves it", draft_id=draft_id,
                               actor=ctx.actor), field="draft_id")
    approved = ctx.conn.execute(update(shu_drafts).where(shu_drafts.c.id == draft_id,
                                                         shu_drafts.c.status == DRAFT)
                                .values(status=APPROVED, approved_by=ctx.actor,
                                        approved_at=datetime.now(UTC)))
    if approved.rowcount != 1:  # superseded or approved by a concurrent request
        raise Conflict(message("SHU draft {draft_id} changed while it was being approved: it is "
                               "no longer a draft", draft_id=draft_id), field="draft_id")
    return get_draft(ctx, draft_id)


def _member_account(ctx: Context, member_id: int, currency: str, payout: str) -> str:
    payable = gl_account_number(SHU_PAYABLE)
    if payout != "savings":
        return payable
    member = get_member_by_id(ctx, member_id)
    if member.status is not MemberStatus.ACTIVE:
        return payable
    for purpose in CREDIT_PURPOSES:
        answers = ctx.kernel.plugins.call("kopcore_settlement_account", ctx=ctx, member=member,
                                          purpose=purpose, currency=currency)
        if not answers:
            continue
        account = get_account(ctx, answers[0][1].account_number)
        if account.status is AccountStatus.OPEN and account.currency == currency \
                and account.member_id == member_id:
            return account.number
    return payable


def post(ctx: Context, draft_id: int) -> Draft:
    """Post an approved draft: pools to their accounts, members' shares to their savings (or
    payable), each entry debiting the current-year SHU. Posted at most once."""
    found = get_draft(ctx, draft_id)
    if found.status != APPROVED:
        raise Conflict(message("SHU draft {draft_id} is {found}: only an approved draft is "
                               "posted", draft_id=draft_id, found=message(found.status)),
                       field="draft_id")
    d = shu_drafts.c
    posted = ctx.conn.execute(select(d.id).where(d.year == found.year, d.status == POSTED,
                                                 d.id != draft_id)).first()
    if posted is not None:
        raise Conflict(message("the SHU of {year} is already posted (draft {posted})",
                               year=found.year, posted=posted.id),
                       field="draft_id")
    # Claim the draft first: the row lock makes a concurrent post wait, then find it posted.
    claimed = ctx.conn.execute(update(shu_drafts).where(d.id == draft_id, d.status == APPROVED)
                               .values(status=POSTED, posted_by=ctx.actor,
                                       posted_on=ctx.business_date))
    if claimed.rowcount != 1:
        raise Conflict(message("SHU draft {draft_id} was posted by a concurrent request",
                               draft_id=draft_id),
                       field="draft_id")
    cur = found.currency
    shu_account = gl_account_number(SHU_CURRENT)
    available = get_account(ctx, shu_account).balance
    if available < found.surplus:
        raise Conflict(message("the current-year SHU holds {available}, less than the {surplus} "
                               "to share", available=available,
                               surplus=found.surplus))
    shares = member_shares(ctx, found)
    pool_lines = [PostingLine(gl_account_number(POOL_GL[pool]), Side.CREDIT, amount)
                  for pool, (_w, amount) in found.pools.items()
                  if pool in POOL_GL and amount.is_positive()]
    destinations: list[tuple[MemberShare, str]] = [
        (share, _member_account(ctx, share.member_id, cur, found.member_payout))
        for share in shares if share.total.is_positive()]
    chunks = [destinations[i:i + MEMBERS_PER_ENTRY]
              for i in range(0, len(destinations), MEMBERS_PER_ENTRY)] or [[]]
    first_entry: int | None = None
    for number, chunk in enumerate(chunks):
        lines = list(pool_lines) if number == 0 else []
        lines += [PostingLine(account, Side.CREDIT, share.total) for share, account in chunk]
        total = sum((line.amount.minor for line in lines), 0)
        if total == 0:
            continue
        lines.insert(0, PostingLine(shu_account, Side.DEBIT, Money(total, cur)))
        entry = post_entry(ctx, lines, memo=f"Pembagian SHU tahun {found.year} "
                                            f"({number + 1}/{len(chunks)})",
                           idempotency_key=f"shu-{found.year}-{draft_id}-{number}")
        first_entry = first_entry or entry.id
        for share, account in chunk:
            ctx.conn.execute(update(shu_members).where(
                shu_members.c.draft_id == draft_id, shu_members.c.member_id == share.member_id)
                .values(account=account, entry_id=entry.id))
            # The member is told after commit (kopcore._events, docs/notifications.md).
            from kopcore import _events

            _events.emit(ctx, _events.SHU_CREDITED, {
                "year": found.year, "amount": str(share.total.amount), "account": account,
                "payout": found.member_payout}, member_id=share.member_id,
                dedup_key=f"{_events.SHU_CREDITED}:{draft_id}:{share.member_id}")
    ctx.conn.execute(update(shu_drafts).where(d.id == draft_id).values(entry_id=first_entry))
    return get_draft(ctx, draft_id)
