"""Withholding tax on savings interest: the monthly recap the cooperative files and a member's
withholding slip (bukti potong). A person's interest is withheld as PPh final (PP 15/2009) and
filed with the PPh pasal 4 ayat 2 return; a legal entity's as PPh pasal 23 (15 %, not final;
:mod:`kopcore_savings.entity_tax`), filed with the PPh pasal 23 return: each member's slip says
which (``basis``), and the recap totals each apart."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.money import Money
from kopcore_savings import tax_exemptions
from kopcore_savings.entity_tax import BASIS_ENTITY, BASIS_PERSON, basis_of
from kopcore_savings.operations.common import MEMBER
from kopcore_savings.tables import interest_months
from kopcore_savings.tax_exemptions import ExemptionReason
from kopcore_savings.wajib import period_end


@attrs.frozen
class TaxRecapIn:
    month: str = attrs.field(metadata={"help": "Month the interest was earned in, YYYY-MM",
                                       "max_length": 7})
    member: str | None = attrs.field(default=None, metadata={
        **MEMBER, "help": "Only this member (their withholding slip)"})


@attrs.frozen
class TaxLineOut:
    """One account's interest of the month and the tax withheld from it."""

    account: str
    source: str
    gross: Money
    tax: Money


@attrs.frozen
class TaxMemberOut:
    """A member's withholding slip (bukti potong) for the month."""

    member: str
    name: str
    #: None for a legal entity, identified by ``npwp``.
    nik: str | None
    accounts: list[TaxLineOut]
    gross: Money
    tax: Money
    npwp: str | None = None
    #: ``pph-4-2`` (a person: PPh final, PP 15/2009) or ``pph-23`` (a legal entity: PPh pasal
    #: 23, 15 % of the gross with no threshold, not final; 30 % without an NPWP).
    basis: str = BASIS_PERSON
    #: Why a legal entity's interest was paid without PPh pasal 23 withheld (``bank``: Pasal
    #: 23 ayat (4) huruf a; ``skb``: a Surat Keterangan Bebas valid on the payment date), and
    #: the SKB's number the slip names.
    exemption: str | None = None
    exemption_reference: str | None = None


@attrs.frozen
class TaxRecapOut:
    """The month's interest paid to members and the tax withheld: PPh final of persons (rekap
    PPh 4(2)) and PPh pasal 23 of legal entities, each totalled apart."""

    month: str
    members: list[TaxMemberOut]
    gross: Money
    tax: Money
    members_taxed: int
    #: Withheld from persons: PPh final pasal 4 ayat 2 (PP 15/2009).
    tax_final: Money | None = None
    #: Withheld from legal entities: PPh pasal 23.
    tax_pasal_23: Money | None = None


def _exemptions(ctx: Context, where: list[sa.ColumnElement[bool]]
                ) -> dict[int, tax_exemptions.TaxExemption]:
    """The exemption each member's interest of the month was paid under (on the dates it was
    paid: a month's interest is paid once, at its posting or the deposit's maturity)."""
    recorded = tax_exemptions.listed(ctx)  # a few: legal-entity members only
    if not recorded:
        return {}
    m = interest_months.c
    found: dict[int, tax_exemptions.TaxExemption] = {}
    for member_id, paid_on in ctx.conn.execute(
            sa.select(m.member_id, m.paid_on).where(*where, m.gross > 0).distinct()):
        covering = [e for e in recorded if e.member_id == member_id and e.covers(paid_on)]
        if covering and member_id not in found:
            found[int(member_id)] = covering[0]
    return found


def tax_recap(ctx: Context, data: TaxRecapIn) -> TaxRecapOut:
    """Interest and withholding tax of a month, per member and account."""
    period_end(data.month)  # validates YYYY-MM
    m = interest_months.c
    where = [m.month == data.month]
    if data.member:
        where.append(m.member_id == ledger.get_member(ctx, data.member).id)
    rows = ctx.conn.execute(
        sa.select(m.member_id, m.account_id, m.source, sa.func.sum(m.gross), sa.func.sum(m.tax))
        .where(*where).group_by(m.member_id, m.account_id, m.source)
        .order_by(m.member_id, m.account_id))
    cur = ctx.settings.currency
    by_member: dict[int, list[TaxLineOut]] = defaultdict(list)
    for member_id, account_id, source, gross, tax in rows:
        by_member[int(member_id)].append(TaxLineOut(
            query.account_number(ctx, int(account_id)), str(source), Money(int(gross), cur),
            Money(int(tax), cur)))
    exempt = _exemptions(ctx, where)
    members = []
    for member_id, lines in by_member.items():
        member = ledger.get_member_by_id(ctx, member_id)
        exemption = exempt.get(member_id)
        members.append(TaxMemberOut(
            member.member_number, member.name, member.nik, lines,
            Money(sum(x.gross.minor for x in lines), cur),
            Money(sum(x.tax.minor for x in lines), cur), member.npwp, basis_of(member.kind),
            exemption.reason.value if exemption else None,
            exemption.reference if exemption else None))
    return TaxRecapOut(data.month, members, Money(sum(x.gross.minor for x in members), cur),
                       Money(sum(x.tax.minor for x in members), cur),
                       sum(1 for x in members if x.tax.is_positive()),
                       *(Money(sum(x.tax.minor for x in members if x.basis == basis), cur)
                         for basis in (BASIS_PERSON, BASIS_ENTITY)))


@attrs.frozen
class ExemptionAddIn:
    member: str = attrs.field(metadata={**MEMBER, "help": "The member, a legal entity"})
    reason: ExemptionReason = attrs.field(metadata={
        "help": "bank (Pasal 23 ayat (4) huruf a) or skb (a Surat Keterangan Bebas)"})
    valid_from: date = attrs.field(metadata={"help": "First payment date it covers"})
    valid_until: date | None = attrs.field(default=None, metadata={
        "help": "Last payment date it covers (an SKB's last day; none for a bank)"})
    reference: str | None = attrs.field(default=None, metadata={
        "help": "The SKB's number (for a bank: its licence, optional)", "max_length": 64})


@attrs.frozen
class ExemptionEndIn:
    id: int = attrs.field(metadata={"help": "The exemption", "minimum": 1})
    valid_until: date = attrs.field(metadata={"help": "Last payment date it covers"})


@attrs.frozen
class ExemptionsIn:
    member: str | None = attrs.field(default=None, metadata={
        **MEMBER, "help": "Only this member"})


@attrs.frozen
class ExemptionOut:
    """A legal-entity member's interest paid without PPh pasal 23 withheld, and when."""

    id: int
    member: str
    name: str
    reason: ExemptionReason
    reference: str | None
    valid_from: date
    valid_until: date | None
    recorded_on: date
    recorded_by: str
    ended_by: str | None

    @classmethod
    def of(cls, ctx: Context, e: tax_exemptions.TaxExemption) -> ExemptionOut:
        member = ledger.get_member_by_id(ctx, e.member_id)
        return cls(e.id, member.member_number, member.name, e.reason, e.reference,
                   e.valid_from, e.valid_until, e.recorded_on, e.recorded_by, e.ended_by)


@attrs.frozen
class ExemptionsOut:
    items: list[ExemptionOut]


def exemption_add(ctx: Context, data: ExemptionAddIn) -> ExemptionOut:
    """Record that a legal entity's savings interest is paid without PPh pasal 23 withheld."""
    return ExemptionOut.of(ctx, tax_exemptions.record(
        ctx, data.member, data.reason, data.reference, data.valid_from, data.valid_until))


def exemption_end(ctx: Context, data: ExemptionEndIn) -> ExemptionOut:
    """Set the last payment date an exemption covers."""
    return ExemptionOut.of(ctx, tax_exemptions.end(ctx, data.id, data.valid_until))


def exemptions(ctx: Context, data: ExemptionsIn) -> ExemptionsOut:
    """The recorded exemptions from PPh pasal 23 withholding, by member."""
    member_id = None if data.member is None else ledger.get_member(ctx, data.member).id
    return ExemptionsOut([ExemptionOut.of(ctx, e)
                          for e in tax_exemptions.listed(ctx, member_id)])
