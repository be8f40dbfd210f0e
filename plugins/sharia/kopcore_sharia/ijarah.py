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

An IMBT by ``gradual`` sale (penjualan bertahap) sells a part of the asset with each rent
instead (:func:`_gradual`): the part's price is due with the rent (Dr the member's account),
the part's cost and accumulated depreciation leave the books, and the difference from its
carrying amount is a gain or a loss (PSAK 107); the end then moves nothing.

Depreciation (PSAK 107 par. 11-12): straight line over the asset's useful life for an ijarah;
for an IMBT over the lease term (the economic life to the cooperative is the term), down to
the residual value. A contract spreads ``dep_base`` (cost - residual - depreciation so far)
over ``dep_months`` of its months: each month that amount / months, in whole rupiah rounded
down, the last month of the spread the remainder, months past it nothing.
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
from kopcore_sharia.ijarah_tables import ijarah_assets, ijarah_contracts
from kopcore_sharia.messages import _
from kopcore_sharia.murabahah import MAX_INSTALLMENTS, add_months, internal_account, round_half_up
from kopcore_sharia.tazir_terms import TazirTerms

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
    GRADUAL = "gradual"


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
    sold_cost: int
    sold_accumulated: int

    @property
    def carrying(self) -> int:
        """Cost less accumulated depreciation, of the part the cooperative still owns."""
        return (self.cost - self.sold_cost) - (self.accumulated - self.sold_accumulated)


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
        contract_account_id=None, entry_id=entry.id, actor=ctx.actor, sold_cost=0,
        sold_accumulated=0)).inserted_primary_key
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
    #: Gradual sale: the price of the part sold with this rent, and that part's cost and
    #: accumulated depreciation leaving the books.
    sale_price: int = 0
    sold_cost: int = 0
    sold_accumulated: int = 0

    @property
    def total(self) -> int:
        """What the member owes for this month: the ujrah (and a part's price)."""
        return self.ujrah + self.sale_price


@attrs.frozen
class Terms:
    """What a contract's rents follow (the contract's terms and its asset's cost)."""

    contract_on: date
    term: int
    ujrah: int
    dep_base: int
    dep_months: int
    transfer: Transfer | None
    transfer_price: int
    cost: int
    residual: int


def rents_of(t: Terms, unit: int) -> list[Rent]:
    """The contract's rents 1..term: due date (the contract date plus k months), ujrah and
    the month's depreciation; for a gradual sale also the part sold with each."""
    if t.transfer is Transfer.GRADUAL:
        return _gradual(t, unit)
    return [Rent(k, add_months(t.contract_on, k), t.ujrah,
                 monthly_depreciation(t.dep_base, t.dep_months, k, unit))
            for k in range(1, t.term + 1)]


def _gradual(t: Terms, unit: int) -> list[Rent]:
    """IMBT by gradual sale: with rent k, after its month's depreciation, the member buys
    ``1/m`` of the part still the cooperative's (``m = term - k + 1``, so 1/term of the asset
    each month) for ``price / term`` (rounded down to ``unit``, the last part the remainder).
    What is held depreciates straight line to its share of the residual value over the months
    left. The part's cost and accumulated depreciation are the held ones / ``m``, rounded half
    up (the last part: all that is left)."""
    held_cost, held_acc = t.cost, t.cost - t.residual - t.dep_base
    each_price = t.transfer_price // (t.term * unit) * unit
    rents = []
    for k in range(1, t.term + 1):
        m = t.term - k + 1
        held_residual = round_half_up(Fraction(t.residual * m, t.term), unit)
        left = max(held_cost - held_residual - held_acc, 0)
        depreciation = left if m == 1 else left // (m * unit) * unit
        held_acc += depreciation
        part_cost = held_cost if m == 1 else round_half_up(Fraction(held_cost, m), unit)
        part_acc = held_acc if m == 1 else round_half_up(Fraction(held_acc, m), unit)
        price = each_price if k < t.term else t.transfer_price - each_price * (t.term - 1)
        rents.append(Rent(k, add_months(t.contract_on, k), t.ujrah, depreciation, price,
                          part_cost, part_acc))
        held_cost -= part_cost
        held_acc -= part_acc
    return rents


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
    tazir_terms: TazirTerms
    cost: int
    residual: int

    def money(self, minor: int) -> Money:
        return Money(minor, self.account.currency)

    def terms(self) -> Terms:
        return Terms(self.contract_on, self.term, self.ujrah, self.dep_base, self.dep_months,
                     self.transfer, self.transfer_price, self.cost, self.residual)

    def schedule(self) -> list[Rent]:
        return rents_of(self.terms(), 10 ** exponent(self.account.currency))

    def due_on(self, k: int) -> date:
        return add_months(self.contract_on, k)


def _contract_of(ctx: Context, account: Account, row: Any) -> Contract:
    values: dict[str, Any] = dict(row._mapping)
    values.pop("account_id")
    values["kind"] = Kind(values["kind"])
    values["transfer"] = None if values["transfer"] is None else Transfer(values["transfer"])
    values["tazir_terms"] = TazirTerms(values.pop("tazir_flat"), values.pop("tazir_daily"))
    return Contract(account=account, **values)


def get_contract(ctx: Context, number: str, *, lock: bool = False) -> Contract:
    """The lease on account ``number``; ``lock`` holds its row (PostgreSQL) so two payments at
    once collect two rents, never one twice."""
    account = ledger.get_account(ctx, number)
    c, s = ijarah_contracts.c, ijarah_assets.c
    select = (sa.select(ijarah_contracts, s.cost, s.residual)
              .join(ijarah_assets, s.id == c.asset_id).where(c.account_id == account.id))
    if lock and ctx.conn.dialect.name == "postgresql":
        select = select.with_for_update(of=ijarah_contracts)
    row = ctx.conn.execute(select).first()
    if row is None:
        raise NotFound(_("{account} is not an ijarah contract", account=number),
                       field="account")
    if lock:
        account = ledger.get_account(ctx, number)
    return _contract_of(ctx, account, row)


def create(ctx: Context, member: Member, *, asset_id: int, ujrah: Money, term: int, kind: Kind,
           transfer: Transfer | None, transfer_price: Money | None, number: str | None,
           tazir_flat: Money | None = None, tazir_daily: Money | None = None) -> Contract:
    """Lease an asset the cooperative owns and has not leased to the member for ``term``
    months at ``ujrah`` a month; an IMBT names how the asset passes at the end (``hibah``, or
    ``sale`` at ``transfer_price``). Refused for an asset not owned (unknown, leased,
    transferred)."""
    ledger.require_active(ctx, member.id)
    terms = TazirTerms.agreed(tazir_flat, tazir_daily)
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
        raise ValidationError(_("an IMBT names how the asset passes: hibah, sale or "
                                "gradual"), field="transfer")
    elif transfer is not Transfer.HIBAH and price <= 0:
        raise ValidationError(_("a sale at the end needs the price agreed in the contract"),
                              field="transfer_price")
    elif transfer is Transfer.HIBAH and price:
        raise ValidationError(_("a hibah has no price"), field="transfer_price")
    goods = get_asset(ctx, asset_id, lock=True)
    if goods.status != AVAILABLE or goods.sold_cost:
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
        actor=ctx.actor, tazir_flat=terms.flat, tazir_daily=terms.daily))
    ctx.conn.execute(sa.update(ijarah_assets).where(ijarah_assets.c.id == goods.id)
                     .values(status=LEASED, contract_account_id=account.id))
    return get_contract(ctx, account.number)


# --- rents falling due --------------------------------------------------------------------------


def _due(rents: list[Rent], accrued: int, day: date) -> list[Rent]:
    """Rents due by ``day`` and not yet recognised (the first ``accrued`` are)."""
    return [rent for rent in rents[accrued:] if rent.due_on <= day]


@attrs.define
class _Accrual:
    """What rents falling due post: the members' accounts' debits and the GL totals."""

    receivable: dict[str, int] = attrs.Factory(dict)
    income: int = 0
    depreciation: int = 0
    sold_cost: int = 0
    sold_accumulated: int = 0
    gain: int = 0
    loss: int = 0
    rents: int = 0

    def add(self, ctx: Context, number: str, account_id: int, asset_id: int,
            due: list[Rent]) -> None:
        if not due:
            return
        self.receivable[number] = self.receivable.get(number, 0) + sum(r.total for r in due)
        self.income += sum(r.ujrah for r in due)
        depreciation = sum(r.depreciation for r in due)
        sold_cost = sum(r.sold_cost for r in due)
        sold_accumulated = sum(r.sold_accumulated for r in due)
        self.depreciation += depreciation
        self.sold_cost += sold_cost
        self.sold_accumulated += sold_accumulated
        results = [r.sale_price - (r.sold_cost - r.sold_accumulated) for r in due]
        self.gain += sum(result for result in results if result > 0)
        self.loss -= sum(result for result in results if result < 0)
        self.rents += len(due)
        c, a = ijarah_contracts.c, ijarah_assets.c
        ctx.conn.execute(sa.update(ijarah_contracts).where(c.account_id == account_id)
                         .values(accrued=c.accrued + len(due),
                                 depreciation=c.depreciation + depreciation))
        ctx.conn.execute(sa.update(ijarah_assets).where(a.id == asset_id).values(
            accumulated=a.accumulated + depreciation,
            depreciated_months=a.depreciated_months + len(due),
            sold_cost=a.sold_cost + sold_cost,
            sold_accumulated=a.sold_accumulated + sold_accumulated))

    def lines(self, currency: str) -> list[PostingLine]:
        def money(minor: int) -> Money:
            return Money(minor, currency)

        lines = [PostingLine(number, Side.DEBIT, money(amount))
                 for number, amount in self.receivable.items()]
        lines.append(PostingLine(chart.gl(chart.IJARAH_INCOME), Side.CREDIT,
                                 money(self.income)))
        if self.depreciation:
            lines.append(PostingLine(chart.gl(chart.IJARAH_DEPRECIATION), Side.DEBIT,
                                     money(self.depreciation)))
        accumulated = self.depreciation - self.sold_accumulated
        if accumulated:
            lines.append(PostingLine(chart.gl(chart.IJARAH_ACCUMULATED_DEPRECIATION),
                                     Side.CREDIT if accumulated > 0 else Side.DEBIT,
                                     money(abs(accumulated))))
        if self.sold_cost:
            lines.append(PostingLine(chart.gl(chart.IJARAH_ASSET), Side.CREDIT,
                                     money(self.sold_cost)))
        if self.gain:
            lines.append(PostingLine(chart.gl(chart.IJARAH_SALE_GAIN), Side.CREDIT,
                                     money(self.gain)))
        if self.loss:
            lines.append(PostingLine(chart.gl(chart.IJARAH_SALE_LOSS), Side.DEBIT,
                                     money(self.loss)))
        return lines


def accrue_chunk(ctx: Context, day: date, low: int, high: int) -> int:
    """Recognise the rents of the active contracts ``[low, high]`` due by ``day`` with their
    months' depreciation (and, for a gradual sale, the parts sold), as one entry for the
    chunk. Returns the rents recognised."""
    c, a, s = ijarah_contracts.c, query.accounts.c, ijarah_assets.c
    rows = ctx.conn.execute(
        sa.select(ijarah_contracts, a.number.label("number"), s.cost, s.residual)
        .join(query.accounts, a.id == c.account_id).join(ijarah_assets, s.id == c.asset_id)
        .where(c.account_id.between(low, high), c.status == ACTIVE, c.accrued < c.term)
        .order_by(c.account_id)).all()
    currency = ctx.settings.currency
    unit = 10 ** exponent(currency)
    accrual = _Accrual()
    for row in rows:
        terms = Terms(row.contract_on, row.term, row.ujrah, row.dep_base, row.dep_months,
                      None if row.transfer is None else Transfer(row.transfer),
                      row.transfer_price, row.cost, row.residual)
        accrual.add(ctx, row.number, row.account_id, row.asset_id,
                    _due(rents_of(terms, unit), row.accrued, day))
    if not accrual.rents:
        return 0
    ledger.post_entry(ctx, accrual.lines(currency),
                      memo=f"Ujrah ijarah jatuh tempo dan penyusutan aset ijarah "
                           f"{day.isoformat()}",
                      idempotency_key=f"sharia.ijarah-due:{day.isoformat()}:{low}-{high}")
    return accrual.rents


def accrue_now(ctx: Context, contract: Contract) -> tuple[Contract, JournalEntry | None]:
    """Recognise the contract's rents due by today (a rent paid on its due date, before end of
    day): its own entry."""
    accrual = _Accrual()
    accrual.add(ctx, contract.account.number, contract.account.id, contract.asset_id,
                _due(contract.schedule(), contract.accrued, ctx.business_date))
    if not accrual.rents:
        return contract, None
    entry = ledger.post_entry(ctx, accrual.lines(contract.account.currency),
                              memo=f"Ujrah ijarah {contract.account.number} jatuh tempo dan "
                                   f"penyusutan")
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
    amount = contract.money(rent.total)
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
    if contract.transfer is Transfer.GRADUAL:
        status = TRANSFERRED  # every part sold with its rent: nothing left to move
    elif contract.kind is Kind.IMBT:
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


def sell_early(ctx: Context, number: str, price: Money, cash_account: str
               ) -> tuple[Contract, Asset, JournalEntry]:
    """An IMBT's asset sold to the member before the term ends (PSAK 107: a sale before the
    akad ends, at a price in proportion to the rents left or as agreed), by a separate akad:
    every rent recognised so far paid, the rents not yet due lapse. Dr cash the price, Dr
    accumulated depreciation, Cr the asset at cost, the difference from the carrying amount a
    gain or a loss."""
    cash_account = internal_account(ctx, cash_account)
    contract = get_contract(ctx, number, lock=True)
    _require_active(contract)
    if contract.kind is not Kind.IMBT or contract.transfer is Transfer.GRADUAL:
        raise Conflict(_("only an IMBT by hibah or sale may be sold before its term ends"),
                       field="account")
    if not price.is_positive():
        raise ValidationError(_("price must be positive"), field="price")
    contract, _accrual = accrue_now(ctx, contract)
    if contract.paid < contract.accrued:
        raise Conflict(_("ijarah {account} has {owed} in unpaid rent",
                         account=number, owed=contract.account.balance), field="account")
    goods = get_asset(ctx, contract.asset_id, lock=True)
    money = contract.money
    lines = [PostingLine(cash_account, Side.DEBIT, price),
             PostingLine(chart.gl(chart.IJARAH_ASSET), Side.CREDIT, money(goods.cost))]
    if goods.accumulated:
        lines.append(PostingLine(chart.gl(chart.IJARAH_ACCUMULATED_DEPRECIATION), Side.DEBIT,
                                 money(goods.accumulated)))
    result = price.minor - goods.carrying
    if result > 0:
        lines.append(PostingLine(chart.gl(chart.IJARAH_SALE_GAIN), Side.CREDIT, money(result)))
    elif result < 0:
        lines.append(PostingLine(chart.gl(chart.IJARAH_SALE_LOSS), Side.DEBIT, money(-result)))
    entry = ledger.post_entry(ctx, lines, memo=f"Penjualan aset IMBT {number} sebelum akad "
                                               f"berakhir: {goods.asset}"[:500])
    ctx.conn.execute(sa.update(ijarah_assets).where(ijarah_assets.c.id == goods.id)
                     .values(status=TRANSFERRED))
    c = ijarah_contracts.c
    ctx.conn.execute(sa.update(ijarah_contracts).where(c.account_id == contract.account.id)
                     .values(status=ENDED, ended_on=ctx.business_date, end_entry_id=entry.id,
                             days_past_due=0))
    ledger.close_account(ctx, number)
    return get_contract(ctx, number), get_asset(ctx, goods.id), entry


def active_leases(ctx: Context, member_id: int) -> list[str]:
    """Account numbers of the member's active leases (an exit waits for their end)."""
    c, a = ijarah_contracts.c, query.accounts.c
    return list(ctx.conn.execute(
        sa.select(a.number).join(query.accounts, a.id == c.account_id)
        .where(c.member_id == member_id, c.status == ACTIVE).order_by(a.number)).scalars())
