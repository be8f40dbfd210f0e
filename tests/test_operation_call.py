"""``kopcore.operations.call`` and ``check_call``: a plugin runs another operation inside its
own transaction (a bill paid through a gateway runs the loan repayment the bill names)."""

from __future__ import annotations

import pytest

from kopcore import ledger, operations
from kopcore.context import Context
from kopcore.errors import Forbidden, NotFound, UnbalancedEntry, ValidationError
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import PostingLine, Side
from kopcore.testing import Cooperative, principal

CASH = Cooperative.CASH


def lines(amount: str, target: str = "GL-payable.other") -> list[dict[str, str]]:
    return [{"account": CASH, "side": "debit", "amount": amount},
            {"account": target, "side": "credit", "amount": amount}]


@pytest.fixture
def coop(kernel: Kernel) -> Cooperative:
    return Cooperative(kernel, capital="1000000")


def test_the_call_runs_in_the_callers_transaction_and_is_audited(coop: Cooperative) -> None:
    def work(ctx: Context) -> object:
        return operations.call(ctx, "entries.post", {"memo": "Dari plugin",
                                                     "lines": lines("1000")}, caller="celengan")

    answer = coop.kernel.write("system", work, operation="celengan.collect")
    assert isinstance(answer, dict)
    assert answer["operation"] == "entries.post"
    assert coop.kernel.read("admin", lambda ctx: ledger.get_account(
        ctx, "GL-payable.other").balance) == Money.parse("1000")
    trail = coop.call("audit.list", operation="entries.post")["items"]
    assert [(a["actor"], a["outcome"]) for a in trail if a["interface"] == "plugin:celengan"] \
        == [("system", "ok")]


def test_a_refusal_undoes_only_the_call_and_the_caller_goes_on(coop: Cooperative) -> None:
    def work(ctx: Context) -> str:
        ledger.post_entry(ctx, [PostingLine(CASH, Side.DEBIT, Money.parse("500")),
                                PostingLine("GL-income.other", Side.CREDIT,
                                            Money.parse("500"))], memo="milik pemanggil")
        with pytest.raises(UnbalancedEntry):
            operations.call(ctx, "entries.post", {"memo": "x", "lines": [
                {"account": CASH, "side": "debit", "amount": "10"},
                {"account": "GL-payable.other", "side": "credit", "amount": "9"}]},
                caller="celengan")
        with pytest.raises(ValidationError):
            operations.call(ctx, "entries.post", {"memo": "x", "nope": 1}, caller="celengan")
        return "done"

    assert coop.kernel.write("system", work) == "done"
    balances = coop.kernel.read("admin", lambda ctx: (
        ledger.get_account(ctx, "GL-income.other").balance,
        ledger.get_account(ctx, "GL-payable.other").balance))
    assert balances == (Money.parse("500"), Money.zero())
    assert coop.kernel.read("admin", ledger.ledger_invariants) == []


def test_what_cannot_be_called(coop: Cooperative) -> None:
    def call(name: str) -> None:
        coop.kernel.write("system", lambda ctx: operations.call(ctx, name, {}, caller="x"))

    with pytest.raises(NotFound):
        call("loans.nothing")
    with pytest.raises(ValidationError):
        call("eod.run")  # runs its own transactions


def test_check_call_authorises_the_principal_without_running(coop: Cooperative) -> None:
    coop.user("auditor1", "auditor")
    raw = {"memo": "cek", "lines": lines("1000")}

    def check(username: str) -> None:
        who = principal(coop.kernel, username)
        coop.kernel.read(username, lambda ctx: operations.check_call(ctx, "entries.post", raw),
                         principal=who)

    check("admin")
    with pytest.raises(Forbidden):
        check("auditor1")
    with pytest.raises(Forbidden):  # no authenticated caller at all
        coop.kernel.read("system", lambda ctx: operations.check_call(ctx, "entries.post", raw))
    assert coop.kernel.read("admin", lambda ctx: ledger.get_account(
        ctx, "GL-payable.other").balance) == Money.zero()
