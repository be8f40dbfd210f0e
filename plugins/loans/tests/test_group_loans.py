"""Group loans (tanggung renteng, DOMAIN.md §9): a group with a leader and a meeting day, the
meeting's collection sheet, its result entered as one batch with members' shortfalls covered by
what the others paid beyond their own dues, and the group's arrears and collectibility."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from kopcore_loans.groups import JointLiability, cover
from loans_coop import CASH, LoansCoop

from kopcore.errors import Conflict, Forbidden, ValidationError
from kopcore.kernel import Kernel


@pytest.fixture
def coop(loans_kernel: Kernel) -> LoansCoop:
    c = LoansCoop(loans_kernel)
    # Weekly, flat 26 % a year = 0.5 % a week: 1,200,000 over 12 weeks is 100,000 + 6,000.
    c.product("KELOMPOK", frequency="weekly", annual_rate="26")
    return c


def rp(payload: dict[str, str]) -> Decimal:
    return Decimal(payload["amount"])


def by_member(result: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal, list[str]]]:
    return {x["member_number"]: (rp(x["own"]), rp(x["covered_by_group"]), x["covered_by"])
            for x in result["loans"]}


def test_a_meeting_collects_under_joint_liability(coop: LoansCoop) -> None:
    ayu, budi, citra, outsider = (coop.member(n) for n in ("Ayu", "Budi", "Citra", "Dewa"))
    coop.refused(ValidationError, "loans.group-create", code="KLP-MAWAR", name="Mawar",
                 leader=ayu, meeting_day="someday")
    made = coop.call("loans.group-create", as_user="teller", code="KLP-MAWAR",
                     name="Kelompok Mawar", leader=ayu, meeting_day="monday")
    assert made["members"] == [ayu]
    for m in (budi, citra):
        coop.call("loans.group-add-member", as_user="teller", group="KLP-MAWAR", member=m)
    coop.refused(Conflict, "loans.group-add-member", group="KLP-MAWAR", member=budi)
    coop.refused(ValidationError, "loans.apply", member=outsider, product="KELOMPOK",
                 amount="1200000", term=12, group="KLP-MAWAR")
    loans = {}
    for m in (ayu, budi, citra):
        number = coop.call("loans.apply", as_user="teller", member=m, product="KELOMPOK",
                           amount="1200000", term=12, group="KLP-MAWAR")["number"]
        coop.call("loans.approve", as_user="manager", loan=number)
        coop.call("loans.disburse", as_user="teller", loan=number, cash_account=CASH)
        loans[m] = number
    assert coop.get(loans[budi])["group"] == "KLP-MAWAR"

    # First meeting, Monday 12 January: each loan asks its first installment. The teller prints
    # the sheet; a member may not read the group's.
    coop.close_days_until(date(2026, 1, 12))
    with pytest.raises(Forbidden):
        coop.call("loans.group-sheet", group="KLP-MAWAR", as_user=coop.member_user(ayu))
    sheet = coop.call("loans.group-sheet", group="KLP-MAWAR", as_user="teller")
    assert [(x["member_number"], rp(x["due"])) for x in sheet["lines"]] == [
        (ayu, Decimal(106_000)), (budi, Decimal(106_000)), (citra, Decimal(106_000))]
    assert rp(sheet["total_due"]) == Decimal(318_000)
    coop.refused(ValidationError, "loans.group-collect", group="KLP-MAWAR", cash_account=CASH,
                 payments=[{"member": outsider, "amount": "106000"}])
    # Citra is 44,000 short; Budi brought 44,000 more than his own installment: it covers her.
    result = coop.call("loans.group-collect", as_user="teller", group="KLP-MAWAR",
                       cash_account=CASH, payments=[
                           {"member": ayu, "amount": "106000"},
                           {"member": budi, "amount": "150000"},
                           {"member": citra, "amount": "62000"}])
    assert rp(result["total"]) == Decimal(318_000)
    assert by_member(result) == {
        ayu: (Decimal(106_000), Decimal(0), []),
        budi: (Decimal(106_000), Decimal(0), []),
        citra: (Decimal(62_000), Decimal(44_000), [budi])}
    assert all(rp(x["overdue_left"]) == 0 for x in result["loans"])
    history = coop.call("loans.history", loan=loans[citra])["events"]
    assert "tanggung renteng" in history[-1]["note"]

    # Second meeting: Budi is absent and nobody covers him: his installment stays in arrears.
    coop.close_days_until(date(2026, 1, 19))
    coop.call("loans.group-collect", as_user="teller", group="KLP-MAWAR", cash_account=CASH,
              payments=[{"member": ayu, "amount": "106000"},
                        {"member": citra, "amount": "106000"}])
    coop.close_days_until(date(2026, 1, 26))
    group = coop.call("loans.group-get", group="KLP-MAWAR")
    assert rp(group["overdue"]) == Decimal(106_000)
    assert [x["days_past_due"] for x in group["loans"]] == [0, 6, 0]
    # Third meeting: Ayu pays for Budi's oldest arrears too; Budi still owes this week's.
    sheet = coop.call("loans.group-sheet", group="KLP-MAWAR")
    assert [rp(x["due"]) for x in sheet["lines"]] == [Decimal(106_000), Decimal(212_000),
                                                      Decimal(106_000)]
    result = coop.call("loans.group-collect", as_user="teller", group="KLP-MAWAR",
                       cash_account=CASH, payments=[{"member": ayu, "amount": "212000"},
                                                    {"member": citra, "amount": "106000"}])
    assert by_member(result)[budi] == (Decimal(0), Decimal(106_000), [ayu])
    coop.close_days_until(date(2026, 1, 27))
    group = coop.call("loans.group-get", group="KLP-MAWAR")
    assert rp(group["overdue"]) == Decimal(106_000)  # Budi's 26 January installment
    assert group["collectibility"] == "L"
    # Principal repaid: Ayu and Citra 3 x 100,000 each; Budi 100,000 and, of the 106,000 Ayu
    # covered, 94,000 (interest of both due installments first: 2 x 6,000).
    assert rp(group["outstanding_principal"]) == Decimal(3_600_000 - 794_000)

    # Fourth meeting: only Citra comes, with 500,000: her own 106,000, then the oldest arrears
    # first — Budi's 212,000 (last week's and this week's), Ayu's 106,000 — and the 76,000
    # left prepays her own loan.
    coop.close_days_until(date(2026, 2, 2))
    result = coop.call("loans.group-collect", as_user="teller", group="KLP-MAWAR",
                       cash_account=CASH, payments=[{"member": citra, "amount": "500000"}])
    assert by_member(result) == {
        ayu: (Decimal(0), Decimal(106_000), [citra]),
        budi: (Decimal(0), Decimal(212_000), [citra]),
        citra: (Decimal(182_000), Decimal(0), [])}
    assert rp(coop.call("loans.group-get", group="KLP-MAWAR")["overdue"]) == 0
    coop.books_balance()


def test_the_cover_rule_shares_or_takes_in_turn() -> None:
    rupiah = 100  # minor units
    spare = [(1, 30_000 * rupiah), (2, 30_000 * rupiah), (3, 0)]
    assert cover(44_000 * rupiah, spare, JointLiability.EQUAL, rupiah) == [
        (1, 22_000 * rupiah), (2, 22_000 * rupiah)]
    assert cover(44_000 * rupiah, spare, JointLiability.IN_ORDER, rupiah) == [
        (1, 30_000 * rupiah), (2, 14_000 * rupiah)]
    # What one cannot bear is shared among the rest; the odd rupiah to the earlier member.
    assert cover(44_001 * rupiah, [(1, 10_000 * rupiah), (2, 50_000 * rupiah),
                                   (3, 50_000 * rupiah)], JointLiability.EQUAL, rupiah) == [
        (1, 10_000 * rupiah), (2, 17_001 * rupiah), (3, 17_000 * rupiah)]
    # Never more than the gap nor than what they brought; a sen fraction to the first.
    assert cover(1_050, [(1, 100_000), (2, 100_000)], JointLiability.EQUAL, rupiah) == [
        (1, 550), (2, 500)]
    assert cover(10_000 * rupiah, [(1, 3_000 * rupiah), (2, 2_000 * rupiah)],
                 JointLiability.EQUAL, rupiah) == [(1, 3_000 * rupiah), (2, 2_000 * rupiah)]


@pytest.mark.parametrize(("rule", "covers"), [
    ("equal", [(1, "22000.00"), (2, "22000.00")]),
    ("in-order", [(1, "30000.00"), (2, "14000.00")])])
def test_a_groups_rule_decides_who_covers_how_much(coop: LoansCoop, rule: str,
                                                   covers: list[tuple[int, str]]) -> None:
    """Citra is Rp44,000 short; Ayu and Budi each brought Rp30,000 more than their own
    installment (Rp106,000). Under the equal rule each covers Rp22,000 and prepays Rp8,000 of
    their own loan; in order Ayu covers Rp30,000 and Budi the Rp14,000 left."""
    ayu, budi, citra = (coop.member(n) for n in ("Ayu", "Budi", "Citra"))
    made = coop.call("loans.group-create", as_user="teller", code="KLP-MELATI",
                     name="Kelompok Melati", leader=ayu, meeting_day="monday",
                     joint_liability=rule)
    assert made["joint_liability"] == rule
    for m in (budi, citra):
        coop.call("loans.group-add-member", as_user="teller", group="KLP-MELATI", member=m)
    for m in (ayu, budi, citra):
        number = coop.call("loans.apply", as_user="teller", member=m, product="KELOMPOK",
                           amount="1200000", term=12, group="KLP-MELATI")["number"]
        coop.call("loans.approve", as_user="manager", loan=number)
        coop.call("loans.disburse", as_user="teller", loan=number, cash_account=CASH)
    coop.close_days_until(date(2026, 1, 12))
    result = coop.call("loans.group-collect", as_user="teller", group="KLP-MELATI",
                       cash_account=CASH, payments=[{"member": ayu, "amount": "136000"},
                                                    {"member": budi, "amount": "136000"},
                                                    {"member": citra, "amount": "62000"}])
    lines = {x["member_number"]: x for x in result["loans"]}
    who = [ayu, budi]
    assert [(who.index(c["member_number"]) + 1, c["amount"]["amount"])
            for c in lines[citra]["covers"]] == covers
    assert rp(lines[citra]["covered_by_group"]) == Decimal(44_000)
    assert [rp(lines[m]["own"]) for m in who] == [
        Decimal(136_000) - Decimal(amount) for _, amount in covers]
    coop.books_balance()
