"""SHU from a closed year to members' savings: bases from the savings and loans plugins, the
draft for the RAT, approval by a second person, posting, and each member's statement.

The business date is moved straight to the days a scenario needs (see test_yearend_closing.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

import kopcore
from kopcore import ledger
from kopcore._yearend import shu
from kopcore._yearend.tables import shu_drafts
from kopcore.cli import make_cli
from kopcore.context import Context
from kopcore.errors import Conflict, Forbidden, NotFound, ValidationError
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.records import MemberBasis, ShuBasis, ShuBasisKind
from kopcore.settings import ShuSettings
from kopcore.testing import ON_POSTGRES, Cooperative
from tests.test_yearend_closing import book, close_months, gl_balance, move_to

CASH = Cooperative.CASH


def close_year(coop: Cooperative, year: int) -> dict[str, Any]:
    """Move into the next year, close every month of ``year``, then the year."""
    move_to(coop.kernel, date(year + 1, 1, 4))
    close_months(coop, year, range(1, 13))
    return dict(coop.call("years.close", year=year))


# --- the hook, and the worked example end to end ----------------------------------------------


class FixedBases:
    """A plugin giving the worked example's bases: member A 2 of 100 capital, 5 of 75
    transactions; member B the rest."""

    def __init__(self, a: int, b: int) -> None:
        self.a, self.b = a, b
        self.asked: list[tuple[date, date, ShuBasis]] = []

    @kopcore.hookimpl
    def kopcore_shu_bases(self, ctx: Context, year_start: date, year_end: date,
                          basis: ShuBasis) -> list[MemberBasis]:
        self.asked.append((year_start, year_end, basis))
        capital = basis.kind is ShuBasisKind.CAPITAL
        a, b = (2, 98) if capital else (5, 70)
        return [MemberBasis(self.a, Money.parse(str(a * 1000000)), "test"),
                MemberBasis(self.b, Money.parse(str(b * 1000000)), "test")]


def test_hook_shu_bases_reproduces_the_worked_example(make_kernel: Any) -> None:
    a_id, b_id = 1, 2
    plugin = FixedBases(a_id, b_id)
    example = ShuSettings(reserve=Decimal(40), jasa_modal=Decimal(20), jasa_usaha=Decimal(25),
                          management=Decimal(5), staff=Decimal(5), education=Decimal(5),
                          social=Decimal(0), other=Decimal(0), member_payout="payable")
    kernel = make_kernel(extra_plugins=[("fixed-bases", plugin)], shu=example)
    coop = Cooperative(kernel)
    coop.call("users.create", username="ketua", role="manager")
    a, b = coop.member("Ni Luh Ayu"), coop.member("Komang Adi")
    assert kernel.read("x", lambda ctx: (ledger.get_member(ctx, a).id,
                                         ledger.get_member(ctx, b).id)) == (a_id, b_id)
    book(coop, "GL-income.services", "credit", "75000000", "Jasa layanan 2026")
    book(coop, "GL-expense.general", "debit", "15000000", "Biaya 2026")
    closed = close_year(coop, 2026)
    assert closed["surplus"]["amount"] == "60000000.00"

    drafted = coop.call("shu.draft", year=2026)
    assert plugin.asked == [
        (date(2026, 1, 1), date(2026, 12, 31), ShuBasis(ShuBasisKind.CAPITAL, "year-end")),
        (date(2026, 1, 1), date(2026, 12, 31), ShuBasis(ShuBasisKind.PATRONAGE, "interest"))]
    pools = {p["pool"]: (p["percent"], p["amount"]["amount"]) for p in drafted["pools"]}
    assert pools["jasa_usaha"] == ("25", "15000000.00")
    assert pools["jasa_modal"] == ("20", "12000000.00")
    assert pools["reserve"] == ("40", "24000000.00")
    shares = {m["member_number"]: m for m in drafted["members"]}
    assert shares[a]["jasa_usaha"]["amount"] == "1000000.00"
    assert shares[a]["jasa_modal"]["amount"] == "240000.00"
    assert shares[a]["total"]["amount"] == "1240000.00"
    assert shares[b]["total"]["amount"] == "25760000.00"  # 14,000,000 + 11,760,000

    coop.refused(Conflict, "shu.approve", draft_id=drafted["draft_id"])  # its drafter
    approved = coop.call("shu.approve", as_user="ketua", draft_id=drafted["draft_id"])
    assert (approved["status"], approved["approved_by"]) == ("approved", "ketua")
    posted = coop.call("shu.post", draft_id=drafted["draft_id"])
    assert posted["status"] == "posted"
    coop.refused(Conflict, "shu.post", draft_id=drafted["draft_id"])
    # Payable to members (the settings say so), the reserve and funds credited.
    assert gl_balance(coop, "payable.shu_members") == Money.parse("27000000")
    assert gl_balance(coop, "equity.reserve") == Money.parse("24000000")
    assert gl_balance(coop, "payable.shu_management") == Money.parse("3000000")
    assert gl_balance(coop, "equity.shu_current") == Money(0)
    statement = coop.call("shu.member-statement", year=2026, member=a)
    assert (statement["capital_basis"]["amount"], statement["capital_basis_total"]["amount"],
            statement["patronage_basis"]["amount"],
            statement["patronage_basis_total"]["amount"]) == (
        "2000000.00", "100000000.00", "5000000.00", "75000000.00")
    assert statement["total"]["amount"] == "1240000.00"
    assert statement["account"] == "GL-payable.shu_members"
    coop.books_balance()


def test_the_risk_reserve_is_set_aside_to_its_own_account(make_kernel: Any) -> None:
    # Statutes giving 10 % of the SHU to cadangan tujuan risiko, which the health worksheet
    # counts with the allowance against the problem-loan risk (docs/oversight.md).
    statutes = ShuSettings(reserve=Decimal(30), risk_reserve=Decimal(10), jasa_modal=Decimal(20),
                           jasa_usaha=Decimal(25), management=Decimal(5), staff=Decimal(5),
                           education=Decimal(5), social=Decimal(0), other=Decimal(0),
                           member_payout="payable")
    kernel = make_kernel(extra_plugins=[("fixed-bases", FixedBases(1, 2))], shu=statutes)
    coop = Cooperative(kernel)
    coop.call("users.create", username="ketua", role="manager")
    coop.member("Ni Luh Ayu")
    coop.member("Komang Adi")
    book(coop, "GL-income.services", "credit", "60000000", "Jasa layanan 2026")
    close_year(coop, 2026)
    drafted = coop.call("shu.draft", year=2026)
    pools = {p["pool"]: (p["percent"], p["amount"]["amount"]) for p in drafted["pools"]}
    assert (pools["reserve"], pools["risk_reserve"]) == (("30", "18000000.00"),
                                                         ("10", "6000000.00"))
    coop.call("shu.approve", as_user="ketua", draft_id=drafted["draft_id"])
    coop.call("shu.post", draft_id=drafted["draft_id"])
    assert gl_balance(coop, "equity.reserve_risk") == Money.parse("6000000")
    assert gl_balance(coop, "equity.reserve") == Money.parse("18000000")
    coop.books_balance()


def test_the_draft_waits_for_a_closed_year_with_a_surplus(make_kernel: Any) -> None:
    kernel = make_kernel(extra_plugins=[("fixed-bases", FixedBases(1, 2))])
    coop = Cooperative(kernel)
    coop.member(), coop.member()
    coop.refused(Conflict, "shu.draft", year=2026)
    book(coop, "GL-expense.general", "debit", "100000", "Biaya")
    close_year(coop, 2026)
    refused = coop.refused(Conflict, "shu.draft", year=2026)
    assert "no SHU to share" in str(refused)
    coop.refused(NotFound, "shu.show", year=2026)


# --- real bases from savings and loans --------------------------------------------------------


LOAN_PRODUCT: dict[str, Any] = {"code": "PMU", "name": "Pinjaman Modal Usaha", "method": "flat",
                "frequency": "monthly", "annual_rate": "18", "min_amount": "1000000",
                "max_amount": "50000000", "min_term": 3, "max_term": 24}


class Coop(Cooperative):
    def open(self, member: str, product: str) -> str:
        return str(self.call("savings.open", member=member, product=product)["account"]["number"])

    def deposit(self, account: str, amount: str) -> None:
        self.call("savings.deposit", account=account, amount=amount, cash_account=CASH)

    def loan(self, member: str, amount: str) -> str:
        number = str(self.call("loans.apply", as_user="teller", member=member, product="PMU",
                               amount=amount, term=12)["number"])
        self.call("loans.approve", loan=number)
        self.call("loans.disburse", loan=number, cash_account=CASH)
        return number

    def repay(self, loan: str, amount: str) -> dict[str, Any]:
        return dict(self.call("loans.repay", loan=loan, amount=amount, cash_account=CASH))


def products(coop: Coop) -> None:
    coop.call("savings.product-create", code="POKOK", name="Pokok", type="pokok",
              amount="100000")
    coop.call("savings.product-create", code="WAJIB", name="Wajib", type="wajib",
              amount="50000")
    coop.call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    coop.call("loans.product-create", **LOAN_PRODUCT)


def _installed(*names: str) -> bool:
    from importlib.metadata import entry_points
    found = {ep.name for ep in entry_points(group="kopcore")}
    return set(names) <= found


#: The tests that share the SHU from real product plugins' bases.
needs_savings_and_loans = pytest.mark.skipif(
    not _installed("savings", "loans"),
    reason="needs the savings and loans plugins installed (not in this per-plugin env)")


@pytest.fixture
def coop(make_kernel: Any) -> Coop:
    coop = Coop(make_kernel(plugins=("savings", "loans")))
    coop.call("users.create", username="ketua", role="manager")
    products(coop)
    return coop


@needs_savings_and_loans
def test_bases_from_savings_and_loans_shared_and_credited_to_savings(coop: Coop) -> None:
    a, b, c = coop.member("Ayu"), coop.member("Bagus"), coop.member("Citra")
    accounts = {m: coop.open(m, "POKOK") for m in (a, b, c)}
    for m in (a, b, c):
        coop.deposit(accounts[m], "100000")
    wajib_a, wajib_c = coop.open(a, "WAJIB"), coop.open(c, "WAJIB")
    coop.deposit(wajib_a, "200000")
    coop.deposit(wajib_c, "100000")
    sukarela_a = coop.open(a, "SUKARELA")  # where A's share goes; B and C have none
    loan_a, loan_b = coop.loan(a, "12000000"), coop.loan(b, "6000000")
    move_to(coop.kernel, date(2026, 2, 5))
    # Flat 18 %: A pays 1,000,000 + 180,000 interest, B 500,000 + 90,000.
    assert coop.repay(loan_a, "1180000")["interest"]["amount"] == "180000.00"
    assert coop.repay(loan_b, "590000")["interest"]["amount"] == "90000.00"
    move_to(coop.kernel, date(2026, 6, 30))
    coop.deposit(wajib_c, "50000")  # 2026 capital: A 300,000, B 100,000, C 250,000
    results = coop.call("reports.operating-results", from_date="2026-01-01",
                        to_date="2026-12-31")
    interest = Money.parse(results["surplus"]["amount"])
    assert interest == Money.parse("270000")
    book(coop, "GL-income.other", "credit", "12000000", "Sewa gedung")
    book(coop, "GL-expense.general", "debit", "2270000", "Biaya umum")
    close_year(coop, 2026)
    coop.deposit(wajib_a, "50000")  # in 2027: not part of 2026's basis

    drafted = coop.call("shu.draft", year=2026)
    # SHU 10,000,000: reserve 40 %, JM 20 % = 2,000,000, JU 20 % = 2,000,000, funds 5 % each.
    assert drafted["surplus"]["amount"] == "10000000.00"
    shares = {m["member_number"]: m for m in drafted["members"]}
    expected = {
        # capital, patronage, JM = 2,000,000 x S/650,000, JU = 2,000,000 x T/270,000
        a: ("300000.00", "180000.00", "923076.92", "1333333.33"),
        b: ("100000.00", "90000.00", "307692.31", "666666.67"),
        c: ("250000.00", "0.00", "769230.77", "0.00"),
    }
    got = {m: (s["capital_basis"]["amount"], s["patronage_basis"]["amount"],
               s["jasa_modal"]["amount"], s["jasa_usaha"]["amount"])
           for m, s in shares.items()}
    assert got == expected
    # JM 923,076.923 / 307,692.307 / 769,230.769: floors leave 2 cents, to the largest
    # remainders (C's .9, then B's .7); JU 1,333,333.333 / 666,666.667: 1 cent, to B.
    assert sum(Money.parse(s["jasa_modal"]["amount"]).minor for s in shares.values()) == \
        Money.parse("2000000").minor
    assert sum(Money.parse(s["jasa_usaha"]["amount"]).minor for s in shares.values()) == \
        Money.parse("2000000").minor

    coop.call("shu.approve", as_user="ketua", draft_id=drafted["draft_id"])
    before = coop.call("savings.balance", account=sukarela_a)["account"]["balance"]["amount"]
    posted = coop.call("shu.post", draft_id=drafted["draft_id"])
    assert posted["status"] == "posted"
    after = coop.call("savings.balance", account=sukarela_a)["account"]["balance"]["amount"]
    assert Money.parse(after) - Money.parse(before) == Money.parse("2256410.25")
    members = {m["member_number"]: m["account"] for m in posted["members"]}
    assert members == {a: sukarela_a, b: "GL-payable.shu_members",
                       c: "GL-payable.shu_members"}
    assert gl_balance(coop, "payable.shu_members") == Money.parse("1743589.75")
    assert gl_balance(coop, "equity.shu_current") == Money(0)
    assert gl_balance(coop, "equity.reserve") == Money.parse("4000000")
    coop.books_balance()


@needs_savings_and_loans
def test_average_capital_basis_and_transactions_patronage(make_kernel: Any) -> None:
    shu = ShuSettings(capital_basis="average", patronage_basis="transactions")
    coop = Coop(make_kernel(plugins=("savings", "loans"), shu=shu))
    coop.call("users.create", username="ketua", role="manager")
    products(coop)
    a = coop.member("Ayu")
    pokok, wajib = coop.open(a, "POKOK"), coop.open(a, "WAJIB")
    coop.deposit(pokok, "100000")  # 2026-01-05: 361 days of the year
    loan = coop.loan(a, "12000000")
    move_to(coop.kernel, date(2026, 2, 5))
    coop.repay(loan, "1180000")
    move_to(coop.kernel, date(2026, 7, 1))
    coop.deposit(wajib, "73000")  # 184 days
    book(coop, "GL-income.other", "credit", "1000000", "Lain-lain")
    close_year(coop, 2026)
    drafted = coop.call("shu.draft", year=2026)
    only = drafted["members"][0]
    # (100,000 x 361 + 73,000 x 184) / 365 = 49,532,000 / 365 = 135,704.109... -> 135,704.11
    assert only["capital_basis"]["amount"] == "135704.11"
    assert only["patronage_basis"]["amount"] == "1180000.00"  # everything repaid
    assert only["total"]["amount"] == drafted["members_total"]["amount"]


@needs_savings_and_loans
def test_approval_and_reading_rules(coop: Coop) -> None:
    a = coop.member("Ayu")
    coop.deposit(coop.open(a, "POKOK"), "100000")
    coop.repay(coop.loan(a, "3000000"), "295000")
    book(coop, "GL-income.other", "credit", "1000000", "Lain-lain")
    close_year(coop, 2026)
    coop.refused(Forbidden, "shu.draft", as_user="teller", year=2026)
    first = coop.call("shu.draft", year=2026)
    second = coop.call("shu.draft", as_user="ketua", year=2026)  # a re-draft supersedes
    coop.refused(Conflict, "shu.approve", draft_id=first["draft_id"])
    coop.refused(Conflict, "shu.approve", as_user="ketua", draft_id=second["draft_id"])
    coop.call("shu.approve", draft_id=second["draft_id"])
    coop.refused(Conflict, "shu.draft", year=2026)  # approved: final
    shown = coop.call("shu.show", year=2026)
    assert (shown["draft_id"], shown["status"]) == (second["draft_id"], "approved")
    user = coop.member_user(a)
    mine = coop.call("shu.member-statement", as_user=user, year=2026, member=a)
    assert mine["total"] == shown["members"][0]["total"]
    other = coop.member("Bagus")
    coop.refused(Forbidden, "shu.member-statement", as_user=user, year=2026, member=other)
    nothing = coop.call("shu.member-statement", year=2026, member=other)
    assert nothing["total"]["amount"] == "0.00"
    coop.refused(ValidationError, "shu.draft", year=1200)
    # Posted once: neither approved nor posted again, nor drafted anew.
    posted = coop.call("shu.post", draft_id=second["draft_id"])
    assert posted["status"] == "posted"
    again = coop.refused(Conflict, "shu.post", draft_id=second["draft_id"])
    assert "posted" in str(again)
    coop.refused(Conflict, "shu.approve", draft_id=second["draft_id"])
    coop.refused(Conflict, "shu.draft", year=2026)
    assert gl_balance(coop, "equity.shu_current") == Money(0)
    coop.books_balance()


@needs_savings_and_loans
def test_the_cli_drafts_approves_posts_and_shows(coop: Coop) -> None:
    a = coop.member("Ayu")
    coop.deposit(coop.open(a, "POKOK"), "100000")
    coop.repay(coop.loan(a, "3000000"), "295000")
    book(coop, "GL-income.other", "credit", "1000000", "Lain-lain")
    move_to(coop.kernel, date(2027, 1, 2))
    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()

    def run(operator: str, *args: str) -> dict[str, Any]:
        result = runner.invoke(cli, ["--operator", operator, *args, "--json"])
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output))

    for month in range(1, 13):
        run("ketua", "periods", "close", "--year=2026", f"--month={month}")
    surplus = run("ketua", "years", "close", "--year=2026")["surplus"]["amount"]
    drafted = run("ketua", "shu", "draft", "--year=2026")
    run("admin", "shu", "approve", f"--draft-id={drafted['draft_id']}")
    run("ketua", "shu", "post", f"--draft-id={drafted['draft_id']}")
    shown = run("admin", "shu", "show", "--year=2026")
    assert shown["status"] == "posted"
    assert shown["surplus"]["amount"] == surplus
    refused = runner.invoke(cli, ["--operator", "teller", "shu", "draft", "--year=2026"])
    assert refused.exit_code != 0
    coop.books_balance()



# --- the example plugin: celengan deposits as business, celengan receiving the SHU -----------


def test_celengan_deposits_share_jasa_usaha_and_receive_it(make_kernel: Any) -> None:
    shu = ShuSettings(reserve=Decimal(40), jasa_modal=Decimal(0), jasa_usaha=Decimal(40),
                      patronage_basis="transactions")
    coop = Cooperative(make_kernel(plugins=("celengan",), shu=shu))
    coop.call("users.create", username="ketua", role="manager")
    a, b = coop.member("Ayu"), coop.member("Bagus")
    jar = {m: coop.call("celengan.open", member=m, target="5000000", purpose="Lebaran")["account"]
           for m in (a, b)}
    coop.call("celengan.deposit", account=jar[a], amount="300000", cash_account=CASH)
    move_to(coop.kernel, date(2026, 5, 1))
    coop.call("celengan.deposit", account=jar[b], amount="100000", cash_account=CASH)
    book(coop, "GL-income.other", "credit", "1000000", "Lain-lain")
    close_year(coop, 2026)
    drafted = coop.call("shu.draft", year=2026)
    shares = {m["member_number"]: m for m in drafted["members"]}
    # JU 400,000 by celengan deposits 300,000 : 100,000.
    assert shares[a]["patronage_basis"]["amount"] == "300000.00"
    assert (shares[a]["jasa_usaha"]["amount"], shares[b]["jasa_usaha"]["amount"]) == (
        "300000.00", "100000.00")
    coop.call("shu.approve", as_user="ketua", draft_id=drafted["draft_id"])
    posted = coop.call("shu.post", draft_id=drafted["draft_id"])
    # Celengan answers the settlement purpose "shu-credit": the share goes into the jar.
    assert {m["member_number"]: m["account"] for m in posted["members"]} == jar
    balances = {m: coop.call("celengan.balance", account=jar[m])["balance"] for m in (a, b)}
    assert balances == {a: "600000.00", b: "200000.00"}
    coop.books_balance()


# --- concurrent drafts, approvals and posts (PostgreSQL) --------------------------------------


def _wait_for_a_lock_waiter(kernel: Kernel, seconds: float = 10.0) -> bool:
    """True once another session of this database waits for a lock."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND wait_event_type = 'Lock'")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if kernel.read("auditor", lambda ctx: ctx.conn.execute(query).scalar_one()):
            return True
        time.sleep(0.02)
    return False


def race(kernel: Kernel, first: tuple[str, Callable[[Context], Any]],
         second: tuple[str, Callable[[Context], Any]]) -> tuple[Any, Any]:
    """Run ``first`` in a transaction that commits only once ``second``, begun after ``first``'s
    work, waits for one of its locks (or 10 s have passed). Each result or the exception."""
    worked = threading.Event()
    results: dict[str, Any] = {}

    def run_first() -> None:
        def work(ctx: Context) -> Any:
            out = first[1](ctx)
            worked.set()
            _wait_for_a_lock_waiter(kernel)
            return out

        try:
            results["first"] = kernel.write(first[0], work)
        except Exception as exc:  # the caller asserts on it
            results["first"] = exc
        worked.set()

    def run_second() -> None:
        worked.wait(30)
        try:
            results["second"] = kernel.write(second[0], second[1])
        except Exception as exc:  # the caller asserts on it
            results["second"] = exc

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results["first"], results["second"]


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite takes one writer at a time (BEGIN "
                    "IMMEDIATE), so two drafts, approvals or posts never overlap; the races "
                    "need PostgreSQL")
def test_concurrent_drafts_approvals_and_posts_leave_one_shu(make_kernel: Any) -> None:
    # No member pools: the surplus goes to the reserve and the funds, no bases needed.
    settings = ShuSettings(reserve=Decimal(80), jasa_modal=Decimal(0), jasa_usaha=Decimal(0))
    coop = Cooperative(make_kernel(shu=settings))
    book(coop, "GL-income.other", "credit", "1000000", "Lain-lain")
    close_year(coop, 2026)
    kernel = coop.kernel

    def live() -> list[tuple[int, str]]:
        d = shu_drafts.c
        return kernel.read("auditor", lambda ctx: [tuple(r) for r in ctx.conn.execute(
            select(d.id, d.status).where(d.status != "superseded").order_by(d.id))])

    # Two drafts at once: the second waits for the first's live draft, then is refused.
    won, lost = race(kernel, ("admin", lambda ctx: shu.draft(ctx, 2026)),
                     ("ketua", lambda ctx: shu.draft(ctx, 2026)))
    assert isinstance(won, shu.Draft)
    assert isinstance(lost, Conflict), lost
    assert live() == [(won.id, "draft")]
    # A re-draft and an approval of the draft it supersedes: the approval is refused.
    redrafted, refused = race(kernel, ("admin", lambda ctx: shu.draft(ctx, 2026)),
                              ("ketua", lambda ctx: shu.approve(ctx, won.id)))
    assert isinstance(redrafted, shu.Draft)
    assert isinstance(refused, Conflict), refused
    assert live() == [(redrafted.id, "draft")]
    # Two posts of the approved draft: one posts, the other is refused.
    kernel.write("ketua", lambda ctx: shu.approve(ctx, redrafted.id))
    posted, again = race(kernel, ("admin", lambda ctx: shu.post(ctx, redrafted.id)),
                         ("ketua", lambda ctx: shu.post(ctx, redrafted.id)))
    assert isinstance(posted, shu.Draft)
    assert posted.status == "posted"
    assert isinstance(again, Conflict), again
    assert live() == [(redrafted.id, "posted")]
    # SHU 1,000,000: reserve 80 % and four funds of 5 %, posted once.
    assert gl_balance(coop, "equity.shu_current") == Money(0)
    assert gl_balance(coop, "equity.reserve") == Money.parse("800000")
    assert gl_balance(coop, "payable.shu_social") == Money.parse("50000")
    coop.books_balance()
