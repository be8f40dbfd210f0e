"""Withholding tax on savings interest: the monthly recap the cooperative files and a member's
withholding slip (bukti potong). A person's interest is withheld as PPh final (PP 15/2009) and
filed with the PPh pasal 4 ayat 2 return; a legal entity's as PPh pasal 23 (15 %, not final;
:mod:`kopcore_savings.entity_tax`), filed with the PPh pasal 23 return: each member's slip says
which (``basis``), and the recap totals each apart.

The tax is withheld when the interest is paid (PP 15/2009 Pasal 3, PMK 112/PMK.03/2010): a
return covers the tax withheld in its month (masa pajak), so by default (``by`` ``paid``) the
recap takes the interest **paid** in the month, whatever month it was earned in: a quarterly
posting's three months, a time deposit's term paid at maturity, and catch-up tax withheld later
on interest of an earlier month (a row with gross 0) all fall in the month of the payment. With
``by`` ``earned`` it takes the interest **earned** in the month, wherever it was paid: how each
month was judged against the threshold. Each line gives both, the month earned and the date
paid. ``format`` ``html`` adds the printable slips (:mod:`kopcore_savings.operations.tax_slip`).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from datetime import date
from decimal import Decimal

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import ValidationError
from kopcore.ledger import MemberKind
from kopcore.money import Money
from kopcore_savings import entity_tax, tax_exemptions
from kopcore_savings.entity_tax import BASIS_ENTITY, BASIS_PERSON, basis_of
from kopcore_savings.messages import _
from kopcore_savings.operations.common import MEMBER, percent
from kopcore_savings.tables import interest_months
from kopcore_savings.tax_aggregation import products_of
from kopcore_savings.tax_exemptions import ExemptionReason
from kopcore_savings.wajib import period_end


class RecapBy(enum.StrEnum):
    #: The month the tax was withheld: the interest's payment date (the returns, bukti potong).
    PAID = "paid"
    #: The month the interest was earned in (how each month met the threshold).
    EARNED = "earned"


class RecapFormat(enum.StrEnum):
    JSON = "json"
    HTML = "html"
    #: The tax office's e-Bupot import file (BPPU XML, :mod:`.tax_bppu`).
    BPPU_XML = "bppu-xml"


@attrs.frozen
class TaxRecapIn:
    month: str = attrs.field(metadata={
        "help": "Month, YYYY-MM: the tax was withheld in it (by paid) or the interest earned "
                "in it (by earned)", "max_length": 7})
    member: str | None = attrs.field(default=None, metadata={
        **MEMBER, "help": "Only this member (their withholding slip)"})
    by: RecapBy = attrs.field(default=RecapBy.PAID, metadata={
        "help": "paid: interest paid and tax withheld in the month (the PPh 4(2) and PPh 23 "
                "returns, the bukti potong); earned: interest earned in the month, wherever "
                "paid (the month's threshold)"})
    format: RecapFormat = attrs.field(default=RecapFormat.JSON, metadata={
        "help": "json (the recap as data), html (also the printable withholding slips in "
                "'document') or bppu-xml (also the e-Bupot import file in 'document')"})


@attrs.frozen
class TaxLineOut:
    """One account's interest of a month, paid on one day, and the tax withheld from it."""

    account: str
    source: str
    gross: Money
    tax: Money
    #: ``YYYY-MM``: the month the interest was earned in.
    month: str | None = None
    #: The day it was paid and the tax withheld.
    paid_on: date | None = None
    #: The rate withheld, percent: the product's (a person's month above the threshold) or
    #: Pasal 23's; 0 when nothing was withheld. Tax with gross 0 is catch-up on interest of
    #: the month paid earlier, at the product's rate.
    rate: Decimal = Decimal(0)
    #: A legal entity paid without PPh pasal 23 withheld on ``paid_on`` (``bank``, ``skb``)
    #: and the SKB's number.
    exemption: str | None = None
    exemption_reference: str | None = None


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
    #: The slip's number, ``BP-<YYYYMM>-<member number>`` (the month withheld): the same each
    #: time the month's slip is printed. None by ``earned``, which is not a withholding slip.
    slip_number: str | None = None


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
    #: ``paid`` (the month withheld) or ``earned`` (the month earned).
    by: str = RecapBy.PAID.value
    #: The withholder: the cooperative's name and NPWP (setting ``cooperative_npwp``).
    withholder: str | None = None
    withholder_npwp: str | None = None
    #: The printable slips, one page per member (format html), or the e-Bupot import file
    #: (format bppu-xml); None for json.
    document: str | None = None
    #: Format bppu-xml: the members whose slip the file leaves out, and why (to be keyed by
    #: hand).
    not_exported: list[str] | None = None


def slip_number(month: str, member_number: str) -> str:
    """A withholding slip's number: the month the tax was withheld and the member's number,
    ``BP-202603-A0001``. The same month and member always give the same number, and no two
    slips share one (a member has one slip a month)."""
    return f"BP-{month.replace('-', '')}-{member_number}"


def _exemption_on(recorded: list[tax_exemptions.TaxExemption], member_id: int,
                  day: date) -> tax_exemptions.TaxExemption | None:
    """The exemption covering a payment to ``member_id`` on ``day`` (a bank's before an SKB,
    the earliest recorded first, as when it was paid)."""
    covering = sorted((e for e in recorded if e.member_id == member_id and e.covers(day)),
                      key=lambda e: (e.reason.value, e.id))
    return covering[0] if covering else None


def tax_recap(ctx: Context, data: TaxRecapIn) -> TaxRecapOut:
    """Interest and withholding tax of a month, per member and account: paid in the month (the
    tax withheld in it; the default) or earned in it."""
    last = period_end(data.month)  # validates YYYY-MM
    if data.format is RecapFormat.BPPU_XML and data.by is not RecapBy.PAID:
        raise ValidationError(_("the e-Bupot file is of the tax withheld in the month: use by "
                                "paid"), field="by")
    m = interest_months.c
    where: list[sa.ColumnElement[bool]] = (
        [m.paid_on >= last.replace(day=1), m.paid_on <= last] if data.by is RecapBy.PAID
        else [m.month == data.month])
    if data.member:
        where.append(m.member_id == ledger.get_member(ctx, data.member).id)
    rows = ctx.conn.execute(
        sa.select(m.member_id, m.account_id, m.source, m.month, m.paid_on, sa.func.sum(m.gross),
                  sa.func.sum(m.tax))
        .where(*where).group_by(m.member_id, m.account_id, m.source, m.month, m.paid_on)
        .order_by(m.member_id, m.account_id, m.month, m.paid_on)).all()
    cur = ctx.settings.currency
    account_ids = {int(r.account_id) for r in rows}
    products = products_of(ctx, account_ids)
    a = query.accounts.c
    numbers = dict(ctx.conn.execute(sa.select(a.id, a.number).where(a.id.in_(account_ids))).all())
    recorded = tax_exemptions.listed(ctx)  # a few: legal-entity members only
    members_of = {int(r.member_id) for r in rows}
    found = {member_id: ledger.get_member_by_id(ctx, member_id) for member_id in members_of}
    by_member: dict[int, list[TaxLineOut]] = defaultdict(list)
    for member_id, account_id, source, month, paid_on, gross, tax in rows:
        member = found[int(member_id)]
        exemption = None
        if member.kind is not MemberKind.PERSON and int(tax) == 0 and int(gross) > 0:
            exemption = _exemption_on(recorded, int(member_id), paid_on)
        first = date.fromisoformat(str(month) + "-01")
        if int(tax) == 0:
            rate = 0
        elif member.kind is MemberKind.PERSON:
            rate = products[int(account_id)].tax_in(first)[0]
        else:
            rate = entity_tax.rate_in(first, member.npwp is not None)
        by_member[int(member_id)].append(TaxLineOut(
            str(numbers[int(account_id)]), str(source), Money(int(gross), cur),
            Money(int(tax), cur), str(month), paid_on, percent(rate),
            exemption.reason.value if exemption else None,
            exemption.reference if exemption else None))
    members = []
    for member_id, lines in by_member.items():
        member = found[member_id]
        exempt = next((x for x in lines if x.exemption), None)
        members.append(TaxMemberOut(
            member.member_number, member.name, member.nik, lines,
            Money(sum(x.gross.minor for x in lines), cur),
            Money(sum(x.tax.minor for x in lines), cur), member.npwp, basis_of(member.kind),
            exempt.exemption if exempt else None, exempt.exemption_reference if exempt else None,
            slip_number(data.month, member.member_number) if data.by is RecapBy.PAID
            else None))
    tax_final, tax_pasal_23 = (Money(sum(x.tax.minor for x in members if x.basis == basis), cur)
                               for basis in (BASIS_PERSON, BASIS_ENTITY))
    recap = TaxRecapOut(
        data.month, members, Money(sum(x.gross.minor for x in members), cur),
        Money(sum(x.tax.minor for x in members), cur),
        sum(1 for x in members if x.tax.is_positive()), tax_final, tax_pasal_23,
        by=data.by.value, withholder=ctx.settings.cooperative_name,
        withholder_npwp=ctx.settings.cooperative_npwp)
    if data.format is RecapFormat.HTML:
        from kopcore_savings.operations.tax_slip import to_html

        recap = attrs.evolve(recap, document=to_html(recap, ctx.settings.language))
    elif data.format is RecapFormat.BPPU_XML:
        from kopcore_savings.operations.tax_bppu import to_bppu

        document, left_out = to_bppu(recap, ctx.settings.language)
        recap = attrs.evolve(recap, document=document, not_exported=left_out)
    return recap


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
