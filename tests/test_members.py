"""Members (anggota): NIK validation, registration, activation, contact details, and the
plugins' vetoes on each change (a member's exit: test_member_exit.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import kopcore
from kopcore import ledger
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import MemberChangeVetoed, MemberNotActive, NotFound, ValidationError
from kopcore.ledger import AccountStatus, MemberChange, MemberChangeKind, MemberStatus
from kopcore.money import Money
from kopcore.records import Veto
from tests.builders import (
    active_member,
    cash_account,
    member_account,
    nik,
)
from tests.conftest import START_DATE

#: Jakarta Selatan (31 71), district 01; a man born 15-08-1990; serial 0001.
MAN = "3171011508900001"
#: The same birth date for a woman: 40 is added to the day.
WOMAN = "3171015508900001"


def count_members(kernel) -> int:
    return kernel.read("auditor", lambda ctx: ctx.conn.execute(
        select(func.count()).select_from(t.members)).scalar_one())


# --- NIK --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        MAN,
        WOMAN,
        "1101010101000001",  # Aceh, the lowest province code
        "9401017112990001",  # Papua, the highest; a woman born on the 31st
        "5171013112009999",  # born 31-12-2000, serial 9999
    ],
)
def test_valid_nik_is_accepted(value):
    assert ledger.validate_nik(value) == value


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("317101150890001", "16 digits"),  # 15 digits
        ("31710115089000011", "16 digits"),  # 17 digits
        ("3171O11508900001", "16 digits"),  # letter O for zero
        ("3171 11508900001", "16 digits"),
        (" 3171011508900001", "16 digits"),
        ("".join(chr(0xFF10 + int(d)) for d in MAN), "16 digits"),  # full-width digits
        ("1071011508900001", "province"),  # 10: no such province
        ("9571011508900001", "province"),  # 95: no such province
        ("0071011508900001", "province"),
        ("3171010008900001", "birth date"),  # day 00
        ("3171013208900001", "birth date"),  # day 32 (a man)
        ("3171014008900001", "birth date"),  # day 40: neither a man's nor a woman's
        ("3171017208900001", "birth date"),  # day 72 = a woman's 32nd
        ("3171011500900001", "birth date"),  # month 00
        ("3171011513900001", "birth date"),  # month 13
        ("3171011508900000", "serial"),
    ],
)
def test_invalid_nik_is_refused(value, why):
    with pytest.raises(ValidationError, match=why) as caught:
        ledger.validate_nik(value)
    assert caught.value.extra["field"] == "nik"


def test_nik_must_be_text():
    with pytest.raises(ValidationError):
        ledger.validate_nik(3171011508900001)  # type: ignore[arg-type]


# --- registration and activation --------------------------------------------------------------


def test_registered_member_is_an_applicant_with_an_automatic_number(kernel):
    first = kernel.write("teller", lambda ctx: ledger.register_member(
        ctx, name="  Made Wirawan ", nik=MAN, phone="0812-3456-7890", email="made@example.id",
        address="Jl. Gajah Mada 1, Denpasar"))
    second = kernel.write("teller", lambda ctx: ledger.register_member(
        ctx, name="Ni Made Sari", nik=WOMAN))
    assert first.member_number == "A000001"
    assert second.member_number == "A000002"
    assert first.name == "Made Wirawan"
    assert first.status is MemberStatus.APPLICANT
    assert first.applied_on == START_DATE
    assert first.joined_on is None
    assert first.phone == "081234567890"
    assert first.email == "made@example.id"
    assert first.address == "Jl. Gajah Mada 1, Denpasar"
    assert second.phone is None
    assert kernel.read("auditor", lambda ctx: ledger.get_member(ctx, "A000001")) == first
    assert kernel.read("auditor", lambda ctx: ledger.get_member_by_id(ctx, first.id)) == first


def test_cooperatives_own_member_number_is_kept(kernel):
    member = kernel.write("teller", lambda ctx: ledger.register_member(
        ctx, name="Ketut", nik=MAN, member_number="KSP/2026/001"))
    assert member.member_number == "KSP/2026/001"
    with pytest.raises(ValidationError, match="member number"):
        kernel.write("teller", lambda ctx: ledger.register_member(
            ctx, name="Nyoman", nik=WOMAN, member_number="KSP/2026/001"))
    with pytest.raises(ValidationError, match="member number"):
        kernel.write("teller", lambda ctx: ledger.register_member(
            ctx, name="Nyoman", nik=WOMAN, member_number="no spaces allowed"))
    assert count_members(kernel) == 1


def test_duplicate_nik_is_refused_and_nothing_is_written(kernel):
    kernel.write("teller", lambda ctx: ledger.register_member(ctx, name="Made", nik=MAN))
    with pytest.raises(ValidationError, match="NIK") as caught:
        kernel.write("teller", lambda ctx: ledger.register_member(ctx, name="Other", nik=MAN))
    assert caught.value.extra["field"] == "nik"
    assert count_members(kernel) == 1


INVALID_REGISTRATIONS = [
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"nik": "1234"}, "nik"),
    ({"phone": "021-555-1234"}, "phone"),  # a landline, not a mobile number
    ({"phone": "+6512345678"}, "phone"),
    ({"email": "made@"}, "email"),
]


def test_invalid_registration_is_refused_naming_the_field(kernel):
    for fields, field in INVALID_REGISTRATIONS:
        values = {"name": "Made", "nik": MAN, **fields}
        with pytest.raises(ValidationError) as caught:
            kernel.write("teller", lambda ctx, values=values: ledger.register_member(ctx, **values))
        assert caught.value.extra["field"] == field, fields
    assert count_members(kernel) == 0


def test_activation_makes_an_applicant_active_from_the_business_date(kernel):
    kernel.write("teller", lambda ctx: ledger.register_member(ctx, name="Made", nik=MAN))
    member = kernel.write("teller", lambda ctx: ledger.activate_member(ctx, "A000001"))
    assert member.status is MemberStatus.ACTIVE
    assert member.joined_on == START_DATE
    with pytest.raises(MemberNotActive, match="not an applicant"):
        kernel.write("teller", lambda ctx: ledger.activate_member(ctx, "A000001"))
    with pytest.raises(NotFound):
        kernel.write("teller", lambda ctx: ledger.activate_member(ctx, "A999999"))


def test_contact_update_changes_only_what_is_given(kernel):
    kernel.write("teller", lambda ctx: ledger.register_member(
        ctx, name="Made", nik=MAN, phone="081234567890", email="made@example.id",
        address="Denpasar"))
    member = kernel.write("teller", lambda ctx: ledger.update_contact(
        ctx, "A000001", phone="+62 813 1111 2222", email=None, address=None))
    assert member.phone == "+6281311112222"
    assert member.email == "made@example.id"
    assert member.address == "Denpasar"
    member = kernel.write("teller", lambda ctx: ledger.update_contact(
        ctx, "A000001", phone=None, email="wirawan@example.id", address="Gianyar"))
    assert member.phone == "+6281311112222"
    assert (member.email, member.address) == ("wirawan@example.id", "Gianyar")
    with pytest.raises(ValidationError, match="email"):
        kernel.write("teller", lambda ctx: ledger.update_contact(
            ctx, "A000001", phone=None, email="not-an-address", address="Badung"))
    unchanged = kernel.read("auditor", lambda ctx: ledger.get_member(ctx, "A000001"))
    assert (unchanged.email, unchanged.address) == ("wirawan@example.id", "Gianyar")


def test_members_are_listed_by_status_in_id_order(kernel):
    def register(ctx: Context) -> None:
        for serial in range(1, 5):
            ledger.register_member(ctx, name=f"Anggota {serial}", nik=nik(serial))
        ledger.activate_member(ctx, "A000002")
        ledger.activate_member(ctx, "A000004")

    kernel.write("teller", register)
    active = kernel.read("auditor", lambda ctx: ledger.list_members(
        ctx, status=MemberStatus.ACTIVE))
    assert [m.member_number for m in active] == ["A000002", "A000004"]
    page = kernel.read("auditor", lambda ctx: ledger.list_members(ctx, after=1, limit=2))
    assert [m.member_number for m in page] == ["A000002", "A000003"]


# --- who may hold accounts --------------------------------------------------------------------


def test_applicant_cannot_open_an_account(kernel):
    member = kernel.write("teller", lambda ctx: ledger.register_member(ctx, name="Made", nik=MAN))
    with pytest.raises(MemberNotActive, match="only active members"):
        kernel.write("teller", lambda ctx: member_account(ctx, member, "SAV-01"))
    assert kernel.read("auditor", lambda ctx: ledger.member_accounts(ctx, member.id)) == []


def test_member_who_left_cannot_open_an_account(kernel):
    def join_and_leave(ctx: Context) -> ledger.Member:
        member = active_member(ctx)
        cash_account(ctx)
        ledger.exit_member(ctx, member.member_number, reason="pindah", payout_account="CASH-01")
        return member

    member = kernel.write("manager", join_and_leave)
    with pytest.raises(MemberNotActive):
        kernel.write("teller", lambda ctx: member_account(ctx, member, "SAV-01"))


def test_active_member_opens_an_account_rolling_up_to_a_gl_account(kernel):
    def work(ctx: Context) -> ledger.Account:
        return member_account(ctx, active_member(ctx))

    account = kernel.write("teller", work)
    assert account.number == f"AC{account.id:08d}"
    assert account.member_id is not None
    assert account.gl_key == "payable.other"
    assert account.normal_sign == -1
    assert account.status is AccountStatus.OPEN
    assert account.balance == Money(0)
    assert account.opened_on == START_DATE
    with pytest.raises(NotFound, match="GL account"):
        kernel.write("teller", lambda ctx: ledger.open_account(
            ctx, name="x", gl_key="no.such.gl", plugin="kopcore"))


# --- the plugins' vetoes ------------------------------------------------------------------------


class Gatekeeper:
    """Records every member change shown to it and vetoes the kinds it is told to refuse."""

    def __init__(self, *refuse: MemberChangeKind) -> None:
        self.refuse = set(refuse)
        self.seen: list[tuple[str | None, MemberChange]] = []

    @kopcore.hookimpl
    def kopcore_veto_member_change(self, ctx: Context, member: ledger.Member | None,
                                   change: MemberChange) -> Veto | None:
        self.seen.append((member.member_number if member else None, change))
        if change.kind in self.refuse:
            return Veto("gate.closed", f"no {change.kind.value} today")
        return None


def test_hook_veto_member_change_sees_every_change_before_it_is_made(make_kernel):
    gate = Gatekeeper()
    kernel = make_kernel(extra_plugins=[("gate", gate)])

    def lifecycle(ctx: Context) -> None:
        cash_account(ctx)
        ledger.register_member(ctx, name=" Made ", nik=MAN, phone="0812-3456-7890")
        ledger.activate_member(ctx, "A000001")
        ledger.update_contact(ctx, "A000001", phone=None, email=None, address="Gianyar")
        ledger.update_contact(ctx, "A000001", phone=None, email=None, address=None)  # no change
        ledger.exit_member(ctx, "A000001", reason="pindah", payout_account="CASH-01")

    kernel.write("teller", lifecycle)

    assert gate.seen == [
        (None, MemberChange(MemberChangeKind.REGISTER, name="Made", nik=MAN,
                            phone="081234567890", member_kind="person", membership="member")),
        ("A000001", MemberChange(MemberChangeKind.ACTIVATE)),
        ("A000001", MemberChange(MemberChangeKind.UPDATE_CONTACT, address="Gianyar")),
        ("A000001", MemberChange(MemberChangeKind.EXIT, reason="pindah")),
    ]


def members_table(kernel) -> list[tuple[object, ...]]:
    return kernel.read("auditor", lambda ctx: [tuple(r) for r in ctx.conn.execute(
        select(t.members).order_by(t.members.c.id))])


@pytest.mark.parametrize("kind", list(MemberChangeKind))
def test_hook_veto_member_change_refuses_with_its_reason_and_nothing_is_written(make_kernel,
                                                                               kind):
    gate = Gatekeeper(kind)
    kernel = make_kernel(extra_plugins=[("gate", gate)])
    applicant = "A000001"
    if kind is not MemberChangeKind.REGISTER:
        kernel.write("teller", lambda ctx: ledger.register_member(ctx, name="Made", nik=MAN))
    if kind is MemberChangeKind.EXIT:
        kernel.write("teller", lambda ctx: ledger.activate_member(ctx, applicant))
        kernel.write("teller", cash_account)
    change = {
        MemberChangeKind.REGISTER: lambda ctx: ledger.register_member(ctx, name="Made", nik=MAN),
        MemberChangeKind.ACTIVATE: lambda ctx: ledger.activate_member(ctx, applicant),
        MemberChangeKind.UPDATE_CONTACT: lambda ctx: ledger.update_contact(
            ctx, applicant, phone="081234567890", email=None, address=None),
        MemberChangeKind.EXIT: lambda ctx: ledger.exit_member(
            ctx, applicant, reason="keluar", payout_account="CASH-01"),
    }[kind]
    before = members_table(kernel)

    with pytest.raises(MemberChangeVetoed) as vetoed:
        kernel.write("teller", change)

    assert (vetoed.value.reason, vetoed.value.plugin) == ("gate.closed", "gate")
    problem = vetoed.value.to_problem()
    assert (problem["status"], problem["code"]) == (409, "member-change-vetoed")
    assert members_table(kernel) == before


def test_hook_veto_member_change_celengan_admits_members_from_seventeen(make_kernel):
    kernel = make_kernel(plugins=("celengan",))
    # Born 6 January 2009: 16 on the business date, 5 January 2026 (a woman: day + 40).
    sixteen = "5171014601090001"
    # Born 5 January 2009: 17 that very day.
    seventeen = "5171010501090002"

    with pytest.raises(MemberChangeVetoed, match="the applicant with NIK 5171014601090001 is 16") \
            as vetoed:
        kernel.write("teller", lambda ctx: ledger.register_member(ctx, name="Ayu", nik=sixteen))
    member = kernel.write("teller", lambda ctx: ledger.register_member(
        ctx, name="Putu", nik=seventeen))

    assert (vetoed.value.reason, vetoed.value.plugin) == ("celengan.underage", "celengan")
    assert [m.nik for m in kernel.read("auditor", ledger.list_members)] == [member.nik]
