"""Withholding tax on savings interest (PPh final, PP 15/2009; DOMAIN.md §2): Rp240,000 a
**month**, never a posting period or a deposit's whole term, with the monthly recap and slip."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from kopcore_savings.interest import monthly_amounts, total_amount
from kopcore_savings.products import DormantPolicy, InterestMethod, SavingsProduct, SavingsType
from savings_coop import CASH, Coop

from kopcore.errors import Forbidden, ValidationError

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def _product() -> SavingsProduct:
    # 3 %, Rp1 rounding (100 sen), 10 % above Rp240,000 (24,000,000 sen) a month.
    return SavingsProduct(
        "T", "T", SavingsType.SUKARELA, "IDR", "savings.sukarela", None, 0, 30000,
        InterestMethod.DAILY, 365, 0, 3, 100, 100000, 24000000, "savings.interest_expense",
        None, DormantPolicy.ALLOW, False, "income.other", None, 0, date(2026, 1, 5))


def sen(rupiah: str) -> Fraction:
    return Fraction(Decimal(rupiah)) * 100


def test_each_month_is_judged_on_its_own_interest() -> None:
    # A quarter of Rp230,000 a month: Rp690,000 in the posting, but no month above Rp240,000.
    under = monthly_amounts(_product(), [(m, sen("230000")) for m in (JAN, FEB, MAR)])
    assert [(m.gross, m.tax) for m in under] == [(23_000_000, 0)] * 3
    # One month above the threshold: 10 % of that month's WHOLE interest, not of the excess.
    mixed = monthly_amounts(_product(), [(JAN, sen("230000")), (FEB, sen("240000")),
                                         (MAR, sen("240001"))])
    assert [m.tax for m in mixed] == [0, 0, 2_400_000]  # Rp24,000.10 → Rp24,000
    assert total_amount(mixed).tax == 2_400_000


def test_months_add_up_to_the_period_rounded_once() -> None:
    # Rp0.40 a month each: rounded alone every month would be Rp0; the running total gives Rp1.
    months = monthly_amounts(_product(), [(m, sen("0.40")) for m in (JAN, FEB, MAR)])
    assert [m.gross for m in months] == [0, 100, 0]
    assert total_amount(months).gross == 100


@pytest.fixture
def tax_coop(coop: Coop) -> Coop:
    coop.product("SUKARELA", "sukarela")
    coop.product("TRIWULAN", "sukarela", interest_rate="3", posting_months=3)
    coop.product("DEPO-12", "berjangka", interest_rate="6", term_months=12,
                 min_balance="1000000")
    return coop


def gl(coop: Coop, key: str) -> Decimal:
    lines = {line["key"]: line for line in coop.call("reports.trial-balance")["lines"]}
    return Decimal(lines[key]["balance"]["amount"]) if key in lines else Decimal(0)


def test_a_quarterly_posting_is_taxed_month_by_month(tax_coop: Coop) -> None:
    coop = tax_coop
    assert coop.today() == date(2026, 1, 5)
    member = coop.member()
    account = coop.open(member, "TRIWULAN")
    coop.deposit(account, "100000000")
    coop.close_days_until(date(2026, 4, 1))
    # Rp100,000,000 at 3 %: Jan 5-31 (27 days) Rp221,917.81, February (28) Rp230,136.99,
    # March (31) Rp254,794.52; running totals 221,918 / 452,055 / 706,849 (half up).
    # Only March is above Rp240,000: 10 % of Rp254,794 = Rp25,479.40 → Rp25,479. Taxed on the
    # quarter as a whole, the Rp706,849 would have lost Rp70,685.
    assert Decimal(coop.balance(account)) == Decimal(100_000_000 + 706_849 - 25_479)
    assert gl(coop, "payable.tax") == Decimal(25_479)
    # The month each was earned in (by earned): how each month met the threshold.
    recap = coop.call("savings.tax-recap", month="2026-03", by="earned")
    assert recap["members_taxed"] == 1
    assert Decimal(recap["gross"]["amount"]) == Decimal(254_794)
    assert Decimal(recap["tax"]["amount"]) == Decimal(25_479)
    slip = coop.call("savings.tax-recap", month="2026-01", member=member,
                     by="earned")["members"]
    assert [(x["member"], Decimal(x["gross"]["amount"]), Decimal(x["tax"]["amount"]))
            for x in slip] == [(member, Decimal(221_918), Decimal(0))]
    february = coop.call("savings.tax-recap", month="2026-02", by="earned")
    assert Decimal(february["gross"]["amount"]) == Decimal(230_137)
    assert february["members_taxed"] == 0
    # The return (by paid, the default): the quarter is paid and its tax withheld on 31 March,
    # so March's recap has all three months, each on its own line, and January's and
    # February's have nothing.
    paid = coop.call("savings.tax-recap", month="2026-03")
    assert [(x["month"], x["paid_on"], x["gross"]["amount"], x["tax"]["amount"], x["rate"])
            for x in paid["members"][0]["accounts"]] == [
        ("2026-01", "2026-03-31", "221918.00", "0.00", "0"),
        ("2026-02", "2026-03-31", "230137.00", "0.00", "0"),
        ("2026-03", "2026-03-31", "254794.00", "25479.00", "10")]
    assert (paid["gross"]["amount"], paid["tax"]["amount"]) == ("706849.00", "25479.00")
    for month in ("2026-01", "2026-02"):
        assert coop.call("savings.tax-recap", month=month)["members"] == []
    coop.books_balance()


def test_a_time_deposit_is_taxed_per_month_not_on_its_term(tax_coop: Coop) -> None:
    # DOMAIN.md §2 / issue #23: Rp40 million at 6 % for 12 months is about Rp200,000 a month:
    # no tax is due (the whole term's Rp2,400,000 is not a month's interest).
    coop = tax_coop
    member = coop.member()
    sukarela = coop.open(member, "SUKARELA")
    placed = coop.call("savings.place-deposit", member=member, product="DEPO-12",
                       amount="40000000", source_account=CASH, instruction="payout")
    assert placed["maturity_on"] == "2027-01-05"
    assert Decimal(placed["interest_at_maturity"]["amount"]) == Decimal(2_400_000)
    coop.close_days_until(date(2027, 1, 6))
    assert Decimal(coop.balance(sukarela)) == Decimal(42_400_000)
    assert gl(coop, "payable.tax") == 0
    # The months: January 2026 (27 days) Rp177,534; a 31-day month Rp203,836 at most. Each
    # month's interest as earned (by earned); all of it is paid at maturity on 5 January 2027,
    # so by paid (the return) it is all in January 2027, month by month, none taxed.
    january = coop.call("savings.tax-recap", month="2026-01", member=member, by="earned")
    assert Decimal(january["gross"]["amount"]) == Decimal(177_534)
    total = Decimal(0)
    for month in [f"2026-{m:02d}" for m in range(1, 13)] + ["2027-01"]:
        recap = coop.call("savings.tax-recap", month=month, by="earned")
        assert Decimal(recap["gross"]["amount"]) <= Decimal(203_836), month
        assert Decimal(recap["tax"]["amount"]) == 0
        total += Decimal(recap["gross"]["amount"])
    assert total == Decimal(2_400_000)
    paid = coop.call("savings.tax-recap", month="2027-01")
    assert Decimal(paid["gross"]["amount"]) == Decimal(2_400_000)
    assert {x["paid_on"] for x in paid["members"][0]["accounts"]} == {"2027-01-05"}
    assert len(paid["members"][0]["accounts"]) == 13  # January 2026 to January 2027
    assert coop.call("savings.tax-recap", month="2026-12")["members"] == []
    coop.books_balance()


def test_a_larger_deposit_is_taxed_in_the_months_above_the_threshold(tax_coop: Coop) -> None:
    coop = tax_coop
    under, over = coop.member(), coop.member("Made")
    accounts = {m: coop.open(m, "SUKARELA") for m in (under, over)}
    for member, amount in ((under, "47000000"), (over, "48000000")):
        coop.call("savings.place-deposit", member=member, product="DEPO-12", amount=amount,
                  source_account=CASH, instruction="payout")
    coop.close_days_until(date(2027, 1, 6))
    # Rp47,000,000 at 6 %: a 31-day month earns Rp239,507.95, so no month is above the
    # threshold; Rp2,820,000 for the year untaxed.
    assert Decimal(coop.balance(accounts[under])) == Decimal(47_000_000 + 2_820_000)
    # Rp48,000,000: 31-day months earn Rp244,602.74 and are taxed (six of them: January's 27
    # days, February's 28 and the 30-day months are not).
    # Judged per month earned (by earned): the whole term is paid on 5 January 2027.
    months = [f"2026-{m:02d}" for m in range(1, 13)] + ["2027-01"]
    taxed = {m: coop.call("savings.tax-recap", month=m, member=over, by="earned")
             for m in months}
    assert sorted(m for m, r in taxed.items() if Decimal(r["tax"]["amount"])) == [
        "2026-03", "2026-05", "2026-07", "2026-08", "2026-10", "2026-12"]
    tax = sum(Decimal(r["tax"]["amount"]) for r in taxed.values())
    gross = sum(Decimal(r["gross"]["amount"]) for r in taxed.values())
    assert gross == Decimal(2_880_000)
    assert Decimal(coop.balance(accounts[over])) == Decimal(48_000_000) + gross - tax
    assert gl(coop, "payable.tax") == tax
    for r in taxed.values():
        g = Decimal(r["gross"]["amount"])
        expected = (g / 10).quantize(Decimal(1), "ROUND_HALF_UP") if g > 240_000 else 0
        assert Decimal(r["tax"]["amount"]) == expected
    coop.books_balance()


def test_the_recap_refuses_a_bad_month_and_a_member_sees_only_their_slip(
        tax_coop: Coop) -> None:
    coop = tax_coop
    coop.refused(ValidationError, "savings.tax-recap", month="2026-13")
    member, other = coop.member(), coop.member("Wayan")
    user = coop.member_user(member)
    own = coop.call("savings.tax-recap", month="2026-01", member=member, as_user=user)
    assert own["members"] == []
    for refused in ({"member": other}, {}):
        with pytest.raises(Forbidden):
            coop.call("savings.tax-recap", month="2026-01", as_user=user, **refused)


def test_a_rate_and_threshold_apply_from_the_month_they_are_dated(tax_coop: Coop) -> None:
    coop = tax_coop
    coop.refused(ValidationError, "savings.product-set-tax", product="TRIWULAN",
                 valid_from="2026-03-05", tax_rate="15", tax_threshold="250000")
    coop.refused(ValidationError, "savings.product-set-tax", product="TRIWULAN",
                 valid_from="2025-12-01", tax_rate="15", tax_threshold="250000")
    changed = coop.call("savings.product-set-tax", product="TRIWULAN",
                        valid_from="2026-03-01", tax_rate="15", tax_threshold="250000")
    assert [(c["valid_from"], c["tax_rate"], c["tax_threshold"]["amount"])
            for c in changed["tax_changes"]] == [("2026-03-01", "15", "250000.00")]
    account = coop.open(coop.member(), "TRIWULAN")
    coop.deposit(account, "100000000")
    coop.close_days_until(date(2026, 4, 1))
    # As in the quarterly example, only March (Rp254,794) is above a threshold, now the one in
    # force from March: 15 % of Rp254,794 = Rp38,219.10 → Rp38,219. January and February keep
    # the product's Rp240,000 and stay untaxed. (By earned: the quarter is paid on 31 March.)
    recap = {m: coop.call("savings.tax-recap", month=m, by="earned")
             for m in ("2026-01", "2026-02", "2026-03")}
    assert [Decimal(r["tax"]["amount"]) for r in recap.values()] == [0, 0, Decimal(38_219)]
    assert Decimal(coop.balance(account)) == Decimal(100_000_000 + 706_849 - 38_219)
