"""Members and counterparties that are legal entities (NIB, NPWP, deed, decree, representative),
non-member counterparties served by agreement (Permenkop 8/2023), and the closed-loop
indicator: funding from non-members against 40 % of total assets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

import kopcore
from kopcore import ledger
from kopcore._db import tables as t
from kopcore._db.migrate import alembic_config
from kopcore._yearend.shu import member_bases
from kopcore.errors import ValidationError
from kopcore.kernel import Kernel
from kopcore.ledger import LegalDocuments, MemberKind, Membership
from kopcore.money import Money
from kopcore.records import MemberBasis, ShuBasisKind
from kopcore.testing import Cooperative
from tests import interfaces_support as support
from tests.builders import member_account, transfer
from tests.conftest import START_DATE
from tests.interfaces_support import Env

env = support.env

#: A NIB as OSS issues it (13 digits).
NIB = "9120001234567"
#: An NPWP in the old 15-digit form as printed; 16 digits since 2024 with a leading 0.
NPWP_OLD = "01.234.567.8-901.000"
NPWP = "0012345678901000"
#: The representative: Jakarta Selatan, a man born 15-08-1990.
KETUA_NIK = "3171011508900001"

KOPERASI: dict[str, Any] = {
    "name": "Koperasi Produsen Tani Makmur", "kind": "koperasi", "membership": "non-member",
    "nib": NIB, "npwp": NPWP_OLD, "deed_number": "12", "deed_date": "2015-03-02",
    "legal_decree_number": "AHU-0001234.AH.01.26.2015", "legal_decree_date": "2015-04-10",
    "representative_name": "I Wayan Sudarma", "representative_nik": KETUA_NIK,
    "representative_position": "Ketua Pengurus",
}


def count_members(kernel: Kernel) -> int:
    return int(kernel.read("auditor", lambda ctx: ctx.conn.execute(
        select(func.count()).select_from(t.members)).scalar_one()))


@pytest.fixture
def coop(kernel: Kernel) -> Cooperative:
    return Cooperative(kernel)


# --- registration -----------------------------------------------------------------------------


def test_a_partner_cooperative_is_registered_by_nib_and_npwp_with_its_papers(coop):
    out = coop.call("members.register", **KOPERASI)
    assert out["kind"] == "koperasi"
    assert out["membership"] == "non-member"
    assert out["nik"] is None
    assert out["nib"] == NIB
    assert out["npwp"] == NPWP  # the old 15 digits, kept in the 16-digit form
    assert (out["deed_number"], out["deed_date"]) == ("12", "2015-03-02")
    assert out["legal_decree_number"] == "AHU-0001234.AH.01.26.2015"
    assert out["representative_name"] == "I Wayan Sudarma"
    assert out["representative_nik"] == KETUA_NIK
    assert out["representative_position"] == "Ketua Pengurus"
    member = coop.kernel.read("auditor", lambda ctx: ledger.get_member(
        ctx, out["member_number"]))
    assert member.is_entity
    assert not member.is_member
    assert member.legal == LegalDocuments("12", START_DATE.replace(2015, 3, 2),
                                          "AHU-0001234.AH.01.26.2015",
                                          START_DATE.replace(2015, 4, 10), "I Wayan Sudarma",
                                          KETUA_NIK, "Ketua Pengurus")
    # A person is still a member by NIK, with no entity fields.
    person = coop.call("members.register", name="Ni Luh Ayu", nik="5171015508900001")
    assert (person["kind"], person["membership"], person["nib"], person["npwp"]) == \
        ("person", "member", None, None)


def test_sixteen_digit_npwp_and_the_old_fifteen_are_the_same_taxpayer(coop):
    coop.call("members.register", **KOPERASI)
    other = {**KOPERASI, "name": "CV Lain", "kind": "cv", "nib": "9120007654321",
             "npwp": NPWP}
    error = coop.refused(ValidationError, "members.register", **other)
    assert error.extra["field"] == "npwp"
    assert count_members(coop.kernel) == 1


INVALID_ENTITIES: list[tuple[dict[str, Any], str]] = [
    ({"nib": None}, "nib"),
    ({"nib": "912000123456"}, "nib"),  # 12 digits
    ({"nib": "91200012345678"}, "nib"),  # 14 digits
    ({"nib": "0000000000000"}, "nib"),
    ({"npwp": None}, "npwp"),
    ({"npwp": "01.234.567.8-901.00"}, "npwp"),  # 14 digits
    ({"npwp": "0123456789010001"[:-1] + "x"}, "npwp"),
    ({"nik": KETUA_NIK}, "nik"),  # an entity has no NIK of its own
    ({"representative_name": None}, "representative_name"),
    ({"representative_nik": "3171011508900000"}, "nik"),  # serial 0000
    ({"kind": "perseorangan"}, "kind"),
    ({"deed_date": (START_DATE + timedelta(days=1)).isoformat()}, "deed_date"),
]


@pytest.mark.parametrize(("change", "field"), INVALID_ENTITIES)
def test_an_invalid_legal_entity_is_refused_naming_the_field(coop, change, field):
    error = coop.refused(ValidationError, "members.register", **{**KOPERASI, **change})
    assert error.extra.get("field") == field
    assert count_members(coop.kernel) == 0


def test_a_person_is_registered_by_nik_only(coop):
    with pytest.raises(ValidationError) as caught:
        coop.call("members.register", name="Tanpa NIK")
    assert caught.value.extra["field"] == "nik"
    with pytest.raises(ValidationError) as caught:
        coop.call("members.register", name="Made", nik="5171011508900002", nib=NIB)
    assert caught.value.extra["field"] == "nib"
    with pytest.raises(ValidationError) as caught:
        coop.call("members.register", name="Made", nik="5171011508900002",
                  representative_name="Wakil")
    assert caught.value.extra["field"] == "kind"
    assert count_members(coop.kernel) == 0


def test_nib_is_unique_among_legal_entities(coop):
    coop.call("members.register", **KOPERASI)
    error = coop.refused(ValidationError, "members.register",
                         **{**KOPERASI, "name": "PT Lain", "kind": "pt",
                            "npwp": "0987654321098000"})
    assert error.extra["field"] == "nib"


def test_the_database_refuses_an_entity_without_nib_or_a_person_without_nik(kernel):
    with pytest.raises(IntegrityError):
        kernel.write("system", lambda ctx: ctx.conn.execute(t.members.insert().values(
            member_number="X1", name="PT Tanpa NIB", kind="pt", npwp=NPWP, status="applicant",
            applied_on=START_DATE)))
    with pytest.raises(IntegrityError):
        kernel.write("system", lambda ctx: ctx.conn.execute(t.members.insert().values(
            member_number="X2", name="Tanpa NIK", status="applicant", applied_on=START_DATE)))
    assert count_members(kernel) == 0


def test_staff_find_a_legal_entity_by_nib_or_npwp_as_typed(coop):
    number = coop.call("members.register", **KOPERASI)["member_number"]
    coop.call("members.register", name="Koperasi Lain", nik="5171011508900003")
    for typed in (NIB, "912 000", NPWP, "01.234.567.8-901.000", "01.234.567"):
        found = coop.call("members.search", q=typed)["items"]
        assert [m["member_number"] for m in found] == [number], typed
    assert coop.call("members.search", q="9999999")["items"] == []


def test_registration_through_the_api_and_the_cli(env: Env) -> None:
    body = env.ok("members.register", {**KOPERASI, "membership": "member"})
    assert (body["kind"], body["membership"], body["npwp"]) == ("koperasi", "member", NPWP)
    bad = env.call("members.register", {**KOPERASI, "name": "Lain", "nib": "123"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["field"] == "nib"
    result = env.cli("members", "register", "--name", "PT Sentosa Abadi", "--kind", "pt",
                     "--membership", "non-member", "--nib", "8120009876543", "--npwp",
                     "0876543210987000", "--representative-name", "Budi Santoso",
                     "--representative-position", "Direktur", "--json")
    out = result.json()
    assert (out["kind"], out["membership"], out["nib"]) == ("pt", "non-member", "8120009876543")
    refused = env.cli("members", "register", "--name", "CV Tanpa NPWP", "--kind", "cv",
                      "--nib", "8120001111111", "--representative-name", "Ani")
    assert (refused.exit_code, refused.error_code) == (1, "validation-error")
    assert "NPWP" in refused.stderr


# --- non-members: no SHU ----------------------------------------------------------------------


class CapitalBases:
    """Every member holds Rp1,000,000 of capital, as a savings plugin would report it."""

    @kopcore.hookimpl
    def kopcore_shu_bases(self, ctx, year_start, year_end, basis):
        rows = ctx.conn.execute(select(t.members.c.id)).scalars()
        return [MemberBasis(member_id, Money.parse("1000000")) for member_id in rows]


def test_a_non_member_counterparty_has_no_share_of_the_shu(make_kernel):
    kernel = make_kernel(extra_plugins=[("capital", CapitalBases())])
    coop = Cooperative(kernel)
    member = coop.member("Ni Luh Ayu")
    coop.call("members.register", **KOPERASI)

    def bases(ctx):
        return member_bases(ctx, START_DATE.year, ShuBasisKind.CAPITAL)

    found = kernel.read("auditor", bases)
    member_id = kernel.read("auditor", lambda ctx: ledger.get_member(ctx, member).id)
    assert found == {member_id: 100_000_000}


# --- the closed-loop indicator ----------------------------------------------------------------


def closed_loop(coop: Cooperative, **raw: Any) -> dict[str, Any]:
    """The indicator with each amount as its decimal string (all in rupiah)."""
    out = coop.call("members.closed-loop", **raw)
    assert {v["currency"] for v in out.values() if isinstance(v, dict)} <= {"IDR"}
    return {k: v["amount"] if isinstance(v, dict) else v for k, v in out.items()}


def funding_figure(coop: Cooperative, as_of) -> int:
    answers = coop.kernel.read("auditor", lambda ctx: ctx.kernel.plugins.call(
        "kopcore_health_figures", ctx=ctx, as_of=as_of))
    return sum(f.value for _, figures in answers for f in figures
               if f.key == "members.non_member_funding")


def test_closed_loop_funding_from_non_members_against_forty_percent_of_assets(coop):
    """Capital Rp1,000,000,000 in cash. A partner cooperative (non-member) deposits
    Rp300,000,000 and a member Rp100,000,000: assets Rp1,400,000,000, funding from non-members
    Rp300,000,000 = 21.43 % against a limit of Rp560,000,000. Borrowing Rp300,000,000 from a
    bank: assets Rp1,700,000,000, funding Rp600,000,000 = 35.29 % (limit Rp680,000,000).
    Rp200,000,000 more: Rp800,000,000 of Rp1,900,000,000 = 42.11 %, above Rp760,000,000."""
    partner = coop.call("members.register", **KOPERASI)["member_number"]
    coop.call("members.activate", member=partner)
    person = coop.member("Ni Luh Ayu")

    def deposits(ctx):
        for number, account, amount in ((partner, "TITIPAN-KOP", "300000000"),
                                        (person, "TITIPAN-AYU", "100000000")):
            member_account(ctx, ledger.get_member(ctx, number), number=account)
            transfer(ctx, coop.CASH, account, Money.parse(amount), memo="setoran")

    coop.kernel.write("teller", deposits)
    first = closed_loop(coop)
    assert first == {
        "as_of": START_DATE.isoformat(), "non_member_savings": "300000000.00",
        "borrowings": "0.00", "funding": "300000000.00", "total_assets": "1400000000.00",
        "limit": "560000000.00", "share_percent": "21.43", "exceeded": False}
    assert funding_figure(coop, START_DATE) == 30_000_000_000

    coop.call("entries.post", memo="pinjaman bank", lines=[
        {"account": coop.CASH, "side": "debit", "amount": "300000000"},
        {"account": "GL-payable.borrowings", "side": "credit", "amount": "300000000"}])
    second = closed_loop(coop)
    assert (second["borrowings"], second["funding"], second["total_assets"], second["limit"],
            second["share_percent"], second["exceeded"]) == \
        ("300000000.00", "600000000.00", "1700000000.00", "680000000.00", "35.29", False)

    coop.call("entries.post", memo="pinjaman LPDB", lines=[
        {"account": coop.CASH, "side": "debit", "amount": "200000000"},
        {"account": "GL-payable.borrowings", "side": "credit", "amount": "200000000"}])
    third = closed_loop(coop)
    assert (third["funding"], third["total_assets"], third["limit"], third["share_percent"],
            third["exceeded"]) == \
        ("800000000.00", "1900000000.00", "760000000.00", "42.11", True)
    assert funding_figure(coop, START_DATE) == 80_000_000_000


def test_closed_loop_at_exactly_forty_percent_is_within_the_limit(coop):
    """Capital Rp600: borrowing Rp400 makes assets Rp1,000 and funding exactly 40 %."""
    coop.call("entries.post", memo="kembali", lines=[
        {"account": "GL-equity.grants", "side": "debit", "amount": "999999400"},
        {"account": coop.CASH, "side": "credit", "amount": "999999400"}])
    coop.call("entries.post", memo="pinjaman", lines=[
        {"account": coop.CASH, "side": "debit", "amount": "400"},
        {"account": "GL-payable.borrowings", "side": "credit", "amount": "400"}])
    found = closed_loop(coop)
    assert (found["funding"], found["total_assets"], found["share_percent"],
            found["exceeded"]) == ("400.00", "1000.00", "40.00", False)


def test_closed_loop_before_anything_was_posted_and_after_the_business_date(coop):
    before = closed_loop(coop, as_of=(START_DATE - timedelta(days=1)).isoformat())
    assert (before["funding"], before["total_assets"], before["share_percent"],
            before["exceeded"]) == ("0.00", "0.00", None, False)
    with pytest.raises(ValidationError):
        closed_loop(coop, as_of=(START_DATE + timedelta(days=1)).isoformat())


# --- the migration ----------------------------------------------------------------------------


def test_migration_down_and_up_keeps_persons_as_members(coop):
    number = coop.member("Ni Luh Ayu")
    config = alembic_config(coop.kernel)
    with coop.kernel.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "k0009_apps")
    with coop.kernel.db.engine.begin() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("members")}
        assert "kind" not in columns
        assert "nib" not in columns
        assert conn.execute(select(t.members.c.nik)
                            .where(t.members.c.member_number == number)).scalar_one()
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
    member = coop.kernel.read("auditor", lambda ctx: ledger.get_member(ctx, number))
    assert (member.kind, member.membership) == (MemberKind.PERSON, Membership.MEMBER)
    coop.call("members.register", **KOPERASI)
