"""Member business apart from a non-member counterparty's, in the health ratios and the RAT
statements, checked against a hand computation.

A member and a partner cooperative served by agreement (``membership`` ``non-member``,
Permenkop 8/2023) each save and each borrow. Only the member's business is *partisipasi
anggota*; the partner's loan interest and the interest paid on its deposits are non-member
business, and its loan is taken off the loans to members (``loans.outstanding_non_members``,
reported by the loans plugin). See docs/oversight.md.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from kopcore import eod
from kopcore._oversight.scoring import percent_text
from kopcore.kernel import Kernel
from kopcore.testing import START_DATE, KernelFactory
from tests.books_support import SavingsAndWeeklyLoans

pytest.importorskip("kopcore_loans")
pytest.importorskip("kopcore_savings")

CAPITAL = 50_000_000
POKOK = 100_000
SAVED_MEMBER, SAVED_PARTNER = 2_000_000, 30_000_000
# Weekly, flat 18 % a year: P / n principal and P x 18 % / 52 interest each week.
LOAN_MEMBER, TERM_MEMBER = 5_200_000, 52  # 100,000 principal + 18,000 interest a week
LOAN_PARTNER, TERM_PARTNER = 2_600_000, 26  # 100,000 principal + 9,000 interest a week
PRINCIPAL, INTEREST_MEMBER, INTEREST_PARTNER = 100_000, 18_000, 9_000
# Interest credited to each one's sukarela (Beban Jasa Simpanan, GL 5180).
SAVINGS_INTEREST_MEMBER, SAVINGS_INTEREST_PARTNER = 6_000, 3_000
DUE = START_DATE + timedelta(days=7)  # the first weekly installment, paid on the day

PARTNER: dict[str, Any] = {
    "name": "Koperasi Produsen Tani Makmur", "kind": "koperasi", "membership": "non-member",
    "nib": "9120001234567", "npwp": "01.234.567.8-901.000", "deed_number": "12",
    "deed_date": "2015-03-02", "legal_decree_number": "AHU-0001234.AH.01.26.2015",
    "legal_decree_date": "2015-04-10", "representative_name": "I Wayan Sudarma",
    "representative_nik": "3171011508900001", "representative_position": "Ketua Pengurus",
}


def rp(value: dict[str, str]) -> int:
    """A Money payload in whole rupiah (every amount here is whole)."""
    amount = Decimal(value["amount"])
    assert amount == amount.to_integral_value()
    return int(amount)


class MemberAndPartner(SavingsAndWeeklyLoans):
    """A member with pokok and sukarela and a partner cooperative with sukarela; each borrows
    weekly, pays the first installment on its due date and is credited savings interest."""

    def __init__(self, kernel: Kernel) -> None:
        super().__init__(kernel, capital=CAPITAL, pokok=POKOK)
        self.member_number = self.member("Ni Luh Ayu")
        self.partner = str(self.call("members.register", **PARTNER)["member_number"])
        self.call("members.activate", member=self.partner)
        self.deposit(self.member_number, "POKOK", POKOK)
        self.sukarela_member = self.deposit(self.member_number, "SUKARELA", SAVED_MEMBER)
        self.sukarela_partner = self.deposit(self.partner, "SUKARELA", SAVED_PARTNER)
        self.loan_member = self.loan(self.member_number, LOAN_MEMBER, TERM_MEMBER)
        self.loan_partner = self.loan(self.partner, LOAN_PARTNER, TERM_PARTNER)
        eod.run_end_of_day(self.kernel, until=DUE)
        for loan, interest in ((self.loan_member, INTEREST_MEMBER),
                               (self.loan_partner, INTEREST_PARTNER)):
            self.call("loans.repay", as_user="teller", loan=loan,
                      amount=str(PRINCIPAL + interest), cash_account=self.CASH)
        for account, interest in ((self.sukarela_member, SAVINGS_INTEREST_MEMBER),
                                  (self.sukarela_partner, SAVINGS_INTEREST_PARTNER)):
            self.call("entries.post", memo="Jasa simpanan", lines=[
                {"account": "GL-savings.interest_expense", "side": "debit",
                 "amount": str(interest)},
                {"account": account, "side": "credit", "amount": str(interest)}])
        eod.run_end_of_day(self.kernel, until=DUE + timedelta(days=1))

    def deposit(self, member: str, product: str, amount: int) -> str:
        account = str(self.call("savings.open", as_user="teller", member=member,
                                product=product)["account"]["number"])
        self.call("savings.deposit", as_user="teller", account=account, amount=str(amount),
                  cash_account=self.CASH)
        return account


@pytest.fixture
def coop(make_kernel: KernelFactory) -> MemberAndPartner:
    return MemberAndPartner(make_kernel(plugins=("loans", "savings")))


# Hand figures on the due date, end of day closed. Both loans are current (Lancar, 0.5 %): the
# allowance is 0.5 % of each outstanding, to the rupiah per loan, booked by end of day.
OUTSTANDING_MEMBER = LOAN_MEMBER - PRINCIPAL  # 5,100,000
OUTSTANDING_PARTNER = LOAN_PARTNER - PRINCIPAL  # 2,500,000
OUTSTANDING = OUTSTANDING_MEMBER + OUTSTANDING_PARTNER  # 7,600,000
PPAP = OUTSTANDING_MEMBER * 5 // 1000 + OUTSTANDING_PARTNER * 5 // 1000  # 25,500 + 12,500
# Income: the member's loan interest is partisipasi anggota, the partner's is not.
MEMBER_INCOME = INTEREST_MEMBER  # 18,000
INCOME = INTEREST_MEMBER + INTEREST_PARTNER  # 27,000
# Expenses: the member's savings interest is beban usaha dengan anggota; the partner's savings
# interest and the PPAP (an entry touching no member's account) are the other expenses.
MEMBER_COST = SAVINGS_INTEREST_MEMBER  # 6,000
OTHER_COST = SAVINGS_INTEREST_PARTNER + PPAP  # 3,000 + 38,000 = 41,000


def test_the_partners_business_is_not_member_participation(coop: MemberAndPartner) -> None:
    assert PPAP == 38_000
    result = coop.call("health.assess", as_user="auditor", regime="perdep-06-2016",
                       as_of=DUE.isoformat())
    reported = {f["key"]: f for f in result["plugin_figures"]}
    assert rp(reported["loans.outstanding"]["amount"]) == OUTSTANDING
    assert rp(reported["loans.outstanding_non_members"]["amount"]) == OUTSTANDING_PARTNER
    assert rp(reported["loans.allowance_formed"]["amount"]) == PPAP
    # The loan book of the day marks the partner's loan, the figure's source.
    book = coop.call("loans.book", as_user="auditor", as_of=DUE.isoformat())["items"]
    assert sorted((x["membership"], rp(x["outstanding"])) for x in book) == sorted(
        [("member", OUTSTANDING_MEMBER), ("non-member", OUTSTANDING_PARTNER)])
    # The partner's deposits are funding from outside the membership, not member savings;
    # the partner is not an active member.
    assert rp(reported["members.non_member_funding"]["amount"]) \
        == SAVED_PARTNER + SAVINGS_INTEREST_PARTNER
    figures = result["ledger_figures"]
    assert rp(figures["member_savings"]) == POKOK + SAVED_MEMBER + SAVINGS_INTEREST_MEMBER
    assert figures["active_members"] == 1
    assert rp(figures["income_year_to_date"]) == INCOME
    assert rp(figures["expenses_year_to_date"]) == MEMBER_COST + OTHER_COST

    got = {i["key"]: i for i in result["indicators"]}
    expected = {
        # Partisipasi bruto / pendapatan = 18,000 / 27,000 = 66.67 %.
        "gross_participation": Fraction(MEMBER_INCOME, INCOME),
        # Beban operasi anggota / partisipasi bruto = 6,000 / 18,000 = 33.33 %.
        "member_cost_to_participation": Fraction(MEMBER_COST, MEMBER_INCOME),
        # Beban usaha / SHU kotor = 41,000 / (27,000 - 6,000) = 195.24 %.
        "business_cost_to_gross_shu": Fraction(OTHER_COST, INCOME - MEMBER_COST),
        # Pinjaman anggota / pinjaman = (7,600,000 - 2,500,000) / 7,600,000 = 67.11 %.
        "member_loans": Fraction(OUTSTANDING_MEMBER, OUTSTANDING),
    }
    for key, ratio in expected.items():
        assert got[key]["value_percent"] == percent_text(ratio * 100), key
    assert {k: got[k]["value_percent"] for k in expected} == {
        "gross_participation": "66.67", "member_cost_to_participation": "33.33",
        "business_cost_to_gross_shu": "195.24", "member_loans": "67.11"}

    def parts(key: str, side: str) -> dict[str, int]:
        return {p["source"]: rp(p["amount"]) for p in got[key][f"{side}_parts"]}

    year = f"1 Jan - {DUE}"
    assert parts("gross_participation", "numerator") == {f"GL 4141, {year}": MEMBER_INCOME}
    assert parts("gross_participation", "denominator") == {f"GL 4141, {year}": INCOME}
    assert parts("member_cost_to_participation", "numerator") == {
        f"GL 5180, {year}": MEMBER_COST}
    assert parts("business_cost_to_gross_shu", "numerator") == {
        f"GL 5141, {year}": PPAP, f"GL 5180, {year}": SAVINGS_INTEREST_PARTNER}
    assert parts("member_loans", "numerator") == {
        "figure loans.outstanding": OUTSTANDING,
        "figure loans.outstanding_non_members": -OUTSTANDING_PARTNER}
    assert parts("member_loans", "denominator") == {
        "figure loans.outstanding (loans)": OUTSTANDING}
    coop.books_balance()


def test_the_operating_results_put_the_partner_outside_member_business(
        coop: MemberAndPartner) -> None:
    rat = coop.call("statements.rat", as_user="auditor", year=DUE.year)
    op = rat["operating_results"]

    def lines(section: str) -> dict[str, tuple[int, int]]:
        return {line["code"]: (rp(line["current"]), rp(line["previous"]))
                for line in op[section]["lines"]}

    # Pendapatan: the member's loan interest is partisipasi anggota; the partner's is income
    # from non-members. Beban: the member's savings interest is beban usaha dengan anggota; the
    # partner's savings interest and the PPAP are the other expenses. No previous year.
    assert lines("member_income") == {"4141": (INTEREST_MEMBER, 0)}
    assert lines("non_member_income") == {"4141": (INTEREST_PARTNER, 0)}
    assert lines("member_expenses") == {"5180": (SAVINGS_INTEREST_MEMBER, 0)}
    assert lines("other_expenses") == {"5180": (SAVINGS_INTEREST_PARTNER, 0),
                                       "5141": (PPAP, 0)}
    # SHU of member business 18,000 - 6,000 = 12,000; the year's SHU 27,000 - 47,000.
    assert rp(op["member_surplus_current"]) == INTEREST_MEMBER - SAVINGS_INTEREST_MEMBER
    assert rp(op["surplus_current"]) == INCOME - MEMBER_COST - OTHER_COST == -20_000


def test_the_loans_to_non_members_on_a_past_date(coop: MemberAndPartner) -> None:
    """On the disbursement day the partner owed its whole loan: 2,600,000 of 7,800,000."""
    result = coop.call("health.assess", as_user="auditor", regime="perdep-06-2016",
                       as_of=START_DATE.isoformat())
    reported = {f["key"]: f for f in result["plugin_figures"]}
    assert rp(reported["loans.outstanding_non_members"]["amount"]) == LOAN_PARTNER
    got = {i["key"]: i for i in result["indicators"]}
    assert got["member_loans"]["value_percent"] == percent_text(
        Fraction(LOAN_MEMBER, LOAN_MEMBER + LOAN_PARTNER) * 100) == "66.67"
    assert date.fromisoformat(result["as_of"]) == START_DATE
