"""Members (anggota): registration, activation, contact, exit."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import Row, select, update

from kopcore.context import Context
from kopcore.db import tables as t
from kopcore.errors import ExitRefused, MemberNotActive, NotFound, ValidationError
from kopcore.ledger.records import AccountStatus, JournalEntry, Member, MemberStatus
from kopcore.records import ExitContribution, PostingLine, Side

_PHONE = re.compile(r"^(\+62|62|0)8[0-9]{7,12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_nik(nik: str) -> str:
    """Check an Indonesian NIK: 16 digits, a province code 11-94, a birth date DDMMYY (women
    add 40 to the day) and a non-zero serial. Returns the NIK or raises ValidationError."""
    if not isinstance(nik, str) or not re.fullmatch(r"[0-9]{16}", nik):
        raise ValidationError("NIK must be exactly 16 digits", field="nik")
    province = int(nik[0:2])
    day, month = int(nik[6:8]), int(nik[8:10])
    if not 11 <= province <= 94:
        raise ValidationError(f"NIK province code {nik[0:2]} does not exist", field="nik")
    if day > 40:
        day -= 40
    if not (1 <= day <= 31 and 1 <= month <= 12):
        raise ValidationError("NIK digits 7-12 are not a birth date (DDMMYY)", field="nik")
    if nik[12:] == "0000":
        raise ValidationError("NIK serial (last 4 digits) cannot be 0000", field="nik")
    return nik


def _clean_contact(phone: str | None, email: str | None) -> tuple[str | None, str | None]:
    if phone:
        phone = phone.replace(" ", "").replace("-", "")
        if not _PHONE.fullmatch(phone):
            raise ValidationError("phone must be an Indonesian mobile number", field="phone")
    if email and not _EMAIL.fullmatch(email):
        raise ValidationError("email address is not valid", field="email")
    return phone or None, email or None


def member_from_row(row: Row[Any]) -> Member:
    m = row._mapping
    return Member(
        id=m["id"], member_number=m["member_number"], name=m["name"], nik=m["nik"],
        phone=m["phone"], email=m["email"], address=m["address"],
        status=MemberStatus(m["status"]), applied_on=m["applied_on"], joined_on=m["joined_on"],
        left_on=m["left_on"], exit_reason=m["exit_reason"],
    )


def register_member(
    ctx: Context, *, name: str, nik: str, phone: str | None = None, email: str | None = None,
    address: str | None = None, member_number: str | None = None,
) -> Member:
    """Register an applicant. The member number is the cooperative's own or, when omitted,
    ``A`` followed by the zero-padded member id."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError("name is required (at most 200 characters)", field="name")
    validate_nik(nik)
    phone, email = _clean_contact(phone, email)
    if member_number is not None and not re.fullmatch(r"[A-Za-z0-9./-]{1,32}", member_number):
        raise ValidationError("member number: 1-32 letters, digits, '.', '/' or '-'",
                              field="member_number")
    conn = ctx.conn
    if conn.execute(select(t.members.c.id).where(t.members.c.nik == nik)).first():
        raise ValidationError("a member with this NIK is already registered", field="nik")
    if member_number and conn.execute(
        select(t.members.c.id).where(t.members.c.member_number == member_number)
    ).first():
        raise ValidationError("member number already in use", field="member_number")
    placeholder = member_number or "tmp-" + uuid.uuid4().hex[:24]
    member_id = conn.execute(
        t.members.insert().values(
            member_number=placeholder, name=name, nik=nik, phone=phone, email=email,
            address=address, status=MemberStatus.APPLICANT.value, applied_on=ctx.business_date,
        ).returning(t.members.c.id)
    ).scalar_one()
    if member_number is None:
        conn.execute(
            update(t.members).where(t.members.c.id == member_id)
            .values(member_number=f"A{member_id:06d}")
        )
    return get_member_by_id(ctx, member_id)


def get_member_by_id(ctx: Context, member_id: int) -> Member:
    row = ctx.conn.execute(select(t.members).where(t.members.c.id == member_id)).first()
    if row is None:
        raise NotFound(f"member id {member_id} not found")
    return member_from_row(row)


def get_member(ctx: Context, member_number: str) -> Member:
    row = ctx.conn.execute(
        select(t.members).where(t.members.c.member_number == member_number)
    ).first()
    if row is None:
        raise NotFound(f"member {member_number} not found", field="member_number")
    return member_from_row(row)


def list_members(
    ctx: Context, *, status: MemberStatus | None = None, after: int = 0, limit: int = 50
) -> list[Member]:
    query = select(t.members).where(t.members.c.id > after).order_by(t.members.c.id).limit(limit)
    if status is not None:
        query = query.where(t.members.c.status == status.value)
    return [member_from_row(r) for r in ctx.conn.execute(query)]


def activate_member(ctx: Context, member_number: str) -> Member:
    """Make an applicant an active member from the current business date."""
    member = get_member(ctx, member_number)
    if member.status is not MemberStatus.APPLICANT:
        raise MemberNotActive(f"member {member_number} is {member.status.value}, not an applicant")
    ctx.conn.execute(
        update(t.members).where(t.members.c.id == member.id)
        .values(status=MemberStatus.ACTIVE.value, joined_on=ctx.business_date)
    )
    return get_member_by_id(ctx, member.id)


def update_contact(
    ctx: Context, member_number: str, *, phone: str | None, email: str | None,
    address: str | None,
) -> Member:
    member = get_member(ctx, member_number)
    phone, email = _clean_contact(phone, email)
    values: dict[str, Any] = {}
    if phone is not None:
        values["phone"] = phone
    if email is not None:
        values["email"] = email
    if address is not None:
        values["address"] = address
    if values:
        ctx.conn.execute(update(t.members).where(t.members.c.id == member.id).values(**values))
    return get_member_by_id(ctx, member.id)


def require_active(ctx: Context, member_id: int) -> Member:
    member = get_member_by_id(ctx, member_id)
    if member.status is not MemberStatus.ACTIVE:
        raise MemberNotActive(
            f"member {member.member_number} is {member.status.value}; only active members "
            "hold accounts and transact"
        )
    return member


def exit_member(
    ctx: Context, member_number: str, *, reason: str, payout_account: str,
    idempotency_key: str | None = None,
) -> tuple[Member, JournalEntry | None]:
    """Settle and close a member's membership (keluar).

    Every plugin is asked through ``kopcore_member_exit``; any refusal stops the exit. The
    plugins' lines and one balancing line on ``payout_account`` (cash, or an exit-payable
    account) are posted as one entry; the member's accounts then at zero are closed.
    """
    from kopcore.ledger.accounts import close_account, get_account, member_accounts
    from kopcore.ledger.posting import post_entry

    member = get_member(ctx, member_number)
    if member.status is not MemberStatus.ACTIVE:
        raise MemberNotActive(f"member {member_number} is {member.status.value}")
    payout = get_account(ctx, payout_account)
    contributions: list[tuple[str, ExitContribution]] = ctx.kernel.plugins.call(
        "kopcore_member_exit", ctx=ctx, member=member
    )
    refusals = [(plugin, c.refusal) for plugin, c in contributions if c.refusal]
    if refusals:
        raise ExitRefused(
            "; ".join(f"{plugin}: {why}" for plugin, why in refusals),
            refusals=[{"plugin": p, "reason": r} for p, r in refusals],
        )
    lines = [line for _, c in contributions for line in c.lines]
    entry = None
    net = sum(line.signed_minor for line in lines)
    if lines:
        from kopcore.money import Money

        if net:
            side = Side.CREDIT if net > 0 else Side.DEBIT
            lines.append(PostingLine(payout.number, side, Money(abs(net), payout.currency)))
        notes = "; ".join(c.note for _, c in contributions if c.note)
        memo = f"Member exit {member_number}: {reason}" + (f" ({notes})" if notes else "")
        # Plugins' veto hooks see the operation "members.exit", however the exit was called.
        entry = post_entry(ctx.for_operation("members.exit"), lines, memo=memo[:500],
                           idempotency_key=idempotency_key)
    left_behind = [a for a in member_accounts(ctx, member.id)
                   if a.status is not AccountStatus.CLOSED
                   and (a.balance.minor != 0 or a.held.minor != 0)]
    if left_behind:
        raise ExitRefused(
            "no plugin settles the balance of "
            + ", ".join(f"{a.number} ({a.balance.to_str()})" for a in left_behind)
            + "; settle or transfer it before the exit",
            accounts=[a.number for a in left_behind],
        )
    for account in member_accounts(ctx, member.id):
        if account.status is not AccountStatus.CLOSED:
            close_account(ctx, account.number)
    ctx.conn.execute(
        update(t.members).where(t.members.c.id == member.id).values(
            status=MemberStatus.LEFT.value, left_on=ctx.business_date, exit_reason=reason[:32]
        )
    )
    return get_member_by_id(ctx, member.id), entry
