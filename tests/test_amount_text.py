"""Amounts written by people and programs are read exactly, or refused: what kopcore prints reads
back to the same amount, and the API and the CLI read the same notations (the rules themselves:
test_amount_text_rules.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kopcore.interfaces._render import render
from kopcore.money import MAX_MINOR, Money, read_amount
from tests import interfaces_support as support
from tests.interfaces_support import OWN_ACCOUNT, Env, assert_problem

env = support.env

AMOUNTS = st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR).map(Money)


@given(AMOUNTS)
def test_what_kopcore_prints_or_writes_reads_back_to_the_same_amount(money: Money) -> None:
    printed = money.format()  # Rp1.500.000,00 / -Rp1.234,50
    assert read_amount(printed.replace("Rp", "")) == money.amount
    assert read_amount(money.to_str()) == money.amount  # the JSON form
    shown = render({"amount": {"amount": money.to_str(), "currency": "IDR"}})
    assert read_amount(shown.removeprefix("amount: ").removesuffix(" IDR")) == money.amount


def test_the_cli_refuses_50_000_instead_of_holding_rp50(env: Env) -> None:
    result = env.cli("accounts", "hold", "--account", OWN_ACCOUNT, "--amount", "50.000",
                     "--reason", "jaminan", operator="teller")
    assert result.exit_code == 1
    assert result.error_code == "invalid-amount"
    assert "'50.000' is ambiguous: write '50000' (or '50.000,00')" in result.stderr
    held = env.cli("accounts", "hold", "--account", OWN_ACCOUNT, "--amount", "50.000,00",
                   "--reason", "jaminan", "--json", operator="teller").json()
    assert held["account"]["held"] == {"amount": "50000.00", "currency": "IDR"}


def test_the_api_reads_the_same_notations(env: Env) -> None:
    held = env.ok("accounts.hold", {"account": OWN_ACCOUNT, "amount": "1.500,50",
                                    "reason": "jaminan"}, user="teller")
    assert held["account"]["held"] == {"amount": "1500.50", "currency": "IDR"}
    refused = env.call("accounts.hold", {"account": OWN_ACCOUNT, "amount": "50.000",
                                         "reason": "jaminan"}, user="teller")
    assert "ambiguous" in assert_problem(refused, 422, "invalid-amount")["detail"]
