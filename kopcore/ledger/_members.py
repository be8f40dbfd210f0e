"""Members (anggota): registration, activation and contact details, each shown to the plugins'
vetoes (``kopcore_veto_member_change``) before anything is written. A member's exit, a
settlement across plugins, is :mod:`kopcore.ledger._exit`."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import attrs
from sqlalchemy import Row, case, func, or_, select, update

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import (
    MemberChangeVetoed,
    MemberNotActive,
    Message,
    NotFound,
    ValidationError,
    message,
)
from kopcore.ledger._records import (
    LegalDocuments,
    Member,
    MemberChange,
    MemberChangeKind,
    MemberKind,
    Membership,
    MemberStatus,
)
from kopcore.records import Veto

_PHONE = re.compile(r"^(\+62|62|0)8[0-9]{7,12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_nik(nik: str) -> str:
    """Check an Indonesian NIK: 16 digits, a province code 11-94, a birth date DDMMYY (women
    add 40 to the day) and a non-zero serial. Returns the NIK or raises ValidationError."""
    if not isinstance(nik, str) or not re.fullmatch(r"[0-9]{16}", nik):
        raise ValidationError(message("NIK must be exactly 16 digits"), field="nik")
    province = int(nik[0:2])
    day, month = int(nik[6:8]), int(nik[8:10])
    if not 11 <= province <= 94:
        raise ValidationError(message("NIK province code {code} does not exist",
                                      code=nik[0:2]), field="nik")
    if day > 40:
        day -= 40
    if not (1 <= day <= 31 and 1 <= month <= 12):
        raise ValidationError(message("NIK digits 7-12 are not a birth date (DDMMYY)"),
                              field="nik")
    if nik[12:] == "0000":
        raise ValidationError(message("NIK serial (last 4 digits) cannot be 0000"),
                              field="nik")
    return nik


def _digits(value: str) -> str:
    """A number as typed, without the spaces, dots and dashes people write in it."""
    return "".join(ch for ch in value if ch not in " .-")


def validate_nib(nib: str) -> str:
    """Check a NIB (Nomor Induk Berusaha, issued through OSS): 13 digits, not all zero.
    Spaces, dots and dashes are dropped. Returns the 13 digits or raises ValidationError."""
    digits = _digits(nib) if isinstance(nib, str) else ""
    if not re.fullmatch(r"[0-9]{13}", digits) or not digits.strip("0"):
        raise ValidationError(message("NIB must be exactly 13 digits"), field="nib")
    return digits


def validate_npwp(npwp: str) -> str:
    """Check a legal entity's NPWP and give it in the 16-digit form in use since 2024
    (PMK 112/PMK.03/2022): 16 digits, or the old 15 digits (``01.234.567.8-901.000``), which
    become 16 with a leading 0. Spaces, dots and dashes are dropped."""
    digits = _digits(npwp) if isinstance(npwp, str) else ""
    if not re.fullmatch(r"[0-9]{15,16}", digits) or not digits.strip("0"):
        raise ValidationError(message("NPWP must be 16 digits (or the old 15)"), field="npwp")
    return digits.rjust(16, "0")


def _clean_legal(kind: MemberKind, legal: LegalDocuments | None,
                 today: date) -> LegalDocuments | None:
    if kind is MemberKind.PERSON:
        if legal is not None and legal != LegalDocuments():
            raise ValidationError(message("deed, decree and representative are for a legal "
                                          "entity, not a person"), field="kind")
        return None
    legal = legal or LegalDocuments()
    name = (legal.representative_name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(message("a legal entity needs the name of its representative "
                                      "(at most 200 characters)"), field="representative_name")
    if legal.representative_nik is not None:
        validate_nik(legal.representative_nik)
    for field, value in (("deed_date", legal.deed_date),
                         ("legal_decree_date", legal.legal_decree_date)):
        if value is not None and value > today:
            raise ValidationError(message("{field} cannot be after the business date",
                                          field=field), field=field)
    texts: dict[str, str | None] = {}
    for field in ("deed_number", "legal_decree_number", "representative_position"):
        text: str | None = (getattr(legal, field) or "").strip() or None
        if text is not None and len(text) > (100 if field.startswith("rep") else 64):
            raise ValidationError(message("{field} is too long", field=field), field=field)
        texts[field] = text
    return LegalDocuments(
        deed_number=texts["deed_number"], deed_date=legal.deed_date,
        legal_decree_number=texts["legal_decree_number"],
        legal_decree_date=legal.legal_decree_date, representative_name=name,
        representative_nik=legal.representative_nik,
        representative_position=texts["representative_position"])


def _identity(ctx: Context, kind: MemberKind, nik: str | None, nib: str | None,
              npwp: str | None) -> tuple[str | None, str | None, str | None]:
    """A person's NIK, or a legal entity's NIB and NPWP: checked, and not anyone else's."""
    m = t.members.c
    if kind is MemberKind.PERSON:
        if nib or npwp:
            raise ValidationError(message("NIB and NPWP are for a legal entity; a person is "
                                          "registered by NIK"), field="nib" if nib else "npwp")
        if not nik:
            raise ValidationError(message("NIK is required for a person"), field="nik")
        validate_nik(nik)
        if ctx.conn.execute(select(m.id).where(m.nik == nik)).first():
            raise ValidationError(message("a member with this NIK is already registered"),
                                  field="nik")
        return nik, None, None
    if nik:
        raise ValidationError(message("a legal entity has no NIK: give its NIB and NPWP (and "
                                      "its representative's NIK)"), field="nik")
    if not nib:
        raise ValidationError(message("NIB is required for a legal entity"), field="nib")
    if not npwp:
        raise ValidationError(message("NPWP is required for a legal entity"), field="npwp")
    nib, npwp = validate_nib(nib), validate_npwp(npwp)
    if ctx.conn.execute(select(m.id).where(m.nib == nib)).first():
        raise ValidationError(message("a member with this NIB is already registered"),
                              field="nib")
    if ctx.conn.execute(select(m.id).where(m.npwp == npwp)).first():
        raise ValidationError(message("a member with this NPWP is already registered"),
                              field="npwp")
    return None, nib, npwp


def _clean_contact(phone: str | None, email: str | None) -> tuple[str | None, str | None]:
    if phone:
        phone = phone.replace(" ", "").replace("-", "")
        if not _PHONE.fullmatch(phone):
            raise ValidationError(message("phone must be an Indonesian mobile number"),
                                  field="phone")
    if email and not _EMAIL.fullmatch(email):
        raise ValidationError(message("email address is not valid"), field="email")
    return phone or None, email or None


def ask_vetoes(ctx: Context, member: Member | None, kind: MemberChangeKind,
               **details: str | None) -> None:
    """Show a change the kernel is about to make (a :class:`MemberChange` of ``kind`` with
    ``details``) to every plugin's ``kopcore_veto_member_change``; the first veto raises
    :class:`~kopcore.errors.MemberChangeVetoed` with its reason code and the plugin's name.
    ``member`` is the member as it is, ``None`` for a registration."""
    change = MemberChange(kind, **details)
    for plugin, veto in ctx.kernel.plugins.call(
        "kopcore_veto_member_change", ctx=ctx, member=member, change=change
    ):
        if isinstance(veto, Veto):
            raise MemberChangeVetoed(veto.message, reason=veto.reason, plugin=plugin)


def status_text(status: str) -> Message:
    """A member's status as people read it (``calon anggota``, ``aktif``, ``keluar``)."""
    texts = {"applicant": message("applicant"), "active": message("active"),
             "left": message("left")}
    return texts.get(str(status), message(str(status)))


def not_active(member_number: str, status: str) -> Message:
    """Why a member who is not active may not hold an account or transact."""
    return message("member {member} is {status}; only active members hold accounts and "
                   "transact", member=member_number, status=status_text(status))


_LEGAL_FIELDS = tuple(f.name for f in attrs.fields(LegalDocuments))


def member_from_row(row: Row[Any]) -> Member:
    m = row._mapping
    kind = MemberKind(m["kind"])
    legal = None if kind is MemberKind.PERSON else LegalDocuments(
        **{field: m[field] for field in _LEGAL_FIELDS})
    return Member(
        id=m["id"], member_number=m["member_number"], name=m["name"], nik=m["nik"],
        phone=m["phone"], email=m["email"], address=m["address"],
        status=MemberStatus(m["status"]), applied_on=m["applied_on"], joined_on=m["joined_on"],
        left_on=m["left_on"], exit_reason=m["exit_reason"], kind=kind,
        membership=Membership(m["membership"]), nib=m["nib"], npwp=m["npwp"], legal=legal,
    )


def register_member(
    ctx: Context, *, name: str, nik: str | None = None, phone: str | None = None,
    email: str | None = None, address: str | None = None, member_number: str | None = None,
    kind: MemberKind | str = MemberKind.PERSON,
    membership: Membership | str = Membership.MEMBER, nib: str | None = None,
    npwp: str | None = None, legal: LegalDocuments | None = None,
) -> Member:
    """Register an applicant: a person by NIK, or a legal entity (``kind`` its legal form) by
    NIB and NPWP with its deed, decree and representative (``legal``). ``membership``
    ``non-member`` registers a counterparty served by agreement who is not a member. The
    member number is the cooperative's own or, when omitted, ``A`` followed by the zero-padded
    member id."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(message("name is required (at most 200 characters)"),
                              field="name")
    try:
        kind, membership = MemberKind(kind), Membership(membership)
    except ValueError:
        raise ValidationError(message("kind must be one of {kinds}; membership member or "
                                      "non-member", kinds=", ".join(k.value for k in MemberKind)),
                              field="kind") from None
    nik, nib, npwp = _identity(ctx, kind, nik or None, nib or None, npwp or None)
    legal = _clean_legal(kind, legal, ctx.business_date)
    phone, email = _clean_contact(phone, email)
    if member_number is not None and not re.fullmatch(r"[A-Za-z0-9./-]{1,32}", member_number):
        raise ValidationError(message("member number: 1-32 letters, digits, '.', '/' or '-'"),
                              field="member_number")
    conn = ctx.conn
    if member_number and conn.execute(
        select(t.members.c.id).where(t.members.c.member_number == member_number)
    ).first():
        raise ValidationError(message("member number already in use"),
                              field="member_number")
    ask_vetoes(ctx, None, MemberChangeKind.REGISTER, name=name, nik=nik, phone=phone,
               email=email, address=address, member_number=member_number,
               member_kind=kind.value, membership=membership.value, nib=nib, npwp=npwp)
    placeholder = member_number or "tmp-" + uuid.uuid4().hex[:24]
    papers = attrs.asdict(legal) if legal is not None else {}
    member_id = conn.execute(
        t.members.insert().values(
            member_number=placeholder, name=name, nik=nik, phone=phone, email=email,
            address=address, status=MemberStatus.APPLICANT.value, applied_on=ctx.business_date,
            kind=kind.value, membership=membership.value, nib=nib, npwp=npwp, **papers,
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
        raise NotFound(message("member id {member_id} not found", member_id=member_id))
    return member_from_row(row)


def get_member(ctx: Context, member_number: str) -> Member:
    row = ctx.conn.execute(
        select(t.members).where(t.members.c.member_number == member_number)
    ).first()
    if row is None:
        raise NotFound(message("member {member} not found", member=member_number),
                       field="member_number")
    return member_from_row(row)


def list_members(
    ctx: Context, *, status: MemberStatus | None = None, after: int = 0, limit: int = 50
) -> list[Member]:
    query = select(t.members).where(t.members.c.id > after).order_by(t.members.c.id).limit(limit)
    if status is not None:
        query = query.where(t.members.c.status == status.value)
    return [member_from_row(r) for r in ctx.conn.execute(query)]


def search_members(ctx: Context, text: str, *, limit: int = 20) -> list[Member]:
    """Members whose name contains ``text`` (any case), or whose member number, NIK, phone,
    NIB or NPWP starts with it (spaces, dots and dashes in numbers ignored): what a teller
    types to find the member at the counter. Exact number matches come first, then by name."""
    text = " ".join(text.split())
    if len(text) < 2:
        raise ValidationError(message("type at least 2 characters to search"), field="q")
    m = t.members.c

    def escaped(value: str) -> str:
        return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

    found = [func.lower(m.name).like("%" + escaped(text.lower()) + "%", escape="\\"),
             func.lower(m.member_number).like(escaped(text.lower()) + "%", escape="\\")]
    exact = [func.lower(m.member_number) == text.lower()]
    digits = "".join(ch for ch in text if ch not in " .-+")
    if digits.isdigit():
        found += [m.nik.like(digits + "%"), m.phone.like(digits + "%"),
                  m.phone.like("0" + digits.removeprefix("62") + "%")]
        exact += [m.nik == digits, m.phone == digits]
        found += [m.nib.like(digits + "%"), m.npwp.like(digits + "%"),
                  m.npwp.like("0" + digits + "%")]
        exact += [m.nib == digits, m.npwp == digits, m.npwp == "0" + digits]
    query = (select(t.members).where(or_(*found))
             .order_by(case((or_(*exact), 0), else_=1), m.name, m.id).limit(limit))
    return [member_from_row(r) for r in ctx.conn.execute(query)]


def activate_member(ctx: Context, member_number: str) -> Member:
    """Make an applicant an active member from the current business date."""
    member = get_member(ctx, member_number)
    if member.status is not MemberStatus.APPLICANT:
        raise MemberNotActive(message("member {member} is {status}, not an applicant",
                                      member=member_number, status=status_text(member.status)))
    ask_vetoes(ctx, member, MemberChangeKind.ACTIVATE)
    ctx.conn.execute(
        update(t.members).where(t.members.c.id == member.id)
        .values(status=MemberStatus.ACTIVE.value, joined_on=ctx.business_date)
    )
    return get_member_by_id(ctx, member.id)


def update_contact(
    ctx: Context, member_number: str, *, phone: str | None, email: str | None,
    address: str | None,
) -> Member:
    """Change a member's phone, email or address; ``None`` leaves one as it is."""
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
        ask_vetoes(ctx, member, MemberChangeKind.UPDATE_CONTACT, **values)
        ctx.conn.execute(update(t.members).where(t.members.c.id == member.id).values(**values))
    return get_member_by_id(ctx, member.id)


def require_active(ctx: Context, member_id: int) -> Member:
    member = get_member_by_id(ctx, member_id)
    if member.status is not MemberStatus.ACTIVE:
        raise MemberNotActive(not_active(member.member_number, member.status))
    return member
