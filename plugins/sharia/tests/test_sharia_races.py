"""Two tellers or two managers acting on the same contract or proposal at the same moment
(PostgreSQL: SQLite serialises writers, so nothing can collide there), and the cash account of
every sharia movement being an internal one (both databases)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sharia_coop import CASH, Coop

from kopcore.errors import Conflict, KopcoreError, ValidationError

RECEIVABLE = "sharia.murabahah_receivable"


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released at once; each result, or the typed error it raised."""
    barrier = threading.Barrier(len(calls), timeout=60)
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except KopcoreError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def murabahah(coop: Coop, member: str) -> str:
    # Financed 12,000,000 in 10 installments of 1,200,000 (1,000,000 cost + 200,000 margin);
    # ta'zir agreed at Rp10,000 per late installment.
    made = coop.call("sharia.murabahah-contract", as_user="teller", member=member,
                     acquisition=coop.acquire(member, "10000000"), margin="2000000",
                     installments=10, tazir_flat="10000")
    return str(made["murabahah"]["account"]["number"])


@pytest.mark.postgres_only
def test_concurrent_payments_collect_each_installment_once(
        coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 31))
    number = murabahah(coop, coop.member("Ani Rahayu"))
    coop.close_days(date(2026, 3, 1))  # installment 1, due 28 February, is past due

    def pay() -> Any:
        return coop.call("sharia.murabahah-pay", as_user="teller", account=number,
                         cash_account=CASH)

    def tazir() -> Any:
        return coop.call("sharia.murabahah-tazir", as_user="teller", account=number,
                         amount="10000", cash_account=CASH, able_to_pay=True,
                         reason="Mampu bayar, menunda")

    # Two ta'zir at once on the late installment: one is collected, the other refused.
    outcomes = together(tazir, tazir)
    assert sum(isinstance(r, Conflict) for r in outcomes) == 1, outcomes
    assert sum(isinstance(r, dict) for r in outcomes) == 1, outcomes
    # Two rounds of two payments at once: installments 1-4, each once.
    paid = [r["installment"]["number"] for _ in range(2) for r in together(pay, pay)]
    assert sorted(paid) == [1, 2, 3, 4]
    detail = coop.call("sharia.murabahah-detail", account=number)
    assert (detail["paid_installments"], detail["outstanding"]["amount"],
            detail["margin_recognised"]["amount"], detail["tazir"]["amount"]) == (
        4, "7200000.00", "800000.00", "10000.00")  # 12,000,000 - 4 x 1,200,000; 4 x 200,000
    assert coop.gl_net()[RECEIVABLE] == 720_000_000
    # A payment and a settlement at once: either the payment comes first (installment 5) and
    # the settlement takes the remaining 6,000,000, or the settlement takes 7,200,000 and the
    # payment is refused. The contract is settled once, for 7,200,000 in all.
    def settle() -> Any:
        return coop.call("sharia.murabahah-settle", as_user="teller", account=number,
                         cash_account=CASH)

    pay_result, settle_result = together(pay, settle)
    assert not isinstance(settle_result, Exception)
    collected = int(settle_result["paid"]["amount"].replace(".00", ""))
    if isinstance(pay_result, Conflict):
        assert collected == 7_200_000
    else:
        assert (pay_result["installment"]["number"], collected) == (5, 6_000_000)
    detail = coop.call("sharia.murabahah-detail", account=number)
    assert (detail["status"], detail["outstanding"]["amount"],
            detail["margin_recognised"]["amount"]) == ("settled", "0.00", "2000000.00")
    assert coop.gl_net().get(RECEIVABLE, 0) == 0
    coop.books_balance()


@pytest.mark.postgres_only
def test_a_bonus_is_approved_and_proposed_once(coop: Coop) -> None:
    wadiah = coop.call("sharia.wadiah-open", member=coop.member())["number"]

    def propose(user: str) -> Callable[[], Any]:
        return lambda: coop.call("sharia.wadiah-bonus-propose", as_user=user, account=wadiah,
                                 amount="5000", period="2026-01")

    # Two managers propose January's bonus at once: one proposal, the other refused (the
    # unique index decides, not a read made before either wrote).
    first, second = together(propose("manager"), propose("manager2"))
    made = [r for r in (first, second) if not isinstance(r, Exception)]
    assert len(made) == 1
    assert isinstance(first if made[0] is second else second, Conflict)
    assert len(coop.call("sharia.proposals", as_user="manager")["proposals"]) == 1
    checker = "manager2" if made[0]["maker"] == "manager" else "manager"

    def approve() -> Any:
        return coop.approve(made[0]["id"], as_user=checker)

    # The checker's approval sent twice at once posts the bonus once.
    results = together(approve, approve)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert coop.balance(wadiah) == "5000.00"
    assert coop.gl_net()["sharia.wadiah_bonus"] == 500_000
    coop.books_balance()


@pytest.mark.postgres_only
def test_a_month_is_distributed_once_even_when_asked_twice_at_once(
        coop_from: Callable[[date], Coop]) -> None:
    coop = coop_from(date(2026, 1, 27))
    coop.call("sharia.mudharabah-pool-create", as_user="manager", code="TMB",
              name="Tabungan Mudharabah Berkah", nisbah="60")
    number = coop.call("sharia.mudharabah-open", member=coop.member(), pool="TMB",
                       amount="3000000", cash_account=CASH)["holding"]["account"]["number"]
    coop.close_days(date(2026, 2, 1))

    def distribute() -> Any:
        return coop.call("sharia.mudharabah-distribute", as_user="manager", pool="TMB",
                         month="2026-01-31", distributable_income="100000")

    # The only account takes its 60 % of 100,000 once; the second request is a 409, whichever
    # check (the read or the unique constraint) stops it.
    results = together(distribute, distribute)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"]
    assert coop.balance(number) == "3060000.00"
    coop.books_balance()


def test_a_rejected_bonus_can_be_proposed_again_and_a_live_one_not(coop: Coop) -> None:
    wadiah = coop.call("sharia.wadiah-open", member=coop.member())["number"]
    bonus = {"account": wadiah, "amount": "5000", "period": "2026-01"}
    first = coop.call("sharia.wadiah-bonus-propose", as_user="manager", **bonus)
    coop.refused(Conflict, "sharia.wadiah-bonus-propose", as_user="manager2", **bonus)
    coop.call("sharia.proposal-reject", as_user="manager2", proposal=first["id"])
    coop.refused(Conflict, "sharia.proposal-approve", as_user="manager2", proposal=first["id"])
    again = coop.call("sharia.wadiah-bonus-propose", as_user="manager", **bonus)
    assert coop.approve(again["id"])["proposal"]["status"] == "approved"
    coop.refused(Conflict, "sharia.wadiah-bonus-propose", as_user="manager", **bonus)
    assert coop.balance(wadiah) == "5000.00"


def test_money_passes_only_through_internal_accounts(coop: Coop) -> None:
    ani, budi = coop.member("Ani Rahayu"), coop.member("Budi Santoso")
    budis = coop.call("sharia.wadiah-open", member=budi)["number"]
    coop.call("sharia.wadiah-deposit", account=budis, amount="2000000", cash_account=CASH)
    anis = coop.call("sharia.wadiah-open", member=ani)["number"]
    coop.call("sharia.zis-receive", fund="zakat", amount="5000", cash_account=CASH,
              memo="Zakat maal")
    number = murabahah(coop, ani)
    # A teller paying Ani's installment, ta'zir or settlement out of Budi's wadiah; or moving
    # money into or out of a sharia account, a fund or a proposal through a member's account.
    refused: list[tuple[str, dict[str, Any]]] = [
        ("sharia.murabahah-pay", {"account": number}),
        ("sharia.murabahah-settle", {"account": number}),
        ("sharia.murabahah-tazir", {"account": number, "amount": "1000", "able_to_pay": True,
                                    "reason": "Mampu bayar"}),
        ("sharia.murabahah-acquire", {"member": ani, "asset": "Motor", "cost": "1000000",
                                      "supplier": "Dealer", "document": "Faktur 9"}),
        ("sharia.murabahah-contract", {"member": ani, "acquisition": coop.acquire(ani, "1000"),
                                       "margin": "100000", "installments": 2,
                                       "down_payment": "100"}),
        ("sharia.wadiah-deposit", {"account": anis, "amount": "1000"}),
        ("sharia.wadiah-withdraw", {"account": anis, "amount": "1"}),
        ("sharia.qardh-disburse", {"member": ani, "amount": "1000"}),
        ("sharia.zis-receive", {"fund": "zakat", "amount": "1000", "memo": "Zakat maal"}),
        ("sharia.zis-disburse", {"fund": "zakat", "amount": "1", "memo": "Mustahik",
                                  "asnaf": "fakir"}),
        ("sharia.muqasah-propose", {"account": number, "discount": "1000"}),
    ]
    for operation, raw in refused:
        error = coop.refused(ValidationError, operation, **raw, cash_account=budis)
        assert (error.extra["field"], operation) == ("cash_account", operation)
    assert coop.balance(budis) == "2000000.00"
    assert coop.call("sharia.murabahah-detail", account=number)["paid_installments"] == 0
    coop.books_balance()
