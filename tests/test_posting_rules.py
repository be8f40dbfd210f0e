"""The posting rules on their own: no database, no kernel, only records (kopcore.ledger._rules).

The posting tests (test_posting.py, test_bulk_posting.py) show the same rules at work through
the pipeline; these pin each rule down fast, with property-based tests where a rule is a law.
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kopcore import errors
from kopcore.ledger import _rules as rules
from kopcore.ledger._records import Account, AccountStatus, PostingView
from kopcore.money import Money
from kopcore.records import PostingLine, Side


def account(account_id: int, *, currency: str = "IDR", normal_sign: int = -1,
            balance: int = 0, held: int = 0, floor: int | None = None,
            status: AccountStatus = AccountStatus.OPEN) -> Account:
    """An account record as the ledger reads it (a liability, credit-normal, by default)."""
    return Account(
        id=account_id, number=f"AC-{account_id}", name=f"Rekening {account_id}",
        gl_key="payable.other", member_id=None, product_code=None, plugin="kopcore",
        currency=currency, normal_sign=normal_sign, status=status,
        balance=Money(balance, currency), held=Money(held, currency),
        floor=Money(floor, currency) if floor is not None else None,
        opened_on=date(2026, 1, 5), closed_on=None)


def by_number(*accounts: Account) -> dict[str, Account]:
    return {a.number: a for a in accounts}


def debit(number: str, minor: int, currency: str = "IDR") -> PostingLine:
    return PostingLine(number, Side.DEBIT, Money(minor, currency))


def credit(number: str, minor: int, currency: str = "IDR") -> PostingLine:
    return PostingLine(number, Side.CREDIT, Money(minor, currency))


CASH = account(1, normal_sign=1, floor=0)
SAVINGS = account(2, floor=0)
INCOME = account(3)
USD_CASH = account(4, currency="USD", normal_sign=1)
BOOKS = by_number(CASH, SAVINGS, INCOME, USD_CASH)


def test_the_rules_module_needs_no_database() -> None:
    tree = ast.parse(Path(rules.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module} | \
        {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
         for alias in node.names}
    kopcore_modules = {name for name in imported if name.startswith("kopcore")}
    assert kopcore_modules <= {"kopcore.errors", "kopcore.ledger._records", "kopcore.money",
                               "kopcore.records"}
    assert not any(name.startswith("sqlalchemy") for name in imported)


# --- shape --------------------------------------------------------------------------------------


def test_well_formed_lines_pass_the_shape_check_as_a_list() -> None:
    lines = (debit(CASH.number, 100), credit(SAVINGS.number, 100))
    assert rules.check_shape(iter(lines)) == list(lines)


@pytest.mark.parametrize(("line", "field"), [
    (PostingLine("AC-1", Side.DEBIT, 0.1), "amount"),  # type: ignore[arg-type]
    (PostingLine("AC-1", Side.DEBIT, Money(0)), "amount"),
    (PostingLine("AC-1", Side.DEBIT, Money(-5)), "amount"),
    (PostingLine("AC-1", "debit", Money(5)), "side"),  # type: ignore[arg-type]
])
def test_a_line_without_a_positive_money_amount_or_a_side_is_refused(line: PostingLine,
                                                                     field: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        rules.check_shape([credit(SAVINGS.number, 5), line])
    assert caught.value.extra["field"] == field


# --- size and memo ------------------------------------------------------------------------------


def test_an_entry_needs_two_lines() -> None:
    with pytest.raises(errors.UnbalancedEntry, match="at least two"):
        rules.check_entry([debit(CASH.number, 1)], "satu kaki")
    with pytest.raises(errors.UnbalancedEntry):
        rules.check_entry([], "kosong")


def test_an_entry_has_at_most_max_lines_postings() -> None:
    lines = [debit(CASH.number, 1), credit(SAVINGS.number, 1)] * (rules.MAX_LINES // 2)
    rules.check_entry(lines, "penuh")
    with pytest.raises(errors.ValidationError, match=f"at most {rules.MAX_LINES} postings"):
        rules.check_entry([*lines, credit(SAVINGS.number, 1)], "satu terlalu banyak")


@pytest.mark.parametrize("memo", ["", "x" * (rules.MAX_MEMO + 1)])
def test_a_memo_is_required_and_bounded(memo: str) -> None:
    with pytest.raises(errors.ValidationError) as caught:
        rules.check_entry([debit(CASH.number, 1), credit(SAVINGS.number, 1)], memo)
    assert caught.value.extra["field"] == "memo"
    rules.check_entry([debit(CASH.number, 1), credit(SAVINGS.number, 1)], "x" * rules.MAX_MEMO)


# --- against the accounts -----------------------------------------------------------------------


def test_a_line_in_another_currency_than_its_account_is_refused() -> None:
    with pytest.raises(errors.CurrencyMismatch, match="AC-4 is in USD"):
        rules.check_against_accounts([debit(USD_CASH.number, 100), credit(SAVINGS.number, 100)],
                                     BOOKS)


def test_a_closed_account_takes_no_line_either_way() -> None:
    closed = by_number(CASH, attrs.evolve(SAVINGS, status=AccountStatus.CLOSED))
    for lines in ([debit(CASH.number, 1), credit(SAVINGS.number, 1)],
                  [debit(SAVINGS.number, 1), credit(CASH.number, 1)]):
        with pytest.raises(errors.AccountClosed) as caught:
            rules.check_against_accounts(lines, closed)
        assert caught.value.extra["account"] == SAVINGS.number


def test_a_frozen_account_passes_validation_its_floor_is_checked_with_the_balances() -> None:
    frozen = by_number(CASH, attrs.evolve(SAVINGS, status=AccountStatus.FROZEN))
    rules.check_against_accounts([debit(SAVINGS.number, 1), credit(CASH.number, 1)], frozen)


def test_an_unbalanced_entry_is_refused_naming_each_currency_difference() -> None:
    lines = [debit(CASH.number, 10_000), credit(SAVINGS.number, 9_999),
             debit(USD_CASH.number, 250, "USD")]
    with pytest.raises(errors.UnbalancedEntry) as caught:
        rules.check_against_accounts(lines, BOOKS)
    assert caught.value.detail == ("entry does not balance: IDR debits exceed credits by 0.01, "
                                   "USD debits exceed credits by 2.50")


def test_one_account_may_stand_on_both_sides() -> None:
    lines = [debit(CASH.number, 300), credit(CASH.number, 100), credit(INCOME.number, 200)]
    rules.check_against_accounts(lines, BOOKS)
    assert rules.balance_changes(lines, BOOKS) == [(CASH, 200, "inc"), (INCOME, -200, "inc")]


amounts = st.integers(min_value=1, max_value=10**12)


@st.composite
def balanced_entries(draw: st.DrawFn) -> list[PostingLine]:
    """A balanced entry over the IDR accounts: each debit split into one to three credits."""
    numbers = [CASH.number, SAVINGS.number, INCOME.number]
    lines: list[PostingLine] = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        total = draw(amounts)
        cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=total - 1),
                                    max_size=2, unique=True))) if total > 1 else []
        lines.append(debit(draw(st.sampled_from(numbers)), total))
        for low, high in zip([0, *cuts], [*cuts, total], strict=True):
            lines.append(credit(draw(st.sampled_from(numbers)), high - low))
    return draw(st.permutations(lines))


@given(balanced_entries())
def test_property_a_balanced_entry_passes_and_nets_to_zero_in_ascending_id_order(
        lines: list[PostingLine]) -> None:
    rules.check_against_accounts(lines, BOOKS)
    changes = rules.balance_changes(lines, BOOKS)
    assert sum(delta for _, delta, _ in changes) == 0
    assert [a.id for a, _, _ in changes] == sorted({a.id for a, _, _ in changes})
    assert all(delta != 0 for _, delta, _ in changes)
    for changed, delta, _kind in changes:
        assert delta == sum(line.signed_minor for line in lines if line.account == changed.number)


@given(balanced_entries(), st.integers(min_value=1, max_value=10**6))
def test_property_changing_any_amount_unbalances_the_entry(lines: list[PostingLine],
                                                           extra: int) -> None:
    first = lines[0]
    bigger = attrs.evolve(first, amount=Money(first.amount.minor + extra))
    with pytest.raises(errors.UnbalancedEntry):
        rules.check_against_accounts([bigger, *lines[1:]], BOOKS)


# --- balance changes ----------------------------------------------------------------------------


@pytest.mark.parametrize(("changed", "side", "kind"), [
    (SAVINGS, Side.CREDIT, "inc"),  # a credit raises a liability
    (CASH, Side.DEBIT, "inc"),  # a debit raises an asset
    (INCOME, Side.DEBIT, "dec-free"),  # lowered, but no floor: nothing to check
    (SAVINGS, Side.DEBIT, "dec-checked"),  # lowered, with a floor
    (CASH, Side.CREDIT, "dec-checked"),
])
def test_a_change_is_checked_only_when_it_lowers_an_account_with_a_floor(
        changed: Account, side: Side, kind: str) -> None:
    [(_, _, found)] = rules.balance_changes([PostingLine(changed.number, side, Money(100))],
                                            BOOKS)
    assert found == kind


def test_money_may_leave_down_to_the_floor_and_not_below_it() -> None:
    saver = attrs.evolve(SAVINGS, balance=Money(1000), held=Money(200), floor=Money(300))
    moved: dict[int, int] = {}  # what the batch moved each balance by, debit-positive
    rules.apply_changes([(saver, 500, "dec-checked")], moved)  # available 800 → 300: at the floor
    assert moved == {saver.id: 500}
    with pytest.raises(errors.InsufficientFunds) as caught:
        rules.apply_changes([(saver, 1, "dec-checked")], moved)
    assert caught.value.extra == {"account": saver.number, "available": "3.00"}  # minor units
    # What can still leave (nothing above the floor), what was asked, the account, the floor.
    assert caught.value.detail == ("Insufficient balance: available Rp0,00, requested Rp0,01 "
                                   "(account AC-2, minimum balance Rp3,00)")
    assert caught.value.detail_in("id") == ("Saldo tidak cukup: tersedia Rp0,00, diminta Rp0,01 "
                                            "(rekening AC-2, saldo minimum Rp3,00)")
    assert moved == {saver.id: 500}


def test_nothing_leaves_a_frozen_account_but_money_comes_in() -> None:
    frozen = attrs.evolve(INCOME, status=AccountStatus.FROZEN)  # credit-normal, no floor
    moved: dict[int, int] = {}
    rules.apply_changes([(frozen, -5, "inc")], moved)  # a credit raises it: money comes in
    with pytest.raises(errors.AccountFrozen, match="AC-3 is frozen"):
        rules.apply_changes([(frozen, 1, "dec-free")], moved)  # a debit lowers it
    assert moved == {frozen.id: -5}


@given(st.lists(st.tuples(st.sampled_from([CASH, SAVINGS, INCOME]), st.sampled_from(Side),
                          st.integers(min_value=1, max_value=10**6)),
                min_size=1, max_size=6),
       st.integers(min_value=0, max_value=10**6))
def test_property_changes_apply_entirely_within_the_floors_or_not_at_all(
        moves: list[tuple[Account, Side, int]], opening: int) -> None:
    # Every account opens with ``opening`` on its normal side.
    books = {number: attrs.evolve(a, balance=Money(opening, a.currency))
             for number, a in BOOKS.items()}
    changes = rules.balance_changes(
        [PostingLine(a.number, side, Money(minor)) for a, side, minor in moves], books)
    moved: dict[int, int] = {}
    try:
        rules.apply_changes(changes, moved)
    except (errors.InsufficientFunds, errors.AccountFrozen):
        assert moved == {}
        return
    assert moved == {changed.id: delta for changed, delta, _kind in changes}
    for changed, delta, _kind in changes:  # nothing goes below a floor
        if changed.floor is not None and delta * changed.normal_sign < 0:
            assert opening + delta * changed.normal_sign >= changed.floor.minor


# --- reversal and idempotency -------------------------------------------------------------------


@given(balanced_entries())
def test_property_a_reversal_mirrors_every_line_and_undoes_every_change(
        lines: list[PostingLine]) -> None:
    posted = [PostingView(BOOKS[ln.account].id, ln.account,
                          Money(ln.signed_minor, ln.amount.currency)) for ln in lines]
    mirror = rules.mirror_lines(posted)
    rules.check_against_accounts(mirror, BOOKS)
    assert [(ln.account, ln.amount) for ln in mirror] == [(ln.account, ln.amount) for ln in lines]
    assert all(m.side is not ln.side for m, ln in zip(mirror, lines, strict=True))
    assert [(changed, delta) for changed, delta, _ in rules.balance_changes(mirror, BOOKS)] == [
        (changed, -delta) for changed, delta, _ in rules.balance_changes(lines, BOOKS)]


def test_the_replay_digest_binds_lines_memo_and_reversal() -> None:
    lines = [debit(CASH.number, 100), credit(SAVINGS.number, 100)]
    digest = rules.replay_digest(lines, "setoran", None)
    assert rules.replay_digest(list(lines), "setoran", None) == digest
    assert len({digest,
                rules.replay_digest(lines, "setoran lain", None),
                rules.replay_digest(lines, "setoran", 7),
                rules.replay_digest([credit(CASH.number, 100), debit(SAVINGS.number, 100)],
                                    "setoran", None),
                rules.replay_digest([debit(CASH.number, 101), credit(SAVINGS.number, 101)],
                                    "setoran", None)}) == 5
