"""kopcore.query: read-only views of the kernel's tables (kernel tables contract 1), and the
query functions plugins read kernel data with."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import kopcore
from kopcore import ledger, query
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.errors import NotFound
from kopcore.kernel import Kernel
from kopcore.records import GLType, PostingLine, Side
from kopcore.testing import KernelFactory
from tests.builders import active_member, capitalise, cash_account, member_account, rp

#: Kernel tables contract 1. Within a contract columns may be added, never removed or renamed:
#: this is what plugins written against contract 1 rely on.
CONTRACT_1 = {
    "accounts": {"id", "number", "gl_key", "member_id", "product_code", "plugin", "currency",
                 "normal_sign", "status", "balance", "held"},
    "members": {"id", "member_number", "name", "phone", "status"},
    "journal_entries": {"id", "business_date", "memo", "operation"},
    "postings": {"entry_id", "account_id", "amount", "currency"},
    "gl_accounts": {"key", "type"},
}
VIEWS = {name: getattr(query, name) for name in CONTRACT_1}


def test_the_views_keep_every_column_of_kernel_tables_contract_1() -> None:
    assert query.CONTRACT == 1
    for name, view in VIEWS.items():
        assert CONTRACT_1[name] <= set(view.c.keys()), name
        assert set(view.c.keys()) == set(query.COLUMNS[name]), name
        assert all(meaning.strip() for meaning in query.COLUMNS[name].values())


def test_the_plugin_guide_documents_each_column_of_the_contract() -> None:
    guide = (Path(__file__).resolve().parent.parent / "docs" / "plugin-guide.md").read_text(
        encoding="utf-8")
    section = guide.split("### Reading the kernel's tables\n", 1)[1].split("\n## ", 1)[0]
    assert f"**kernel tables contract {query.CONTRACT}**" in section
    documented = re.findall(r"^\| `(\w+)` \| `(\w+)` \| (.+) \|$", section, re.MULTILINE)
    assert documented == [(view, name, meaning) for view, columns in query.COLUMNS.items()
                          for name, meaning in columns.items()]


def test_a_view_column_is_its_tables_column_with_the_same_type() -> None:
    for name, view in VIEWS.items():
        table = t.metadata.tables[name]
        for column in view.c:
            assert type(column.type) is type(table.c[column.key].type), (name, column.key)


@pytest.mark.parametrize("name", sorted(CONTRACT_1))
def test_nothing_can_be_written_through_a_view(name: str) -> None:
    view = VIEWS[name]
    for statement in (sa.insert, sa.update, sa.delete):
        with pytest.raises(sa.exc.ArgumentError, match="subject table"):
            statement(view)
    assert not any(hasattr(view, verb) for verb in ("insert", "update", "delete"))


def test_an_alias_of_a_view_is_refused_by_the_database_as_a_target(kernel: Kernel) -> None:
    target = query.accounts.alias("target")
    before = kernel.read("auditor", _accounts)
    for write in (sa.update(target).values(balance=0), sa.delete(target)):
        with pytest.raises(sa.exc.DBAPIError):
            kernel.write("admin", lambda ctx, write=write: ctx.conn.execute(write))
    assert kernel.read("auditor", _accounts) == before


def _accounts(ctx: Context) -> list[Any]:
    return list(ctx.conn.execute(sa.select(t.accounts).order_by(t.accounts.c.id)).all())


def seed(kernel: Kernel) -> None:
    """Cash, two members with accounts, and a few entries."""
    def work(ctx: Context) -> None:
        cash = cash_account(ctx).number
        capitalise(ctx, cash, rp("1000000"))
        for name, amount in (("Made Wirawan", "250000"), ("Komang Sari", "40000")):
            account = member_account(ctx, active_member(ctx, name=name)).number
            ledger.post_entry(ctx, [PostingLine(cash, Side.DEBIT, rp(amount)),
                                    PostingLine(account, Side.CREDIT, rp(amount))],
                              memo="Setoran")
        ledger.freeze_account(ctx, account)

    kernel.write("teller", work)


Tables = dict[str, sa.FromClause]


def statements(tables: Tables) -> list[sa.Select[Any]]:
    """What plugins write against the kernel's tables: joins through the journal, a correlated
    scalar subquery, EXISTS, an outer join to a second copy of accounts, an aggregate."""
    a, m, e, p = (tables[n].c for n in ("accounts", "members", "journal_entries", "postings"))
    other = tables["accounts"].alias("other")
    return [
        sa.select(a.number, m.member_number, sa.func.sum(p.amount * a.normal_sign))
        .select_from(tables["postings"])
        .join(tables["journal_entries"], e.id == p.entry_id)
        .join(tables["accounts"], a.id == p.account_id)
        .outerjoin(tables["members"], m.id == a.member_id)
        .where(e.memo == "Setoran").group_by(a.number, m.member_number).order_by(a.number),
        sa.select(m.name, sa.select(a.balance * a.normal_sign).where(a.member_id == m.id)
                  .scalar_subquery().label("balance")).order_by(m.id),
        sa.select(m.member_number).where(sa.exists().where(
            a.member_id == m.id, a.status == "frozen")),
        sa.select(a.number, other.c.number).outerjoin(other, other.c.gl_key == a.gl_key)
        .where(a.member_id.is_not(None), a.held == 0, a.id != other.c.id)
        .order_by(a.id, other.c.id),
        sa.select(tables["gl_accounts"].c.type, sa.func.count()).join(
            tables["accounts"], a.gl_key == tables["gl_accounts"].c.key)
        .group_by(tables["gl_accounts"].c.type).order_by(tables["gl_accounts"].c.type),
    ]


KERNEL_TABLES: Tables = {name: t.metadata.tables[name] for name in CONTRACT_1}


def test_statements_read_the_same_rows_through_the_views_as_through_the_tables(
        kernel: Kernel) -> None:
    seed(kernel)

    def rows(build: Callable[[Tables], list[sa.Select[Any]]], tables: Tables
             ) -> Callable[[Context], list[list[Any]]]:
        return lambda ctx: [list(ctx.conn.execute(s).all()) for s in build(tables)]

    through_views = kernel.read("auditor", rows(statements, dict(VIEWS)))
    assert through_views == kernel.read("auditor", rows(statements, KERNEL_TABLES))
    assert all(through_views), "every statement finds rows in the seeded books"


def test_the_database_flattens_the_views_into_the_statement(kernel: Kernel) -> None:
    """The view adds no step to the plan: the database reads the kernel's tables and their
    indexes as if the statement named them."""
    seed(kernel)
    dialect = kernel.db.engine.dialect

    def plans(tables: Tables) -> Callable[[Context], list[str]]:
        def explain(ctx: Context) -> list[str]:
            found = []
            for statement in statements(tables):
                sql = str(statement.compile(dialect=dialect,
                                            compile_kwargs={"literal_binds": True}))
                prefix = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else \
                    "EXPLAIN (COSTS OFF) "
                found.append("\n".join(_step(str(row[-1]))
                                       for row in ctx.conn.exec_driver_sql(prefix + sql)))
            return found
        return explain

    through_views = kernel.read("auditor", plans(dict(VIEWS)))
    assert not any("Subquery Scan" in plan or "MATERIALIZE" in plan or "CO-ROUTINE" in plan
                   for plan in through_views), through_views
    if dialect.name == "sqlite":
        assert through_views == kernel.read("auditor", plans(KERNEL_TABLES))


def _step(detail: str) -> str:
    """A step of a plan without the names that differ between a flattened view and a table:
    SQLite names the view's table by the table's name, an aliased table by its alias, and
    numbers subqueries counting the view."""
    return re.sub(r"SUBQUERY \d+", "SUBQUERY", re.sub(r"^(SCAN|SEARCH) \S+", r"\1", detail))


def test_normal_balance_is_the_balance_a_person_reads(kernel: Kernel) -> None:
    seed(kernel)
    a = query.accounts.c
    rows = dict(kernel.read("auditor", lambda ctx: ctx.conn.execute(
        sa.select(a.number, query.normal_balance()).where(a.member_id.is_not(None))).all()))
    assert sorted(rows.values()) == [rp("40000").minor, rp("250000").minor]
    cash = query.accounts.alias("cash")
    assert kernel.read("auditor", lambda ctx: ctx.conn.execute(
        sa.select(query.normal_balance(cash)).where(cash.c.number == "CASH-01")).scalar_one()) \
        == rp("1290000").minor


def test_account_number_by_id_and_not_found(kernel: Kernel) -> None:
    seed(kernel)
    cash = kernel.read("auditor", lambda ctx: ledger.get_account(ctx, "CASH-01"))
    assert kernel.read("auditor", lambda ctx: query.account_number(ctx, cash.id)) == "CASH-01"
    with pytest.raises(NotFound, match="no account has id 987654"):
        kernel.read("auditor", lambda ctx: query.account_number(ctx, 987654))


def test_gl_account_type_of_the_chart_in_force(kernel: Kernel) -> None:
    assert kernel.read("auditor", lambda ctx: query.gl_account_type(ctx, "cash")) is \
        GLType.ASSET
    assert kernel.read("auditor", lambda ctx: query.gl_account_type(ctx, "equity.wajib")) is \
        GLType.EQUITY
    assert kernel.read("auditor", lambda ctx: query.gl_account_type(ctx, "nowhere")) is None


class _AccountCount:
    """A plugin whose transaction fact counts the kernel's accounts through the view."""

    FACT = "probe.accounts"

    @kopcore.hookimpl
    def kopcore_transaction_facts(self) -> dict[str, Any]:
        return {self.FACT: sa.select(sa.func.count()).select_from(query.accounts)
                .where(query.accounts.c.status != "closed").scalar_subquery()}


def test_hook_transaction_facts_over_a_view_read_the_whole_table_not_the_postings_accounts(
        make_kernel: KernelFactory) -> None:
    """The posting's SELECT reads its two accounts from the kernel table and the fact as a
    scalar subquery over the view: the two are not correlated, so the fact counts every
    account, as it would alone."""
    kernel = make_kernel(extra_plugins=[("probe", _AccountCount())])
    seed(kernel)
    total = kernel.read("auditor", lambda ctx: ctx.conn.execute(
        sa.select(sa.func.count()).select_from(t.accounts)).scalar_one())

    def post_and_read_the_fact(ctx: Context) -> int:
        ctx.forget_facts()
        ledger.post_entry(ctx, [PostingLine("CASH-01", Side.DEBIT, rp("1")),
                                PostingLine("GL-equity.grants", Side.CREDIT, rp("1"))],
                          memo="Hibah")
        assert kernel.facts.cached(ctx.conn) is not None  # carried by the posting's SELECT
        return int(ctx.fact(_AccountCount.FACT))

    assert total > 2
    assert kernel.write("teller", post_and_read_the_fact) == total
