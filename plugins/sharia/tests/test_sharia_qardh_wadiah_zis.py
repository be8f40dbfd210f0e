"""Qardh, wadiah yad dhamanah and the ZIS funds."""

from __future__ import annotations

from sharia_coop import CASH, Coop

from kopcore import eod
from kopcore.errors import (
    Conflict,
    ExitRefused,
    Forbidden,
    InsufficientFunds,
    NotFound,
    ValidationError,
)


def test_qardh_is_principal_only_with_a_flat_admin_fee(coop: Coop) -> None:
    member = coop.member()
    out = coop.call("sharia.qardh-disburse", member=member, amount="1000000",
                    cash_account=CASH, admin_fee="10000")
    number = out["account"]["number"]
    assert out["account"]["balance"]["amount"] == "1000000.00"
    assert coop.balance(CASH) == "999010000.00"
    assert coop.gl_net()["sharia.qardh_admin_income"] == -1_000_000
    coop.refused(ValidationError, "sharia.qardh-disburse", member=member, amount="1000",
                 cash_account=CASH, admin_fee="1000")
    coop.refused(InsufficientFunds, "sharia.qardh-repay", account=number, amount="1000000.01",
                 cash_account=CASH)
    coop.refused(ExitRefused, "members.exit", member=member, reason="resigned",
                 payout_account=CASH)
    coop.call("sharia.qardh-repay", account=number, amount="400000", cash_account=CASH)
    done = coop.call("sharia.qardh-repay", account=number, amount="600000", cash_account=CASH)
    assert done["account"]["balance"]["amount"] == "0.00"
    assert done["account"]["status"] == "closed"
    coop.books_balance()


def test_wadiah_deposit_withdraw_bonus_and_exit(coop: Coop) -> None:
    member = coop.member()
    number = coop.call("sharia.wadiah-open", member=member)["number"]
    coop.call("sharia.wadiah-deposit", account=number, amount="300000", cash_account=CASH)
    coop.call("sharia.wadiah-withdraw", account=number, amount="100000", cash_account=CASH)
    coop.refused(InsufficientFunds, "sharia.wadiah-withdraw", account=number,
                 amount="200000.01", cash_account=CASH)
    coop.refused(ValidationError, "sharia.wadiah-deposit", account=number, amount="0",
                 cash_account=CASH)
    coop.refused(NotFound, "sharia.wadiah-deposit", account=CASH, amount="1",
                 cash_account=CASH)
    # No bonus unless the operator grants one; a teller may not.
    assert coop.call("sharia.wadiah-balance", account=number)["balance"]["amount"] == "200000.00"
    coop.refused(Forbidden, "sharia.wadiah-bonus-propose", as_user="teller", account=number,
                 amount="2500", period="2026-01")
    proposed = coop.call("sharia.wadiah-bonus-propose", as_user="manager", account=number,
                         amount="2500", period="2026-01", memo="Bonus Januari")
    assert coop.balance(number) == "200000.00"  # proposed, not posted
    coop.refused(Conflict, "sharia.wadiah-bonus-propose", as_user="manager", account=number,
                 amount="1000", period="2026-01")
    coop.refused(ValidationError, "sharia.wadiah-bonus-propose", as_user="manager",
                 account=number, amount="1000", period="2026-13")
    coop.refused(Forbidden, "sharia.proposal-approve", as_user="manager",
                 proposal=proposed["id"])
    out = coop.approve(proposed["id"])
    assert out["proposal"]["status"] == "approved"
    assert coop.balance(number) == "202500.00"
    assert coop.gl_net()["sharia.wadiah_bonus"] == 250_000
    # Another period's proposal, rejected by the checker: nothing posts.
    other = coop.call("sharia.wadiah-bonus-propose", as_user="manager", account=number,
                      amount="9000", period="2026-02")
    assert coop.call("sharia.proposal-reject", as_user="manager2",
                     proposal=other["id"])["proposal"]["status"] == "rejected"
    assert coop.balance(number) == "202500.00"
    listed = coop.call("sharia.proposals", as_user="manager", status="pending")
    assert listed["proposals"] == []
    left = coop.call("members.exit", member=member, reason="resigned", payout_account=CASH)
    assert left["member"]["status"] == "left"
    assert coop.balance(number) == "0.00"
    coop.books_balance()


def test_zis_funds_are_kept_apart_and_reported(coop: Coop) -> None:
    coop.call("sharia.zis-receive", fund="zakat", amount="2500000", cash_account=CASH,
              memo="Zakat maal Bapak Ahmad")
    coop.call("sharia.zis-receive", fund="infaq", amount="150000", cash_account=CASH,
              memo="Kotak infaq Jumat")
    out = coop.call("sharia.zis-disburse", fund="zakat", amount="1000000", cash_account=CASH,
                    memo="Mustahik: Ibu Sumi, biaya sekolah", asnaf="miskin")
    assert out["fund"]["balance"]["amount"] == "1500000.00"
    coop.refused(InsufficientFunds, "sharia.zis-disburse", fund="infaq", amount="150000.01",
                 cash_account=CASH, memo="Mustahik")
    coop.refused(ValidationError, "sharia.zis-disburse", fund="infaq", amount="1",
                 cash_account=CASH, memo=" ")
    today = eod.current_business_date(coop.kernel).isoformat()
    report = coop.call("sharia.zis-report", from_date=today, to_date=today)
    funds = {f["fund"]: (f["opening"]["amount"], f["received"]["amount"],
                         f["disbursed"]["amount"], f["closing"]["amount"])
             for f in report["funds"]}
    assert funds == {"zakat": ("0.00", "2500000.00", "1000000.00", "1500000.00"),
                     "infaq": ("0.00", "150000.00", "0.00", "150000.00"),
                     "amil": ("0.00", "0.00", "0.00", "0.00"),
                     "non_halal": ("0.00", "0.00", "0.00", "0.00"),
                     "social": ("0.00", "0.00", "0.00", "0.00")}
    # Nothing of it is financing income.
    assert "sharia.murabahah_margin_income" not in coop.gl_net()
    coop.books_balance()


def test_the_zis_report_carries_earlier_days_as_opening(coop: Coop) -> None:
    first = eod.current_business_date(coop.kernel)
    coop.call("sharia.zis-receive", fund="infaq", amount="500000", cash_account=CASH,
              memo="Infaq")
    eod.run_end_of_day(coop.kernel)
    second = eod.current_business_date(coop.kernel)
    assert second > first
    coop.call("sharia.zis-disburse", fund="infaq", amount="200000", cash_account=CASH,
              memo="Mustahik: santunan yatim")
    report = coop.call("sharia.zis-report", from_date=second.isoformat(),
                       to_date=second.isoformat())
    infaq = next(f for f in report["funds"] if f["fund"] == "infaq")
    assert [infaq[k]["amount"] for k in ("opening", "received", "disbursed", "closing")] == [
        "500000.00", "0.00", "200000.00", "300000.00"]
    coop.refused(ValidationError, "sharia.zis-report", from_date=second.isoformat(),
                 to_date=first.isoformat())
