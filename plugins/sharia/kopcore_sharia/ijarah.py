"""Ijarah (lease) and ijarah muntahiyah bittamlik (IMBT, a lease ending in the transfer of the
asset to the lessee): Fatwa DSN-MUI 09/2000 and 27/2002, PSAK 107 (now PSAK 407, Akuntansi
Ijarah), the cooperative as owner (mu'jir).

Amounts are integer minor units. Books:

- acquisition, before any lease (the cooperative leases only what it owns): Dr Aset Ijarah /
  Cr the paying account, the cost (PSAK 107: the object is recognised at cost when acquired);
- contract: no entry (the asset stays the cooperative's); the member's ``IJ…`` account is the
  ujrah receivable (Piutang Pendapatan Ijarah). Rent ``k`` (k = 1..term) falls due on the
  contract date plus ``k`` months;
- each rent falling due (end of day, or when paid on its due date): Dr the member's account /
  Cr Pendapatan Ijarah, the ujrah (income recognised when the benefit has been delivered: the
  month of use ended), and the month's depreciation Dr Beban Penyusutan Aset Ijarah /
  Cr Akumulasi Penyusutan Aset Ijarah;
- payment: Dr cash / Cr the member's account, one rent, the oldest unpaid;
- end: a plain ijarah returns the asset to the cooperative (no entry; it can be leased again);
  an IMBT transfers it (a separate akad, after every rent is paid): by ``hibah`` — its
  carrying amount is an expense (Dr Akumulasi, Dr Beban Hibah the carrying amount, Cr Aset at
  cost) —, or by ``sale`` at the price agreed in the contract — the difference from the
  carrying amount a gain or a loss.

Depreciation (PSAK 107 par. 11-12): straight line over the asset's useful life for an ijarah;
for an IMBT over the lease term (the economic life to the cooperative is the term), down to
the residual value. A contract spreads ``dep_base`` (cost - residual - depreciation so far)
over ``dep_months`` of its months: each month that amount / months, in whole rupiah rounded
down, the last month of the spread the remainder, months past it nothing.
"""

from __future__ import annotations

import enum
from datetime import date
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
from kopcore_sharia.ijarah_tables import ijarah_assets, ijarah_contracts
from kopcore_sharia.messages import _
from kopcore_sharia.murabahah import MAX_INSTALLMENTS, add_months, internal_account

AVAILABLE, LEASED, TRANSFERRED = "available", "leased", "transferred"
ACTIVE, ENDED = "active", "ended"
MAX_LIFE_MONTHS = 1200


class Kind(enum.StrEnum):
    """Plain lease, or lease ending in the transfer of ownership."""

    IJARAH = "ijarah"
    IMBT = "imbt"


class Transfer(enum.StrEnum):
    """How an IMBT's asset passes to the member at the end (a separate akad)."""

    HIBAH = "hibah"
    SALE = "sale"


@attrs.frozen
class Asset:
    id: int
    asset: str
    cost: int
    residual: int
    useful_life_months: int
    supplier: str
    document: str
    acquired_on: date
    accumulated: int
    depreciated_months: int
    status: str
    contract_account_id: int | None
    entry_id: int
    actor: str

    @property
    def carrying(self) -> int:
        """Cost less accumulated depreciation."""
        return self.cost - self.accumulated


def _text(value: str | None, field: str) -> str:
    if value is None or not value.strip():
        raise ValidationError(_("{field} is required", field=field), field=field)
    return value.strip()[:200]


def get_asset(ctx: Context, asset_id: int, *, lock: bool = False) -> Asset:
    query = sa.select(ijarah_assets).where(ijarah_assets.c.id == asset_id)
    if lock and ctx.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = ctx.conn.execute(query).first()
    if row is None:
        raise NotFound(_("no ijarah asset {asset}", asset=asset_id), field="asset")
    return Asset(**dict(row._mapping))


def acquire(ctx: Context, *, asset: str, cost: Money, residual: Money,
            useful_life_months: int, cash_account: str, supplier: str, document: str
            ) -> tuple[Asset, JournalEntry]:
    """Buy an asset to lease, at cost (with the supplier's invoice): Dr Aset Ijarah /
    Cr the paying account."""
    name = _text(asset, "asset")
    supplier = _text(supplier, "supplier")
    document = _text(document, "document")
    if not cost.is_positive():
        raise ValidationError(_("cost must be positive"), field="cost")
    if not 0 <= residual.minor < cost.minor:
        raise ValidationError(_("the residual value must be at least 0 and below the cost"),
                              field="residual")
    if not 1 <= useful_life_months <= MAX_LIFE_MONTHS:
        raise ValidationError(_("useful life: 1-{most} months", most=MAX_LIFE_MONTHS),
                              field="useful_life_months")
    cash_account = internal_account(ctx, cash_account)
    entry = ledger.post_entry(
        ctx, [PostingLine(chart.gl(chart.IJARAH_ASSET), Side.DEBIT, cost),
              PostingLine(cash_account, Side.CREDIT, cost)],
        memo=f"Pembelian aset ijarah: {name} dari {supplier} ({document})"[:500])
    new_id = ctx.conn.execute(ijarah_assets.insert().values(
        asset=name, cost=cost.minor, residual=residual.minor,
        useful_life_months=useful_life_months, supplier=supplier, document=document,
        acquired_on=ctx.business_date, accumulated=0, depreciated_months=0, status=AVAILABLE,
        contract_account_id=None, entry_id=entry.id, actor=ctx.actor)).inserted_primary_key
    assert new_id is not None
    return get_asset(ctx, int(new_id[0])), entry


def assets(ctx: Context, status: str | None) -> list[Asset]:
    query = sa.select(ijarah_assets).order_by(ijarah_assets.c.id)
    if status is not None:
        query = query.where(ijarah_assets.c.status == status)
    return [Asset(**dict(r._mapping)) for r in ctx.conn.execute(query.limit(1000))]


# --- the contract -------------------------------------------------------------------------------


def monthly_depreciation(base: int, months: int, k: int, unit: int) -> int:
    """Depreciation of a contract's month ``k`` (1-based) spreading ``base`` over ``months``:
    ``base / months`` rounded down to ``unit``, the last month of the spread the remainder,
    none after it."""
    if months <= 0 or k > months or base <= 0:
        return 0
    each = base // (months * unit) * unit
    return each if k < months else base - each * (months - 1)


@attrs.frozen
class Rent:
    number: int
    due_on: date
    ujrah: int
    depreciation: int


def rents_of(contract_on: date, term: int, ujrah: int, dep_base: int, dep_months: int,
             unit: int) -> list[Rent]:
    """The contract's rents 1..term: due date (the contract date plus k months), ujrah and
    the month's depreciation."""
    return [Rent(k, add_months(contract_on, k), ujrah,
                 monthly_depreciation(dep_base, dep_months, k, unit))
            for k in range(1, term + 1)]


@attrs.frozen
class Contract:
    account: Account
    member_id: int
    asset_id: int
    kind: Kind
    transfer: Transfer | None
    transfer_price: int
    ujrah: int
    term: int
    contract_on: date
    dep_base: int
    dep_months: int
    accrued: int
    paid: int
    depreciation: int
    status: str
    ended_on: date | None
    end_entry_id: int | None
    days_past_due: int
    collectibility: str | None
    allowance: int
    actor: str

    def money(self, minor: int) -> Money:
        return Money(minor, self.account.currency)

    def schedule(self) -> list[Rent]:
        return rents_of(self.contract_on, self.term, self.ujrah, self.dep_base,
                        self.dep_months, 10 ** exponent(self.account.currency))

    def due_on(self, k: int) -> date:
        return add_months(self.contract_on, k)


def _contract_of(ctx: Context, account: Account, row: Any) -> Contract:
    values: dict[str, Any] = dict(row._mapping)
    values.pop("account_id")
    values["kind"] = Kind(values["kind"])
    values["transfer"] = None if values["transfer"] is None else Transfer(values["transfer"])
    return Contract(account=account, **values)


def get_contract(ctx: Context, number: str, *, lock: bool = False) -> Contract:
    """The lease on account ``number``; ``lock`` holds its row (PostgreSQL) so two payments at
    once collect two rents, never one twice."""
    account = ledger.get_account(ctx, number)
    query = sa.select(ijarah_contracts).where(ijarah_contracts.c.account_id == account.id)
    if lock and ctx.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = ctx.conn.execute(query).first()
    if row is None:
        raise NotFound(_("{account} is not an ijarah contract", account=number),
                       field="account")
    if lock:
        account = ledger.get_account(ctx, number)
    return _contract_of(ctx, account, row)


def create(ctx: Context, member: Member, *, asset_id: int, ujrah: Money, term: int, kind: Kind,
           transfer: Transfer | None, transfer_price: Money | None, number: str | None
           ) -> Contract:
    """Lease an asset the cooperative owns and has not leased to the member for ``term``
    months at ``ujrah`` a month; an IMBT names how the asset passes at the end (``hibah``, or
    ``sale`` at ``transfer_price``). Refused for an asset not owned (unknown, leased,
    transferred)."""
    ledger.require_active(ctx, member.id)
    if not ujrah.is_positive():
        raise ValidationError(_("ujrah must be positive"), field="ujrah")
    if not 1 <= term <= MAX_INSTALLMENTS:
        raise ValidationError(_("term: 1-{most} months", most=MAX_INSTALLMENTS), field="term")
    price = 0 if transfer_price is None else transfer_price.minor
    if kind is Kind.IJARAH:
        if transfer is not None or price:
            raise ValidationError(_("a plain ijarah transfers nothing: the asset returns to "
                                    "the cooperative (use kind imbt)"), field="transfer")
    elif transfer is None:
        raise ValidationError(_("an IMBT names how the asset passes at the end: hibah or "
                                "sale"), field="transfer")
    elif transfer is Transfer.SALE and price <= 0:
        raise ValidationError(_("a sale at the end needs the price agreed in the contract"),
                              field="transfer_price")
    elif transfer is Transfer.HIBAH and price:
        raise ValidationError(_("a hibah has no price"), field="transfer_price")
    goods = get_asset(ctx, asset_id, lock=True)
    if goods.status != AVAILABLE:
        raise Conflict(_("ijarah asset {asset} is not the cooperative's to lease now "
                         "({status})", asset=asset_id, status=goods.status), field="asset")
    base = goods.cost - goods.residual - goods.accumulated
    months = term if kind is Kind.IMBT else goods.useful_life_months - goods.depreciated_months
    account = ledger.open_account(
        ctx, name=f"Ijarah {member.name}"[:200], gl_key=chart.IJARAH_RECEIVABLE,
        plugin=chart.PLUGIN, member_id=member.id, product_code=chart.IJARAH_PRODUCT,
        number=number, currency=ujrah.currency, floor=Money.zero(ujrah.currency), prefix="IJ")
    ctx.conn.execute(ijarah_contracts.insert().values(
        account_id=account.id, member_id=member.id, asset_id=goods.id, kind=kind.value,
        transfer=None if transfer is None else transfer.value, transfer_price=price,
        ujrah=ujrah.minor, term=term, contract_on=ctx.business_date, dep_base=max(base, 0),
        dep_months=max(months, 0), accrued=0, paid=0, depreciation=0, status=ACTIVE,
        ended_on=None, end_entry_id=None, days_past_due=0, collectibility=None, allowance=0,
        actor=ctx.actor))
    ctx.conn.execute(sa.update(ijarah_assets).where(ijarah_assets.c.id == goods.id)
                     .values(status=LEASED, contract_account_id=account.id))
    return get_contract(ctx, account.number)


# --- rents falling due --------------------------------------------------------------------------


def _due(rents: list[Rent], accrued: int, day: date) -> tuple[int, int, int]:
    """Rents due by ``day`` and not yet recognised (the first ``accrued`` are): how many,
    their ujrah and their depreciation."""
    count = ujrah = depreciation = 0
    for rent in rents[accrued:]:
        if rent.due_on > day:
            break
        count, ujrah = count + 1, ujrah + rent.ujrah
        depreciation += rent.depreciation
    return count, ujrah, depreciation


def _record_accrual(ctx: Context, account_id: int, asset_id: int, count: int,
                    depreciation: int) -> None:
    c, a = ijarah_contracts.c, ijarah_assets.c
    ctx.conn.execute(sa.update(ijarah_contracts).where(c.account_id == account_id)
                     .values(accrued=c.accrued + count,
                             depreciation=c.depreciation + depreciation))
    ctx.conn.execute(sa.update(ijarah_assets).where(a.id == asset_id).values(
        accumulated=a.accumulated + depreciation,
        depreciated_months=a.depreciated_months + count))


def accrue_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """Recognise the rents of the active contracts ``[low, high]`` due by ``day`` and their
    months' depreciation, as one entry for the chunk. Returns the rents recognised."""
    c, a = ijarah_contracts.c, query.accounts.c
    rows = ctx.conn.execute(
        sa.select(ijarah_contracts, a.number.label("number"))
        .join(query.accounts, a.id == c.account_id)
        .where(c.account_id.between(low, high), c.status == ACTIVE, c.accrued < c.term)
        .order_by(c.account_id)).all()
    currency = ctx.settings.currency
    unit = 10 ** exponent(currency)
    lines: list[PostingLine] = []
    total_ujrah = total_dep = rents = 0
    for row in rows:
        count, ujrah, depreciation = _due(
            rents_of(row.contract_on, row.term, row.ujrah, row.dep_base, row.dep_months, unit),
            row.accrued, day)
        if not count:
            continue
        lines.append(PostingLine(row.number, Side.DEBIT, Money(ujrah, currency)))
        total_ujrah += ujrah
        total_dep += depreciation
        rents += count
        _record_accrual(ctx, row.account_id, row.asset_id, count, depreciation)
    if not rents:
        return 0
    lines.append(PostingLine(chart.gl(chart.IJARAH_INCOME), Side.CREDIT,
                             Money(total_ujrah, currency)))
    if total_dep:
        lines += [PostingLine(chart.gl(chart.IJARAH_DEPRECIATION), Side.DEBIT,
                              Money(total_dep, currency)),
                  PostingLine(chart.gl(chart.IJARAH_ACCUMULATED_DEPRECIATION), Side.CREDIT,
                              Money(total_dep, currency))]
    ledger.post_entry(ctx, lines, memo=f"Ujrah ijarah jatuh tempo dan penyusutan aset ijarah "
                                       f"{day.isoformat()}",
                      idempotency_key=f"sharia.ijarah-due:{day.isoformat()}:{low}-{high}")
    return rents


def accrue_now(ctx: Context, contract: Contract) -> tuple[Contract, JournalEntry | None]:
    """Recognise the contract's rents due by today (a rent paid on its due date, before end of
    day): its own entry."""
    count, ujrah, depreciation = _due(contract.schedule(), contract.accrued,
                                      ctx.business_date)
    if not count:
        return contract, None
    money = contract.money
    lines = [PostingLine(contract.account.number, Side.DEBIT, money(ujrah)),
             PostingLine(chart.gl(chart.IJARAH_INCOME), Side.CREDIT, money(ujrah))]
    if depreciation:
        lines += [PostingLine(chart.gl(chart.IJARAH_DEPRECIATION), Side.DEBIT,
                              money(depreciation)),
                  PostingLine(chart.gl(chart.IJARAH_ACCUMULATED_DEPRECIATION), Side.CREDIT,
                              money(depreciation))]
    entry = ledger.post_entry(ctx, lines, memo=f"Ujrah ijarah {contract.account.number} "
                                               f"jatuh tempo dan penyusutan")
    _record_accrual(ctx, contract.account.id, contract.asset_id, count, depreciation)
    return get_contract(ctx, contract.account.number), entry


def _require_active(contract: Contract) -> None:
    if contract.status != ACTIVE:
        raise Conflict(_("ijarah {account} has ended", account=contract.account.number),
                       field="account")


def pay(ctx: Context, number: str, cash_account: str) -> tuple[Contract, Rent, JournalEntry]:
    """Collect the oldest unpaid rent (one ujrah), once it has fallen due."""
    cash_account = internal_account(ctx, cash_account)
    contract = get_contract(ctx, number, lock=True)
    _require_active(contract)
    contract, _accrual = accrue_now(ctx, contract)
    if contract.paid >= contract.accrued:
        upcoming = (contract.due_on(contract.accrued + 1).isoformat()
                    if contract.accrued < contract.term else "-")
        raise Conflict(_("ijarah {account} has no rent due (next due {due})",
                         account=number, due=upcoming), field="account")
    rent = contract.schedule()[contract.paid]
    amount = contract.money(rent.ujrah)
    entry = ledger.post_entry(ctx, [PostingLine(cash_account, Side.DEBIT, amount),
                                    PostingLine(number, Side.CREDIT, amount)],
                              memo=f"Ujrah ijarah {number} ke-{rent.number}/{contract.term}")
    c = ijarah_contracts.c
    ctx.conn.execute(sa.update(ijarah_contracts).where(c.account_id == contract.account.id)
                     .values(paid=c.paid + 1))
    return get_contract(ctx, number), rent, entry


def end(ctx: Context, number: str, cash_account: str | None
        ) -> tuple[Contract, Asset, JournalEntry | None]:
    """End a lease once its term has run and every rent is paid. A plain ijarah returns the
    asset to the cooperative (no entry); an IMBT transfers it by hibah (its carrying amount an
    expense) or by sale at the agreed price (paid in through ``cash_account``; the difference
    from the carrying amount a gain or a loss)."""
    contract = get_contract(ctx, number, lock=True)
    _require_active(contract)
    contract, _accrual = accrue_now(ctx, contract)
    if contract.accrued < contract.term:
        raise Conflict(_("ijarah {account} runs until {until}",
                         account=number, until=contract.due_on(contract.term).isoformat()),
                       field="account")
    if contract.paid < contract.accrued:
        raise Conflict(_("ijarah {account} has {owed} in unpaid rent",
                         account=number, owed=contract.account.balance), field="account")
    goods = get_asset(ctx, contract.asset_id, lock=True)
    entry = None
    money = contract.money
    if contract.kind is Kind.IMBT:
        lines = [PostingLine(chart.gl(chart.IJARAH_ASSET), Side.CREDIT, money(goods.cost))]
        if goods.accumulated:
            lines.append(PostingLine(chart.gl(chart.IJARAH_ACCUMULATED_DEPRECIATION),
                                     Side.DEBIT, money(goods.accumulated)))
        carrying = goods.carrying
        if contract.transfer is Transfer.HIBAH:
            if carrying:
                lines.append(PostingLine(chart.gl(chart.IJARAH_HIBAH_EXPENSE), Side.DEBIT,
                                         money(carrying)))
            memo = f"Hibah aset IMBT {number}: {goods.asset}"
        else:
            if cash_account is None:
                raise ValidationError(_("name the account the sale price comes in to"),
                                      field="cash_account")
            cash_account = internal_account(ctx, cash_account)
            price = contract.transfer_price
            lines.append(PostingLine(cash_account, Side.DEBIT, money(price)))
            if price > carrying:
                lines.append(PostingLine(chart.gl(chart.IJARAH_SALE_GAIN), Side.CREDIT,
                                         money(price - carrying)))
            elif price < carrying:
                lines.append(PostingLine(chart.gl(chart.IJARAH_SALE_LOSS), Side.DEBIT,
                                         money(carrying - price)))
            memo = f"Penjualan aset IMBT {number}: {goods.asset}"
        entry = ledger.post_entry(ctx, lines, memo=memo[:500])
        status = TRANSFERRED
    else:
        status = AVAILABLE
    ctx.conn.execute(sa.update(ijarah_assets).where(ijarah_assets.c.id == goods.id)
                     .values(status=status))
    c = ijarah_contracts.c
    ctx.conn.execute(sa.update(ijarah_contracts).where(c.account_id == contract.account.id)
                     .values(status=ENDED, ended_on=ctx.business_date,
                             end_entry_id=None if entry is None else entry.id,
                             days_past_due=0))
    ledger.close_account(ctx, number)
    return get_contract(ctx, number), get_asset(ctx, goods.id), entry


def active_leases(ctx: Context, member_id: int) -> list[str]:
    """Account numbers of the member's active leases (an exit waits for their end)."""
    c, a = ijarah_contracts.c, query.accounts.c
    return list(ctx.conn.execute(
        sa.select(a.number).join(query.accounts, a.id == c.account_id)
        .where(c.member_id == member_id, c.status == ACTIVE).order_by(a.number)).scalars())
