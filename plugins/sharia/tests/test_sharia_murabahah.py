"""Murabahah (PSAK 102): the DOMAIN.md §6 worked example exactly, rounding, down payment, early
settlement with muqasah, refusals that change nothing, and member exit."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from kopcore_sharia.murabahah import Recognition, implied_rate, schedule, settle_early
from sharia_coop import CASH, Coop

from kopcore.errors import (
    Conflict,
    ExitRefused,
    Forbidden,
    InsufficientFunds,
    NotFound,
    ValidationError,
)
from kopcore.money import Money

INVENTORY = "GL-sharia.murabahah_inventory"
DEFERRED = "GL-sharia.murabahah_deferred_margin"
INCOME = "GL-sharia.murabahah_margin_income"


def contract(coop: Coop, member: str, **terms: str | int) -> dict:
    """The cooperative buys the goods for 10,000,000, then sells them to the member."""
    raw = {"member": member, "acquisition": coop.acquire(member, "10000000"),
           "margin": "2000000", "installments": 10, **terms}
    if "down_payment" in terms:
        raw["cash_account"] = CASH
    return dict(coop.call("sharia.murabahah-contract", as_user="teller", **raw))


def gl_balances(coop: Coop) -> tuple[int, int, int]:
    """Rupiah on each GL account's own side: receivable (debit), deferred margin (credit, a
    contra-asset) and margin income (credit), summed over every account rolling up to it."""
    net = coop.gl_net()
    return (net.get("sharia.murabahah_receivable", 0) // 100,
            -net.get("sharia.murabahah_deferred_margin", 0) // 100,
            -net.get("sharia.murabahah_margin_income", 0) // 100)


def test_the_last_installment_absorbs_the_rounding_remainder() -> None:
    # Rp1,000,001 cost + Rp100,000 margin over 3: 366,667 each; margin 33,333, 33,333, 33,334.
    rows = schedule(cost=100_000_100, margin=10_000_000, down_payment=0, installments=3,
                    rounding_unit=100, contract_on=date(2026, 1, 31))
    assert [r.total for r in rows] == [36_666_700, 36_666_700, 36_666_700]
    assert [r.margin for r in rows] == [3_333_300, 3_333_300, 3_333_400]
    assert sum(r.principal for r in rows) == 100_000_100
    assert [r.due_on for r in rows] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    # Rounding to Rp100: 1,000,000 / 3 gives 333,300 twice; the last takes 333,400.
    rows = schedule(cost=80_000_000, margin=20_000_000, down_payment=0, installments=3,
                    rounding_unit=10_000, contract_on=date(2026, 1, 5))
    assert [r.total for r in rows] == [33_330_000, 33_330_000, 33_340_000]
    assert sum(r.margin for r in rows) == 20_000_000


@pytest.mark.parametrize("terms", [
    {"cost": 1, "margin": 0, "down_payment": 0, "installments": 3, "rounding_unit": 100},
    {"cost": 100, "margin": 5, "down_payment": 100, "installments": 1, "rounding_unit": 1},
    {"cost": 100, "margin": -1, "down_payment": 0, "installments": 1, "rounding_unit": 1},
])
def test_impossible_terms_are_refused(terms: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        schedule(contract_on=date(2026, 1, 5), **terms)


@pytest.mark.parametrize(("cost", "margin", "margins"), [
    # 3 x Rp1,331,000 repays Rp3,310,000 at exactly 10 % a month (3,310,000 x 0.1 / (1 -
    # 1.1^-3) = 1,331,000): margins 331,000, then (3,310,000 - 1,000,000) x 10 % = 231,000,
    # then (2,310,000 - 1,100,000) x 10 % = 121,000.
    (3_310_000, 683_000, [331_000, 231_000, 121_000]),
    # 2 x Rp1,800,000 repays Rp800,000 at 200 % a month (800,000 x 2 / (1 - 3^-2)): margins
    # 1,600,000 then (800,000 - 200,000) x 200 % = 1,200,000.
    (800_000, 2_800_000, [1_600_000, 1_200_000]),
    (900_000, 0, [0, 0, 0]),  # no margin: a rate of exactly 0
])
def test_annuity_margins_at_a_rate_that_can_be_checked_by_hand(cost: int, margin: int,
                                                               margins: list[int]) -> None:
    rows = schedule(cost=cost * 100, margin=margin * 100, down_payment=0,
                    installments=len(margins), rounding_unit=100,
                    contract_on=date(2026, 1, 5), recognition=Recognition.ANNUITY)
    assert [r.margin // 100 for r in rows] == margins
    each = (cost + margin) // len(margins)
    assert [r.principal // 100 for r in rows] == [each - m for m in margins]


def test_the_implied_rate_is_exact_to_far_below_a_sen() -> None:
    # Found to 1e-30, as documented: far below what could move a sen of margin.
    rate = implied_rate(331_000_000, Fraction(133_100_000), 3)
    assert abs(rate - Fraction(1, 10)) < Fraction(1, 10**30)
    assert abs(implied_rate(80_000_000, Fraction(180_000_000), 2) - 2) < Fraction(1, 10**30)
    # An installment in fractions of a sen (financed / n need not be whole): 3 x 133.1 sen
    # repay 331 sen at exactly 10 % a month (331 x 0.1 / (1 - 1.1^-3) = 133.1).
    rate = implied_rate(331, Fraction(1331, 10), 3)
    assert abs(rate - Fraction(1, 10)) < Fraction(1, 10**30)
    # Payments that only return the principal carry no margin: exactly 0, no search.
    assert implied_rate(90_000_000, Fraction(30_000_000), 3) == 0


def test_annuity_margins_when_each_installment_equals_the_principal() -> None:
    # 2 x Rp1,000,000 repay Rp1,000,000: 1,000,000 = 1,000,000 x (1 - (1 + r)^-2) / r gives
    # r^2 + r = 1, so r = (sqrt 5 - 1) / 2 = 0.618034 (61.8 % a month). Installment 1 carries
    # 1,000,000 x r = 618,034 of margin; installment 2 the rest, 381,966 (= 618,034 x r).
    rows = schedule(cost=100_000_000, margin=100_000_000, down_payment=0, installments=2,
                    rounding_unit=100, contract_on=date(2026, 1, 5),
                    recognition=Recognition.ANNUITY)
    assert [(r.principal // 100, r.margin // 100) for r in rows] == [
        (381_966, 618_034), (618_034, 381_966)]
    rate = implied_rate(100_000_000, Fraction(100_000_000), 2)
    assert abs(rate * rate + rate - 1) < Fraction(1, 10**29)


@pytest.mark.parametrize(("terms", "message"), [
    ({"cost": 0}, "cost must be positive"),
    ({"margin": -1}, "margin may not be negative"),
    ({"down_payment": -1}, "down payment"),
    ({"down_payment": 100}, "down payment"),  # all of the cost
    ({"installments": 0}, "installments: 1-360"),
    ({"installments": 361}, "installments: 1-360"),
    ({"rounding_unit": 0}, "rounding unit must be positive"),
    ({"rounding_unit": -1}, "rounding unit must be positive"),
    # Rp5 of margin over 4 at a unit of 2: 5/4 = 1.25 -> 2 each, the last 5 - 6 = -1.
    ({"margin": 5, "installments": 4, "rounding_unit": 2}, "amounts too small"),
])
def test_each_impossible_term_is_refused_by_name(terms: dict[str, int], message: str) -> None:
    given = {"cost": 100, "margin": 0, "down_payment": 0, "installments": 1,
             "rounding_unit": 1} | terms
    with pytest.raises(ValidationError, match=message):
        schedule(contract_on=date(2026, 1, 5), **given)


def test_the_smallest_possible_terms_are_accepted() -> None:
    def sen(rows: list) -> list[tuple[int, int]]:
        return [(r.principal, r.margin) for r in rows]

    day = date(2026, 1, 5)
    # One sen of cost in one installment; three sen in three installments of one sen each.
    assert sen(schedule(cost=1, margin=0, down_payment=0, installments=1, rounding_unit=1,
                        contract_on=day)) == [(1, 0)]
    assert sen(schedule(cost=3, margin=0, down_payment=0, installments=3, rounding_unit=1,
                        contract_on=day)) == [(1, 0)] * 3
    # 1 sen cost + 1 sen margin over 2: 1/2 rounds up, so the first installment is all margin.
    assert sen(schedule(cost=1, margin=1, down_payment=0, installments=2, rounding_unit=1,
                        contract_on=day)) == [(0, 1), (1, 0)]
    assert len(schedule(cost=36_000, margin=0, down_payment=0, installments=360,
                        rounding_unit=1, contract_on=day)) == 360


def test_annuity_margins_follow_the_financed_principal_after_a_down_payment() -> None:
    # Cost 3,410,000 less a 100,000 down payment: 3,310,000 financed at 10 % a month, the
    # margins of the first case above.
    rows = schedule(cost=341_000_000, margin=68_300_000, down_payment=10_000_000,
                    installments=3, rounding_unit=100, contract_on=date(2026, 1, 5),
                    recognition=Recognition.ANNUITY)
    assert [r.margin // 100 for r in rows] == [331_000, 231_000, 121_000]


def test_the_domain_example_exactly(coop: Coop) -> None:
    member = coop.member()
    made = contract(coop, member)
    number = made["murabahah"]["account"]["number"]
    assert made["murabahah"]["selling_price"]["amount"] == "12000000.00"
    postings = {(p["account"], p["side"]): p["amount"]["amount"]
                for p in made["entry"]["postings"]}
    # The goods bought for 10,000,000 leave inventory at cost.
    assert postings == {(number, "debit"): "12000000.00", (INVENTORY, "credit"): "10000000.00",
                        (DEFERRED, "credit"): "2000000.00"}
    assert coop.balance(CASH) == "990000000.00"  # paid to the supplier at the acquisition
    # At contract: receivable 12,000,000 and deferred margin (contra-asset) 2,000,000.
    assert gl_balances(coop) == (12000000, 2000000, 0)
    assert coop.balance(number) == "12000000.00"

    rows = coop.call("sharia.murabahah-schedule", account=number)["installments"]
    assert len(rows) == 10
    assert {(r["principal"]["amount"], r["margin"]["amount"], r["total"]["amount"])
            for r in rows} == {("1000000.00", "200000.00", "1200000.00")}
    assert rows[0]["due_on"] == "2026-02-05"
    assert rows[-1]["due_on"] == "2026-11-05"

    for paid in range(1, 11):
        out = coop.call("sharia.murabahah-pay", as_user="teller", account=number,
                        cash_account=CASH)
        lines = {(p["account"], p["side"]): p["amount"]["amount"]
                 for p in out["entry"]["postings"]}
        # Each installment moves Rp200,000 from deferred margin to margin income.
        assert lines == {(CASH, "debit"): "1200000.00", (number, "credit"): "1200000.00",
                         (DEFERRED, "debit"): "200000.00", (INCOME, "credit"): "200000.00"}
        assert gl_balances(coop) == (12000000 - 1200000 * paid, 2000000 - 200000 * paid,
                                     200000 * paid)
        coop.books_balance()
    detail = coop.call("sharia.murabahah-detail", account=number)
    assert detail["status"] == "settled"
    assert detail["account"]["status"] == "closed"
    assert detail["margin_recognised"]["amount"] == "2000000.00"
    assert detail["next_installment"] is None
    coop.refused(Conflict, "sharia.murabahah-pay", account=number, cash_account=CASH)


def test_down_payment_reduces_the_receivable_not_the_margin(coop: Coop) -> None:
    member = coop.member()
    made = contract(coop, member, down_payment="2000000", installments=4)
    number = made["murabahah"]["account"]["number"]
    # Price 12,000,000 less urbun 2,000,000: receivable 10,000,000; the cash paid out is the
    # cost net of the urbun.
    assert coop.balance(number) == "10000000.00"
    assert gl_balances(coop)[1] == 2000000
    assert coop.balance(CASH) == "992000000.00"
    first = coop.call("sharia.murabahah-detail", account=number)["next_installment"]
    assert (first["total"]["amount"], first["margin"]["amount"]) == ("2500000.00", "500000.00")
    coop.books_balance()


def test_early_settlement_with_muqasah(coop: Coop) -> None:
    member = coop.member()
    number = contract(coop, member)["murabahah"]["account"]["number"]
    for _ in range(4):
        coop.call("sharia.murabahah-pay", account=number, cash_account=CASH)
    # Outstanding 7,200,000 of which 1,200,000 unrecognised margin; muqasah at most that.
    coop.refused(ValidationError, "sharia.muqasah-propose", account=number, cash_account=CASH,
                 discount="1200001")
    proposed = coop.call("sharia.muqasah-propose", as_user="teller", account=number,
                         cash_account=CASH, discount="300000", memo="Pelunasan dari panen")
    assert proposed["status"] == "pending"
    assert gl_balances(coop) == (7200000, 1200000, 800000)  # nothing posts before approval
    # Maker-checker: the proposer may not approve it; a manager does.
    coop.refused(Forbidden, "sharia.proposal-approve", as_user="teller", proposal=proposed["id"])
    out = coop.approve(proposed["id"])
    assert out["proposal"]["status"] == "approved"
    assert out["proposal"]["checker"] == "manager2"
    paid = {(p["account"], p["side"]): p["amount"]["amount"] for p in out["entry"]["postings"]}
    # The member pays 7,200,000 - 300,000; margin income gets 1,200,000 - 300,000.
    assert paid == {(number, "credit"): "7200000.00", (CASH, "debit"): "6900000.00",
                    (DEFERRED, "debit"): "1200000.00", (INCOME, "credit"): "900000.00"}
    detail = coop.call("sharia.murabahah-detail", account=number)
    assert detail["muqasah"]["amount"] == "300000.00"
    assert detail["status"] == "settled"
    assert detail["margin_recognised"]["amount"] == "1700000.00"
    assert gl_balances(coop) == (0, 0, 1700000)
    coop.books_balance()
    coop.refused(Conflict, "sharia.murabahah-settle", account=number, cash_account=CASH)
    coop.refused(Conflict, "sharia.proposal-approve", proposal=proposed["id"])


def test_early_settlement_without_discount(coop: Coop) -> None:
    number = contract(coop, coop.member())["murabahah"]["account"]["number"]
    coop.call("sharia.murabahah-pay", account=number, cash_account=CASH)
    out = coop.call("sharia.murabahah-settle", account=number, cash_account=CASH)
    assert out["paid"]["amount"] == "10800000.00"
    assert gl_balances(coop) == (0, 0, 2000000)
    coop.books_balance()


def test_refusals_change_nothing(coop: Coop) -> None:
    member = coop.member()
    goods = coop.acquire(member, "1000")
    coop.refused(NotFound, "sharia.murabahah-contract", member="A999999", acquisition=goods,
                 margin="100", installments=2)
    coop.refused(ValidationError, "sharia.murabahah-contract", member=member,
                 acquisition=goods, margin="100", installments=2, cash_account=CASH,
                 down_payment="1000")
    coop.refused(ValidationError, "sharia.murabahah-acquire", member=member, asset=" ",
                 cost="1000", cash_account=CASH, supplier="Toko", document="Faktur 1")
    coop.refused(NotFound, "sharia.murabahah-pay", account=CASH, cash_account=CASH)
    # Not enough cash in the paying account: the goods are not bought.
    coop.call("accounts.open-internal", name="Kas kosong", gl_key="cash", number="CASH-EMPTY",
              floor="0")
    coop.refused(InsufficientFunds, "sharia.murabahah-acquire", member=member, asset="x",
                 cost="1000", cash_account="CASH-EMPTY", supplier="Toko", document="Faktur 1")
    listed = coop.call("sharia.murabahah-acquisitions", as_user="auditor")["acquisitions"]
    assert [(a["id"], a["status"]) for a in listed] == [(goods, "owned")]


def test_member_exit_is_refused_while_a_murabahah_is_outstanding(coop: Coop) -> None:
    member = coop.member()
    number = contract(coop, member, installments=1)["murabahah"]["account"]["number"]
    coop.refused(ExitRefused, "members.exit", member=member, reason="resigned",
                 payout_account=CASH)
    coop.call("sharia.murabahah-pay", account=number, cash_account=CASH)
    left = coop.call("members.exit", member=member, reason="resigned", payout_account=CASH)
    assert left["member"]["status"] == "left"
    coop.books_balance()


def test_tazir_lands_in_the_social_fund_only_when_late(coop: Coop) -> None:
    member = coop.member()
    # Ta'zir agreed at signing: Rp45,000 per late installment plus Rp5,000 a day.
    number = contract(coop, member, tazir_flat="45000", tazir_daily="5000")[
        "murabahah"]["account"]["number"]
    # Business date 2026-01-05; the first installment is due 2026-02-05.
    late = {"account": number, "amount": "50000", "cash_account": CASH}
    coop.refused(Conflict, "sharia.murabahah-tazir", **late, able_to_pay=True,
                 reason="Mampu bayar")
    # Kolektibilitas is configurable: here a day late is already "Dalam Perhatian Khusus".
    classes = coop.call("sharia.collectibility-set", as_user="manager", code="1b",
                        name="Dalam Perhatian Khusus", min_days=1)["classes"]
    assert [(c["code"], c["min_days"]) for c in classes] == [
        ("1", 0), ("1b", 1), ("2", 91), ("3", 121), ("4", 181)]
    coop.refused(ValidationError, "sharia.collectibility-set", as_user="manager", code="1",
                 name="Lancar", min_days=5)  # no class would start at 0 days
    coop.close_days(date(2026, 2, 6))
    aged = coop.call("sharia.murabahah-detail", account=number)
    # At the end of 5 February, its due date, the installment was not yet late.
    assert (aged["days_past_due"], aged["collectibility"]) == (0, "1")
    # A member in hardship is not charged; the finding needs a reason.
    coop.refused(ValidationError, "sharia.murabahah-tazir", **late, able_to_pay=False,
                 reason="Gagal panen")
    coop.refused(ValidationError, "sharia.murabahah-tazir", **late, able_to_pay=True,
                 reason=" ")
    # On 6 February installment 1 is a day late: 45,000 + 1 x 5,000 agreed, no more.
    coop.refused(ValidationError, "sharia.murabahah-tazir", **{**late, "amount": "50000.01"},
                 able_to_pay=True, reason="Usaha berjalan, menunda tanpa alasan")
    out = coop.call("sharia.murabahah-tazir", **late, able_to_pay=True,
                    reason="Usaha berjalan, menunda tanpa alasan")
    assert out["murabahah"]["tazir"]["amount"] == "50000.00"
    coop.refused(Conflict, "sharia.murabahah-tazir", **late, able_to_pay=True,
                 reason="Sekali lagi")  # once per late installment
    assert out["murabahah"]["outstanding"]["amount"] == "12000000.00"
    net = coop.gl_net()
    assert net["sharia.social_fund"] == -5_000_000
    assert "sharia.murabahah_margin_income" not in net
    # The social fund (qardhul hasan) is disbursed apart from the financing business.
    coop.call("sharia.zis-disburse", fund="social", amount="20000", cash_account=CASH,
              memo="Qardhul hasan: bantuan biaya berobat")
    report = coop.call("sharia.zis-report", from_date="2026-01-05", to_date="2026-02-07")
    social = next(f for f in report["funds"] if f["fund"] == "social")
    assert (social["received"]["amount"], social["disbursed"]["amount"],
            social["closing"]["amount"]) == ("50000.00", "20000.00", "30000.00")
    coop.close_days(date(2026, 2, 7))
    aged = coop.call("sharia.murabahah-detail", account=number)
    assert (aged["days_past_due"], aged["collectibility"]) == (1, "1b")
    # Paying the late installment clears the arrears; the next end of day reclassifies.
    coop.call("sharia.murabahah-pay", account=number, cash_account=CASH)
    assert coop.call("sharia.murabahah-detail", account=number)["days_past_due"] == 0
    coop.close_days(date(2026, 2, 8))
    assert coop.call("sharia.murabahah-detail", account=number)["collectibility"] == "1"
    coop.refused(ValidationError, "sharia.collectibility-remove", as_user="manager", code="1")
    coop.refused(NotFound, "sharia.collectibility-remove", as_user="manager", code="9")
    left = coop.call("sharia.collectibility-remove", as_user="manager", code="1b")["classes"]
    assert [c["code"] for c in left] == ["1", "2", "3", "4"]
    coop.books_balance()


def test_annuity_recognition_carries_more_margin_early(coop: Coop) -> None:
    member = coop.member()
    made = contract(coop, member, recognition="annuity")
    number = made["murabahah"]["account"]["number"]
    assert made["murabahah"]["recognition"] == "annuity"
    rows = coop.call("sharia.murabahah-schedule", account=number)["installments"]
    # 10 x 1,200,000 repays 10,000,000 at r = 3.46015 %/month: installment 1 carries
    # 10,000,000 x r = 346,015 of margin, installment 2 (10,000,000 - 853,985) x r = 316,466...
    margins = [int(r["margin"]["amount"][:-3]) for r in rows]
    assert margins == [346015, 316466, 285895, 254265, 221541, 187685, 152657, 116418, 78924,
                       40134]
    assert sum(margins) == 2000000
    assert {r["total"]["amount"] for r in rows} == {"1200000.00"}
    out = coop.call("sharia.murabahah-pay", account=number, cash_account=CASH)
    lines = {(p["account"], p["side"]): p["amount"]["amount"] for p in out["entry"]["postings"]}
    assert lines[(INCOME, "credit")] == "346015.00"
    assert gl_balances(coop) == (10800000, 1653985, 346015)
    coop.books_balance()


def test_settling_with_all_the_unrecognised_margin_as_muqasah(coop: Coop) -> None:
    number = contract(coop, coop.member())["murabahah"]["account"]["number"]
    for _ in range(4):  # 4 x 1,200,000 paid, each recognising Rp200,000 of margin
        paid = coop.call("sharia.murabahah-pay", account=number, cash_account=CASH)
    assert paid["murabahah"]["days_past_due"] == 0  # paid before the next due date

    def settle(discount: Money) -> Any:
        return coop.kernel.write("teller", lambda ctx: settle_early(ctx, number, CASH,
                                                                    discount))

    # Outstanding 7,200,000 of which 1,200,000 is margin not yet recognised.
    for wrong in (Money(-1), Money(120_000_001)):
        with pytest.raises(ValidationError, match="between 0 and the unrecognised margin"):
            settle(wrong)
    with pytest.raises(ValidationError, match="discount currency"):
        settle(Money(1, "USD"))
    with pytest.raises(ValidationError, match="must be an internal account"):
        coop.kernel.write("teller", lambda ctx: settle_early(ctx, number, number, Money(0)))
    # All of it waived: the member pays 7,200,000 - 1,200,000 = 6,000,000; no margin income.
    contract_after, paid_amount, entry = settle(Money(120_000_000))
    assert paid_amount == Money(600_000_000)
    assert {p.account_number: p.amount.minor for p in entry.postings} == {
        number: -720_000_000, CASH: 600_000_000, DEFERRED: 120_000_000}
    assert entry.memo == f"Pelunasan dipercepat murabahah {number}, muqasah Rp1.200.000,00"
    assert (contract_after.status, contract_after.margin_recognised, contract_after.muqasah,
            contract_after.deferred_margin, contract_after.days_past_due,
            contract_after.next_due_on) == ("settled", 80_000_000, 120_000_000, 0, 0, None)
    assert contract_after.account.status.value == "closed"
    coop.books_balance()


def test_an_installment_is_paid_from_an_internal_account_only(coop: Coop) -> None:
    number = contract(coop, coop.member())["murabahah"]["account"]["number"]
    coop.refused(ValidationError, "sharia.murabahah-pay", account=number, cash_account=number)
    for _ in range(10):
        paid = coop.call("sharia.murabahah-pay", account=number, cash_account=CASH)
    # The last one settles the contract: nothing is late, nothing is due any more.
    assert (paid["murabahah"]["status"], paid["murabahah"]["days_past_due"]) == ("settled", 0)
