"""Transaction facts: the business date and the plugins' facts come with each posting's accounts,
in one statement, as current as the accounts; and a pooled connection found dead is replaced."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from kopcore_celengan import goals
from kopcore_celengan.operations import MoveInput, OpenCelenganInput, deposit, open_celengan
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.pool import NullPool

import kopcore
from kopcore import ledger
from kopcore._db import tables as t
from kopcore._facts import BUSINESS_DATE
from kopcore._plugin_manager import PluginHost
from kopcore._yearend import closing
from kopcore._yearend.tables import periods
from kopcore.context import Context
from kopcore.errors import PluginError, PostingVetoed
from kopcore.kernel import Kernel
from kopcore.records import PostingLine, Side
from kopcore.testing import START_DATE, KernelFactory
from tests.builders import active_member, capitalise, cash_account, member_account, rp

CELENGAN = ("celengan",)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL of every statement the engine sends while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(" ".join(sql.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def teller_cash_and_savings(kernel: Kernel) -> tuple[str, str]:
    def work(ctx: Context) -> tuple[str, str]:
        cash = cash_account(ctx).number
        capitalise(ctx, cash, rp("1000000"))
        member = active_member(ctx, name="Made Wirawan")
        return cash, member_account(ctx, member).number

    return kernel.write("teller", work)


def pay_in(cash: str, account: str, amount: str) -> Any:
    def work(ctx: Context) -> Any:
        return ledger.post_entry(ctx, [PostingLine(cash, Side.DEBIT, rp(amount)),
                                       PostingLine(account, Side.CREDIT, rp(amount))],
                                 memo="Setoran")
    return work


def test_hook_transaction_facts_come_with_the_accounts_in_the_same_statement(
        make_kernel: KernelFactory) -> None:
    kernel = make_kernel(plugins=CELENGAN)
    cash, account = teller_cash_and_savings(kernel)

    with statements(kernel.db.engine) as sent:
        entry = kernel.write("teller", pay_in(cash, account, "5000"))

    assert entry.business_date == START_DATE
    reads = [sql for sql in sent if sql.upper().startswith("SELECT")]
    # One SELECT: the accounts, with the business date, the year end's last closed day and
    # celengan's waiting goals as extra columns. No statement of their own, and celengan's
    # after-posting hook spends none: no goal is waiting.
    assert len(reads) == 1, sent
    [read] = reads
    for table in ("accounts", "business_calendar", "yearend_periods", "celengan_goals"):
        assert table in read, (table, read)
    assert not any("celengan_goals" in sql for sql in sent if sql is not read)


def test_hook_transaction_facts_are_as_current_as_the_accounts_within_a_transaction(
        make_kernel: KernelFactory) -> None:
    kernel = make_kernel(plugins=CELENGAN)
    cash, _account = teller_cash_and_savings(kernel)

    def work(ctx: Context) -> tuple[int, int, int, Any]:
        before = ctx.fact(goals.WAITING_FACT)
        member = active_member(ctx, name="Komang Sari")
        opened = open_celengan(ctx, OpenCelenganInput(member.member_number, Decimal("20000"),
                                                      "Sekolah"))
        after_opening = ctx.fact(goals.WAITING_FACT)  # open_goal forgot the cached facts
        deposit(ctx, MoveInput(opened.account, Decimal("20000"), cash))
        after_reaching = ctx.fact(goals.WAITING_FACT)  # mark_reached remembered one fewer
        goal = ctx.conn.execute(select(goals.goals.c.reached_on)).scalar_one()
        return before, after_opening, after_reaching, goal

    before, after_opening, after_reaching, reached_on = kernel.write("teller", work)

    assert (before, after_opening, after_reaching) == (0, 1, 0)
    assert reached_on == START_DATE
    assert kernel.read("auditor", lambda ctx: ctx.fact(goals.WAITING_FACT)) == 0


def test_hook_transaction_facts_remembered_forgotten_and_read_again_by_the_next_posting(
        kernel: Kernel) -> None:
    cash, account = teller_cash_and_savings(kernel)
    december = date(2025, 12, 31)

    def work(ctx: Context) -> None:
        assert closing.closed_through(ctx) is None
        ctx.remember_fact(closing.CLOSED_THROUGH_FACT, december)
        assert closing.closed_through(ctx) == december  # remembered
        ctx.forget_facts()
        assert closing.closed_through(ctx) is None  # read again: nothing is closed
        ctx.conn.execute(periods.insert().values(
            kind=closing.MONTH, start_date=date(2025, 12, 1), end_date=december,
            currency="IDR", adjustments_seen=0, closed_by="ketua", closed_on=START_DATE,
            closed_at=datetime.now(UTC)))
        # The posting reads the facts again with its accounts and sees the month closed.
        back_dated = attrs.evolve(ctx, _business_date=date(2025, 12, 20))
        ledger.post_entry(back_dated, [PostingLine(cash, Side.DEBIT, rp("1")),
                                       PostingLine(account, Side.CREDIT, rp("1"))], memo="late")

    with pytest.raises(PostingVetoed) as vetoed:
        kernel.write("teller", work)
    assert vetoed.value.reason == closing.PERIOD_CLOSED
    assert kernel.read("auditor", closing.closed_through) is None  # rolled back


def test_hook_transaction_facts_an_unknown_name_is_a_clear_error(kernel: Kernel) -> None:
    with pytest.raises(KeyError, match=r"no transaction fact 'nobody\.nothing'"):
        kernel.read("auditor", lambda ctx: ctx.fact("nobody.nothing"))


class _FactPlugin:
    def __init__(self, facts: dict[str, Any]) -> None:
        self.facts = facts

    @kopcore.hookimpl
    def kopcore_transaction_facts(self) -> dict[str, Any]:
        return self.facts


def test_hook_transaction_facts_a_name_declared_twice_or_undotted_stops_start_up() -> None:
    count = select(func.count()).select_from(t.members).scalar_subquery()
    # "copycat-two.members" is in both namespaces: "copycat" owns what starts "copycat-".
    with pytest.raises(PluginError, match=r"transaction fact 'copycat-two.members' is "
                                          r"claimed by both plugin 'copycat' "
                                          r"and plugin 'copycat-two'"):
        PluginHost.load((), extra=[
            ("copycat", _FactPlugin({"copycat-two.members": count})),
            ("copycat-two", _FactPlugin({"copycat-two.members": count}))])
    with pytest.raises(PluginError, match=r"plugin 'copycat': transaction fact "
                                          r"'kopcore.yearend.closed_through' is outside its "
                                          r"namespace"):
        PluginHost.load((), extra=[("copycat", _FactPlugin({
            closing.CLOSED_THROUGH_FACT: count}))])
    with pytest.raises(PluginError, match="plugin 'plain': transaction fact 'members' must be"):
        PluginHost.load((), extra=[("plain", _FactPlugin({"members": count}))])
    with pytest.raises(PluginError, match="differ from the kernel's own"):
        PluginHost.load((), extra=[("sly", _FactPlugin({BUSINESS_DATE: count}))])


@pytest.mark.postgres_only
def test_a_pooled_connection_killed_by_the_server_is_replaced_and_the_posting_made_once(
        kernel: Kernel) -> None:
    cash, account = teller_cash_and_savings(kernel)
    pid = kernel.read("auditor", lambda ctx: ctx.conn.execute(
        text("SELECT pg_backend_pid()")).scalar_one())
    admin = create_engine(kernel.db.engine.url, poolclass=NullPool)
    with admin.connect() as other:  # the server ends the pooled connection
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        other.commit()
    admin.dispose()

    entry = kernel.write("teller", pay_in(cash, account, "7000"))

    def posted(ctx: Context) -> int:
        return int(ctx.conn.execute(select(func.count()).select_from(t.journal_entries)
                                    .where(t.journal_entries.c.memo == "Setoran")).scalar_one())

    assert kernel.read("auditor", posted) == 1
    assert kernel.read("auditor", lambda ctx: ledger.get_account(ctx, account).balance) == \
        rp("7000")
    assert entry.id > 0
