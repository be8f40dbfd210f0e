"""Offices: a cooperative with a head office and three branches, a teller and a manager in each.

Members of one branch pay in and repay loans at another; the posting pipeline adds the RAK
(rekening antar kantor) lines so each office's books balance, RAK nets to zero consolidated and
``verify`` checks both; each branch's reports sum to the consolidated ones; a teller cannot use
another branch's cash, through the API or the CLI; an existing single-office database becomes
a head office without losing a rupiah.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from litestar.testing import TestClient
from sqlalchemy import func, select, text

from kopcore import ledger
from kopcore._db import Database, make_engine
from kopcore._db import tables as t
from kopcore._db.migrate import alembic_config, current_heads, upgrade
from kopcore._plugin_manager import PluginHost
from kopcore.errors import BusinessDateError, Conflict, Forbidden, NotFound, ValidationError
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from kopcore.ledger import _integrity as integrity
from kopcore.records import PostingLine, Side
from kopcore.settings import Settings
from kopcore.testing import (
    START_DATE,
    KernelFactory,
    add_user,
    api_key,
    run_operation,
    verify_books,
)
from tests.builders import rp
from tests.interfaces_support import run_console, write_settings

BRANCHES = ("CAB01", "CAB02", "CAB03")
LOAN_PRODUCT = {
    "code": "PMU", "name": "Pinjaman Modal Usaha", "method": "anuitas",
    "frequency": "monthly", "annual_rate": "18", "min_amount": "1000000",
    "max_amount": "50000000", "min_term": 3, "max_term": 24, "provisi_percent": "1",
}


class ThreeBranches:
    """Head office KP and branches CAB01-CAB03, each with a teller (``teller1``...), a manager
    (``manajer1``...), a funded cash account (``KAS-CAB01``...) and a member whose sukarela
    account its teller opened (``savings[1]``...)."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        kernel.write("system", lambda ctx: add_user(ctx, "admin", "admin"))
        kernel.write("system", lambda ctx: add_user(ctx, "auditor", "auditor"))
        self.call("savings.product-create", code="SUKARELA", name="Simpanan Sukarela",
                  type="sukarela")
        self.call("loans.product-create", **LOAN_PRODUCT)
        self.members: dict[int, str] = {}
        self.savings: dict[int, str] = {}
        for n, code in enumerate(BRANCHES, 1):
            self.call("offices.create", code=code, name=f"Kantor Cabang {n}", kind="cabang")
            self.call("users.create", username=f"teller{n}", role="teller", office=code)
            self.call("users.create", username=f"manajer{n}", role="manager", office=code)
            self.call("accounts.open-internal", name=f"Kas Teller {code}", gl_key="cash",
                      number=self.cash(n), office=code)
            self.call("entries.post", memo=f"Modal kerja {code}", lines=[
                {"account": self.cash(n), "side": "debit", "amount": "100000000"},
                {"account": "GL-equity.grants", "side": "credit", "amount": "100000000"}])
            teller = f"teller{n}"
            member = self.call("members.register", as_user=teller, name=f"Anggota Cabang {n}",
                               nik=f"51710115089{n:05d}")["member_number"]
            self.call("members.activate", as_user=teller, member=member)
            self.members[n] = member
            self.savings[n] = self.call("savings.open", as_user=teller, member=member,
                                        product="SUKARELA")["account"]["number"]

    @staticmethod
    def cash(n: int) -> str:
        return f"KAS-{BRANCHES[n - 1]}"

    def call(self, operation: str, /, *, as_user: str = "admin", **raw: Any) -> Any:
        return run_operation(self.kernel, operation, raw, as_user=as_user)

    def deposit(self, at: int, into: int, amount: str) -> Any:
        """Branch ``at``'s teller takes a deposit into the member of branch ``into``."""
        return self.call("savings.deposit", as_user=f"teller{at}", account=self.savings[into],
                         amount=amount, cash_account=self.cash(at))

    def office_of(self, number: str) -> str:
        return str(self.call("accounts.get", account=number)["office"])

    def balance(self, number: str) -> str:
        return str(self.call("accounts.get", account=number)["balance"]["amount"])

    def office_nets(self) -> dict[tuple[int, int], int]:
        """Each entry's net per office (all zero when every office balances)."""
        p = t.postings.c
        rows = self.kernel.db.read(lambda conn: conn.execute(
            select(p.entry_id, p.office_id, func.sum(p.amount))
            .group_by(p.entry_id, p.office_id)).all())
        return {(entry, office): int(net) for entry, office, net in rows}

    def books_verify(self) -> None:
        report = self.kernel.read("auditor", verify_books)
        assert report.errors == [], report.errors


@pytest.fixture
def coop(make_kernel: KernelFactory) -> ThreeBranches:
    return ThreeBranches(make_kernel(plugins=("savings", "loans")))


def test_the_tree_has_the_head_office_first_and_each_branch_its_rak_account(
        coop: ThreeBranches) -> None:
    listed = coop.call("offices.list")["offices"]
    assert [(o["code"], o["kind"], o["parent"]) for o in listed] == [
        ("KP", "pusat", None), ("CAB01", "cabang", "KP"), ("CAB02", "cabang", "KP"),
        ("CAB03", "cabang", "KP")]
    assert [o["rak_account"] for o in listed] == ["RAK-KP", "RAK-CAB01", "RAK-CAB02",
                                                  "RAK-CAB03"]
    assert coop.office_of(coop.savings[2]) == "CAB02"  # opened by branch 2's teller
    assert coop.office_of("KAS-CAB03") == "CAB03"
    assert coop.office_of("GL-equity.grants") == "KP"


def test_a_member_of_branch_1_paying_in_at_branch_2_books_rak_in_both(
        coop: ThreeBranches) -> None:
    entry = coop.deposit(at=2, into=1, amount="500000")

    lines = {(p["account"], p["side"], p["amount"]["amount"]) for p in entry["postings"]}
    assert lines == {("KAS-CAB02", "debit", "500000.00"),
                     (coop.savings[1], "credit", "500000.00"),
                     ("RAK-CAB02", "credit", "500000.00"),
                     ("RAK-CAB01", "debit", "500000.00")}
    assert coop.balance(coop.savings[1]) == "500000.00"
    # Each branch owes the head office its working capital (a negative asset); branch 1 is
    # now owed 500,000 by branch 2 on top.
    assert coop.balance("RAK-CAB01") == "-99500000.00"
    assert coop.balance("RAK-CAB02") == "-100500000.00"
    assert coop.balance("RAK-KP") == "300000000.00"
    posted = coop.kernel.read("auditor", lambda ctx: ledger.get_entry(ctx, entry["entry_id"]))
    offices = {p.account_number: p.office_id for p in posted.postings}
    assert offices["KAS-CAB02"] == offices["RAK-CAB02"] != offices[coop.savings[1]]
    assert offices[coop.savings[1]] == offices["RAK-CAB01"]
    assert all(net == 0 for net in coop.office_nets().values())
    coop.books_verify()


def test_rak_nets_to_zero_after_deposits_and_a_loan_repaid_at_a_third_branch(
        coop: ThreeBranches) -> None:
    coop.deposit(at=2, into=1, amount="500000")
    coop.deposit(at=3, into=2, amount="250000")
    coop.deposit(at=1, into=3, amount="125000")
    loan = coop.call("loans.apply", as_user="teller1", member=coop.members[1], product="PMU",
                     amount="12000000", term=12)["number"]
    coop.call("loans.approve", as_user="manajer1", loan=loan)
    coop.call("loans.disburse", as_user="teller1", loan=loan, to_savings=False,
              cash_account="KAS-CAB01")
    assert coop.office_of(loan) == "CAB01"

    paid = coop.call("loans.repay", as_user="teller3", loan=loan, amount="1100160",
                     cash_account="KAS-CAB03")

    assert paid["principal"]["amount"] == "920160.00"
    accounts = {p["account"] for p in paid["entry"]["postings"]}
    assert {"KAS-CAB03", loan, "RAK-CAB03", "RAK-CAB01"} <= accounts
    raks = [coop.call("accounts.get", account=f"RAK-{code}")["balance"]["amount"]
            for code in ("KP", *BRANCHES)]
    assert sum(Decimal(amount) for amount in raks) == 0
    assert any(Decimal(amount) != 0 for amount in raks)
    assert all(net == 0 for net in coop.office_nets().values())
    consolidated = coop.call("reports.trial-balance", as_user="auditor")
    assert "rak" not in {line["key"] for line in consolidated["lines"]}
    coop.books_verify()


def test_verify_finds_an_office_whose_books_do_not_balance(coop: ThreeBranches) -> None:
    entry = coop.deposit(at=2, into=1, amount="500000")
    kernel = coop.kernel
    # Someone with direct database access moves a posting to another office.
    with kernel.db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE postings DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS postings_no_update"))
        p = t.postings.c
        conn.execute(t.postings.update().where(p.entry_id == entry["entry_id"], p.amount > 0)
                     .values(office_id=1))
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE postings ENABLE TRIGGER USER"))
    report = kernel.read("auditor", lambda ctx: verify_books(ctx, digests=False))
    assert {"office_unbalanced", "posting_office_mismatch"} <= set(report.counts)


def test_each_branch_reports_sum_to_the_consolidated_reports(coop: ThreeBranches) -> None:
    coop.deposit(at=2, into=1, amount="500000")
    coop.deposit(at=1, into=2, amount="300000")
    loan = coop.call("loans.apply", as_user="teller2", member=coop.members[2], product="PMU",
                     amount="6000000", term=6)["number"]
    coop.call("loans.approve", as_user="manajer2", loan=loan)
    coop.call("loans.disburse", as_user="teller2", loan=loan, to_savings=False,
              cash_account="KAS-CAB02")
    coop.call("loans.repay", as_user="teller3", loan=loan, amount="1000000",
              cash_account="KAS-CAB03")
    offices = [o["code"] for o in coop.call("offices.list")["offices"]]
    day = str(START_DATE)

    def nets(report: dict[str, Any], *sections: str) -> dict[str, Decimal]:
        lines = [line for s in sections for line in report[s]["lines"]] if sections \
            else report["lines"]
        return {line["key"]: Decimal(line["balance"]["amount"]) for line in lines}

    for operation, raw, sections in (
        ("reports.trial-balance", {}, ()),
        ("reports.financial-position", {}, ("assets", "liabilities", "equity")),
        ("reports.operating-results", {"from_date": day, "to_date": day},
         ("income", "expenses")),
    ):
        consolidated = coop.call(operation, as_user="auditor", **raw)
        summed: dict[str, Decimal] = defaultdict(Decimal)
        for code in offices:
            one = coop.call(operation, as_user="auditor", office=code, **raw)
            assert one["office"] == code
            if operation == "reports.trial-balance":
                assert one["total_debit"] == one["total_credit"]  # each office balances
            for key, amount in nets(one, *sections).items():
                summed[key] += amount
        expected = nets(consolidated, *sections)
        assert {k: v for k, v in summed.items() if v} == expected, operation
        assert summed["rak"] == 0
    position = coop.call("reports.financial-position", as_user="auditor", office="CAB02")
    assert Decimal(position["assets"]["total"]["amount"]) == \
        Decimal(position["liabilities_and_equity"]["amount"])

    # The RAT statements and the health assessment's ledger figures add up the same way.
    def amount(report: Any, *path: str) -> Decimal:
        for key in path:
            report = report[key]
        return Decimal(report["amount"])

    year = START_DATE.year
    for operation, raw, paths in (
        ("statements.rat", {"year": year}, (
            ("financial_position", "assets", "total_current"),
            ("financial_position", "liabilities", "total_current"),
            ("financial_position", "equity", "total_current"),
            ("operating_results", "surplus_current"),
            ("operating_results", "member_income", "total_current"),
            ("cash_flows", "net_change_current"),
            ("cash_flows", "closing_cash", "current"))),
        ("health.assess", {}, tuple(("ledger_figures", key) for key in (
            "total_assets", "total_liabilities", "equity", "cash_and_bank",
            "income_year_to_date", "expenses_year_to_date", "member_savings"))),
    ):
        consolidated = coop.call(operation, as_user="auditor", **raw)
        per_office = [coop.call(operation, as_user="auditor", office=code, **raw)
                      for code in offices]
        for path in paths:
            assert sum(amount(one, *path) for one in per_office) == \
                amount(consolidated, *path), (operation, path)
    branch = coop.call("health.assess", as_user="auditor", office="CAB02")
    assert branch["ledger_figures"]["active_members"] == 1
    # Loans (written for contract 1.0) reports the cooperative's portfolio only: it is left
    # out of a branch's assessment rather than mixed into the branch's ratios; the kernel's
    # closed-loop figure is narrowed to the branch's books and stays.
    assert [f["key"] for f in branch["plugin_figures"]] == ["members.non_member_funding"]
    assert coop.call("health.assess", as_user="auditor")["plugin_figures"] != []


def test_a_branch_manager_reads_the_reports_of_their_branch_only(coop: ThreeBranches) -> None:
    assert coop.call("reports.trial-balance", as_user="manajer2", office="CAB02")["office"] \
        == "CAB02"
    for refused in ({"office": "CAB01"}, {"office": "KP"}, {}, {"office": "NOWHERE"}):
        with pytest.raises(Forbidden):
            coop.call("reports.trial-balance", as_user="manajer2", **refused)
    assert coop.call("reports.trial-balance", as_user="auditor")["office"] is None
    listed = coop.call("accounts.list", as_user="manajer2")["items"]
    assert {a["office"] for a in listed} == {"CAB02"}


def test_a_teller_is_refused_another_branchs_cash_through_the_api_and_the_cli(
        coop: ThreeBranches, tmp_path: Path) -> None:
    kernel = coop.kernel
    keys = kernel.write("system", lambda ctx: {
        user: api_key(ctx, user) for user in ("teller1", "teller2")})
    before = coop.balance("KAS-CAB01"), coop.balance(coop.savings[2])
    deposit = {"account": coop.savings[2], "amount": "100000", "cash_account": "KAS-CAB01"}
    with TestClient(make_app(kernel)) as client:
        refused = client.post("/api/v1/savings/deposit", json=deposit,
                              headers={"Authorization": f"Bearer {keys['teller2']}"})
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["detail"] == (  # Indonesian: the default language
            "rekening KAS-CAB01 milik kantor lain: kantor Anda hanya boleh memakai pembukuan dan "
            "kas kantornya sendiri")
        seen = client.get("/api/v1/accounts/get", params={"account": "KAS-CAB01"},
                          headers={"Authorization": f"Bearer {keys['teller2']}"})
        assert seen.status_code == 403
        # The member of branch 2 is served at branch 1, from branch 1's cash.
        served = client.post("/api/v1/savings/deposit", json=deposit,
                             headers={"Authorization": f"Bearer {keys['teller1']}"})
        assert served.status_code == 200, served.text
    settings = write_settings(tmp_path / "kopcore.toml", kernel.settings.database_url,
                              plugins=["savings", "loans"])
    cli = run_console(settings, "--operator", "teller2", "savings", "deposit",
                      "--account", coop.savings[2], "--amount", "100000",
                      "--cash-account", "KAS-CAB01")
    assert cli.exit_code != 0
    assert "[forbidden]" in cli.stderr
    assert "another office" in cli.stderr
    assert "Traceback" not in cli.stderr
    own = run_console(settings, "--operator", "teller2", "savings", "deposit",
                      "--account", coop.savings[2], "--amount", "100000",
                      "--cash-account", "KAS-CAB02", "--json")
    assert own.exit_code == 0, own.stderr
    assert coop.balance("KAS-CAB01") == f"{Decimal(before[0]) + 100000:.2f}"
    assert coop.balance(coop.savings[2]) == f"{Decimal(before[1]) + 200000:.2f}"
    # Manual entries name the accounts in their lines: the same rule applies.
    with pytest.raises(Forbidden):
        coop.call("entries.post", as_user="manajer2", memo="pindah kas", lines=[
            {"account": "KAS-CAB02", "side": "debit", "amount": "1000"},
            {"account": "KAS-CAB01", "side": "credit", "amount": "1000"}])


def test_cash_offices_sit_under_a_branch_and_the_tree_refuses_what_is_not_a_tree(
        coop: ThreeBranches, tmp_path: Path) -> None:
    settings = write_settings(tmp_path / "kopcore.toml", coop.kernel.settings.database_url,
                              plugins=["savings", "loans"])
    made = run_console(settings, "--operator", "admin", "offices", "create", "--code", "KK01",
                       "--name", "Kantor Kas Pasar", "--kind", "kas", "--parent", "CAB01",
                       "--json")
    assert made.exit_code == 0, made.stderr
    coop.call("users.create", username="kasir", role="teller", office="KK01")
    # A branch's people reach the cash offices under it; the cash office's, only its own.
    coop.call("accounts.open-internal", name="Kas KK01", gl_key="cash", number="KAS-KK01",
              office="KK01")
    coop.call("entries.post", as_user="admin", memo="dropping", lines=[
        {"account": "KAS-KK01", "side": "debit", "amount": "1000000"},
        {"account": "KAS-CAB01", "side": "credit", "amount": "1000000"}])
    assert coop.call("accounts.get", as_user="teller1", account="KAS-KK01")["office"] == "KK01"
    with pytest.raises(Forbidden):
        coop.call("accounts.get", as_user="kasir", account="KAS-CAB01")
    for bad, error in (
        ({"code": "KK02", "name": "Kas", "kind": "kas", "parent": "KK01"}, ValidationError),
        ({"code": "CAB04", "name": "Cabang", "kind": "cabang", "parent": "CAB01"},
         ValidationError),
        ({"code": "KP2", "name": "Pusat", "kind": "pusat"}, ValidationError),
        ({"code": "cab 4", "name": "Cabang", "kind": "cabang"}, ValidationError),
        ({"code": "CAB01", "name": "Lagi", "kind": "cabang"}, Conflict),
        ({"code": "CAB05", "name": "Cabang", "kind": "cabang", "parent": "XX"}, NotFound),
    ):
        with pytest.raises(error):
            coop.call("offices.create", **bad)
    moved = coop.call("offices.move", office="KK01", parent="CAB02")
    assert moved["parent"] == "CAB02"
    with pytest.raises(ValidationError):
        coop.call("offices.move", office="KP", parent="CAB01")
    with pytest.raises(ValidationError):
        coop.call("offices.move", office="CAB01", parent="KK01")
    with pytest.raises(Forbidden):  # opening offices is the administrator's
        coop.call("offices.create", as_user="manajer1", code="CAB09", name="X", kind="cabang")
    assigned = coop.call("offices.assign-user", username="teller3", office="CAB01")
    assert assigned["office"] == "CAB01"
    coop.call("savings.deposit", as_user="teller3", account=coop.savings[3], amount="1000",
              cash_account="KAS-CAB01")
    coop.books_verify()


def _legacy_single_office(conn: Any) -> None:
    """What a database written before k0005 holds: a user, accounts, an entry."""
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    conn.execute(t.users.insert().values(username="ketua", role="admin", active=True,
                                         created_at=now))
    a = t.accounts.c
    ids = {number: account_id for number, account_id in conn.execute(
        select(a.number, a.id).where(a.number.in_(["GL-cash", "GL-equity.grants"])))}
    row: dict[str, Any] = {
        "business_date": START_DATE, "memo": "Modal awal", "actor": "ketua",
        "operation": "entries.post", "source": "kopcore.ledger", "idempotency_key": None,
        "request_digest": "-", "reverses_entry_id": None, "created_at": now}
    postings = [(ids["GL-cash"], 7_500_000, "IDR"), (ids["GL-equity.grants"], -7_500_000, "IDR")]
    row["digest"] = integrity.entry_digest(None, row, postings)
    entry_id = conn.execute(t.journal_entries.insert().values(row)
                            .returning(t.journal_entries.c.id)).scalar_one()
    for account_id, delta, currency in postings:
        conn.execute(text("INSERT INTO postings (entry_id, account_id, amount, currency) "
                          "VALUES (:e, :a, :m, :c)"),
                     {"e": entry_id, "a": account_id, "m": delta, "c": currency})
        conn.execute(text("UPDATE accounts SET balance = balance + :m WHERE id = :a"),
                     {"m": delta, "a": account_id})


def test_a_single_office_database_migrates_to_its_head_office(database_url: str) -> None:
    settings = Settings(database_url=database_url, plugins=())
    kernel = Kernel(settings, Database(make_engine(database_url)), PluginHost.load(()))
    try:
        upgrade(kernel, "k0004")
        kernel.prepare(initial_date=START_DATE)
        with kernel.db.engine.begin() as conn:
            # The chart of a kernel before offices had no RAK account.
            conn.execute(text("DELETE FROM accounts WHERE number = 'GL-rak'"))
            conn.execute(text("DELETE FROM gl_accounts WHERE key = 'rak'"))
            _legacy_single_office(conn)

        upgrade(kernel)
        kernel.prepare()

        # k0005 and every kernel revision after it
        assert current_heads(kernel) == sorted(
            ScriptDirectory.from_config(alembic_config(kernel)).get_heads())
        with kernel.db.engine.connect() as conn:
            offices = conn.execute(select(t.offices)).all()
            assert [(o.id, o.code, o.kind, o.parent_id) for o in offices] == [
                (1, "KP", "pusat", None)]
            for table in (t.accounts, t.postings, t.users):
                assert set(conn.execute(select(table.c.office_id).distinct()).scalars()) == {1}
        assert kernel.read("auditor", lambda ctx: verify_books(ctx)).errors == []
        assert kernel.read("x", lambda ctx: ledger.get_account(ctx, "GL-cash")).balance \
            == rp("75000")
        # The migrated cooperative opens a branch and books across offices at once.
        run_operation(kernel, "offices.create", {"code": "CAB01", "name": "Cabang Satu",
                                                 "kind": "cabang"}, as_user="ketua")
        kernel.write("ketua", lambda ctx: ledger.open_account(
            ctx, name="Kas Cabang", gl_key="cash", plugin="kopcore", number="KAS-CAB01",
            office="CAB01"))
        kernel.write("ketua", lambda ctx: ledger.post_entry(ctx, [
            PostingLine("KAS-CAB01", Side.DEBIT, rp("25000")),
            PostingLine("GL-cash", Side.CREDIT, rp("25000"))], memo="Dropping kas cabang"))
        assert kernel.read("auditor", lambda ctx: verify_books(ctx)).errors == []
        assert kernel.read("x", lambda ctx: ledger.get_account(ctx, "RAK-KP")).balance \
            == rp("25000")
    finally:
        kernel.close()


def test_a_plugin_sees_the_office_through_the_contract(make_kernel: KernelFactory) -> None:
    """The example plugin (contract 1.1) names a celengan's office; savings and loans (written
    for 1.0) ran unchanged in the tests above."""
    kernel = make_kernel(plugins=("celengan",))
    kernel.write("system", lambda ctx: add_user(ctx, "admin", "admin"))

    def call(operation: str, as_user: str = "admin", **raw: Any) -> Any:
        return run_operation(kernel, operation, raw, as_user=as_user)

    call("offices.create", code="CAB01", name="Kantor Cabang Satu", kind="cabang")
    kernel.write("system", lambda ctx: add_user(ctx, "teller1", "teller", office="CAB01"))
    call("accounts.open-internal", name="Kas CAB01", gl_key="cash", number="KAS-CAB01",
         office="CAB01")
    call("entries.post", memo="Modal kerja", lines=[
        {"account": "KAS-CAB01", "side": "debit", "amount": "1000000"},
        {"account": "GL-equity.grants", "side": "credit", "amount": "1000000"}])
    member = call("members.register", as_user="teller1", name="Ni Luh Ayu",
                  nik="5171011508900001")["member_number"]
    call("members.activate", as_user="teller1", member=member)

    opened = call("celengan.open", as_user="teller1", member=member, target="100000")

    assert opened["office"] == "CAB01"
    call("celengan.deposit", as_user="teller1", account=opened["account"], amount="50000",
         cash_account="KAS-CAB01")
    assert call("celengan.balance", account=opened["account"])["balance"] == "50000.00"
    assert kernel.read("auditor", verify_books).errors == []


def test_end_of_day_waits_for_each_office_to_close_its_day_with_its_cash_counted(
        coop: ThreeBranches, tmp_path: Path) -> None:
    coop.deposit(at=2, into=1, amount="500000")
    day = coop.kernel.read("x", lambda ctx: ctx.business_date)
    progress = coop.call("offices.days", as_user="auditor")
    assert (progress["closed"], progress["to_close"]) == (0, 4)
    with pytest.raises(BusinessDateError, match="KP, CAB01, CAB02, CAB03 still open"):
        coop.call("eod.run", as_user="admin")

    # Branch 2 counts its cash: a shortfall is refused, the right count closes its day.
    with pytest.raises(Conflict, match="selisih kas"):
        coop.call("offices.close-day", as_user="manajer2", office="CAB02",
                  counts=[{"account": "KAS-CAB02", "amount": "100490000"}])
    closed = coop.call("offices.close-day", as_user="manajer2", office="CAB02",
                       counts=[{"account": "KAS-CAB02", "amount": "100500000"}])
    assert (closed["office"], closed["closed"], closed["closed_by"]) == ("CAB02", True,
                                                                        "manajer2")
    assert closed["counted"]["amount"] == "100500000.00"
    with pytest.raises(Conflict, match="already closed"):
        coop.call("offices.close-day", as_user="manajer2", office="CAB02")
    with pytest.raises(Forbidden):  # another branch's day is not branch 2's to close
        coop.call("offices.close-day", as_user="manajer2", office="CAB01",
                  counts=[{"account": "KAS-CAB01", "amount": "100000000"}])
    with pytest.raises(Forbidden):  # nor is another branch's cash
        coop.call("offices.close-day", as_user="manajer1", office="CAB01",
                  counts=[{"account": "KAS-CAB02", "amount": "100500000"}])
    with pytest.raises(ValidationError, match="not an open cash or vault account"):
        coop.call("offices.close-day", as_user="admin", office="CAB01",
                  counts=[{"account": "KAS-CAB02", "amount": "100500000"}])
    # The CLI closes a day the same way.
    settings = write_settings(tmp_path / "kopcore.toml", coop.kernel.settings.database_url,
                              plugins=["savings", "loans"])
    cli = run_console(settings, "--operator", "manajer1", "offices", "close-day",
                      "--office", "CAB01", "--counts",
                      '[{"account": "KAS-CAB01", "amount": "100000000"}]', "--json")
    assert cli.exit_code == 0, cli.stderr
    with pytest.raises(BusinessDateError, match="KP, CAB03 still open"):
        coop.call("eod.run", as_user="admin")
    seen = coop.call("offices.days", as_user="manajer2")
    assert [o["office"] for o in seen["offices"]] == ["CAB02"]  # their own office only
    assert (seen["closed"], seen["to_close"]) == (2, 4)

    coop.call("offices.close-day", as_user="admin", office="CAB03",
              counts=[{"account": "KAS-CAB03", "amount": "100000000"}])
    coop.call("offices.close-day", as_user="admin", office="KP")
    closed_days = coop.call("eod.run", as_user="admin")["closed"]
    assert [d["business_date"] for d in closed_days] == [str(day)]
    after = coop.call("offices.days", as_user="auditor")
    assert (after["closed"], after["to_close"]) == (0, 4)
    coop.books_verify()


def test_an_office_closes_its_day_on_the_tellers_till_counts(coop: ThreeBranches) -> None:
    """The teller's count by denomination is the drawer's count at the office's closing: an
    account the closing does not name takes the last till count of the day. KAS-CAB03 holds
    Rp100.000.000: 900 notes of Rp100.000 and 200 of Rp50.000."""
    coop.call("offices.count-till", as_user="admin", account="KAS-CAB03",
              pieces_100000=900, pieces_50000=190)  # Rp500.000 short
    with pytest.raises(Conflict, match="selisih kas"):
        coop.call("offices.close-day", as_user="admin", office="CAB03")
    # Counted again: the last count stands.
    coop.call("offices.count-till", as_user="admin", account="KAS-CAB03",
              pieces_100000=900, pieces_50000=200)
    closed = coop.call("offices.close-day", as_user="admin", office="CAB03")
    assert closed["counted"]["amount"] == "100000000.00"
    # A figure named at the closing still overrides the till count.
    coop.call("offices.count-till", as_user="admin", account="KAS-CAB01", pieces_100000=1)
    with pytest.raises(Conflict, match="selisih kas"):
        coop.call("offices.close-day", as_user="admin", office="CAB01")
    coop.call("offices.close-day", as_user="admin", office="CAB01",
              counts=[{"account": "KAS-CAB01", "amount": "100000000"}])


def test_an_office_rolled_back_leaves_no_stale_rak_account_behind(
        make_kernel: KernelFactory) -> None:
    """The RAK account numbers are kept per kernel once read; an office created in a
    transaction that rolled back may see its id given to the next office (SQLite reuses it)."""
    kernel = make_kernel()

    def branch_entry(ctx: Any, code: str) -> Any:
        ledger.open_account(ctx, name="Kas", gl_key="cash", plugin="kopcore",
                            number=f"KAS-{code}", office=code)
        return ledger.post_entry(ctx, [PostingLine(f"KAS-{code}", Side.DEBIT, rp("1000")),
                                       PostingLine("GL-equity.grants", Side.CREDIT, rp("1000"))],
                                 memo="Modal kerja")

    class Abandoned(Exception):
        pass

    def abandoned(ctx: Any) -> None:
        from kopcore.ledger._offices import create_office

        create_office(ctx, code="CAB09", name="Batal", kind="cabang", parent="KP")
        branch_entry(ctx, "CAB09")
        raise Abandoned

    with pytest.raises(Abandoned):
        kernel.write("admin", abandoned)

    def kept(ctx: Any) -> Any:
        from kopcore.ledger._offices import create_office

        create_office(ctx, code="CAB10", name="Jadi", kind="cabang", parent="KP")
        return branch_entry(ctx, "CAB10")

    entry = kernel.write("admin", kept)
    assert "RAK-CAB10" in {p.account_number for p in entry.postings}
    assert kernel.read("auditor", verify_books).errors == []
