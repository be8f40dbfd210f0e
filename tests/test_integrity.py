"""Tamper evidence: a dishonest insider's direct database edits are found by verify.

Each test posts through the kernel, seals (or not), then edits the database the way someone
with database access would: dropping the immutability triggers, changing an amount or a memo,
deleting an entry with its postings and fixing the cached balances so the sums still agree,
inserting a forged or copied entry, removing the latest seal. See docs/integrity.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, delete, func, insert, select, text, update

from kopcore._db import tables as t
from kopcore.errors import Conflict
from kopcore.kernel import Kernel
from kopcore.ledger import _integrity as integrity
from kopcore.ledger._integrity import seal_journal
from kopcore.ledger._verify import VerifyReport, verify_books
from kopcore.testing import Cooperative, KernelFactory

KEY = "test-integrity-key-0123456789abcdef"
CASH = Cooperative.CASH
EQUITY = "GL-equity.grants"


def post(coop: Cooperative, amount: str, memo: str = "setoran") -> int:
    entry = coop.call("entries.post", memo=memo, lines=[
        {"account": CASH, "side": "debit", "amount": amount},
        {"account": EQUITY, "side": "credit", "amount": amount}])
    return int(entry["entry_id"])


@pytest.fixture
def coop(make_kernel: KernelFactory) -> Cooperative:
    coop = Cooperative(make_kernel(integrity_key=KEY), capital="1000000")
    for amount in ("100", "200", "300", "400"):
        post(coop, amount)
    return coop


def verify(kernel: Kernel, **kwargs: Any) -> VerifyReport:
    return kernel.read("auditor", lambda ctx: verify_books(ctx, **kwargs))


def seal(kernel: Kernel) -> integrity.Seal | None:
    return kernel.write("system", seal_journal)


def kinds(report: VerifyReport) -> set[str]:
    return {p.kind for p in report.errors}


def insider(kernel: Kernel, work: Callable[[Connection], Any]) -> None:
    """Run raw SQL as a database insider, with the journal's triggers dropped."""
    with kernel.db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in ("journal_entries", "postings"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}"))
            conn.execute(text("DROP TRIGGER IF EXISTS journal_seals_immutable ON journal_seals"))
        else:
            for table in ("journal_entries", "postings", "journal_seals"):
                for event in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{event}"))
        work(conn)


def fix_balances(conn: Connection) -> None:
    """What a careful insider does after deleting postings: make the cache agree again."""
    p = t.postings.c
    conn.execute(update(t.accounts).values(balance=func.coalesce(
        select(func.sum(p.amount)).where(p.account_id == t.accounts.c.id).scalar_subquery(), 0)))


def last_entry(kernel: Kernel) -> int:
    return int(kernel.db.read(lambda conn: conn.execute(
        select(func.max(t.journal_entries.c.id))).scalar_one()))


def test_clean_books_verify_and_the_digest_is_keyed(coop: Cooperative) -> None:
    report = verify(coop.kernel)
    assert report.ok
    assert report.errors == []
    assert report.keyed
    assert report.entries == 5
    assert report.postings == 10
    digests = coop.kernel.db.read(lambda conn: conn.execute(
        select(t.journal_entries.c.digest)).scalars().all())
    assert all(d.startswith("h1:") and len(d) == 84 for d in digests)
    assert len(set(digests)) == 5
    # Posted without a key: plain SHA-256 digests, still checked.
    assert {p.kind for p in report.problems} == {"unsealed_entries"}


def test_sealing_chains_the_journal_and_end_of_day_seals(coop: Cooperative) -> None:
    first = seal(coop.kernel)
    assert first is not None
    assert (first.seal_id, first.first_entry_id, first.last_entry_id, first.entry_count) == \
        (1, 1, 5, 5)
    assert seal(coop.kernel) is None  # nothing new
    post(coop, "50")
    coop.call("eod.run")
    seals = coop.kernel.db.read(integrity.all_seals)
    assert [(s.id, s.first_entry_id, s.last_entry_id, s.entry_count) for s in seals] == \
        [(1, 1, 5, 5), (2, 6, 6, 1)]
    # The chain is recomputed by hand from the stored digests.
    key = KEY.encode()
    chain = integrity.GENESIS
    rows = coop.kernel.db.read(lambda conn: conn.execute(
        select(t.journal_entries.c.id, t.journal_entries.c.digest)
        .order_by(t.journal_entries.c.id)).all())
    for entry_id, digest in rows:
        chain = integrity.chain_step(key, chain, entry_id, digest)
    assert chain == seals[-1].chain_hash
    report = verify(coop.kernel)
    assert report.ok
    assert report.problems == []
    assert (report.seals, report.sealed_through, report.chain_head) == (2, 6, chain)


def test_edits_of_amounts_memo_date_or_actor_are_detected(
        coop: Cooperative, caplog: pytest.LogCaptureFixture) -> None:
    seal(coop.kernel)  # entries 1-5
    post(coop, "600")  # entry 6, not sealed
    e, p = t.journal_entries.c, t.postings.c

    def edit(conn: Connection) -> None:
        # Both sides and the cached balances, so every sum still agrees.
        conn.execute(update(t.postings).where(p.entry_id == 3).values(amount=p.amount * 10))
        fix_balances(conn)
        conn.execute(update(t.journal_entries).where(e.id == 4)
                     .values(business_date=date(2025, 12, 31)))
        conn.execute(update(t.journal_entries).where(e.id == 5).values(actor="manajer"))
        conn.execute(update(t.journal_entries).where(e.id == 6).values(memo="setoran (ubah)"))

    insider(coop.kernel, edit)
    report = verify(coop.kernel)
    assert not report.ok
    # The seal chains the stored digests: it stays intact, the digests no longer match.
    assert [(p.kind, p.entry_id) for p in report.errors] == \
        [("digest_mismatch", n) for n in (3, 4, 5, 6)]
    # A tampered entry is never sealed; end of day logs that and still closes the day.
    with pytest.raises(Conflict, match="entry 6 cannot be sealed"):
        seal(coop.kernel)
    caplog.set_level(logging.ERROR, logger="kopcore.eod")
    assert coop.call("eod.run")["business_date"] == "2026-01-06"
    assert "journal entry 6 cannot be sealed" in caplog.text
    assert coop.kernel.db.read(integrity.all_seals)[-1].last_entry_id == 5


def test_delete_of_a_sealed_entry_is_detected_even_with_the_seal_rewritten(
        coop: Cooperative) -> None:
    seal(coop.kernel)

    def remove(conn: Connection) -> None:
        conn.execute(delete(t.postings).where(t.postings.c.entry_id == 4))
        conn.execute(delete(t.journal_entries).where(t.journal_entries.c.id == 4))
        fix_balances(conn)

    insider(coop.kernel, remove)
    report = verify(coop.kernel)
    assert kinds(report) == {"seal_broken"}
    assert "5 entries were sealed, 4 are there now" in report.errors[0].detail

    def rewrite(conn: Connection) -> None:
        digests = conn.execute(select(t.journal_entries.c.id, t.journal_entries.c.digest)
                               .order_by(t.journal_entries.c.id)).all()
        chain = integrity.GENESIS
        for entry_id, digest in digests:  # the chain recomputed without the key
            chain = integrity.chain_step(None, chain, entry_id, digest)
        conn.execute(update(t.journal_seals).values(entry_count=4, chain_hash=chain))

    insider(coop.kernel, rewrite)
    report = verify(coop.kernel)
    # The rewritten seal no longer matches the head kept outside the journal's tables either.
    assert kinds(report) == {"seal_broken", "journal_head_mismatch"}
    broken = [p for p in report.errors if p.kind == "seal_broken"]
    assert broken[0].detail.endswith("and the chain differs")


def test_delete_of_an_unsealed_entry_is_only_a_gap(coop: Cooperative) -> None:
    """The limit of a design without global serialization: before sealing, a deleted entry
    looks like a rolled-back transaction's id (reported, not failed); see docs/integrity.md."""

    def remove(conn: Connection) -> None:
        conn.execute(delete(t.postings).where(t.postings.c.entry_id == 3))
        conn.execute(delete(t.journal_entries).where(t.journal_entries.c.id == 3))
        fix_balances(conn)

    insider(coop.kernel, remove)
    report = verify(coop.kernel)
    assert report.ok
    gaps = [p for p in report.problems if p.kind == "unsealed_gap"]
    assert [(p.severity, p.detail) for p in gaps] == [("info", "no entries 3-3")]


def test_forged_entries_are_detected(coop: Cooperative) -> None:
    seal(coop.kernel)
    post(coop, "500")  # entry 6, unsealed
    e = t.journal_entries.c

    def forge(conn: Connection) -> None:
        original = conn.execute(select(t.journal_entries).where(e.id == 6)).mappings().one()
        postings = conn.execute(select(t.postings.c.account_id, t.postings.c.amount,
                                       t.postings.c.currency)
                                .where(t.postings.c.entry_id == 6)).all()
        row = {k: v for k, v in original.items() if k != "id"}

        def add(entry_id: int, **changes: Any) -> None:
            conn.execute(insert(t.journal_entries).values(id=entry_id, **{**row, **changes}))
            conn.execute(insert(t.postings), [
                {"entry_id": entry_id, "account_id": p.account_id, "amount": p.amount,
                 "currency": p.currency} for p in postings])

        add(7, memo="setoran palsu", digest=None)  # no digest at all
        add(8, memo="setoran palsu")  # a copied digest on changed content
        add(9)  # an exact copy: the money counted twice
        # A plain digest computed without the key, as an insider could.
        add(10, memo="setoran palsu", digest=integrity.entry_digest(
            None, {**row, "memo": "setoran palsu"}, [tuple(p) for p in postings]))
        fix_balances(conn)

    insider(coop.kernel, forge)
    report = verify(coop.kernel)
    assert not report.ok
    found = {(p.kind, p.entry_id) for p in report.errors}
    assert ("missing_digest", 7) in found
    assert ("digest_mismatch", 8) in found
    assert ("duplicate_digest", 6) in found  # entries 6, 8 and 9 share one digest
    assert ("unkeyed_entry", 10) in found
    assert report.counts["duplicate_digest"] == 1


def test_insert_into_a_sealed_range_is_detected(coop: Cooperative) -> None:
    seal(coop.kernel)
    post(coop, "60")
    seal(coop.kernel)  # seal 2 covers entry 6
    e = t.journal_entries.c

    def renumber(conn: Connection) -> None:
        # Move entry 6 into the first sealed range's place of entry 3 after deleting 3.
        conn.execute(delete(t.postings).where(t.postings.c.entry_id == 3))
        conn.execute(delete(t.journal_entries).where(e.id == 3))
        moved = conn.execute(select(t.journal_entries).where(e.id == 6)).mappings().one()
        conn.execute(insert(t.journal_entries).values({**moved, "id": 3}))
        conn.execute(update(t.postings).where(t.postings.c.entry_id == 6).values(entry_id=3))
        conn.execute(delete(t.journal_entries).where(e.id == 6))
        fix_balances(conn)

    insider(coop.kernel, renumber)
    report = verify(coop.kernel)
    assert {p.kind for p in report.errors} == {"seal_broken", "journal_shortened"}
    # Both seals: the first's chain, the second's count.
    assert report.counts["seal_broken"] == 2
    # Entry 6 was sealed as the journal's last: the journal now ends before it.
    assert report.counts["journal_shortened"] == 1


def test_removing_the_latest_seal_is_caught_by_the_recorded_head(coop: Cooperative) -> None:
    first = seal(coop.kernel)
    post(coop, "70")
    second = seal(coop.kernel)
    assert first is not None
    assert second is not None
    assert verify(coop.kernel, expect_seal=2, expect_chain=second.chain_hash).ok

    def truncate(conn: Connection) -> None:
        conn.execute(delete(t.journal_seals).where(t.journal_seals.c.id == 2))
        conn.execute(delete(t.postings).where(t.postings.c.entry_id == 6))
        conn.execute(delete(t.journal_entries).where(t.journal_entries.c.id == 6))
        fix_balances(conn)

    insider(coop.kernel, truncate)
    # The head kept in journal_head still names seal 2 and entry 6.
    assert kinds(verify(coop.kernel)) == {"journal_shortened"}

    def rewind_head(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER journal_head_forward_only ON journal_head"))
        else:
            conn.execute(text("DROP TRIGGER journal_head_forward_only"))
        conn.execute(update(t.journal_head).values(seal_id=1, last_entry_id=5,
                                                   chain_hash=first.chain_hash))

    insider(coop.kernel, rewind_head)
    assert verify(coop.kernel).ok  # the head rewound too: only a head recorded elsewhere sees it
    report = verify(coop.kernel, expect_seal=2, expect_chain=second.chain_hash)
    assert kinds(report) == {"seal_head_mismatch"}
    assert verify(coop.kernel, expect_seal=1, expect_chain=first.chain_hash).ok


def test_without_a_key_digests_are_plain_and_keyed_ones_cannot_be_checked(
        make_kernel: KernelFactory) -> None:
    coop = Cooperative(make_kernel(), capital="1000")
    seal(coop.kernel)
    report = verify(coop.kernel)
    assert report.ok
    assert not report.keyed
    digest = coop.kernel.db.read(lambda conn: conn.execute(
        select(t.journal_entries.c.digest)).scalar_one())
    assert digest.startswith("s1:")
    # Verified with a key, the unkeyed entries covered by an unkeyed seal are fine only up to
    # the transition: the next (keyed) seal vouches for them.
    with_key = coop.kernel.read("auditor", lambda ctx: verify_books(ctx, key=KEY))
    assert with_key.ok


def test_entries_posted_before_the_digest_column_are_covered_by_the_first_seal(
        coop: Cooperative) -> None:
    insider(coop.kernel, lambda conn: conn.execute(
        update(t.journal_entries).where(t.journal_entries.c.id <= 2).values(digest=None)))
    report = verify(coop.kernel)
    assert {(p.kind, p.entry_id) for p in report.errors} == \
        {("missing_digest", 1), ("missing_digest", 2)}
    seal(coop.kernel)
    assert verify(coop.kernel).ok
    # ...and changing one afterwards breaks the seal.
    insider(coop.kernel, lambda conn: conn.execute(
        update(t.journal_entries).where(t.journal_entries.c.id == 1).values(memo="lain")))
    assert kinds(verify(coop.kernel)) == {"seal_broken"}


def test_sealing_while_posting_concurrently_never_seals_past_an_uncommitted_entry(
        coop: Cooperative) -> None:
    """Posting goes on while seals are taken: no entry can appear inside a sealed range."""
    errors: list[BaseException] = []

    def poster() -> None:
        try:
            for _ in range(15):
                post(coop, "1", memo="paralel")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=poster) for _ in range(3)]
    for thread in threads:
        thread.start()
    sealed = 0
    while any(thread.is_alive() for thread in threads):  # the path of end of day and books.seal
        sealed += integrity.seal_now(coop.kernel, "system") is not None
    for thread in threads:
        thread.join()
    seal(coop.kernel)
    assert errors == []
    report = verify(coop.kernel)
    assert report.ok, report.problems
    assert report.errors == []
    assert report.entries == 5 + 45
    assert report.sealed_through == last_entry(coop.kernel)
    assert sealed >= 1
