"""The seal's and verify's reading of the journal: each entry's postings encoded by the
database (kopcore.ledger._integrity.journal_rows) must stand for exactly the postings posted.

The database builds the text a digest covers; Python only hashes it. These tests check that the
text is the canonical encoding, that a posting whose currency is made to look like two postings
is not taken for them, and that an encoding that does not match (here, one ordered otherwise)
falls back to the postings themselves instead of refusing an intact entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, delete, func, select, text, update

from kopcore._db import tables as t
from kopcore.errors import Conflict
from kopcore.kernel import Kernel
from kopcore.ledger import _integrity as integrity
from kopcore.ledger._verify import verify_books
from kopcore.testing import Cooperative, KernelFactory

KEY = "test-integrity-key-0123456789abcdef"
CASH = Cooperative.CASH
EQUITY = "GL-equity.grants"


@pytest.fixture(autouse=True)
def encoded_by_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite encodes only entries of many postings; these entries are short."""
    monkeypatch.setattr(integrity, "SQLITE_TEXT_FROM", 0)


@pytest.fixture
def coop(make_kernel: KernelFactory) -> Cooperative:
    coop = Cooperative(make_kernel(integrity_key=KEY), capital="1000000")
    # Lines in descending account order and two lines on one account: the stored order is
    # not the canonical one.
    coop.call("entries.post", memo="setoran bersama — ñ", lines=[
        {"account": EQUITY, "side": "credit", "amount": "300"},
        {"account": CASH, "side": "debit", "amount": "200"},
        {"account": CASH, "side": "debit", "amount": "100"}])
    return coop


def insider(kernel: Kernel, work: Callable[[Connection], Any]) -> None:
    with kernel.db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in ("journal_entries", "postings"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}"))
        else:
            for table in ("journal_entries", "postings"):
                for event in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{event}"))
        work(conn)


def stored_postings(conn: Connection, entry_id: int) -> list[tuple[int, int, str]]:
    p = t.postings.c
    return [(int(a), int(m), str(c)) for a, m, c in conn.execute(
        select(p.account_id, p.amount, p.currency).where(p.entry_id == entry_id))]


def test_the_database_encodes_every_entry_as_python_does(coop: Cooperative) -> None:
    def check(conn: Connection) -> int:
        rows = list(integrity.journal_rows(conn))
        for entry in rows:
            expected = integrity.canonical(entry.row, stored_postings(conn, entry.id))
            assert entry.body() == expected
            assert entry.check(KEY.encode()) is None
        return len(rows)

    assert coop.kernel.db.read(check) == 2
    last = coop.kernel.db.read(lambda conn: list(integrity.journal_rows(conn))[-1])
    assert last.postings_json is not None  # read as one text, not posting by posting
    assert last.postings_json.count("],[") == 2


def test_a_currency_forged_to_read_as_two_postings_is_not_sealed(coop: Cooperative) -> None:
    """Two cash lines (Rp100 and Rp200) become one whose currency spells the other's text:
    written without quoting, the postings would read exactly as posted."""
    p = t.postings.c
    entry_id, cash_id = coop.kernel.db.read(lambda conn: (
        conn.execute(select(func.max(t.journal_entries.c.id))).scalar_one(),
        conn.execute(select(t.accounts.c.id).where(t.accounts.c.number == CASH)).scalar_one()))
    cash_lines = coop.kernel.db.read(lambda conn: sorted(conn.execute(
        select(p.amount).where(p.entry_id == entry_id, p.account_id == cash_id)).scalars()))
    assert [abs(amount) for amount in cash_lines] == [10000, 20000]  # in sen
    first, second = cash_lines

    def forge(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":  # the insider widens the column first
            conn.execute(text("ALTER TABLE postings ALTER COLUMN currency TYPE varchar(64)"))
        conn.execute(delete(t.postings).where(p.entry_id == entry_id, p.amount == second))
        conn.execute(update(t.postings).where(p.entry_id == entry_id, p.amount == first)
                     .values(currency=f'IDR"],[{cash_id},{second},"IDR'))

    insider(coop.kernel, forge)
    with pytest.raises(Conflict, match=f"journal entry {entry_id} cannot be sealed"):
        coop.kernel.write("system", integrity.seal_journal)
    report = coop.kernel.read("auditor", lambda ctx: verify_books(ctx))
    assert ("digest_mismatch", entry_id) in {(f.kind, f.entry_id) for f in report.errors}


def test_an_encoding_in_another_order_falls_back_to_the_postings(
        coop: Cooperative, monkeypatch: pytest.MonkeyPatch) -> None:
    dialect = coop.kernel.db.engine.dialect.name
    for name, sql in list(integrity._POSTINGS_JSON.items()):
        monkeypatch.setitem(integrity._POSTINGS_JSON, name, sql.replace(
            "ORDER BY account_id, amount", "ORDER BY account_id DESC, amount DESC"))
    assert "DESC" in integrity._POSTINGS_JSON["postgresql" if dialect == "postgresql"
                                              else "sqlite"]
    reread: list[int] = []
    read_again = integrity.JournalRow._postings

    def spy(row: integrity.JournalRow) -> list[tuple[int, int, str]]:
        reread.append(row.id)
        return read_again(row)

    monkeypatch.setattr(integrity.JournalRow, "_postings", spy)
    sealed = coop.kernel.write("system", integrity.seal_journal)
    assert sealed is not None
    assert sealed.entry_count == 2
    assert reread == [1, 2]  # each entry's text did not match; its postings did
    for name in list(integrity._POSTINGS_JSON):
        monkeypatch.setitem(integrity._POSTINGS_JSON, name, integrity._POSTINGS_JSON[name]
                            .replace(" DESC", ""))
    report = coop.kernel.read("auditor", lambda ctx: verify_books(ctx))
    assert report.ok, report.errors


def test_an_entry_without_digest_is_chained_on_its_exact_encoding(coop: Cooperative) -> None:
    insider(coop.kernel, lambda conn: conn.execute(
        update(t.journal_entries).values(digest=None)))
    sealed = coop.kernel.write("system", integrity.seal_journal)
    assert sealed is not None

    def by_hand(conn: Connection) -> str:
        chain = integrity.GENESIS
        for entry in integrity.journal_rows(conn):
            body = integrity.canonical(entry.row, stored_postings(conn, entry.id))
            chain = integrity.chain_step(KEY.encode(), chain, entry.id,
                                         "legacy:" + hashlib.sha256(body).hexdigest())
        return chain

    assert coop.kernel.db.read(by_hand) == sealed.chain_hash
    assert coop.kernel.read("auditor", lambda ctx: verify_books(ctx)).ok
