"""Murabahah acquisition: the cooperative owns the goods before it sells them (DOMAIN.md
section 6; Fatwa DSN-MUI 04/2000).

Two ways, each recorded with its documents before the sale:

- ``purchase``: the cooperative buys from the supplier. Dr Persediaan Murabahah (inventory) /
  Cr the paying account, the cost; the supplier's invoice is the document. The goods are owned.
- ``wakalah``: the cooperative appoints the member as its agent and advances the money.
  Dr Uang Muka Wakalah / Cr the paying account, the cost; the wakalah agreement is the document.
  The goods are not yet the cooperative's (status ``agent``) until the member reports the
  purchase with the supplier's invoice (:func:`report_purchase`): Dr inventory / Cr Uang Muka
  Wakalah. Only then may they be sold.

The sale (:func:`kopcore_sharia.murabahah.create`) takes an owned acquisition of the same member
and moves it out of inventory at its cost; an acquisition sells once (status ``sold``).
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.ledger import JournalEntry, Member
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore_sharia import chart
from kopcore_sharia.messages import _
from kopcore_sharia.tables import acquisitions

AGENT, OWNED, SOLD = "agent", "owned", "sold"


class Method(enum.StrEnum):
    """How the cooperative comes to own the goods."""

    PURCHASE = "purchase"
    WAKALAH = "wakalah"


@attrs.frozen
class Acquisition:
    id: int
    member_id: int
    asset: str
    cost: int
    method: Method
    supplier: str | None
    wakalah_document: str | None
    purchase_document: str | None
    status: str
    recorded_on: date
    owned_on: date | None
    entry_id: int
    purchase_entry_id: int | None
    contract_account_id: int | None
    actor: str


def get(ctx: Context, acquisition_id: int, *, lock: bool = False) -> Acquisition:
    query = sa.select(acquisitions).where(acquisitions.c.id == acquisition_id)
    if lock and ctx.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = ctx.conn.execute(query).first()
    if row is None:
        raise NotFound(_("no murabahah acquisition {acquisition}", acquisition=acquisition_id),
                       field="acquisition")
    return _of(row)


def _of(row: Any) -> Acquisition:
    values: dict[str, Any] = dict(row._mapping)
    values["method"] = Method(values["method"])
    return Acquisition(**values)


def _text(value: str | None, field: str, what: str) -> str:
    if value is None or not value.strip():
        raise ValidationError(_("name {what}", what=what), field=field)
    return value.strip()[:200]


def record(ctx: Context, member: Member, *, asset: str, cost: Money, cash_account: str,
           method: Method, supplier: str | None, document: str | None
           ) -> tuple[Acquisition, JournalEntry]:
    """Record the purchase of the goods (or the wakalah to the member) and pay for it."""
    from kopcore_sharia.murabahah import internal_account

    ledger.require_active(ctx, member.id)
    asset = _text(asset, "asset", _("the goods"))
    if not cost.is_positive():
        raise ValidationError(_("cost must be positive"), field="cost")
    cash_account = internal_account(ctx, cash_account)
    if method is Method.PURCHASE:
        supplier = _text(supplier, "supplier", _("the supplier"))
        document = _text(document, "document", _("the supplier's invoice"))
        debit, status, memo = chart.MURABAHAH_INVENTORY, OWNED, (
            f"Pembelian barang murabahah: {asset} dari {supplier} ({document})")
    else:
        document = _text(document, "document", _("the wakalah agreement"))
        supplier = supplier.strip()[:200] if supplier and supplier.strip() else None
        debit, status, memo = chart.WAKALAH_ADVANCE, AGENT, (
            f"Wakalah pembelian barang murabahah kepada {member.name}: {asset} ({document})")
    entry = ledger.post_entry(ctx, [PostingLine(chart.gl(debit), Side.DEBIT, cost),
                                    PostingLine(cash_account, Side.CREDIT, cost)],
                              memo=memo[:500])
    purchase = method is Method.PURCHASE
    new_id = ctx.conn.execute(acquisitions.insert().values(
        member_id=member.id, asset=asset, cost=cost.minor, method=method.value,
        supplier=supplier, wakalah_document=None if purchase else document,
        purchase_document=document if purchase else None, status=status,
        recorded_on=ctx.business_date, owned_on=ctx.business_date if purchase else None,
        entry_id=entry.id, purchase_entry_id=entry.id if purchase else None,
        contract_account_id=None, actor=ctx.actor)).inserted_primary_key
    assert new_id is not None
    return get(ctx, int(new_id[0])), entry


def report_purchase(ctx: Context, acquisition_id: int, *, supplier: str, document: str
                    ) -> tuple[Acquisition, JournalEntry]:
    """The member, as the cooperative's agent, reports the goods bought with the supplier's
    invoice: the advance becomes the cooperative's inventory."""
    found = get(ctx, acquisition_id, lock=True)
    if found.method is not Method.WAKALAH or found.status != AGENT:
        raise Conflict(_("acquisition {acquisition} awaits no agent's purchase "
                         "({method}, {status})",
                         acquisition=acquisition_id, method=found.method.value,
                         status=found.status), field="acquisition")
    supplier = _text(supplier, "supplier", _("the supplier"))
    document = _text(document, "document", _("the supplier's invoice"))
    cost = Money(found.cost, ctx.settings.currency)
    entry = ledger.post_entry(
        ctx, [PostingLine(chart.gl(chart.MURABAHAH_INVENTORY), Side.DEBIT, cost),
              PostingLine(chart.gl(chart.WAKALAH_ADVANCE), Side.CREDIT, cost)],
        memo=f"Barang murabahah dibeli wakil: {found.asset} dari {supplier} ({document})"[:500])
    ctx.conn.execute(sa.update(acquisitions).where(acquisitions.c.id == acquisition_id)
                     .values(status=OWNED, supplier=supplier, purchase_document=document,
                             owned_on=ctx.business_date, purchase_entry_id=entry.id))
    return get(ctx, acquisition_id), entry


def claim_for_sale(ctx: Context, acquisition_id: int, member: Member) -> Acquisition:
    """The owned acquisition a murabahah sells; refused before the cooperative owns the goods,
    for another member's goods, or goods already sold."""
    found = get(ctx, acquisition_id, lock=True)
    if found.member_id != member.id:
        raise Conflict(_("acquisition {acquisition} was made for another member",
                         acquisition=acquisition_id), field="acquisition")
    if found.status == AGENT:
        raise Conflict(_("acquisition {acquisition}: the member, as agent (wakalah), has not "
                         "reported buying the goods; they are not the cooperative's to sell yet",
                         acquisition=acquisition_id), field="acquisition")
    if found.status == SOLD:
        raise Conflict(_("acquisition {acquisition} is already sold", acquisition=acquisition_id),
                       field="acquisition")
    return found


def mark_sold(ctx: Context, acquisition_id: int, contract_account_id: int) -> None:
    ctx.conn.execute(sa.update(acquisitions).where(acquisitions.c.id == acquisition_id,
                                                   acquisitions.c.status == OWNED)
                     .values(status=SOLD, contract_account_id=contract_account_id))


def listing(ctx: Context, *, member_id: int | None, status: str | None) -> list[Acquisition]:
    query = sa.select(acquisitions).order_by(acquisitions.c.id)
    if member_id is not None:
        query = query.where(acquisitions.c.member_id == member_id)
    if status is not None:
        query = query.where(acquisitions.c.status == status)
    return [_of(row) for row in ctx.conn.execute(query.limit(1000))]
