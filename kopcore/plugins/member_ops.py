"""Built-in plugin: operations on members (anggota)."""

from __future__ import annotations

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
)
from kopcore.ledger import MemberStatus
from kopcore.operations import Operation
from kopcore.plugins.paging import page_fields
from kopcore.views import EntryOut, MemberOut

MEMBER = {"help": "Member number", "max_length": 32}


@attrs.frozen
class RegisterMemberIn:
    """A new applicant."""

    name: str = attrs.field(metadata={"help": "Full name as on the KTP", "max_length": 200})
    nik: str = attrs.field(metadata={"help": "NIK, 16 digits", "max_length": 16})
    phone: str | None = attrs.field(default=None, metadata={"help": "Mobile number",
                                                            "max_length": 32})
    email: str | None = attrs.field(default=None, metadata={"help": "Email", "max_length": 200})
    address: str | None = attrs.field(default=None, metadata={"help": "Address"})
    member_number: str | None = attrs.field(
        default=None, metadata={"help": "The cooperative's own number (default: A + id)",
                                "max_length": 32})


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
    q: str = attrs.field(metadata={"help": "Name, member number, NIK or phone (at least 2 "
                                           "characters)", "max_length": 200})
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
        metadata={"help": "Account that pays the refund: teller cash, or GL-payable.member_exit",
                  "max_length": 64})


@attrs.frozen
class ExitMemberOut:
    member: MemberOut
    settlement: EntryOut | None


def register(ctx: Context, data: RegisterMemberIn) -> MemberOut:
    """Register an applicant (calon anggota); activate once simpanan pokok is paid."""
    return MemberOut.of(ledger.register_member(
        ctx, name=data.name, nik=data.nik, phone=data.phone, email=data.email,
        address=data.address, member_number=data.member_number))


def search(ctx: Context, data: SearchMembersIn) -> MemberList:
    """Find members by name, member number, NIK or phone: exact numbers first, then by name."""
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
                  summary="Find members by name, number, NIK or phone",
                  errors=(ValidationError,)),
        Operation("members.exit", ExitMemberIn, ExitMemberOut, exit_member,
                  permission="members.exit", mutates=True, summary="Settle a member's exit",
                  errors=(*errors, ExitRefused, MemberNotActive, PostingVetoed)),
    ]
