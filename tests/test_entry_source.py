"""The source of an entry: the plugin whose operation or end-of-day task posted it, or
``python-api``; recorded with the entry, covered by its digest, and what vetoes rely on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, select, text, update

import kopcore
from kopcore import eod, ledger
from kopcore._db import Database, make_engine
from kopcore._db import tables as t
from kopcore._db.migrate import alembic_config, current_heads, upgrade
from kopcore._plugin_manager import PluginHost
from kopcore.context import Context
from kopcore.errors import PostingVetoed
from kopcore.kernel import Kernel
from kopcore.ledger import EntryRequest, ProposedEntry
from kopcore.ledger import _integrity as integrity
from kopcore.ledger._prepare import entry_source
from kopcore.ledger._verify import verify_books
from kopcore.operations import Operation
from kopcore.records import PermissionSpec, PostingLine, Side, Veto
from kopcore.settings import Settings
from kopcore.testing import START_DATE, Cooperative, KernelFactory
from kopcore.views import EntryOut
from tests.builders import cash_account, rp

CASH = Cooperative.CASH
EQUITY = "GL-equity.grants"


class SourceRecorder:
    """Records the operation and source of every entry its veto is shown."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    @kopcore.hookimpl
    def kopcore_veto_entry(self, ctx: Context, entry: ProposedEntry) -> Veto | None:
        self.seen.append((entry.operation, entry.source))
        return None


def capital(amount: str) -> list[PostingLine]:
    return [PostingLine(CASH, Side.DEBIT, rp(amount)), PostingLine(EQUITY, Side.CREDIT, rp(amount))]


def test_the_veto_and_the_journal_see_who_posted_single_and_batch_entries(
        make_kernel: KernelFactory) -> None:
    recorder = SourceRecorder()
    kernel = make_kernel(extra_plugins=[("recorder", recorder)])
    kernel.write("teller", cash_account)

    direct = kernel.write("teller", lambda ctx: ledger.post_entry(ctx, capital("1"), memo="a"))
    teller = kernel.write("teller", lambda ctx: ledger.post_entry(ctx, capital("2"), memo="b"),
                          operation="entries.post")
    batch = kernel.write("teller", lambda ctx: ledger.post_entries(
        ctx, [EntryRequest(capital("3"), "c"), EntryRequest(capital("4"), "d")]),
        operation="eod.no-such-task")

    assert recorder.seen == [("python-api", "python-api"), ("entries.post", "kopcore.ledger"),
                             ("eod.no-such-task", "python-api"),
                             ("eod.no-such-task", "python-api")]
    assert [e.source for e in (direct, teller, *batch)] == [
        "python-api", "kopcore.ledger", "python-api", "python-api"]
    stored = kernel.read("auditor", lambda ctx: [ledger.get_entry(ctx, e.id)
                                                 for e in (direct, teller, *batch)])
    assert stored == [direct, teller, *batch]
    assert EntryOut.of(teller).source == "kopcore.ledger"


def test_a_savings_operation_posts_entries_sourced_savings(make_kernel: KernelFactory) -> None:
    coop = Cooperative(make_kernel(plugins=("savings",)), capital="1000000")
    coop.call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    account = coop.call("savings.open", member=coop.member(), product="SUKARELA")
    number = account["account"]["number"]

    deposited = coop.call("savings.deposit", account=number, amount="50000", cash_account=CASH)
    reversed_ = coop.call("entries.reverse", entry_id=deposited["entry_id"])

    assert (deposited["operation"], deposited["source"]) == ("savings.deposit", "savings")
    assert (reversed_["operation"], reversed_["source"]) == ("entries.reverse", "kopcore.ledger")
    shown = coop.call("entries.get", entry_id=deposited["entry_id"])
    assert shown["source"] == "savings"


def reached_celengan(coop: Cooperative, target: str = "100000") -> str:
    """A member's celengan whose goal of ``target`` is reached (paid in through celengan)."""
    opened = coop.call("celengan.open", member=coop.member(), target=target, purpose="Lebaran")
    coop.call("celengan.deposit", account=opened["account"], amount=target, cash_account=CASH)
    return str(opened["account"])


def test_end_of_day_entries_are_sourced_to_the_plugin_of_the_task(
        make_kernel: KernelFactory) -> None:
    coop = Cooperative(make_kernel(plugins=("celengan",)), capital="1000000")
    reached_celengan(coop)

    eod.run_end_of_day(coop.kernel)

    def bonus_entries(ctx: Context) -> list[tuple[str, str | None]]:
        e = t.journal_entries.c
        return [tuple(r) for r in ctx.conn.execute(
            select(e.operation, e.source).where(e.operation.like("eod.%")))]

    assert coop.kernel.read("auditor", bonus_entries) == [
        ("eod.celengan.daily-bonus", "celengan")]


@attrs.frozen
class CollectIn:
    account: str = attrs.field(metadata={"help": "Account to collect from"})
    amount: Decimal = attrs.field(metadata={"help": "Amount"})


def collect(ctx: Context, data: CollectIn) -> EntryOut:
    """An arisan collection: the member's account pays the teller's cash."""
    amount = rp(str(data.amount))
    return EntryOut.of(ledger.post_entry(ctx, [PostingLine(data.account, Side.DEBIT, amount),
                                               PostingLine(CASH, Side.CREDIT, amount)],
                                         memo="Iuran arisan"))


class Arisan:
    """Another product plugin whose operation takes money from a member's account."""

    @kopcore.hookimpl
    def kopcore_permissions(self) -> Sequence[PermissionSpec]:
        return [PermissionSpec("arisan.collect", "Collect arisan dues", ("teller",))]

    @kopcore.hookimpl
    def kopcore_operations(self) -> Sequence[Operation]:
        return [Operation("arisan.collect", CollectIn, EntryOut, collect,
                          permission="arisan.collect", mutates=True)]


def test_hook_veto_entry_celengan_tells_another_plugins_operation_by_the_entry_source(
        make_kernel: KernelFactory) -> None:
    coop = Cooperative(make_kernel(plugins=("celengan",), extra_plugins=[("arisan", Arisan())]),
                       capital="1000000")
    account = reached_celengan(coop)  # the goal is reached: celengan itself would pay out

    vetoed = coop.refused(PostingVetoed, "arisan.collect", account=account, amount="1000")

    assert (vetoed.reason, vetoed.plugin) == ("celengan.other-plugin", "celengan")
    assert "arisan may not take money out of a celengan (arisan.collect)" in vetoed.detail
    # The same money leaves through celengan's own operation, or a teller's manual entry.
    withdrawn = coop.call("celengan.withdraw", account=account, amount="1000",
                          cash_account=CASH)
    teller = coop.call("entries.post", memo="Koreksi", lines=[
        {"account": account, "side": "debit", "amount": "1000"},
        {"account": CASH, "side": "credit", "amount": "1000"}])
    entries = coop.kernel.read("auditor", lambda ctx: [
        ledger.get_entry(ctx, i).source for i in (withdrawn["entry_id"], teller["entry_id"])])
    assert entries == ["celengan", "kopcore.ledger"]
    coop.books_balance()


# --- stored, covered by the digest; entries from before the column -----------------------------


def test_changing_an_entrys_source_behind_the_ledger_is_found_by_verify(
        make_kernel: KernelFactory) -> None:
    coop = Cooperative(make_kernel(), capital="1000")
    with coop.kernel.db.engine.begin() as conn:
        drop_journal_triggers(conn)
        conn.execute(update(t.journal_entries).values(source="savings"))

    report = coop.kernel.read("auditor", verify_books)

    assert {p.kind for p in report.errors} == {"digest_mismatch"}


def drop_journal_triggers(conn: Connection) -> None:
    """What someone with direct database access does first (see test_integrity.py)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER IF EXISTS journal_entries_immutable ON journal_entries"))
    else:
        conn.execute(text("DROP TRIGGER IF EXISTS journal_entries_no_update"))


def legacy_entry(conn: Connection, amount: int) -> None:
    """An entry as the kernel wrote it before revision k0003: no source, a digest without it."""
    a = t.accounts.c
    ids = {number: account_id for number, account_id in conn.execute(
        select(a.number, a.id).where(a.number.in_(["GL-cash", EQUITY])))}
    row: dict[str, Any] = {
        "business_date": START_DATE, "memo": "Modal awal", "actor": "teller",
        "operation": "entries.post", "idempotency_key": None, "request_digest": "-",
        "reverses_entry_id": None, "created_at": datetime(2026, 1, 5, 9, tzinfo=UTC)}
    postings = [(ids["GL-cash"], amount, "IDR"), (ids[EQUITY], -amount, "IDR")]
    row["digest"] = integrity.entry_digest(None, row, postings)
    entry_id = conn.execute(t.journal_entries.insert().values(row)
                            .returning(t.journal_entries.c.id)).scalar_one()
    for account_id, delta, currency in postings:
        conn.execute(t.postings.insert().values(entry_id=entry_id, account_id=account_id,
                                                amount=delta, currency=currency))
        conn.execute(update(t.accounts).where(a.id == account_id)
                     .values(balance=a.balance + delta))


def test_entries_posted_before_sources_were_recorded_have_none_and_still_verify(
        database_url: str) -> None:
    settings = Settings(database_url=database_url, plugins=())
    kernel = Kernel(settings, Database(make_engine(database_url)), PluginHost.load(()))
    try:
        upgrade(kernel, "k0002")
        kernel.prepare(initial_date=START_DATE)
        with kernel.db.engine.begin() as conn:
            legacy_entry(conn, 150_000)

        upgrade(kernel)

        # k0003 and every kernel revision after it
        assert current_heads(kernel) == sorted(
            ScriptDirectory.from_config(alembic_config(kernel)).get_heads())
        entry = kernel.read("auditor", lambda ctx: ledger.get_entry(ctx, 1))
        assert (entry.operation, entry.source) == ("entries.post", None)
        assert EntryOut.of(entry).source is None
        kernel.write("teller", lambda ctx: ledger.post_entry(
            ctx, [PostingLine("GL-cash", Side.CREDIT, rp("500")),
                  PostingLine(EQUITY, Side.DEBIT, rp("500"))], memo="Koreksi"))
        report = kernel.read("auditor", verify_books)
        assert report.ok, report.errors
    finally:
        kernel.close()


@pytest.mark.parametrize("operation", ["demo.celengan", "eod.celengan.daily-bonus",
                                       "celengan.deposit"])
def test_declared_seeds_tasks_and_operations_name_their_plugin(
        make_kernel: KernelFactory, operation: str) -> None:
    kernel = make_kernel(plugins=("celengan",))
    assert kernel.read("x", entry_source, operation=operation) == "celengan"
