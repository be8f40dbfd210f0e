"""Group loans (tanggung renteng) in the staff web app over HTTP: the list of groups with their
arrears, the printable collection sheet of a meeting and the meeting's result entered as one
batch. The browser journey is in test_web_browser_loan_groups.py.

The worked example: product KLP-MINGGU, flat 26 % a year paid weekly (0,5 % a week, no
penalty). Ayu (the leader), Budi and Citra each borrow Rp1.200.000 over 12 weeks on the
demo's first day D: each installment is 1.200.000 / 12 = 100.000 principal plus 1.200.000 x
0,5 % = 6.000 interest, so Rp106.000 a week, the first due on D + 7.

At the first meeting (D + 7) Ayu and Budi pay their 106.000 and Citra pays nothing. At the
second meeting (D + 14) each installment due that day is 106.000 and Citra is 106.000 in
arrears, so the sheet asks 106.000 + 106.000 + (106.000 + 106.000) = 424.000, of which
installments 318.000 and arrears 106.000. Principal outstanding: 3 x 1.200.000 less Ayu's and
Budi's first 100.000 = 3.400.000.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from kopcore import eod
from kopcore.kernel import Kernel
from kopcore.testing import run_operation
from tests.web_support import client_for, demo_kernel, hidden, log_in

__all__ = ["demo_kernel", "group_with_arrears"]

GROUP = "KLP-MAWAR"
CASH = "CASH-01"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def group_with_arrears(kernel: Kernel) -> dict[str, Any]:
    """The worked example up to the second meeting's morning: the members' numbers, their
    loans and the meeting's date."""
    def call(operation: str, as_user: str = "teller", **raw: Any) -> Any:
        return run_operation(kernel, operation, raw, as_user=as_user)

    first = eod.current_business_date(kernel)
    call("loans.product-create", as_user="admin", code="KLP-MINGGU", name="Pinjaman kelompok",
         method="flat", frequency="weekly", annual_rate="26", min_amount="100000",
         max_amount="5000000", min_term=4, max_term=52, penalty_percent_per_day="0")
    members = {}
    for serial, name in enumerate(("Ayu Lestari", "Budi Santoso", "Citra Dewi"), start=1):
        number = call("members.register", name=name,
                      nik=f"317101010190{serial + 200:04d}")["member_number"]
        call("members.activate", member=number)
        members[name.split()[0].lower()] = number
    call("loans.group-create", code=GROUP, name="Kelompok Mawar", leader=members["ayu"],
         meeting_day=DAYS[first.weekday()])
    for who in ("budi", "citra"):
        call("loans.group-add-member", group=GROUP, member=members[who])
    loans = {}
    for who, member in members.items():
        number = call("loans.apply", member=member, product="KLP-MINGGU", amount="1200000",
                      term=12, group=GROUP)["number"]
        call("loans.approve", as_user="manager", loan=number)
        call("loans.disburse", loan=number, cash_account=CASH)
        loans[who] = number
    eod.run_end_of_day(kernel, until=first + timedelta(days=7))
    call("loans.group-collect", group=GROUP, cash_account=CASH, payments=[
        {"member": members["ayu"], "amount": "106000"},
        {"member": members["budi"], "amount": "106000"}])
    meeting = first + timedelta(days=14)
    eod.run_end_of_day(kernel, until=meeting)
    return {"members": members, "loans": loans, "meeting": meeting}


@pytest.fixture(scope="module")
def example(demo_kernel: Kernel) -> dict[str, Any]:
    return group_with_arrears(demo_kernel)


def shown(page: str, name: str) -> list[str]:
    return re.findall(rf'data-testid="{name}">([^<]*)', page)


def row(page: str, marker: str) -> str:
    found = re.search(rf'<tr {marker}>(.*?)</tr>', page, re.S)
    assert found, f"no row {marker}"
    return found.group(1)


def test_the_groups_list_shows_each_groups_leader_members_and_arrears(
        demo_kernel: Kernel, example: dict[str, Any]) -> None:
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        assert 'href="/app/loans/groups"' in teller.get("/app/").text
        assert 'data-testid="groups-link"' in teller.get("/app/loans").text
        page = teller.get("/app/loans/groups")
        assert page.status_code == 200
        line = row(page.text, f'data-group="{GROUP}"')
        assert "Kelompok Mawar" in line
        assert f"{example['members']['ayu']}</span> Ayu Lestari" in line
        assert "<td>Senin</td>" in line  # the demo's first day, 5 January 2026, is a Monday
        # 3 members, 3 running loans, principal 3.400.000, Citra's first week 106.000 overdue.
        assert re.findall(r'<td class="num">(\d+)</td>', line) == ["3", "3"]
        assert "Rp3.400.000,00" in line
        assert shown(line, "arrears") == ["Rp106.000,00"]
        assert f'/app/loans/groups/{GROUP}/sheet' in line
        assert f'/app/loans/groups/{GROUP}/collect' in line
    with client_for(demo_kernel) as member:
        log_in(member, "anggota")
        assert member.get("/app/loans/groups").status_code == 403


def test_the_collection_sheet_lists_what_each_member_owes_at_the_meeting(
        demo_kernel: Kernel, example: dict[str, Any]) -> None:
    loans, meeting = example["loans"], example["meeting"]
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        # Without a date: the group's next meeting on or after today, which is today.
        page = teller.get(f"/app/loans/groups/{GROUP}/sheet")
        assert page.status_code == 200
        text = page.text
        assert "Lembar Tagihan Pertemuan Kelompok" in text
        assert "Koperasi Demo Sejahtera" in text
        assert meeting == date(2026, 1, 19)
        assert shown(text, "period") == ["19 Januari 2026"]
        assert "Ayu Lestari" in text.split('data-testid="leader"')[1].split("</dd>")[0]
        # Installment due at this meeting, arrears from before, total to collect.
        for who, arrears, total in (("ayu", "Rp0,00", "Rp106.000,00"),
                                    ("budi", "Rp0,00", "Rp106.000,00"),
                                    ("citra", "Rp106.000,00", "Rp212.000,00")):
            cells = re.findall(r'<td class="num money"[^>]*>([^<]*)</td>',
                               row(text, f'data-loan="{loans[who]}"'))
            assert cells == ["Rp106.000,00", arrears, total], who
            assert row(text, f'data-loan="{loans[who]}"').count('<td class="blank"></td>') == 2
        assert shown(text, "total-installment") == ["Rp318.000,00"]
        assert shown(text, "total-arrears") == ["Rp106.000,00"]
        assert shown(text, "total") == ["Rp424.000,00"]
        signatures = text.split('data-testid="signatures"')[1]
        assert "Ketua kelompok" in signatures
        assert "Petugas" in signatures
        assert "data-print" in text
        # The next week's sheet, printed ahead: Citra's arrears now include this week's 106.000
        # (nothing is paid yet), so 106.000 + 106.000 + (106.000 + 212.000) = 530.000.
        ahead = teller.get(f"/app/loans/groups/{GROUP}/sheet",
                           params={"day": (meeting + timedelta(days=7)).isoformat()}).text
        assert shown(ahead, "total-arrears") == ["Rp424.000,00"]
        assert shown(ahead, "total") == ["Rp742.000,00"]
        assert teller.get("/app/loans/groups/KLP-TIDAK-ADA/sheet").status_code == 404


def test_the_meetings_result_is_posted_as_one_batch(demo_kernel: Kernel,
                                                    example: dict[str, Any]) -> None:
    members, loans = example["members"], example["loans"]
    ayu, budi, citra = members["ayu"], members["budi"], members["citra"]
    with client_for(demo_kernel) as teller:
        log_in(teller, "teller")
        form = teller.get(f"/app/loans/groups/{GROUP}/collect").text
        # Pre-filled with what each member owes today.
        for member, due in ((ayu, "106000.00"), (budi, "106000.00"), (citra, "212000.00")):
            assert f'name="paid_{member}" ' in form
            assert re.search(rf'name="paid_{member}"[^>]*value="{due}"', form), member
        base = {"csrf": hidden(form, "csrf"), "cash_account": CASH}
        # A member outside the group is refused, in Indonesian; nothing is posted.
        refused = teller.post(f"/app/loans/groups/{GROUP}/collect", data={
            **base, "idempotency_key": "web-grp-1", "paid_A000001": "106000"})
        assert refused.status_code == 422
        assert shown(refused.text, "error") == [
            "Masukan tidak sah. Pembayaran: hanya anggota kelompok yang membayar dalam "
            "pertemuannya"]
        unclear = teller.post(f"/app/loans/groups/{GROUP}/collect", data={
            **base, "idempotency_key": "web-grp-2", f"paid_{ayu}": "50.000"})
        assert unclear.status_code == 422
        assert "tidak jelas" in shown(unclear.text, "error")[0]
        nothing = teller.post(f"/app/loans/groups/{GROUP}/collect", data={
            **base, "idempotency_key": "web-grp-3", f"paid_{ayu}": ""})
        assert nothing.status_code == 422
        assert "isi jumlah yang dibayar" in shown(nothing.text, "error")[0].lower()
        # Ayu pays her 106.000; Budi 150.000, 44.000 beyond his own; Citra 100.000 of her
        # 212.000. Budi's 44.000 covers part of Citra's gap of 112.000 (tanggung renteng):
        # 356.000 in all.
        # The refused form keeps its key and what was typed; corrected, it is posted.
        assert hidden(nothing.text, "idempotency_key") == "web-grp-3"
        sent = {**base, "idempotency_key": hidden(nothing.text, "idempotency_key"),
                f"paid_{ayu}": "106000",
                f"paid_{budi}": "150000", f"paid_{citra}": "100.000,00"}
        done = teller.post(f"/app/loans/groups/{GROUP}/collect", data=sent)
        assert done.status_code == 200
        assert shown(done.text, "done") == [
            "Hasil pertemuan sudah dibukukan: Rp356.000,00 seluruhnya."]
        citra_row = row(done.text, f'data-loan="{loans["citra"]}"')
        assert shown(citra_row, "covered") == ["Rp44.000,00"]
        assert "Rp100.000,00" in citra_row
        assert shown(citra_row, "covers") == [f"{budi} Rp44.000,00"]
        assert shown(row(done.text, f'data-loan="{loans["budi"]}"'), "covered") == ["Rp0,00"]
        # Sent again with the same key: the same result, posted once.
        again = teller.post(f"/app/loans/groups/{GROUP}/collect", data=sent)
        assert shown(again.text, "done") == shown(done.text, "done")
        # Citra paid 144.000 of 212.000: her first installment (106.000) is paid, 38.000 of
        # today's; nothing is overdue before today. Principal repaid today: Ayu and Budi
        # 100.000 each, Citra 100.000 + (38.000 - 6.000 interest) = 132.000: 3.400.000 -
        # 332.000 = 3.068.000.
        line = row(teller.get("/app/loans/groups").text, f'data-group="{GROUP}"')
        assert shown(line, "arrears") == ["Rp0,00"]
        assert "Rp3.068.000,00" in line


def test_a_role_without_the_repayment_permission_sees_no_result_form(
        demo_kernel: Kernel, example: dict[str, Any]) -> None:
    with client_for(demo_kernel) as auditor:
        log_in(auditor, "auditor")
        # An auditor reads the groups and their sheets but enters no result.
        page = auditor.get("/app/loans/groups")
        assert page.status_code == 200
        assert f"/app/loans/groups/{GROUP}/sheet" in page.text
        assert "/collect" not in page.text
        assert auditor.get(f"/app/loans/groups/{GROUP}/collect").status_code == 403
