"""Agunan (collateral) and penjamin (guarantors) of a loan.

A collateral record says what it is (``kind``: BPKB kendaraan, SHM tanah…), whose it is, its
appraised value and its liquidation value (nilai likuidasi: what a forced sale would bring, the
figure the KSP collectibility and the allowance rely on; the appraised value when none is
given), when it was appraised, how it is bound — fidusia (movables, UU 42/1999), hak tanggungan
(land and buildings, UU 4/1996), gadai (pledged goods in the cooperative's possession) or not
bound — with the binding's deed or certificate number, and the documents the cooperative holds.

Its life: ``held`` while the loan runs; ``released`` when the loan is paid off (automatically,
the day it closes) or by a manager's recorded decision while it runs (a substitution, a partial
release); ``returned`` once the documents are handed back, to whom and when. A loan written off
keeps its collateral held, and the savings it blocked stay on hold: the claim is still owed and
they are what recovery works with. Once the written-off claim is fully recovered they are released
as on a payoff (:func:`release_on_payoff`). Guarantors are released with the loan's payoff, or the
full recovery, too (``released_on``).
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterable
from datetime import date

import attrs
import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.money import Money
from kopcore_loans.loan import Loan, LoanStatus, record_event
from kopcore_loans.messages import _
from kopcore_loans.tables import collateral, collateral_values, guarantors, loans


class Binding(enum.StrEnum):
    """How a collateral is bound (pengikatan)."""

    FIDUSIA = "fidusia"
    HAK_TANGGUNGAN = "hak_tanggungan"
    GADAI = "gadai"
    NONE = "none"


class CollateralStatus(enum.StrEnum):
    HELD = "held"
    RELEASED = "released"
    RETURNED = "returned"


@attrs.frozen
class CollateralParams:
    kind: str
    description: str
    value: Money
    liquidation_value: Money | None = None
    binding: Binding = Binding.NONE
    binding_ref: str | None = None
    owner: str | None = None
    documents: str | None = None
    appraised_on: date | None = None
    document_ref: str | None = None


@attrs.frozen
class Collateral:
    id: int
    loan_id: int
    kind: str
    description: str
    value: int
    liquidation_value: int | None
    binding: Binding
    binding_ref: str | None
    owner: str | None
    documents: str | None
    appraised_on: date | None
    document_ref: str | None
    status: CollateralStatus
    added_on: date
    added_by: str
    released_on: date | None
    released_by: str | None
    release_note: str | None
    returned_on: date | None
    returned_to: str | None

    @property
    def cover(self) -> int:
        """What the collateral counts for against the debt: its liquidation value, else its
        appraised value; nothing once released."""
        if self.status is not CollateralStatus.HELD:
            return 0
        return self.value if self.liquidation_value is None else self.liquidation_value


def _from_row(row: sa.Row[object]) -> Collateral:
    m = dict(row._mapping)
    m["binding"] = Binding(m["binding"])
    m["status"] = CollateralStatus(m["status"])
    return Collateral(**m)


def loan_collateral(ctx: Context, loan_id: int) -> list[Collateral]:
    c = collateral.c
    return [_from_row(r) for r in ctx.conn.execute(
        sa.select(collateral).where(c.loan_id == loan_id).order_by(c.id))]


def get_collateral(ctx: Context, loan: Loan, collateral_id: int) -> Collateral:
    c = collateral.c
    row = ctx.conn.execute(sa.select(collateral).where(c.id == collateral_id,
                                                       c.loan_id == loan.id)).first()
    if row is None:
        raise NotFound(_("loan {loan} has no collateral {collateral_id}",
                         loan=loan.number, collateral_id=collateral_id),
                       field="collateral")
    return _from_row(row)


def _cover(ctx: Context, where: sa.ColumnElement[bool]) -> dict[int, int]:
    c = collateral.c
    cover = sa.func.sum(sa.func.coalesce(c.liquidation_value, c.value))
    return {int(loan_id): int(total) for loan_id, total in ctx.conn.execute(
        sa.select(c.loan_id, cover).where(where, c.status == CollateralStatus.HELD.value)
        .group_by(c.loan_id))}


def cover_as_of(ctx: Context, loan_ids: Iterable[int], as_of: date) -> dict[int, int]:
    """Collateral's cover (:attr:`Collateral.cover`) per loan, minor units, as it stood at the
    end of ``as_of``: the collateral held then
    (added by that day and not yet released), each at the appraisal recorded by then
    (``loans_collateral_values``; a collateral with no recorded appraisal at its values now)."""
    ids = list(loan_ids)
    if not ids:
        return {}
    c, v = collateral.c, collateral_values.c
    # Appraisals are recorded in business-date order, so the latest id is the latest date.
    latest = (sa.select(v.collateral_id, sa.func.max(v.id).label("value_id"))
              .where(v.valid_from <= as_of).group_by(v.collateral_id).subquery())
    recorded = collateral_values.alias("recorded")
    r = recorded.c
    cover = sa.case((r.id.is_(None), sa.func.coalesce(c.liquidation_value, c.value)),
                    else_=sa.func.coalesce(r.liquidation_value, r.value))
    query = (sa.select(c.loan_id, sa.func.sum(cover))
             .select_from(collateral.outerjoin(latest, latest.c.collateral_id == c.id)
                          .outerjoin(recorded, r.id == latest.c.value_id))
             .where(c.loan_id.in_(ids), c.added_on <= as_of,
                    sa.or_(c.released_on.is_(None), c.released_on > as_of))
             .group_by(c.loan_id))
    return {int(loan_id): int(total) for loan_id, total in ctx.conn.execute(query)}


def guaranteed_as_of(ctx: Context, loan_ids: Iterable[int], as_of: date) -> set[int]:
    """The loans of ``loan_ids`` that had a guarantor at the end of ``as_of``: added by that
    day and not released by it."""
    ids = list(loan_ids)
    if not ids:
        return set()
    g = guarantors.c
    return {int(loan_id) for (loan_id,) in ctx.conn.execute(
        sa.select(g.loan_id).distinct()
        .where(g.loan_id.in_(ids), g.added_on <= as_of,
               sa.or_(g.released_on.is_(None), g.released_on > as_of)))}


def _record_value(ctx: Context, collateral_id: int, value: int, liquidation: int | None,
                  valid_from: date) -> None:
    ctx.conn.execute(collateral_values.insert().values(
        collateral_id=collateral_id, value=value, liquidation_value=liquidation,
        valid_from=valid_from))


def cover_by_range(ctx: Context, low: int, high: int) -> dict[int, int]:
    """Held collateral's cover (:attr:`Collateral.cover`) now, per loan with an id from ``low``
    to ``high`` (end of day's classification)."""
    return _cover(ctx, collateral.c.loan_id.between(low, high))


def _check_values(value: Money, liquidation: Money | None) -> None:
    if value.minor < 0:
        raise ValidationError(_("collateral value cannot be negative"), field="value")
    if liquidation is not None and not 0 <= liquidation.minor <= value.minor:
        raise ValidationError(_("liquidation value is from zero up to the appraised value"),
                              field="liquidation_value")


def add(ctx: Context, loan: Loan, p: CollateralParams) -> Collateral:
    """Record a collateral held for ``loan``."""
    _check_values(p.value, p.liquidation_value)
    if not p.kind.strip() or not p.description.strip():
        raise ValidationError(_("collateral needs a kind and a description"), field="kind")
    if p.binding is not Binding.NONE and not (p.binding_ref or "").strip():
        raise ValidationError(_("a {binding} binding needs its deed or certificate number",
                                binding=p.binding.value), field="binding_ref")
    if p.appraised_on is not None and p.appraised_on > ctx.business_date:
        raise ValidationError(_("appraisal date is in the future"), field="appraised_on")
    if loan.status in (LoanStatus.CLOSED, LoanStatus.REJECTED, LoanStatus.CANCELLED):
        raise Conflict(_("loan {loan} is {status}", loan=loan.number,
                         status=loan.status.value))
    new_id = ctx.conn.execute(collateral.insert().values(
        loan_id=loan.id, kind=p.kind.strip()[:64], description=p.description.strip()[:500],
        value=p.value.minor,
        liquidation_value=None if p.liquidation_value is None else p.liquidation_value.minor,
        binding=p.binding.value, binding_ref=_text(p.binding_ref, 100),
        owner=_text(p.owner, 200), documents=_text(p.documents, 500),
        appraised_on=p.appraised_on, document_ref=_text(p.document_ref, 100),
        status=CollateralStatus.HELD.value, added_on=ctx.business_date, added_by=ctx.actor,
    ).returning(collateral.c.id)).scalar_one()
    _record_value(ctx, new_id, p.value.minor,
                  None if p.liquidation_value is None else p.liquidation_value.minor,
                  ctx.business_date)
    return get_collateral(ctx, loan, new_id)


def _text(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


def revalue(ctx: Context, loan: Loan, collateral_id: int, value: Money,
            liquidation: Money | None, appraised_on: date | None) -> Collateral:
    """A new appraisal of a held collateral (recorded in the loan's history)."""
    found = get_collateral(ctx, loan, collateral_id)
    if found.status is not CollateralStatus.HELD:
        raise Conflict(_("collateral {collateral_id} is {status}",
                         collateral_id=collateral_id, status=found.status.value))
    _check_values(value, liquidation)
    on = appraised_on or ctx.business_date
    if on > ctx.business_date:
        raise ValidationError(_("appraisal date is in the future"), field="appraised_on")
    v = collateral_values.c
    if ctx.conn.execute(sa.select(v.id).where(v.collateral_id == found.id)).first() is None:
        # Recorded without history (a cut-over): the value it had until now starts it.
        _record_value(ctx, found.id, found.value, found.liquidation_value, found.added_on)
    _record_value(ctx, found.id, value.minor,
                  None if liquidation is None else liquidation.minor, ctx.business_date)
    ctx.conn.execute(sa.update(collateral).where(collateral.c.id == found.id).values(
        value=value.minor, liquidation_value=None if liquidation is None else liquidation.minor,
        appraised_on=on))
    record_event(ctx, loan, "collateral-revalued", value.minor,
                 note=f"collateral {found.id} {found.kind}: appraised "
                      f"{value.format()}"
                      + (f", liquidation {liquidation.format()}" if liquidation else ""))
    return get_collateral(ctx, loan, found.id)


def release(ctx: Context, loan: Loan, collateral_id: int, note: str) -> Collateral:
    """Release a held collateral while the loan runs (a manager's decision, with its reason)."""
    found = get_collateral(ctx, loan, collateral_id)
    if found.status is not CollateralStatus.HELD:
        raise Conflict(_("collateral {collateral_id} is {status} already",
                         collateral_id=collateral_id, status=found.status.value))
    if not note.strip():
        raise ValidationError(_("say why the collateral is released"), field="note")
    _release(ctx, [found.id], note.strip())
    record_event(ctx, loan, "collateral-released", found.value,
                 note=f"collateral {found.id} {found.kind}: {note.strip()}")
    return get_collateral(ctx, loan, found.id)


def _release(ctx: Context, ids: list[int], note: str) -> None:
    if ids:
        ctx.conn.execute(sa.update(collateral).where(collateral.c.id.in_(ids)).values(
            status=CollateralStatus.RELEASED.value, released_on=ctx.business_date,
            released_by=ctx.actor, release_note=note[:200]))


def hand_back(ctx: Context, loan: Loan, collateral_id: int, returned_to: str) -> Collateral:
    """Record that a released collateral's documents were handed back, to whom."""
    found = get_collateral(ctx, loan, collateral_id)
    if found.status is not CollateralStatus.RELEASED:
        raise Conflict(_("collateral {collateral_id} is {status}; only released collateral is "
                         "handed back", collateral_id=collateral_id,
                         status=found.status.value))
    if not returned_to.strip():
        raise ValidationError(_("name who received the documents"), field="returned_to")
    ctx.conn.execute(sa.update(collateral).where(collateral.c.id == found.id).values(
        status=CollateralStatus.RETURNED.value, returned_on=ctx.business_date,
        returned_to=returned_to.strip()[:200]))
    record_event(ctx, loan, "collateral-returned", 0,
                 note=f"collateral {found.id} {found.kind} to {returned_to.strip()}")
    return get_collateral(ctx, loan, found.id)


def release_on_payoff(ctx: Context, loan: Loan, note: str = "lunas") -> None:
    """A loan paid off (closed), or its written-off claim fully recovered: its held collateral,
    its guarantors and the savings it blocked (simpanan wajib pinjam) are released. ``note``:
    the collateral's release note."""
    if loan.blocked_hold_id is not None:
        # A hold already released by hand (accounts.release-hold) leaves nothing to free.
        with contextlib.suppress(NotFound):
            ledger.release_hold(ctx, loan.blocked_hold_id)
        ctx.conn.execute(sa.update(loans).where(loans.c.id == loan.id)
                         .values(blocked_hold_id=None, blocked_savings=0))
    c, g = collateral.c, guarantors.c
    held = list(ctx.conn.execute(sa.select(c.id).where(
        c.loan_id == loan.id, c.status == CollateralStatus.HELD.value)).scalars())
    _release(ctx, held, note)
    ctx.conn.execute(sa.update(guarantors).where(g.loan_id == loan.id,
                                                 g.released_on.is_(None))
                     .values(released_on=ctx.business_date))
