"""Text inputs are what they show: NFC, no control or bidirectional-override characters, and
names and memos one line of visible text — on the API and the CLI alike."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kopcore.errors import ValidationError
from kopcore.interfaces._convert import load
from kopcore.plugins.member_ops import RegisterMemberIn
from tests import interfaces_support as support
from tests.interfaces_support import CASH, OWN_ACCOUNT, Env, assert_problem

env = support.env

NIK = "5171011508909301"
REFUSED_NAMES = [
    ("Ni Luh\u202eayA", "bidirectional override"),  # right-to-left override
    ("Ni\u2066Luh\u2069", "bidirectional override"),  # isolates
    ("Ni\u200bLuh", "invisible formatting"),  # zero-width space
    ("Ni\u200dLuh", "invisible formatting"),  # zero-width joiner
    ("\ufeffNi Luh", "invisible formatting"),  # byte order mark
    ("Ni Luh\u001b[31m", "control character"),  # terminal escape
    ("Ni Luh\nAyu", "control character"),  # a second line
    ("Ni\tLuh", "control character"),
    ("Ni Luh\u0085", "control character"),  # C1 next line
]


@pytest.mark.parametrize(("name", "why"), REFUSED_NAMES)
def test_a_name_that_does_not_show_what_it_holds_is_refused(env: Env, name: str,
                                                             why: str) -> None:
    before = env.snapshot()["members"]
    response = env.call("members.register", {"name": name, "nik": NIK}, user="teller")
    problem = assert_problem(response, 422, "validation-error")
    assert problem["field"] == "name"
    assert why in problem["detail"]
    assert env.snapshot()["members"] == before


def test_a_name_is_stored_in_nfc(env: Env) -> None:
    decomposed = "Made\u0301 Wi\u0301rawan"  # e and i followed by a combining acute accent
    made = env.ok("members.register", {"name": decomposed, "nik": NIK}, user="teller")
    assert made["name"] == unicodedata.normalize("NFC", decomposed) == "Madé Wírawan"


def test_a_memo_is_one_line_of_visible_text_but_an_address_may_have_lines(env: Env) -> None:
    lines = [{"account": CASH, "side": "debit", "amount": "1000"},
             {"account": OWN_ACCOUNT, "side": "credit", "amount": "1000"}]
    for memo in ("setoran\u202e", "setoran\u200b", "setoran\nkedua"):
        refused = env.call("entries.post", {"memo": memo, "lines": lines}, user="manajer")
        assert assert_problem(refused, 422, "validation-error")["field"] == "memo"
    updated = env.call("members.update-contact",
                       {"member": "AG-002", "address": "Jl. Melati 5\nDenpasar"}, user="teller")
    assert updated.status_code == 200, updated.text
    refused = env.call("members.update-contact",
                       {"member": "AG-002", "address": "Jl. Melati\u202e 5"}, user="teller")
    assert assert_problem(refused, 422, "validation-error")["field"] == "address"


def test_the_cli_refuses_the_same(env: Env) -> None:
    result = env.cli("members", "register", "--name", "Ni Luh\u202eayA", "--nik", NIK,
                     operator="teller")
    assert result.exit_code == 1
    assert result.error_code == "validation-error"
    assert "bidirectional override (U+202E)" in result.stderr


@given(st.text(max_size=40))
def test_any_accepted_name_is_nfc_visible_single_line_text(text: str) -> None:
    try:
        data = load(RegisterMemberIn, {"name": text, "nik": NIK})
    except ValidationError:
        return
    assert data.name == unicodedata.normalize("NFC", data.name)
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in data.name)
