"""Built-in plugin: operations on members (anggota)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import attrs

from kopcore import hookimpl, ledger
from kopcore.context import Context
from kopcore.errors import (
    ExitRefused,
    MemberChangeVetoed,
    MemberNotActive,
    NotFound,
    PostingVetoed,
    ValidationError,
    message,
)
from kopcore.ledger import LegalDocuments, MemberKind, Membership, MemberStatus
from kopcore.ledger._closed_loop import FIGURE_KEY, closed_loop_funding
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.plugins.paging import page_fields
from kopcore.records import HealthFigure
from kopcore.views import EntryOut, MemberOut

MEMBER = {"help": "Member number", "max_length": 32}


@attrs.frozen
class RegisterMemberIn:
    """A new applicant."""

    name: str = attrs.field(metadata={"help": "Full name as on the KTP, or the legal "
                                              "entity's name as in its deed",
                                      "max_length": 200})
    nik: str | None = attrs.field(default=None, metadata={"help": "NIK, 16 digits (a person)",
                                                          "max_length": 16})
    phone: str | None = attrs.field(default=None, metadata={"help": "Mobile number",
                                                            "max_length": 32})
    email: str | None = attrs.field(default=None, metadata={"help": "Email", "max_length": 200})
    address: str | None = attrs.field(default=None, metadata={"help": "Address"})
    member_number: str | None = attrs.field(
        default=None, metadata={"help": "The cooperative's own number (default: A + id)",
                                "max_length": 32})
    kind: MemberKind = attrs.field(
        default=MemberKind.PERSON,
        metadata={"help": "person, or a legal entity: koperasi, pt, cv, firma, yayasan, "
                          "perkumpulan, other"})
    membership: Membership = attrs.field(
        default=Membership.MEMBER,
        metadata={"help": "member, or non-member: a counterparty served by agreement (no SHU, "
                          "no vote, no simpanan wajib)"})
    nib: str | None = attrs.field(default=None, metadata={"help": "NIB, 13 digits (a legal "
                                                                  "entity)", "max_length": 20})
    npwp: str | None = attrs.field(default=None, metadata={
        "help": "NPWP, 16 digits or the old 15 (a legal entity)", "max_length": 24})
    deed_number: str | None = attrs.field(default=None, metadata={
        "help": "Deed of establishment (akta pendirian) number", "max_length": 64})
    deed_date: date | None = attrs.field(default=None, metadata={
        "help": "Deed of establishment date"})
    legal_decree_number: str | None = attrs.field(default=None, metadata={
        "help": "SK pengesahan badan hukum number", "max_length": 64})
    legal_decree_date: date | None = attrs.field(default=None, metadata={
        "help": "SK pengesahan badan hukum date"})
    representative_name: str | None = attrs.field(default=None, metadata={
        "help": "Who acts for the legal entity", "max_length": 200})
    representative_nik: str | None = attrs.field(default=None, metadata={
        "help": "The representative's NIK", "max_length": 16})
    representative_position: str | None = attrs.field(default=None, metadata={
        "help": "The representative's position (ketua, direktur...)", "max_length": 100})


@attrs.frozen
class MemberIn:
    member: str = attrs.field(metadata=MEMBER)


@attrs.frozen
class UpdateContactIn:
    member: str = attrs.field(metadata=MEMBER)
    phone: str | None = attrs.field(default=None, metadata={"help": "Mobile number",
                                                            "max_length": 32})
    email: str | None = attrs.field(default=None, metadata={"help": "Email", "max_length": 200})
    address: str | None = attrs.field(default=None, metadata={"help": "Address"})


@attrs.frozen
class ListMembersIn:
    status: MemberStatus | None = attrs.field(default=None, metadata={"help": "Only this status"})
    after: int = attrs.field(default=0, metadata=page_fields["after"])
    limit: int = attrs.field(default=50, metadata=page_fields["limit"])


@attrs.frozen
class SearchMembersIn:
    q: str = attrs.field(metadata={"help": "Name, member number, NIK, phone, NIB or NPWP (at "
                                           "least 2 characters)", "max_length": 200})
    limit: int = attrs.field(default=20, metadata={"help": "At most this many", "minimum": 1,
                                                   "maximum": 100})


@attrs.frozen
class MemberList:
    items: list[MemberOut]


@attrs.frozen
class MemberPage:
    items: list[MemberOut]
    next_after: int | None


@attrs.frozen
class ExitMemberIn:
    member: str = attrs.field(metadata=MEMBER)
    reason: str = attrs.field(metadata={"help": "resigned, deceased, expelled...",
                                        "max_length": 32})
    payout_account: str = attrs.field(
        metadata={"help": "Account that pays the refund: the teller's cash or a bank account",
                  "max_length": 64})


@attrs.frozen
class ExitMemberOut:
    member: MemberOut
    settlement: EntryOut | None


def register(ctx: Context, data: RegisterMemberIn) -> MemberOut:
    """Register an applicant (calon anggota), a person or a legal entity, a member or a
    non-member counterparty; activate once simpanan pokok is paid (a member)."""
    legal = LegalDocuments(
        deed_number=data.deed_number, deed_date=data.deed_date,
        legal_decree_number=data.legal_decree_number,
        legal_decree_date=data.legal_decree_date, representative_name=data.representative_name,
        representative_nik=data.representative_nik,
        representative_position=data.representative_position)
    return MemberOut.of(ledger.register_member(
        ctx, name=data.name, nik=data.nik, phone=data.phone, email=data.email,
        address=data.address, member_number=data.member_number, kind=data.kind,
        membership=data.membership, nib=data.nib, npwp=data.npwp,
        legal=None if legal == LegalDocuments() else legal))


def search(ctx: Context, data: SearchMembersIn) -> MemberList:
    """Find members by name, member number, NIK, phone, NIB or NPWP: exact numbers first, then
    by name."""
    return MemberList([MemberOut.of(m) for m in ledger.search_members(ctx, data.q,
                                                                       limit=data.limit)])


def activate(ctx: Context, data: MemberIn) -> MemberOut:
    """Make an applicant an active member from the current business date."""
    return MemberOut.of(ledger.activate_member(ctx, data.member))


def update_contact(ctx: Context, data: UpdateContactIn) -> MemberOut:
    """Change a member's phone, email or address (fields left out stay as they are)."""
    return MemberOut.of(ledger.update_contact(ctx, data.member, phone=data.phone,
                                              email=data.email, address=data.address))


def get(ctx: Context, data: MemberIn) -> MemberOut:
    """One member."""
    return MemberOut.of(ledger.get_member(ctx, data.member))


def list_members(ctx: Context, data: ListMembersIn) -> MemberPage:
    """Members in registration order, a page at a time (pass ``next_after`` as ``after``)."""
    members = ledger.list_members(ctx, status=data.status, after=data.after, limit=data.limit)
    next_after = members[-1].id if len(members) == data.limit else None
    return MemberPage([MemberOut.of(m) for m in members], next_after)


def exit_member(ctx: Context, data: ExitMemberIn) -> ExitMemberOut:
    """Settle a member's exit (keluar): every plugin may refuse (an outstanding loan) or
    contribute refund lines; one entry pays out through ``payout_account``."""
    member, entry = ledger.exit_member(ctx, data.member, reason=data.reason,
                                       payout_account=data.payout_account)
    return ExitMemberOut(MemberOut.of(member), EntryOut.of(entry) if entry else None)


@attrs.frozen
class ClosedLoopIn:
    as_of: date | None = attrs.field(default=None, metadata={
        "help": "End of this business date (default: the current one)"})


@attrs.frozen
class ClosedLoopOut:
    """Funding from non-members against 40 % of total assets (Permenkop 8/2023)."""

    as_of: date
    non_member_savings: Money
    borrowings: Money
    funding: Money
    total_assets: Money
    #: 40 % of total assets, rounded down to the sen.
    limit: Money
    #: Funding as a percent of total assets, two decimals rounded half up; none with no assets.
    share_percent: str | None
    exceeded: bool


def _percent(value: Fraction) -> str:
    hundredths = value * 10_000
    whole = int(hundredths) + (1 if hundredths - int(hundredths) >= Fraction(1, 2) else 0)
    return f"{whole // 100}.{whole % 100:02d}"


def closed_loop(ctx: Context, data: ClosedLoopIn) -> ClosedLoopOut:
    """The closed-loop indicator: savings and deposits of non-member counterparties plus
    borrowed funds, against 40 % of total assets, at the end of a date."""
    as_of = data.as_of or ctx.business_date
    if as_of > ctx.business_date:
        raise ValidationError(message("as_of {day} is after the current business date "
                                      "{business_date}", day=as_of,
                                      business_date=ctx.business_date), field="as_of")
    found = closed_loop_funding(ctx, as_of)
    cur = found.currency
    share = found.share
    return ClosedLoopOut(
        as_of, Money.stored(found.non_member_savings, cur), Money.stored(found.borrowings, cur),
        Money.stored(found.funding, cur), Money.stored(found.total_assets, cur),
        Money.stored(int(found.limit), cur), None if share is None else _percent(share),
        found.exceeded)


@hookimpl
def kopcore_health_figures(ctx: Context, as_of: date) -> list[HealthFigure]:
    """``members.non_member_funding``: savings and deposits of non-member counterparties plus
    borrowed funds (the closed-loop indicator's numerator; its limit is 40 % of assets)."""
    found = closed_loop_funding(ctx, as_of)
    return [HealthFigure(FIGURE_KEY, found.funding, label="Funding from non-members",
                         currency=found.currency, office_id=ctx.books_office_id)]


@hookimpl
def kopcore_operations() -> list[Operation]:
    errors = (ValidationError, NotFound, MemberChangeVetoed)
    return [
        Operation("members.register", RegisterMemberIn, MemberOut, register,
                  permission="members.manage", mutates=True, summary="Register an applicant",
                  errors=errors),
        Operation("members.activate", MemberIn, MemberOut, activate,
                  permission="members.manage", mutates=True, summary="Activate a member",
                  errors=(*errors, MemberNotActive)),
        Operation("members.update-contact", UpdateContactIn, MemberOut, update_contact,
                  permission="members.manage", mutates=True, summary="Update contact details",
                  errors=errors),
        Operation("members.get", MemberIn, MemberOut, get, permission="members.read",
                  mutates=False, summary="Show a member", member_fields=("member",),
                  errors=(NotFound,)),
        Operation("members.list", ListMembersIn, MemberPage, list_members,
                  permission="members.manage", mutates=False, summary="List members"),
        Operation("members.search", SearchMembersIn, MemberList, search,
                  permission="members.manage", mutates=False,
                  summary="Find members by name, number, NIK, phone, NIB or NPWP",
                  errors=(ValidationError,)),
        Operation("members.closed-loop", ClosedLoopIn, ClosedLoopOut, closed_loop,
                  permission="reports.read", mutates=False,
                  summary="Funding from non-members against 40 % of assets",
                  errors=(ValidationError,)),
        Operation("members.exit", ExitMemberIn, ExitMemberOut, exit_member,
                  permission="members.exit", mutates=True, summary="Settle a member's exit",
                  errors=(*errors, ExitRefused, MemberNotActive, PostingVetoed)),
    ]
