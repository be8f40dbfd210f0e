"""The journal cannot be emptied, and an emptied or shortened journal is found by ``verify``.

PostgreSQL's TRUNCATE fires no row-level trigger: statement-level triggers refuse it (revision
k0004). SQLite has no TRUNCATE, and its DELETE without WHERE fires the row triggers. Someone who
gets past the triggers anyway leaves the sealed head kept in ``journal_head`` behind: the seals
and entries no longer reach it. See docs/integrity.md.
"""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.exc import DatabaseError

from kopcore._db import tables as t
from kopcore._db.migrate import alembic_config
from kopcore.errors import Conflict
from kopcore.kernel import Kernel
from kopcore.ledger._integrity import seal_journal
from kopcore.ledger._verify import verify_books
from kopcore.testing import Cooperative, KernelFactory

KEY = "test-journal-head-key-0123456789abcdef"
JOURNAL = ("postings", "journal_entries", "journal_seals", "journal_head")


@pytest.fixture
def coop(make_kernel: KernelFactory) -> Cooperative:
    coop = Cooperative(make_kernel(integrity_key=KEY), capital="1000000")
    for amount in ("100", "200"):
        coop.call("entries.post", memo="setoran", lines=[
            {"account": coop.CASH, "side": "debit", "amount": amount},
            {"account": "GL-equity.grants", "side": "credit", "amount": amount}])
    coop.kernel.write("system", seal_journal)
    return coop


def counts(kernel: Kernel) -> dict[str, int]:
    return {name: kernel.db.read(lambda conn, n=name: conn.execute(
        select(func.count()).select_from(t.metadata.tables[n])).scalar_one())
        for name in JOURNAL}


def verify_kinds(kernel: Kernel) -> set[str]:
    report = kernel.read("auditor", verify_books)
    return {p.kind for p in report.errors}


def test_sealing_moves_the_head_with_the_seal(coop: Cooperative) -> None:
    head = coop.kernel.db.read(lambda conn: conn.execute(select(t.journal_head)).one())
    seal = coop.kernel.db.read(lambda conn: conn.execute(
        select(t.journal_seals).order_by(t.journal_seals.c.id.desc())).first())
    assert (head.seal_id, head.last_entry_id, head.chain_hash) == (1, 3, seal.chain_hash)
    assert verify_kinds(coop.kernel) == set()


@pytest.mark.postgres_only
@pytest.mark.parametrize("statement", [
    "TRUNCATE postings, journal_entries, journal_seals CASCADE",
    "TRUNCATE journal_entries CASCADE",
    "TRUNCATE postings",
    "TRUNCATE journal_seals",
    "TRUNCATE journal_head",
    "TRUNCATE postings, journal_entries, journal_seals, journal_head RESTART IDENTITY CASCADE",
])
def test_truncate_of_the_journal_is_refused(coop: Cooperative, statement: str) -> None:
    before = counts(coop.kernel)
    with pytest.raises(DatabaseError, match="the journal cannot be truncated"), \
            coop.kernel.db.engine.begin() as conn:
        conn.execute(text(statement))
    assert counts(coop.kernel) == before
    assert verify_kinds(coop.kernel) == set()


@pytest.mark.parametrize("table", JOURNAL)
def test_delete_without_where_is_refused_on_every_journal_table(
        coop: Cooperative, table: str) -> None:
    before = counts(coop.kernel)
    assert before[table] > 0
    with pytest.raises(DatabaseError), coop.kernel.db.engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {table}"))
    assert counts(coop.kernel) == before


def test_the_head_moves_only_forward_one_seal_at_a_time(coop: Cooperative) -> None:
    h = t.journal_head.c
    for change in ({"seal_id": 0}, {"seal_id": 3, "last_entry_id": 9},
                   {"last_entry_id": 2}, {"chain_hash": "0" * 64}):
        with pytest.raises(DatabaseError), coop.kernel.db.engine.begin() as conn:
            conn.execute(update(t.journal_head).where(h.id == 1).values(change))
    assert verify_kinds(coop.kernel) == set()


def _empty_the_journal_past_the_triggers(kernel: Kernel) -> None:
    """What an insider with the power to drop triggers does; the head keeps its triggers."""
    with kernel.db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in ("journal_entries", "postings", "journal_seals"):
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
            conn.execute(text("TRUNCATE postings, journal_entries, journal_seals CASCADE"))
        else:
            for table in ("journal_entries", "postings", "journal_seals"):
                for event in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER {table}_no_{event}"))
            for table in ("postings", "journal_entries", "journal_seals"):
                conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(update(t.accounts).values(balance=0))  # the cache agrees again


def test_an_emptied_journal_is_found_by_verify_and_refuses_sealing(coop: Cooperative) -> None:
    _empty_the_journal_past_the_triggers(coop.kernel)
    assert counts(coop.kernel)["journal_entries"] == 0
    report = coop.kernel.read("auditor", verify_books)
    assert not report.ok
    assert {p.kind for p in report.errors} == {"journal_shortened"}
    details = " / ".join(p.detail for p in report.errors)
    assert "records seal 1 through entry 3" in details
    assert "the journal is empty" in details
    # Posting goes on, but nothing is sealed on top of the emptied journal.
    coop.call("entries.post", memo="setoran", lines=[
        {"account": coop.CASH, "side": "debit", "amount": "5"},
        {"account": "GL-equity.grants", "side": "credit", "amount": "5"}])
    with pytest.raises(Conflict, match="journal head is not at seal 0"):
        coop.kernel.write("system", seal_journal)


def test_the_head_starts_at_the_last_seal_of_an_existing_database(coop: Cooperative) -> None:
    """Upgrading a database that already has seals: the head starts at its last seal."""
    config = alembic_config(coop.kernel)
    with coop.kernel.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "k0003")
    with coop.kernel.db.engine.begin() as conn:
        assert not inspect(conn).has_table("journal_head")
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
    test_sealing_moves_the_head_with_the_seal(coop)
