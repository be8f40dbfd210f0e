"""The CLI's human output (kopcore.interfaces._render): what a reader sees in each cell."""

from __future__ import annotations

from kopcore.interfaces._render import render, table
from tests import interfaces_support as support
from tests.interfaces_support import Env

env, env_factory = support.env, support.env_factory


def test_a_list_of_numbers_prints_its_numbers_not_its_length() -> None:
    assert render({"late_entries": [1]}) == "late_entries: 1"
    assert render({"late_entries": [12, 15]}) == "late_entries: 12, 15"
    assert render({"late_entries": []}) == "late_entries: -"


def test_a_list_in_a_table_cell_prints_its_items_comma_separated() -> None:
    text = table([{"name": "celengan", "products": ["celengan"], "operations": []},
                  {"name": "loans", "products": ["loans.flat", "loans.anuitas"],
                   "operations": ["loans.apply"]}])
    assert text.splitlines() == [
        "NAME      PRODUCTS                   OPERATIONS",
        "celengan  celengan                   -",
        "loans     loans.flat, loans.anuitas  loans.apply",
    ]


def test_money_in_a_list_keeps_its_format() -> None:
    assert table([{"amounts": [{"amount": "1500000.00", "currency": "IDR"},
                               {"amount": "-25.50", "currency": "IDR"}]}]).splitlines()[1] == \
        "1.500.000,00 IDR, -25,50 IDR"


def test_the_plugins_command_lists_each_plugins_operations(env: Env) -> None:
    shown = env.cli("system", "plugins")
    assert shown.exit_code == 0, shown.stderr
    members = next(line for line in shown.stdout.splitlines() if line.startswith("kopcore.members"))
    assert "members.register, " in members
    assert "[" not in shown.stdout
