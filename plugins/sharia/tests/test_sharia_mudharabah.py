"""Mudharabah savings and deposits: the DOMAIN.md §6 worked example exactly, a distribution from
the ledger's income with mid-month movements and two nisbah, deposits held to maturity, and the
nisbah changed only with the member's consent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sharia_coop import CASH, Coop

from kopcore.errors import Conflict, Forbidden, InsufficientFunds, NotFound, ValidationError

EXPENSE = "GL-sharia.profit_share_expense"


def pool(coop: Coop, code: str = "TMB", nisbah: str = "60", **extra: str) -> dict:
    return dict(coop.call("sharia.mudharabah-pool-create", as_user="manager", code=code,
                          name="Tabungan Mudharabah Berkah", nisbah=nisbah, **extra))


def test_the_domain_example_exactly(coop_from: Callable[[date], Coop]) -> None:
    # Pool average Rp10,000,000,000, distributable income Rp40,000,000, member average
    # Rp10,000,000, nisbah 60 % -> Rp24,000. The accounts open on 31 January and hold their
    # balances through February.
    coop = coop_from(date(2026, 1, 31))
    assert pool(coop)["basis"] == "revenue"
    siti, budi = coop.member(), coop.member("Budi Santoso")
    mine = coop.call("sharia.mudharabah-open", member=siti, pool="TMB", amount="10000000",
                     cash_account=CASH)["holding"]
    assert (mine["nisbah"], mine["kind"]) == ("60", "savings")
    wadiah = coop.call("sharia.wadiah-open", member=budi)["number"]
    theirs = coop.call("sharia.mudharabah-open", member=budi, pool="TMB", kind="deposit",
                       term_months=1, amount="9990000000", cash_account=CASH,
                       payout_account=wadiah)["holding"]
    assert theirs["maturity_on"] == "2026-02-28"
    deposit = theirs["account"]["number"]
    number = mine["account"]["number"]
    coop.refused(Conflict, "sharia.mudharabah-distribute", as_user="manager", pool="TMB",
                 month="2026-02-01", distributable_income="40000000")  # February still open
    coop.refused(Conflict, "sharia.mudharabah-withdraw", account=deposit, amount="9990000000",
                 cash_account=CASH)  # before maturity
    coop.close_days(date(2026, 3, 1))  # ends of day 31 January - 28 February
    # A nisbah agreed on 1 March applies from March: February is shared at the 60 % in force
    # at its end.
    coop.call("sharia.mudharabah-nisbah", as_user="manager", account=number, nisbah="50",
              consent="Surat persetujuan 03/III/2026")

    out = coop.call("sharia.mudharabah-distribute", as_user="manager", pool="TMB",
                    month="2026-02-28", distributable_income="40000000")
    assert out["pool_average_balance"]["amount"] == "10000000000.00"
    shares = {s["account"]: (s["share"]["amount"], s["nisbah"], s["average_balance"]["amount"])
              for s in out["shares"]}
    assert shares == {number: ("24000.00", "60", "10000000.00"),
                      deposit: ("23976000.00", "60", "9990000000.00")}
    assert (out["members_share"]["amount"], out["cooperative_share"]["amount"]) == (
        "24000000.00", "16000000.00")
    assert coop.balance(number) == "10024000.00"
    assert coop.balance(wadiah) == "23976000.00"  # the deposit's share goes to its payout
    assert coop.balance(deposit) == "9990000000.00"
    assert coop.gl_net()["sharia.profit_share_expense"] == 2_400_000_000
    assert coop.call("sharia.mudharabah-report", as_user="auditor", pool="TMB",
                     month="2026-02-01") == out
    history = coop.call("sharia.mudharabah-shares", account=number)["shares"]
    assert [(h["period_to"], h["share"]["amount"]) for h in history] == [
        ("2026-02-28", "24000.00")]
    coop.refused(Conflict, "sharia.mudharabah-distribute", as_user="manager", pool="TMB",
                 month="2026-02-28", distributable_income="40000000")
    coop.refused(NotFound, "sharia.mudharabah-report", as_user="auditor", pool="TMB",
                 month="2026-01-01")

    # Savings any time, never below zero; a deposit takes nothing more and is withdrawn in
    # full from maturity (28 February), which has come.
    coop.refused(Conflict, "sharia.mudharabah-deposit", account=deposit, amount="1",
                 cash_account=CASH)
    coop.refused(InsufficientFunds, "sharia.mudharabah-withdraw", account=number,
                 amount="10024000.01", cash_account=CASH)
    coop.refused(ValidationError, "sharia.mudharabah-withdraw", account=deposit, amount="1",
                 cash_account=CASH)
    done = coop.call("sharia.mudharabah-withdraw", account=deposit, amount="9990000000",
                     cash_account=CASH)
    assert done["holding"]["account"]["balance"]["amount"] == "0.00"
    # A leaving member's mudharabah savings are refunded in the exit settlement.
    left = coop.call("members.exit", member=siti, reason="resigned", payout_account=CASH)
    paid = {(p["account"], p["side"]): p["amount"]["amount"]
            for p in left["settlement"]["postings"]}
    assert paid == {(number, "debit"): "10024000.00", (CASH, "credit"): "10024000.00"}
    coop.books_balance()


def test_shares_from_the_ledgers_income_with_movements_and_two_nisbah(
        coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 27))
    pool(coop)
    x, y, z = coop.member("Ahmad"), coop.member("Yusuf"), coop.member("Zainab")
    w = coop.member("Wulan")
    aw = coop.call("sharia.mudharabah-open", member=w, pool="TMB", amount="5000000",
                   cash_account=CASH)["holding"]["account"]["number"]
    ax = coop.call("sharia.mudharabah-open", member=x, pool="TMB", amount="3000000",
                   cash_account=CASH)["holding"]["account"]["number"]
    ay = coop.call("sharia.mudharabah-open", member=y, pool="TMB", nisbah="45",
                   amount="1000000", cash_account=CASH)["holding"]["account"]["number"]
    # January's income of the sharia unit: one murabahah installment's margin (200,000) and a
    # qardh admin fee (10,000).
    made = coop.call("sharia.murabahah-contract", member=z,
                     acquisition=coop.acquire(z, "10000000", asset="Kulkas"),
                     margin="2000000", installments=10)
    coop.call("sharia.murabahah-pay", account=made["murabahah"]["account"]["number"],
              cash_account=CASH)
    coop.call("sharia.qardh-disburse", member=z, amount="500000", admin_fee="10000",
              cash_account=CASH)
    coop.close_days(date(2026, 1, 30))
    coop.call("sharia.mudharabah-deposit", account=ay, amount="2000000", cash_account=CASH)
    # Wulan leaves on 30 January: her savings are refunded and her account closes. Her
    # balance-days still count in the pool (the others' shares are theirs, never more), but her
    # share cannot be paid and stays with the cooperative.
    coop.call("members.exit", member=w, reason="resigned", payout_account=CASH)
    assert coop.call("accounts.get", account=aw)["status"] == "closed"
    coop.close_days(date(2026, 2, 1))
    out = coop.call("sharia.mudharabah-distribute", as_user="manager", pool="TMB",
                    month="2026-01-10")
    # Balance-days (27-31 January): W 5,000,000 x 3 = 15,000,000 (27-29, closed on the 30th);
    # X 3,000,000 x 5 = 15,000,000; Y 1,000,000 x 3 + 3,000,000 x 2 = 9,000,000; pool
    # 39,000,000. Exact shares: W and X 210,000 x 15/39 x 60 % = 48,461.54 each; Y 210,000 x
    # 9/39 x 45 % = 21,807.69; members' total 118,730.77 -> Rp118,731 (half up), split by largest
    # remainder over the weights 9 : 9 : 4.05 (48,461.63, 48,461.63, 21,807.73): Y gets one
    # rupiah up for the largest remainder, then W on the tie (the earlier account): W 48,462,
    # X 48,461, Y 21,808. W's cannot be paid: paid X + Y = 70,269 and the cooperative keeps
    # 210,000 - 70,269 = 139,731. Averages are over the 31 days of January.
    assert out["distributable_income"]["amount"] == "210000.00"
    shares = {s["account"]: (s["share"]["amount"], s["nisbah"], s["average_balance"]["amount"])
              for s in out["shares"]}
    assert shares == {ax: ("48461.00", "60", "483870.96"), ay: ("21808.00", "45", "290322.58")}
    assert out["members_share"]["amount"] == "70269.00"
    assert out["accounts"] == 2
    assert out["cooperative_share"]["amount"] == "139731.00"
    assert coop.balance(ax) == "3048461.00"
    assert coop.balance(aw) == "0.00"
    coop.books_balance()

    # The nisbah changes only with the member's consent, which is recorded.
    coop.refused(ValidationError, "sharia.mudharabah-nisbah", as_user="manager", account=ax,
                 nisbah="65", consent=" ")
    coop.refused(ValidationError, "sharia.mudharabah-nisbah", as_user="manager", account=ax,
                 nisbah="100", consent="Surat 12/2026")
    coop.refused(Forbidden, "sharia.mudharabah-nisbah", as_user="teller", account=ax,
                 nisbah="65", consent="Surat 12/2026")
    changed = coop.call("sharia.mudharabah-nisbah", as_user="manager", account=ax,
                        nisbah="62.5", consent="Surat persetujuan 12/II/2026")
    assert changed["nisbah"] == "62.5"
    coop.refused(ValidationError, "sharia.mudharabah-open", member=x, pool="TMB",
                 nisbah="60.00001")
    coop.refused(ValidationError, "sharia.mudharabah-open", member=x, pool="TMB",
                 kind="deposit", term_months=3)
    # February has no income yet and the month is open.
    coop.refused(Conflict, "sharia.mudharabah-distribute", as_user="manager", pool="TMB",
                 month="2026-02-01")


def test_two_pools_share_the_units_income_by_revenue_and_by_profit(
        coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 27))
    pool(coop, "TMB", "60")
    pool(coop, "DPK", "50", basis="profit")
    u, v = coop.member("Umar"), coop.member("Vina")
    au = coop.call("sharia.mudharabah-open", member=u, pool="TMB", amount="3000000",
                   cash_account=CASH)["holding"]["account"]["number"]
    av = coop.call("sharia.mudharabah-open", member=v, pool="DPK", amount="1000000",
                   cash_account=CASH)["holding"]["account"]["number"]
    # January: margin income 200,000; a general expense of the unit, 50,000; a wadiah bonus of
    # 5,000 (paid out of the cooperative's share, not deducted from the pools' profit).
    coop.call("sharia.unit-include", as_user="manager", gl_key="expense.general")
    made = coop.call("sharia.murabahah-contract", member=u,
                     acquisition=coop.acquire(u, "10000000", asset="Mesin"),
                     margin="2000000", installments=10)
    coop.call("sharia.murabahah-pay", account=made["murabahah"]["account"]["number"],
              cash_account=CASH)
    coop.call("entries.post", memo="Biaya operasional unit syariah", lines=[
        {"account": "GL-expense.general", "side": "debit", "amount": "50000"},
        {"account": CASH, "side": "credit", "amount": "50000"}])
    wadiah = coop.call("sharia.wadiah-open", member=v)["number"]
    bonus = coop.call("sharia.wadiah-bonus-propose", as_user="manager", account=wadiah,
                      amount="5000", period="2026-01")
    coop.approve(bonus["id"])
    coop.close_days(date(2026, 2, 1))
    # Balance-days: TMB 3,000,000 x 5, DPK 1,000,000 x 5: the unit's income is split 3 : 1.
    # TMB (revenue): 200,000 x 3/4 = 150,000, Umar's 60 % = 90,000.
    # DPK (profit): (200,000 - 50,000) x 1/4 = 37,500, Vina's 50 % = 18,750.
    tmb = coop.call("sharia.mudharabah-distribute", as_user="manager", pool="TMB",
                    month="2026-01-31")
    dpk = coop.call("sharia.mudharabah-distribute", as_user="manager", pool="DPK",
                    month="2026-01-31")
    assert (tmb["basis"], tmb["distributable_income"]["amount"],
            tmb["members_share"]["amount"]) == ("revenue", "150000.00", "90000.00")
    assert (dpk["basis"], dpk["distributable_income"]["amount"],
            dpk["members_share"]["amount"]) == ("profit", "37500.00", "18750.00")
    assert (coop.balance(au), coop.balance(av)) == ("3090000.00", "1018750.00")
    coop.books_balance()
