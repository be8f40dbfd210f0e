"""A KPRI for the payroll tests: two employers (DISDIK and RSUD), members with simpanan wajib
and, when loans are installed, loans; everything through the operations, as an operator would.

Business dates start on 5 January 2026. Wajib is Rp50,000 a month. A loan of Rp6,000,000 over
12 months at 12 % flat asks Rp560,000 a month (Rp500,000 principal, Rp60,000 interest); one of
Rp3,000,000 asks Rp280,000 (Rp250,000 and Rp30,000). Loans disbursed on 5 January fall due on
the 5th from February; the test closes the days to 10 March, so in March's list the February
installment is overdue and March's is current.
"""

from __future__ import annotations

import base64
import io
from datetime import date
from typing import Any

from openpyxl import load_workbook

from kopcore import eod, ledger
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import MemberDue
from kopcore.testing import Cooperative

BANK = "BANK-01"
PERIOD = "2026-03"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
APRIL = (date(2026, 4, 1), date(2026, 4, 30))


class Kpri(Cooperative):
    def __init__(self, kernel: Kernel, *, loans: bool, savings: bool = True) -> None:
        super().__init__(kernel)
        self.loans = loans
        self.savings = savings
        self.user("manager", "manager")
        self.call("accounts.open-internal", name="Bank BPD", gl_key="bank", number=BANK)
        if savings:
            self.call("savings.product-create", code="WAJIB", name="Simpanan Wajib",
                      type="wajib", amount="50000")
        if loans:
            self.call("loans.product-create", code="KPRI", name="Pinjaman Anggota",
                      method="flat", frequency="monthly", annual_rate="12",
                      min_amount="1000000", max_amount="50000000", min_term=3, max_term=24)
        for code, name, day in (("DISDIK", "Dinas Pendidikan", 20), ("RSUD", "RSUD Kabupaten", 25)):
            self.call("payroll.employer-create", code=code, name=name,
                      contact_name=f"Bendahara Gaji {code}", cut_off_day=day, bank_account=BANK)
        self.members: dict[str, str] = {}
        self.wajib: dict[str, str] = {}
        self.loan: dict[str, str] = {}

    def employee(self, name: str, employer: str, nip: str, *, loan: str | None = None,
                 start_on: date = date(2026, 1, 5)) -> str:
        number = self.member(name)
        self.members[name] = number
        if self.savings:
            self.wajib[name] = str(self.call("savings.open", member=number,
                                             product="WAJIB")["account"]["number"])
        self.call("payroll.employment-start", member=number, employer=employer,
                  employee_number=nip, start_on=start_on.isoformat())
        if loan is not None and self.loans:
            applied = self.call("loans.apply", as_user="teller", member=number, product="KPRI",
                                amount=loan, term=12)
            self.call("loans.approve", as_user="manager", loan=applied["number"])
            self.call("loans.disburse", as_user="teller", loan=applied["number"],
                      to_savings=False, cash_account=self.CASH)
            self.loan[name] = applied["number"]
        return number

    def close_days_until(self, day: date) -> None:
        eod.run_end_of_day(self.kernel, until=day)

    def member_id(self, name: str) -> int:
        number = self.members[name]
        return self.kernel.read("admin", lambda ctx: ledger.get_member(ctx, number).id)

    def dues(self, name: str, period: tuple[date, date] = MARCH) -> list[MemberDue]:
        member_id = self.member_id(name)
        return self.kernel.read("admin", lambda ctx: ledger.member_dues(ctx, [member_id],
                                                                        *period))

    def owed(self, name: str, period: tuple[date, date] = MARCH) -> dict[str, Money]:
        """What the member still owes for the month, by kind and class."""
        found: dict[str, Money] = {}
        for due in self.dues(name, period):
            key = f"{due.kind}:{due.priority.value}"
            found[key] = found.get(key, Money.zero()) + due.amount
        return found

    def balance(self, number: str) -> Money:
        return self.kernel.read("admin", lambda ctx: ledger.get_account(ctx, number).balance)

    def entry(self, entry_id: int) -> ledger.JournalEntry:
        return self.kernel.read("admin", lambda ctx: ledger.get_entry(ctx, entry_id))


def workbook_rows(document: str, sheet: str = "Potongan") -> list[list[Any]]:
    book = load_workbook(io.BytesIO(base64.b64decode(document)), data_only=True)
    return [list(row) for row in book[sheet].iter_rows(values_only=True)]


def filled_result(document: str, deducted: dict[str, int],
                  extra: list[tuple[str, str, int]] = ()) -> str:  # type: ignore[assignment]
    """The exported workbook with 'Dipotong' filled in per employee number, plus rows for
    employees the list did not have; base64, as a payroll office sends it back."""
    book = load_workbook(io.BytesIO(base64.b64decode(document)))
    sheet = book["Potongan"]
    header = [cell.value for cell in sheet[1]]
    nip, cut = header.index("No. Pegawai") + 1, header.index("Dipotong") + 1
    for row in range(2, sheet.max_row + 1):
        number = sheet.cell(row, nip).value
        if number:
            sheet.cell(row, cut).value = deducted[number]
    for number, name, amount in extra:
        sheet.append(["", number, "", name, 0, 0, 0, 0, 0, amount])
    out = io.BytesIO()
    book.save(out)
    return base64.b64encode(out.getvalue()).decode("ascii")
