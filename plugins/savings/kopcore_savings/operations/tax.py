"""Withholding tax on savings interest: the monthly recap the cooperative files and a member's
withholding slip (bukti potong). A person's interest is withheld as PPh final (PP 15/2009) and
filed with the PPh pasal 4 ayat 2 return; a legal entity's as PPh pasal 23 (15 %, not final;
:mod:`kopcore_savings.entity_tax`), filed with the PPh pasal 23 return: each member's slip says
which (``basis``), and the recap totals each apart."""

from __future__ import annotations

from collections import defaultdict

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.money import Money
from kopcore_savings.entity_tax import BASIS_ENTITY, BASIS_PERSON, basis_of
from kopcore_savings.operations.common import MEMBER
from kopcore_savings.tables import interest_months
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
    members = []
    for member_id, lines in by_member.items():
        member = ledger.get_member_by_id(ctx, member_id)
        members.append(TaxMemberOut(
            member.member_number, member.name, member.nik, lines,
            Money(sum(x.gross.minor for x in lines), cur),
            Money(sum(x.tax.minor for x in lines), cur), member.npwp, basis_of(member.kind)))
    return TaxRecapOut(data.month, members, Money(sum(x.gross.minor for x in members), cur),
                       Money(sum(x.tax.minor for x in members), cur),
                       sum(1 for x in members if x.tax.is_positive()),
                       *(Money(sum(x.tax.minor for x in members if x.basis == basis), cur)
                         for basis in (BASIS_PERSON, BASIS_ENTITY)))
