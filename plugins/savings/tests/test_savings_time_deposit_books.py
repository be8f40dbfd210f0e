"""Time deposits in the books, with figures worked out by hand: placement and its refusals,
month-end accrual, settlement at maturity (rollover, payout, a payout refused) and withdrawal.

Placed on 5 January 2026 at 6 % a year (365 days), Rp10,000,000 earns Rp1,643.8356… a day:
27 days to the end of January Rp44,383.56 -> Rp44,384; the month to 5 February (31 days)
Rp50,958.90 -> Rp50,959, of which February's 4 days are 50,959 - 44,384 = Rp6,575."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from kopcore_savings import time_deposits
from kopcore_savings.products import get_product
from kopcore_savings.tables import deposits, events, interest_months
from savings_coop import CASH, Coop

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import Conflict, InsufficientFunds, NotFound, NotWithdrawable, ValidationError
from kopcore.money import Money

RP = 100  # sen per rupiah
T = TypeVar("T")


@pytest.fixture
def depo(coop: Coop) -> Coop:
    coop.product("SUKARELA", "sukarela", min_balance="50000")
    coop.product("DEPO-1", "berjangka", interest_rate="6", term_months=1,
                 min_balance="1000000", penalty_rate="1")
    coop.product("DEPO-3", "berjangka", interest_rate="6", term_months=3,
                 min_balance="1000000", penalty_rate="1")
    coop.product("DEPO-ALL", "berjangka", interest_rate="6", term_months=1,
                 min_balance="1000000", penalty_rate="100")
    return coop


def place(coop: Coop, member: str, amount: str = "10000000", instruction: str = "payout",
          product: str = "DEPO-1", **more: Any) -> dict[str, Any]:
    return dict(coop.call("savings.place-deposit", member=member, product=product,
                          amount=amount, source_account=more.pop("source", CASH),
                          instruction=instruction, **more))


def number_of(placed: dict[str, Any]) -> str:
    return str(placed["account"]["account"]["number"])


def books(coop: Coop, work: Callable[[Context], T]) -> T:
    """Run ``work`` as end of day does (the system actor), in one transaction."""
    return coop.kernel.write("system", work)


def deposit(coop: Coop, number: str) -> time_deposits.TimeDeposit:
    return coop.kernel.read("auditor", lambda ctx: time_deposits.get_deposit(ctx, number))


def minor(coop: Coop, number: str) -> int:
    return coop.kernel.read("auditor", lambda ctx: ledger.get_account(ctx, number).balance.minor)


def gl(coop: Coop, key: str) -> int:
    return minor(coop, ledger.gl_account_number(key))


def lines(entry: ledger.JournalEntry | None) -> dict[str, int]:
    assert entry is not None
    return {p.account_number: p.amount.minor for p in entry.postings}


def postings(entry: dict[str, Any]) -> dict[str, tuple[str, Decimal]]:
    """An entry's lines as the API gives them: account -> (side, rupiah)."""
    return {p["account"]: (p["side"], Decimal(p["amount"]["amount"])) for p in entry["postings"]}


def history(coop: Coop, number: str) -> list[tuple[str, str | None]]:
    def read(ctx: Context) -> list[tuple[str, str | None]]:
        account_id = ledger.get_account(ctx, number).id
        e = events.c
        return [(row.event, row.note) for row in ctx.conn.execute(
            sa.select(e.event, e.note).where(e.account_id == account_id).order_by(e.id))]
    return coop.kernel.read("auditor", read)


def months(coop: Coop, number: str) -> list[tuple[str, int, int, int | None]]:
    """The interest months recorded for the deposit: (month, gross, tax, entry id)."""
    def read(ctx: Context) -> list[tuple[str, int, int, int | None]]:
        account_id = ledger.get_account(ctx, number).id
        m = interest_months.c
        return [(row.month, row.gross, row.tax, row.entry_id) for row in ctx.conn.execute(
            sa.select(m.month, m.gross, m.tax, m.entry_id).where(m.account_id == account_id)
            .order_by(m.month))]
    return coop.kernel.read("auditor", read)


def test_placement_checks_the_product_the_amount_and_where_the_money_goes(depo: Coop) -> None:
    coop = depo
    assert coop.today() == date(2026, 1, 5)
    saver, other = coop.member("Made Saver"), coop.member("Wayan")
    sukarela = coop.open(saver, "SUKARELA")
    coop.refused(ValidationError, "savings.place-deposit", member=saver, product="SUKARELA",
                 amount="1000000", source_account=CASH)
    # The minimum is Rp1,000,000: one sen less is refused, the minimum itself is placed.
    coop.refused(ValidationError, "savings.place-deposit", member=saver, product="DEPO-1",
                 amount="999999.99", source_account=CASH)
    coop.refused(ValidationError, "savings.place-deposit", member=saver, product="DEPO-1",
                 amount="0", source_account=CASH)
    placed = place(coop, saver, "1000000")
    assert Decimal(placed["principal"]["amount"]) == 1_000_000
    # Paid out at maturity to the member's sukarela unless another account is named.
    assert placed["payout_account"] == sukarela
    assert (placed["placed_on"], placed["maturity_on"], placed["status"]) == (
        "2026-01-05", "2026-02-05", "active")
    named = place(coop, saver, payout_account=CASH)
    assert named["payout_account"] == CASH
    coop.refused(NotFound, "savings.place-deposit", member=saver, product="DEPO-1",
                 amount="1000000", source_account=CASH, payout_account="NO-SUCH-1")
    # A member without a sukarela account must name where a payout goes; a rollover need not.
    coop.refused(ValidationError, "savings.place-deposit", member=other, product="DEPO-1",
                 amount="1000000", source_account=CASH, instruction="payout")
    rolled = place(coop, other, instruction="rollover")
    assert rolled["payout_account"] is None
    # Funded from a time deposit: refused (it pays out only at maturity or by withdrawal).
    coop.refused(NotWithdrawable, "savings.place-deposit", member=saver, product="DEPO-1",
                 amount="1000000", source_account=number_of(rolled))
    # Funded from sukarela: the sukarela keeps its Rp50,000 minimum.
    coop.deposit(sukarela, "1049999.99")
    coop.refused(InsufficientFunds, "savings.place-deposit", member=saver, product="DEPO-1",
                 amount="1000000", source_account=sukarela)
    coop.deposit(sukarela, "0.01")
    place(coop, saver, "1000000", source=sukarela)
    assert Decimal(coop.balance(sukarela)) == 50_000

    def unknown_instruction(ctx: Context) -> None:
        member = ledger.get_member(ctx, saver)
        time_deposits.place(ctx, member, get_product(ctx, "DEPO-1"), Money.parse("1000000"),
                            CASH, "monthly", None)
    with pytest.raises(ValidationError, match="payout or rollover"):
        books(coop, unknown_instruction)
    with pytest.raises(ValidationError, match="not a time deposit"):
        coop.call("savings.deposit-get", account=sukarela)
    coop.books_balance()


def test_month_end_accrual_expenses_what_each_deposit_earned_so_far(depo: Coop) -> None:
    coop = depo
    saver = coop.member()
    one, three, short = (number_of(place(coop, saver, instruction="rollover", product=p))
                         for p in ("DEPO-1", "DEPO-3", "DEPO-1"))

    def maturing_on_the_31st(ctx: Context) -> None:
        account_id = ledger.get_account(ctx, short).id
        ctx.conn.execute(sa.update(deposits).where(deposits.c.account_id == account_id)
                         .values(maturity_on=date(2026, 1, 31)))
    books(coop, maturing_on_the_31st)

    def accrue(day: date) -> tuple[int, int]:
        """(deposits accrued, journal entries posted) by the accrual of ``day``."""
        def work(ctx: Context) -> tuple[int, int]:
            count = sa.select(sa.func.count()).select_from(query.journal_entries)
            before = ctx.conn.execute(count).scalar_one()
            done = time_deposits.accrue_chunk(ctx, day, 0, 10**9)
            return done, ctx.conn.execute(count).scalar_one() - before
        return books(coop, work)

    assert accrue(date(2026, 1, 30)) == (0, 0)  # not a month end
    # 31 January: 27 days each, Rp44,384 for the one- and three-month deposits; the deposit
    # maturing that very day is settled by maturity, not accrued.
    assert accrue(date(2026, 1, 31)) == (2, 1)
    assert gl(coop, "savings.interest_payable") == gl(coop, "savings.interest_expense") \
        == 2 * 44_384 * RP
    assert [deposit(coop, n).accrued for n in (one, three, short)] == [44_384 * RP] * 2 + [0]
    assert accrue(date(2026, 1, 31)) == (0, 0)  # accrued already: nothing more
    # 28 February: the one-month deposit matured on the 5th; the three-month one has run
    # 55 days: Rp90,410.96 -> 90,411, of which 44,384 is accrued: Rp46,027 more.
    assert accrue(date(2026, 2, 28)) == (1, 1)
    assert [deposit(coop, n).accrued for n in (one, three)] == [44_384 * RP, 90_411 * RP]
    assert gl(coop, "savings.interest_payable") == (44_384 + 90_411) * RP


def test_a_rollover_adds_the_net_interest_and_starts_a_new_term(depo: Coop) -> None:
    coop = depo
    saver = coop.member()
    number = number_of(place(coop, saver, instruction="rollover"))
    # Settled as end of day settles it on 5 February (nothing was accrued at a month end):
    # Rp50,959 expensed and added to the deposit; January's 27 days Rp44,384, February's 4
    # days Rp6,575.
    entry = books(coop, lambda ctx: time_deposits.mature(
        ctx, time_deposits.get_deposit(ctx, number)))
    assert lines(entry) == {"GL-savings.interest_expense": 50_959 * RP, number: -50_959 * RP}
    rolled = deposit(coop, number)
    assert (rolled.principal, rolled.placed_on, rolled.maturity_on, rolled.accrued,
            rolled.status, rolled.rate_ppm) == (
        10_050_959 * RP, date(2026, 2, 5), date(2026, 3, 5), 0, "active", 60_000)
    assert minor(coop, number) == 10_050_959 * RP
    assert entry is not None
    assert months(coop, number) == [("2026-01", 44_384 * RP, 0, entry.id),
                                    ("2026-02", 6_575 * RP, 0, entry.id)]
    assert history(coop, number) == [("rolled-over", "new principal Rp10.050.959,00")]
    coop.books_balance()


def test_a_refused_payout_leaves_the_interest_in_the_matured_deposit(depo: Coop) -> None:
    coop = depo
    saver = coop.member()
    sukarela = coop.open(saver, "SUKARELA")
    number = number_of(place(coop, saver))
    coop.call("accounts.close", account=sukarela)
    entry = books(coop, lambda ctx: time_deposits.mature(
        ctx, time_deposits.get_deposit(ctx, number)))
    # The closed sukarela refuses the payout: the Rp50,959 interest joins the deposit.
    assert lines(entry) == {"GL-savings.interest_expense": 50_959 * RP, number: -50_959 * RP}
    matured = deposit(coop, number)
    assert (matured.status, matured.accrued, matured.principal) == (
        "matured", 0, 10_000_000 * RP)
    assert minor(coop, number) == 10_050_959 * RP
    assert Decimal(coop.balance(sukarela)) == 0
    assert entry is not None
    assert months(coop, number) == [("2026-01", 44_384 * RP, 0, entry.id),
                                    ("2026-02", 6_575 * RP, 0, entry.id)]
    [(event, note)] = history(coop, number)
    assert event == "payout-refused"
    assert note is not None
    assert sukarela in note  # why: the account that refused
    # The member takes it all later, without a penalty: it is no longer running.
    taken = coop.call("savings.deposit-withdraw", account=number, destination=CASH)
    assert postings(taken) == {number: ("debit", 10_050_959), CASH: ("credit", 10_050_959)}
    assert gl(coop, "savings.penalty_income") == 0
    assert coop.call("savings.balance", account=number)["account"]["status"] == "closed"
    assert deposit(coop, number).status == "closed"
    coop.refused(Conflict, "savings.deposit-withdraw", account=number, destination=CASH)
    coop.books_balance()


def test_a_payout_pays_principal_and_net_interest_and_closes(depo: Coop) -> None:
    coop = depo
    saver = coop.member()
    sukarela = coop.open(saver, "SUKARELA")
    # Rp100,000,000: January's 27 days earn Rp443,835.62 -> 443,836, above Rp240,000: 10 %
    # withheld, Rp44,384. The term's Rp509,589.04 -> 509,589 leaves February Rp65,753,
    # untaxed. Net Rp465,205.
    number = number_of(place(coop, saver, "100000000"))
    entry = books(coop, lambda ctx: time_deposits.mature(
        ctx, time_deposits.get_deposit(ctx, number)))
    assert lines(entry) == {"GL-savings.interest_expense": 509_589 * RP,
                            "GL-payable.tax": -44_384 * RP, number: 100_000_000 * RP,
                            sukarela: -100_465_205 * RP}
    assert Decimal(coop.balance(sukarela)) == Decimal("100465205")
    closed = deposit(coop, number)
    assert (closed.status, closed.accrued) == ("closed", 0)
    assert coop.call("savings.balance", account=number)["account"]["status"] == "closed"
    assert entry is not None
    assert months(coop, number) == [("2026-01", 443_836 * RP, 44_384 * RP, entry.id),
                                    ("2026-02", 65_753 * RP, 0, entry.id)]
    coop.books_balance()


def test_withdrawn_on_its_maturity_date_a_deposit_is_paid_in_full(depo: Coop) -> None:
    coop = depo
    saver = coop.member()
    sukarela = coop.open(saver, "SUKARELA")
    number = number_of(place(coop, saver))

    def placed_a_month_ago(ctx: Context) -> None:  # 5 December to 5 January: 31 days
        account_id = ledger.get_account(ctx, number).id
        ctx.conn.execute(sa.update(deposits).where(deposits.c.account_id == account_id)
                         .values(placed_on=date(2025, 12, 5), maturity_on=date(2026, 1, 5)))
    books(coop, placed_a_month_ago)
    # Today is the maturity date and end of day has not run: paid where the member asks,
    # not to the payout account, principal and Rp50,959 interest, no penalty. A destination
    # that refuses the money refuses the withdrawal.
    gone = coop.open(saver, "SUKARELA")
    coop.call("accounts.close", account=gone)
    coop.refused(Conflict, "savings.deposit-withdraw", account=number, destination=gone)
    taken = coop.call("savings.deposit-withdraw", account=number, destination=CASH)
    assert postings(taken) == {"GL-savings.interest_expense": ("debit", 50_959),
                               number: ("debit", 10_000_000), CASH: ("credit", 10_050_959)}
    assert Decimal(coop.balance(sukarela)) == 0
    assert gl(coop, "savings.penalty_income") == 0
    assert deposit(coop, number).status == "closed"
    coop.books_balance()


def test_an_early_withdrawal_pays_the_principal_less_the_rounded_penalty(depo: Coop) -> None:
    coop = depo
    saver = coop.member()
    coop.open(saver, "SUKARELA")
    # 1 % of Rp1,234,567 is Rp12,345.67 -> Rp12,346 (half up to the rupiah).
    number = number_of(place(coop, saver, "1234567"))
    coop.call("savings.deposit-withdraw", account=number, destination=CASH)
    assert gl(coop, "savings.penalty_income") == 12_346 * RP
    # A penalty of 100 % takes the whole principal: nothing goes to the destination.
    everything = number_of(place(coop, saver, "2000000", product="DEPO-ALL"))
    taken = coop.call("savings.deposit-withdraw", account=everything, destination=CASH)
    assert {p["account"] for p in taken["postings"]} == {everything,
                                                         "GL-savings.penalty_income"}
    assert gl(coop, "savings.penalty_income") == (12_346 + 2_000_000) * RP
    coop.books_balance()


def _matured_today(coop: Coop, number: str) -> None:
    """Backdate a deposit placed today to 5 December 2025, so it matures today, 5 January."""
    def work(ctx: Context) -> None:
        account_id = ledger.get_account(ctx, number).id
        ctx.conn.execute(sa.update(deposits).where(deposits.c.account_id == account_id)
                         .values(placed_on=date(2025, 12, 5), maturity_on=date(2026, 1, 5)))
    books(coop, work)


def test_a_matured_deposit_is_paid_once_on_or_after_its_maturity_date(depo: Coop) -> None:
    coop = depo
    saver = coop.member()
    sukarela = coop.open(saver, "SUKARELA")
    number = number_of(place(coop, saver))
    _matured_today(coop, number)
    coop.call("accounts.close", account=sukarela)
    # End of day's maturity of today settles one deposit; its payout account is closed, so the
    # Rp50,959 interest (27 days of December Rp44,384, 4 of January Rp6,575) joins it.
    assert books(coop, lambda ctx: time_deposits.mature_chunk(
        ctx, date(2026, 1, 5), 0, 10**9)) == 1
    assert minor(coop, number) == 10_050_959 * RP
    assert [m[:3] for m in months(coop, number)] == [("2025-12", 44_384 * RP, 0),
                                                    ("2026-01", 6_575 * RP, 0)]
    # Taken today, it pays what it holds, once: no interest again, no penalty.
    taken = coop.call("savings.deposit-withdraw", account=number, destination=CASH)
    assert postings(taken) == {number: ("debit", 10_050_959), CASH: ("credit", 10_050_959)}
    assert gl(coop, "savings.interest_expense") == 50_959 * RP
    assert len(months(coop, number)) == 2
    closed = deposit(coop, number)
    assert (closed.status, closed.accrued) == ("closed", 0)
    assert [event for event, _ in history(coop, number)] == ["payout-refused", "withdrawn"]
    assert history(coop, number)[1][1] == f"Pencairan simpanan berjangka {number}"
    coop.books_balance()


def test_an_early_withdrawal_reverses_the_accrual_and_says_what_it_cost(depo: Coop) -> None:
    coop = depo
    saver = coop.member()
    coop.open(saver, "SUKARELA")
    number = number_of(place(coop, saver))
    books(coop, lambda ctx: time_deposits.accrue_chunk(ctx, date(2026, 1, 31), 0, 10**9))
    assert deposit(coop, number).accrued == 44_384 * RP
    # Withdrawn early: the Rp44,384 accrued leaves the expense again; 1 % of Rp10,000,000,
    # Rp100,000, is the penalty; Rp9,900,000 is paid.
    taken = coop.call("savings.deposit-withdraw", account=number, destination=CASH)
    assert postings(taken) == {
        number: ("debit", 10_000_000), "GL-savings.interest_payable": ("debit", 44_384),
        "GL-savings.interest_expense": ("credit", 44_384),
        "GL-savings.penalty_income": ("credit", 100_000), CASH: ("credit", 9_900_000)}
    closed = deposit(coop, number)
    assert (closed.status, closed.accrued) == ("closed", 0)
    assert history(coop, number) == [
        ("withdrawn", f"Pencairan sebelum jatuh tempo {number} (denda Rp100.000,00)")]
    coop.books_balance()


def test_a_penalty_rounded_above_the_deposit_takes_the_deposit_and_no_more(
        coop: Coop) -> None:
    coop.product("DEPO-KASAR", "berjangka", interest_rate="6", term_months=1,
                 penalty_rate="60", rounding_unit="1000")
    saver = coop.member()
    coop.product("SUKARELA", "sukarela")
    coop.open(saver, "SUKARELA")
    # 60 % of Rp900 is Rp540, Rp1,000 rounded half up to the product's Rp1,000: more than
    # the Rp900 the deposit holds, so the penalty is Rp900 and nothing is paid out.
    number = number_of(place(coop, saver, "900", product="DEPO-KASAR"))
    taken = coop.call("savings.deposit-withdraw", account=number, destination=CASH)
    assert postings(taken) == {number: ("debit", 900),
                               "GL-savings.penalty_income": ("credit", 900)}
    assert history(coop, number) == [
        ("withdrawn", f"Pencairan sebelum jatuh tempo {number} (denda Rp900,00)")]
    coop.books_balance()
