"""Legal-entity members whose savings interest is paid without PPh pasal 23 withheld.

Interest a cooperative pays a member that is a legal entity is withheld under Pasal 23 of the
income tax law (:mod:`kopcore_savings.entity_tax`), except when:

- the member is a **bank**: Pasal 23 ayat (4) huruf a — no withholding on income paid or owed
  to a bank; the bank pays its own tax on it;
- the member holds a **Surat Keterangan Bebas** (SKB) pemotongan PPh pasal 23 the tax office
  issued for a period: the payer does not withhold on payments made within that period, and
  its withholding slip names the SKB. Whether it covers a payment is judged on the date of
  the payment (the withholding's date, PP 94/2010 Pasal 15 ayat (3)), not on the month the
  interest was earned in: a month-end posting on 31 March falls under an SKB valid to 31
  March; a time deposit paid on 2 April after it does not.

An SKB frees only non-final withholding, so there is nothing of the kind for a person's PPh
final (PP 15/2009); an exemption is recorded for a member that is a legal entity only.
Exemptions are kept with who recorded them and when; ending one sets the last date it covers
(never before the payments it already covered).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.ledger import MemberKind
from kopcore_savings.messages import _
from kopcore_savings.tables import interest_months
from kopcore_savings.tables import tax_exemptions as table


class ExemptionReason(enum.StrEnum):
    #: Pasal 23 ayat (4) huruf a: income paid to a bank.
    BANK = "bank"
    #: A Surat Keterangan Bebas pemotongan PPh pasal 23 for a period.
    SKB = "skb"


@attrs.frozen
class TaxExemption:
    id: int
    member_id: int
    reason: ExemptionReason
    reference: str | None
    valid_from: date
    valid_until: date | None
    recorded_on: date
    recorded_by: str
    ended_by: str | None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


def _of(row: sa.Row[tuple[object, ...]]) -> TaxExemption:
    values = dict(row._mapping)
    return TaxExemption(**{**values, "reason": ExemptionReason(str(values["reason"]))})


def record(ctx: Context, member: str, reason: ExemptionReason, reference: str | None,
           valid_from: date, valid_until: date | None) -> TaxExemption:
    """Record that ``member``'s interest is not withheld under Pasal 23 from ``valid_from``.

    Refused for a person (PP 15/2009 has no such exemption), an SKB without its number or its
    last day, and a period that ends before it starts."""
    found = ledger.get_member(ctx, member)
    if found.kind is MemberKind.PERSON:
        raise ValidationError(_("only a member that is a legal entity is withheld under "
                                "Pasal 23; a person's interest has no such exemption"),
                              field="member")
    reference = (reference or "").strip() or None
    if reason is ExemptionReason.SKB and reference is None:
        raise ValidationError(_("an SKB needs its number"), field="reference")
    if reason is ExemptionReason.SKB and valid_until is None:
        raise ValidationError(_("an SKB needs the last day it is valid"), field="valid_until")
    if valid_until is not None and valid_until < valid_from:
        raise ValidationError(_("the last day comes before the first"), field="valid_until")
    new_id = ctx.conn.execute(table.insert().values(
        member_id=found.id, reason=reason.value, reference=reference, valid_from=valid_from,
        valid_until=valid_until, recorded_on=ctx.business_date, recorded_by=ctx.actor)
        .returning(table.c.id)).scalar_one()
    return get(ctx, int(new_id))


def get(ctx: Context, exemption_id: int) -> TaxExemption:
    row = ctx.conn.execute(sa.select(table).where(table.c.id == exemption_id)).first()
    if row is None:
        raise NotFound(_("no tax exemption {id}", id=exemption_id))
    return _of(row)


def end(ctx: Context, exemption_id: int, last_day: date) -> TaxExemption:
    """Set the last payment date an exemption covers. Refused when it would uncover a payment
    already made under it (an interest payment to the member after ``last_day`` that the
    exemption let through untaxed) or extend an SKB past its own last day."""
    exemption = get(ctx, exemption_id)
    if last_day < exemption.valid_from:
        raise ValidationError(_("the last day comes before the first"), field="valid_until")
    if exemption.valid_until is not None and last_day > exemption.valid_until:
        raise Conflict(_("tax exemption {id} already ends on {day}", id=exemption_id,
                         day=exemption.valid_until.isoformat()))
    m = interest_months.c
    covered = [m.member_id == exemption.member_id, m.paid_on > last_day]
    if exemption.valid_until is not None:
        covered.append(m.paid_on <= exemption.valid_until)
    paid_after = ctx.conn.execute(sa.select(sa.func.max(m.paid_on)).where(*covered)).scalar()
    if paid_after is not None:
        raise Conflict(_("interest was paid under tax exemption {id} on {day}; it cannot end "
                         "before that", id=exemption_id, day=paid_after.isoformat()))
    ctx.conn.execute(sa.update(table).where(table.c.id == exemption_id).values(
        valid_until=last_day, ended_by=ctx.actor))
    return get(ctx, exemption_id)


def listed(ctx: Context, member_id: int | None = None) -> list[TaxExemption]:
    query = sa.select(table).order_by(table.c.member_id, table.c.valid_from, table.c.id)
    if member_id is not None:
        query = query.where(table.c.member_id == member_id)
    return [_of(row) for row in ctx.conn.execute(query)]


def in_force(ctx: Context, member_ids: Iterable[int], day: date
             ) -> dict[int, TaxExemption]:
    """The exemption covering a payment to each of ``member_ids`` on ``day`` (a bank's before
    an SKB; the earliest recorded first)."""
    t = table.c
    rows = ctx.conn.execute(
        sa.select(table).where(t.member_id.in_(sorted(set(member_ids))), t.valid_from <= day,
                               sa.or_(t.valid_until.is_(None), t.valid_until >= day))
        .order_by(t.member_id, t.reason, t.id))
    found: dict[int, TaxExemption] = {}
    for row in rows:
        found.setdefault(int(row.member_id), _of(row))
    return found
