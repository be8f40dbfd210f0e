"""A KPRI's March deduction: the list per employer, the export, the employer's result with full,
partial and missing deductions and an unknown employee, allocated by priority in one entry per
employer batch; arrears afterwards; the same result twice; a wrong transfer; loans absent.

Worked figures (see payroll_coop.py): in March, with loans installed,

- Ayu (DISDIK 001): wajib 50,000 + overdue 560,000 + current 560,000 = 1,170,000 listed;
  700,000 deducted → wajib 50,000, February's installment 560,000, March's 90,000 (its interest
  60,000 first, then 30,000 of principal); 470,000 of March's installment stays due.
- Budi (DISDIK 002): wajib 50,000 listed and deducted.
- Citra (DISDIK 003): wajib 50,000 + 280,000 + 280,000 = 610,000 listed, nothing deducted:
  March's wajib becomes arrears, both installments stay due.
- Dewa (DISDIK 999) is not in the list: his 100,000 goes to suspense.
- Eka worked at DISDIK until she moved to RSUD on 1 March: only RSUD lists her.
- Gede left DISDIK at the end of February: no list has him.
DISDIK's transfer: 700,000 + 50,000 + 0 + 100,000 = 850,000.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import date

import pytest
import sqlalchemy as sa
from payroll_coop import APRIL, BANK, PERIOD, Kpri, filled_result, workbook_rows

from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.money import Money

rp = Money.parse


def setup_march(kpri: Kpri) -> None:
    kpri.employee("Ayu", "DISDIK", "001", loan="6000000")
    kpri.employee("Budi", "DISDIK", "002")
    kpri.employee("Citra", "DISDIK", "003", loan="3000000")
    kpri.employee("Eka", "DISDIK", "004")
    kpri.call("payroll.employment-start", member=kpri.members["Eka"], employer="RSUD",
              employee_number="R-01", start_on="2026-03-01")
    kpri.employee("Gede", "DISDIK", "005")
    kpri.call("payroll.employment-end", member=kpri.members["Gede"], end_on="2026-02-28")
    kpri.close_days_until(date(2026, 3, 10))


def listed(kpri: Kpri, employer: str) -> dict[str, tuple[str, ...]]:
    out = kpri.call("payroll.list", employer=employer, period=PERIOD)
    return {m["employee_number"]: (m["name"], m["wajib"]["amount"], m["overdue"]["amount"],
                                   m["current"]["amount"], m["total"]["amount"])
            for m in out["members"]}


def test_the_list_asks_every_plugin_and_follows_employments(kpri: Kpri) -> None:
    setup_march(kpri)
    assert listed(kpri, "DISDIK") == {
        "001": ("Ayu", "50000.00", "560000.00", "560000.00", "1170000.00"),
        "002": ("Budi", "50000.00", "0.00", "0.00", "50000.00"),
        "003": ("Citra", "50000.00", "280000.00", "280000.00", "610000.00")}
    assert listed(kpri, "RSUD") == {"R-01": ("Eka", "50000.00", "0.00", "0.00", "50000.00")}
    shown = kpri.call("payroll.show", employer="DISDIK", period=PERIOD)
    assert (shown["status"], shown["listed_total"]["amount"], shown["cut_off"]) == (
        "listed", "1830000.00", "2026-03-20")
    moves = kpri.call("payroll.employments", member=kpri.members["Eka"])["items"]
    assert [(e["employer"], e["start_on"], e["end_on"]) for e in moves] == [
        ("DISDIK", "2026-01-05", "2026-02-28"), ("RSUD", "2026-03-01", None)]


def test_the_export_is_the_documented_layout_in_xlsx_and_csv(kpri: Kpri) -> None:
    setup_march(kpri)
    kpri.call("payroll.list", employer="DISDIK", period=PERIOD)
    out = kpri.call("payroll.export", employer="DISDIK", period=PERIOD)
    assert out["filename"] == "potongan-gaji-disdik-2026-03.xlsx"
    rows = workbook_rows(out["document"])
    assert rows[0] == ["No", "No. Pegawai", "No. Anggota", "Nama", "Simpanan Wajib",
                       "Tunggakan Angsuran", "Angsuran Bulan Ini", "Lain-lain",
                       "Jumlah Potongan", "Dipotong"]
    assert [r[1:2] + r[3:9] for r in rows[1:]] == [
        ["001", "Ayu", 50000, 560000, 560000, 0, 1170000],
        ["002", "Budi", 50000, 0, 0, 0, 50000],
        ["003", "Citra", 50000, 280000, 280000, 0, 610000],
        [None, "JUMLAH", 150000, 840000, 840000, 0, 1830000]]
    details = workbook_rows(out["document"], "Rincian")
    assert len(details) == 1 + 7  # three wajib months, four installments
    csv_out = kpri.call("payroll.export", employer="DISDIK", period=PERIOD, format="csv")
    text = base64.b64decode(csv_out["document"]).decode("utf-8")
    assert text.startswith("\ufeffNo;No. Pegawai;")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert table[1] == ["1", "001", kpri.members["Ayu"], "Ayu", "50000", "560000", "560000",
                        "0", "1170000", ""]
    assert table[-1][3:9] == ["JUMLAH", "150000", "840000", "840000", "0", "1830000"]


def disdik_result(kpri: Kpri) -> str:
    """DISDIK's March result, as its payroll office sends it back (base64)."""
    kpri.call("payroll.list", employer="DISDIK", period=PERIOD)
    exported = kpri.call("payroll.export", employer="DISDIK", period=PERIOD)["document"]
    return filled_result(exported, {"001": 700000, "002": 50000, "003": 0},
                         [("999", "Dewa", 100000)])


def post_disdik(kpri: Kpri, transfer: str = "850000", result: str | None = None) -> dict:
    return dict(kpri.call("payroll.import", as_user="manager", employer="DISDIK",
                          period=PERIOD, transfer=transfer,
                          content=result if result is not None else disdik_result(kpri)))


def test_the_result_is_allocated_by_priority_in_one_balanced_entry(kpri: Kpri) -> None:
    setup_march(kpri)
    posted = post_disdik(kpri)
    assert (posted["status"], posted["transfer"]["amount"], posted["allocated"]["amount"],
            posted["suspense"]["amount"]) == ("posted", "850000.00", "750000.00", "100000.00")
    assert posted["outcomes"] == {"full": 1, "partial": 1, "missing": 1, "unknown": 1}
    assert posted["shortfall"]["amount"] == "1080000.00"
    shown = kpri.call("payroll.show", employer="DISDIK", period=PERIOD)
    assert shown["entry_ids"] == posted["entry_ids"] == [posted["entry_id"]]
    outcomes = {r["employee_number"]: (r["outcome"], r["deducted"]["amount"],
                                       r["shortfall"]["amount"]) for r in shown["results"]}
    assert outcomes == {"001": ("partial", "700000.00", "470000.00"),
                        "002": ("full", "50000.00", "0.00"),
                        "003": ("missing", "0.00", "610000.00"),
                        "999": ("unknown", "100000.00", "0.00")}
    entry = kpri.entry(posted["entry_id"])
    by_account: dict[str, int] = {}
    for p in entry.postings:
        by_account[p.account_number] = by_account.get(p.account_number, 0) + p.amount.minor
    assert sum(by_account.values()) == 0
    assert by_account[BANK] == rp("850000").minor
    assert by_account["GL-suspense"] == -rp("100000").minor
    assert by_account[kpri.wajib["Ayu"]] == -rp("50000").minor
    assert by_account[kpri.wajib["Budi"]] == -rp("50000").minor
    assert kpri.wajib["Citra"] not in by_account
    # Ayu's loan: February's principal 500,000 and 30,000 of March's; interest 120,000.
    assert by_account[kpri.loan["Ayu"]] == -rp("530000").minor
    known = {BANK, "GL-suspense", kpri.wajib["Ayu"], kpri.wajib["Budi"], kpri.loan["Ayu"]}
    interest = sum(v for k, v in by_account.items() if k not in known)  # receivable, income
    assert interest == -rp("120000").minor
    # Ayu hears of it as of any payment on the loan (an event, sent to her channel).
    told = kpri.kernel.db.read(lambda conn: conn.execute(sa.text(
        "SELECT payload FROM events WHERE type = 'loans.payment-received'")).scalars().all())
    assert [json.loads(p)["amount"] for p in told] == ["650000.00"]
    assert json.loads(told[0])["kind"] == "deduction"
    # Arrears afterwards, on the right obligations.
    assert kpri.owed("Ayu") == {"loans.installment:current": rp("470000")}
    assert kpri.owed("Budi") == {}
    assert kpri.owed("Citra") == {"savings.wajib:wajib": rp("50000"),
                                  "loans.installment:overdue": rp("280000"),
                                  "loans.installment:current": rp("280000")}
    arrears = kpri.call("savings.wajib-arrears", member=kpri.members["Citra"])
    assert arrears["items"][0]["unpaid_periods"] == ["2026-03"]
    schedule = kpri.call("loans.schedule", loan=kpri.loan["Ayu"])["installments"]
    assert [r["status"] for r in schedule[:3]] == ["paid", "open", "open"]
    short = kpri.call("payroll.shortfalls", employer="DISDIK", period=PERIOD)
    assert [(i["employee_number"], i["shortfall"]["amount"]) for i in short["items"]] == [
        ("001", "470000.00"), ("003", "610000.00"), ("999", "0.00")]
    rate = kpri.call("payroll.collection", start="2026-01", end="2026-12")["items"]
    assert [(r["employer"], r["listed"]["amount"], r["allocated"]["amount"], r["rate"])
            for r in rate] == [("DISDIK", "1830000.00", "750000.00", "40.98")]
    kpri.books_balance()


def test_the_same_result_twice_posts_once_and_another_is_refused(kpri: Kpri) -> None:
    setup_march(kpri)
    result = disdik_result(kpri)
    first = post_disdik(kpri, result=result)
    again = post_disdik(kpri, result=result)
    assert (again["replayed"], again["entry_ids"]) == (True, first["entry_ids"])
    assert kpri.balance(BANK) == rp("850000")
    with pytest.raises(Conflict):  # another result for the same batch
        kpri.call("payroll.import", as_user="manager", employer="DISDIK", period=PERIOD,
                  transfer="1830000", as_sent=True)
    assert kpri.balance(BANK) == rp("850000")
    with pytest.raises(Conflict):  # a posted list is not made again
        kpri.call("payroll.list", employer="DISDIK", period=PERIOD)


def test_as_sent_replays_and_a_wrong_transfer_writes_nothing(kpri: Kpri) -> None:
    setup_march(kpri)
    kpri.call("payroll.list", employer="RSUD", period=PERIOD)
    with pytest.raises(ValidationError, match="transfer"):
        kpri.call("payroll.import", as_user="manager", employer="RSUD", period=PERIOD,
                  transfer="40000", as_sent=True)
    assert kpri.balance(BANK) == rp("0")
    posted = kpri.call("payroll.import", as_user="manager", employer="RSUD", period=PERIOD,
                       transfer="50000", as_sent=True)
    again = kpri.call("payroll.import", as_user="manager", employer="RSUD", period=PERIOD,
                      transfer="50000", as_sent=True)
    assert (again["replayed"], again["entry_id"]) == (True, posted["entry_id"])
    assert kpri.balance(BANK) == rp("50000")
    assert kpri.balance(kpri.wajib["Eka"]) == rp("50000")
    kpri.books_balance()


def test_bad_input_is_refused_with_a_typed_error(kpri: Kpri) -> None:
    setup_march(kpri)
    kpri.call("payroll.list", employer="DISDIK", period=PERIOD)
    for raw, error in (
            ({"content": base64.b64encode(b"No. Pegawai;Dipotong\r\n001;abc\r\n").decode()},
             ValidationError),
            ({"content": base64.b64encode(b"No. Pegawai;Dipotong\r\n001;5\r\n001;5\r\n")
              .decode()}, ValidationError),
            ({"content": base64.b64encode(b"Nama;Jumlah\r\nAyu;5\r\n").decode()},
             ValidationError),
            ({"content": "not base64!"}, ValidationError),
            ({}, ValidationError)):
        with pytest.raises(error):
            kpri.call("payroll.import", as_user="manager", employer="DISDIK", period=PERIOD,
                      transfer="10", **raw)
    with pytest.raises(NotFound):
        kpri.call("payroll.list", employer="NOPE", period=PERIOD)
    with pytest.raises(ValidationError):
        kpri.call("payroll.list", employer="DISDIK", period="2026-13")
    with pytest.raises(ValidationError):
        kpri.call("payroll.employer-create", code="X", name="X", contact_name="X",
                  bank_account=kpri.wajib["Ayu"])
    with pytest.raises(ValidationError):
        kpri.call("payroll.employer-update", code="DISDIK", priority="wajib,other")
    with pytest.raises(Conflict):  # NIP 001 of DISDIK is Ayu's
        kpri.call("payroll.employment-start", member=kpri.members["Budi"], employer="DISDIK",
                  employee_number="001")
    assert kpri.balance(BANK) == rp("0")


def test_a_csv_result_with_loans_absent(kpri_without_loans: Kpri) -> None:
    kpri = kpri_without_loans
    setup_march(kpri)
    assert listed(kpri, "DISDIK") == {
        "001": ("Ayu", "50000.00", "0.00", "0.00", "50000.00"),
        "002": ("Budi", "50000.00", "0.00", "0.00", "50000.00"),
        "003": ("Citra", "50000.00", "0.00", "0.00", "50000.00")}
    result = "No. Pegawai;Nama;Dipotong\r\n001;Ayu;50.000,00\r\n002;Budi;20000\r\n999;Dewa;5000\r\n"
    posted = kpri.call("payroll.import", as_user="manager", employer="DISDIK", period=PERIOD,
                       transfer="75000", content=base64.b64encode(result.encode()).decode())
    assert posted["suspense"]["amount"] == "5000.00"
    shown = kpri.call("payroll.show", employer="DISDIK", period=PERIOD)
    assert {r["employee_number"]: r["outcome"] for r in shown["results"]} == {
        "001": "full", "002": "partial", "003": "missing", "999": "unknown"}
    assert kpri.balance(kpri.wajib["Budi"]) == rp("20000")
    assert kpri.owed("Budi") == {"savings.wajib:wajib": rp("30000")}
    assert kpri.owed("Citra") == {"savings.wajib:wajib": rp("50000")}
    assert kpri.balance("GL-suspense") == rp("5000")
    kpri.books_balance()


def test_savings_absent_over_two_months_the_shortfall_is_next_months_arrears(
        kpri_without_savings: Kpri) -> None:
    kpri = kpri_without_savings
    setup_march(kpri)
    assert listed(kpri, "DISDIK") == {
        "001": ("Ayu", "0.00", "560000.00", "560000.00", "1120000.00"),
        "003": ("Citra", "0.00", "280000.00", "280000.00", "560000.00")}
    result = "No. Pegawai;Dipotong\r\n001;700000\r\n003;280000\r\n002;50000\r\n"
    posted = kpri.call("payroll.import", as_user="manager", employer="DISDIK", period=PERIOD,
                       transfer="1030000", content=base64.b64encode(result.encode()).decode())
    # Budi owes nothing here (no savings): he is not listed, his 50,000 waits in suspense.
    assert (posted["allocated"]["amount"], posted["suspense"]["amount"]) == (
        "980000.00", "50000.00")
    assert kpri.owed("Ayu") == {"loans.installment:current": rp("420000")}
    assert kpri.owed("Citra") == {"loans.installment:current": rp("280000")}
    # April: what March left is overdue, April's installment current.
    kpri.close_days_until(date(2026, 4, 10))
    out = kpri.call("payroll.list", employer="DISDIK", period="2026-04")
    assert {m["employee_number"]: (m["overdue"]["amount"], m["current"]["amount"])
            for m in out["members"]} == {"001": ("420000.00", "560000.00"),
                                         "003": ("280000.00", "280000.00")}
    april = kpri.call("payroll.import", as_user="manager", employer="DISDIK", period="2026-04",
                      transfer="1540000", as_sent=True)
    assert april["outcomes"] == {"full": 2}
    assert kpri.owed("Ayu", APRIL) == {}
    assert kpri.owed("Citra", APRIL) == {}
    rates = kpri.call("payroll.collection", start="2026-03", end="2026-04")["items"]
    assert [(r["period"], r["rate"]) for r in rates] == [("2026-03", "58.33"),
                                                        ("2026-04", "100.00")]
    kpri.books_balance()


def test_a_batch_above_the_entry_size_is_several_balanced_entries(
        kpri: Kpri, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry holds at most 10,000 postings: a large batch is split by member (never inside
    one), in one transaction. Here two settlements an entry stand for 2,400."""
    import kopcore_payroll.batches as payroll_batches

    monkeypatch.setattr(payroll_batches, "SETTLEMENTS_PER_ENTRY", 2)
    setup_march(kpri)
    posted = post_disdik(kpri)
    # Ayu (3 dues), Budi, Citra (3 dues, nothing deducted: no entry), Dewa
    assert len(posted["entry_ids"]) == 3
    assert posted["entry_id"] == posted["entry_ids"][0]
    bank = 0
    for entry_id in posted["entry_ids"]:
        entry = kpri.entry(entry_id)
        assert sum(p.amount.minor for p in entry.postings) == 0
        bank += sum(p.amount.minor for p in entry.postings if p.account_number == BANK)
    assert bank == rp("850000").minor
    shown = kpri.call("payroll.show", employer="DISDIK", period=PERIOD)
    by_member = {r["employee_number"]: r["entry_id"] for r in shown["results"]}
    assert by_member["003"] is None
    assert len({by_member[n] for n in ("001", "002", "999")}) == 3
    assert kpri.owed("Ayu") == {"loans.installment:current": rp("470000")}
    kpri.books_balance()
