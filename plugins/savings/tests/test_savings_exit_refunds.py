"""Exit refunds deferred by the AD/ART: simpanan pokok and wajib owed to a former member in
installments or after the RAT, in ``payable.member_exit`` until paid; non-member counterparties
hold no pokok or wajib."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from kopcore_savings.exit_refunds import installment_amounts
from savings_coop import CASH, Coop

from kopcore import ledger
from kopcore.errors import ValidationError
from kopcore.testing import verify_books

PAYABLE = "payable.member_exit"


@pytest.fixture
def exit_coop(coop: Coop) -> Coop:
    coop.product("POKOK", "pokok", amount="100000")
    coop.product("WAJIB", "wajib", amount="20000")
    coop.product("SUKARELA", "sukarela")
    return coop


def gl_balance(coop: Coop, key: str) -> str:
    lines = {line["key"]: line for line in coop.call("reports.trial-balance")["lines"]}
    return str(lines[key]["balance"]["amount"]) if key in lines else "0.00"


def cash(coop: Coop) -> int:
    return coop.kernel.read("auditor", lambda ctx: ledger.get_account(ctx, CASH)).balance.minor


def refunds(coop: Coop, **raw: Any) -> list[tuple[Any, ...]]:
    out = coop.call("savings.exit-refunds", **raw)
    return [(p["installment"], p["installments"], p["due_on"], p["after_rat_of"],
             p["amount"]["amount"]) for p in out["items"]]


def test_installments_are_whole_rupiah_and_the_last_takes_the_remainder() -> None:
    assert installment_amounts(10_000_000, 3) == [3_333_300, 3_333_300, 3_333_400]
    assert installment_amounts(15_000_000, 3) == [5_000_000] * 3
    assert sum(installment_amounts(12_345_678, 7)) == 12_345_678


def test_the_policy_defaults_to_refunding_at_once_and_refuses_bad_settings(exit_coop) -> None:
    coop = exit_coop
    assert coop.call("savings.policy-get") == {
        "exit_refund": "immediate", "exit_refund_installments": 1,
        "exit_refund_interval_months": 1, "tax_aggregation": "account"}
    with pytest.raises(ValidationError):
        coop.call("savings.policy-set", exit_refund="installments")  # how many?
    set_ = coop.call("savings.policy-set", exit_refund="installments",
                     exit_refund_installments=3)
    assert (set_["exit_refund"], set_["exit_refund_installments"]) == ("installments", 3)
    assert coop.call("savings.policy-get")["tax_aggregation"] == "account"


def test_pokok_refunded_in_three_monthly_installments(exit_coop) -> None:
    """Pokok Rp100,000 and sukarela Rp200,000: the sukarela is paid at the exit, the pokok
    owed in Rp33,333 + Rp33,333 + Rp33,334 due 5 February, 5 March and 5 April."""
    coop = exit_coop
    coop.call("savings.policy-set", exit_refund="installments", exit_refund_installments=3)
    member = coop.member("Made Keluar")
    coop.deposit(coop.open(member, "POKOK"), "100000")
    coop.deposit(coop.open(member, "SUKARELA"), "200000")
    before = cash(coop)
    coop.call("members.exit", member=member, reason="resigned", payout_account=CASH)
    assert before - cash(coop) == 20_000_000
    assert gl_balance(coop, PAYABLE) == "100000.00"
    assert refunds(coop) == [(1, 3, "2026-02-05", None, "33333.00"),
                             (2, 3, "2026-03-05", None, "33333.00"),
                             (3, 3, "2026-04-05", None, "33334.00")]
    nothing = coop.call("savings.exit-refunds-pay", payout_account=CASH)
    assert (nothing["items"], nothing["entry"]) == ([], None)
    coop.close_days_until(date(2026, 2, 5))
    before = cash(coop)
    paid = coop.call("savings.exit-refunds-pay", payout_account=CASH)
    assert [(p["installment"], p["paid_on"]) for p in paid["items"]] == [(1, "2026-02-05")]
    assert paid["total"]["amount"] == "33333.00"
    assert before - cash(coop) == 3_333_300
    assert gl_balance(coop, PAYABLE) == "66667.00"
    assert [r[0] for r in refunds(coop, member=member)] == [2, 3]
    assert [r[0] for r in refunds(coop, due_by="2026-03-31")] == [2]
    coop.books_balance()


def test_pokok_and_wajib_net_of_arrears_refunded_after_the_rat(exit_coop) -> None:
    """Pokok Rp100,000 and wajib Rp5,000 paid of Rp20,000 billed (arrears Rp15,000), sukarela
    Rp50,000: Rp50,000 is paid at the exit and Rp90,000 (105,000 - 15,000) is owed until the
    RAT approving the accounts of 2026 is held (10 March 2027)."""
    coop = exit_coop
    coop.call("savings.policy-set", exit_refund="after-rat")
    member = coop.member("Ketut Keluar")
    coop.deposit(coop.open(member, "POKOK"), "100000")
    coop.deposit(coop.open(member, "WAJIB"), "5000")
    coop.deposit(coop.open(member, "SUKARELA"), "50000")
    coop.call("savings.wajib-bill", product="WAJIB", period="2026-01")
    before = cash(coop)
    coop.call("members.exit", member=member, reason="resigned", payout_account=CASH)
    assert before - cash(coop) == 5_000_000
    assert gl_balance(coop, PAYABLE) == "90000.00"
    assert gl_balance(coop, "income.other") == "15000.00"
    assert refunds(coop) == [(1, 1, None, 2026, "90000.00")]
    with pytest.raises(ValidationError):  # the RAT of 2026 is held in 2027
        coop.call("savings.exit-refunds-rat", year=2026, held_on="2026-01-05")
    with pytest.raises(ValidationError):  # not after the business date
        coop.call("savings.exit-refunds-rat", year=2026, held_on="2027-03-10")
    coop.close_days_until(date(2026, 12, 31))
    coop.close_days_until(date(2027, 3, 10))
    assert coop.call("savings.exit-refunds-pay", payout_account=CASH)["items"] == []
    released = coop.call("savings.exit-refunds-rat", year=2026, held_on="2027-03-10")
    assert [p["due_on"] for p in released["items"]] == ["2027-03-10"]
    before = cash(coop)
    paid = coop.call("savings.exit-refunds-pay", payout_account=CASH, member=member)
    assert paid["total"]["amount"] == "90000.00"
    assert before - cash(coop) == 9_000_000
    assert gl_balance(coop, PAYABLE) == "0.00"
    assert refunds(coop) == []
    coop.books_balance()


def test_a_non_member_counterparty_holds_no_pokok_or_wajib(exit_coop) -> None:
    coop = exit_coop
    partner = coop.call("members.register", name="Koperasi Mitra", kind="koperasi",
                        membership="non-member", nib="9120001234567", npwp="0012345678901000",
                        representative_name="I Wayan")["member_number"]
    coop.call("members.activate", member=partner)
    for product in ("POKOK", "WAJIB"):
        error = coop.refused(ValidationError, "savings.open", member=partner, product=product)
        assert "non-member" in error.detail
    account = coop.open(partner, "SUKARELA")
    coop.deposit(account, "1000000")
    assert coop.balance(account) == "1000000.00"


def test_verify_finds_refunds_owed_above_what_the_exit_payable_holds(exit_coop) -> None:
    coop = exit_coop
    coop.call("savings.policy-set", exit_refund="installments", exit_refund_installments=2)
    member = coop.member("Nyoman Keluar")
    coop.deposit(coop.open(member, "POKOK"), "100000")
    coop.call("members.exit", member=member, reason="resigned", payout_account=CASH)
    assert coop.kernel.read("auditor", verify_books).errors == []
    # Rp60,000 taken out of the payable by hand: Rp100,000 is still recorded as owed.
    coop.call("entries.post", memo="salah bayar", lines=[
        {"account": "GL-payable.member_exit", "side": "debit", "amount": "60000"},
        {"account": CASH, "side": "credit", "amount": "60000"}])
    found = [(p.kind, p.detail) for p in coop.kernel.read("auditor", verify_books).errors]
    assert [kind for kind, _ in found] == ["savings.exit_refunds_exceed_payable"]
    assert "Rp100.000" in found[0][1]
    assert "Rp40.000" in found[0][1]


def preview_parts(preview: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(p["installment"], p["installments"], p["due_on"], p["after_rat_of"],
             p["amount"]["amount"]) for p in preview["parts"]]


def test_the_preview_shows_what_the_exit_pays_and_defers(exit_coop) -> None:
    """Pokok Rp100,000, wajib Rp5,000 of Rp20,000 billed (arrears Rp15,000), sukarela
    Rp50,000, refunded in 3 installments two months apart: Rp50,000 paid with the exit, Rp90,000
    owed as Rp30,000 due 5 March, 5 May and 5 July. The preview says so before the exit, and the
    exit then records the same parts."""
    coop = exit_coop
    coop.call("savings.policy-set", exit_refund="installments", exit_refund_installments=3,
              exit_refund_interval_months=2)
    member = coop.member("Wayan Pratinjau")
    coop.deposit(coop.open(member, "POKOK"), "100000")
    coop.deposit(coop.open(member, "WAJIB"), "5000")
    coop.deposit(coop.open(member, "SUKARELA"), "50000")
    coop.call("savings.wajib-bill", product="WAJIB", period="2026-01")
    preview = coop.call("savings.exit-preview", member=member)
    assert (preview["member"], preview["exit_refund"]) == (member, "installments")
    assert [preview[k]["amount"] for k in ("balances", "deducted", "paid_now", "deferred")] == [
        "155000.00", "15000.00", "50000.00", "90000.00"]
    planned = [(1, 3, "2026-03-05", None, "30000.00"), (2, 3, "2026-05-05", None, "30000.00"),
               (3, 3, "2026-07-05", None, "30000.00")]
    assert preview_parts(preview) == planned
    assert coop.call("members.get", member=member)["status"] == "active"  # nothing written
    before = cash(coop)
    coop.call("members.exit", member=member, reason="resigned", payout_account=CASH)
    assert before - cash(coop) == 5_000_000
    assert refunds(coop) == planned
    assert gl_balance(coop, PAYABLE) == "90000.00"
    coop.books_balance()


def test_the_preview_after_the_rat_and_at_once(exit_coop) -> None:
    coop = exit_coop
    member = coop.member("Komang Pratinjau")
    coop.deposit(coop.open(member, "POKOK"), "100000")
    coop.deposit(coop.open(member, "SUKARELA"), "25000")
    # Refunded at once (the default): everything is paid with the exit.
    at_once = coop.call("savings.exit-preview", member=member)
    assert (at_once["paid_now"]["amount"], at_once["deferred"]["amount"]) == (
        "125000.00", "0.00")
    assert at_once["parts"] == []
    # After the RAT approving the accounts of the year of the exit.
    coop.call("savings.policy-set", exit_refund="after-rat")
    later = coop.call("savings.exit-preview", member=member)
    assert (later["paid_now"]["amount"], later["deferred"]["amount"]) == (
        "25000.00", "100000.00")
    assert preview_parts(later) == [(1, 1, None, 2026, "100000.00")]
    coop.call("members.exit", member=member, reason="deceased", payout_account=CASH)
    assert refunds(coop) == preview_parts(later)
