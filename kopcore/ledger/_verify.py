"""Checking the books: the ledger's invariants and the journal's tamper evidence.

:func:`verify_books` is read-only. The accounting checks are set-based SQL (a handful of
aggregate queries, whatever the size of the journal); the journal check reads the entries once,
in id order and in batches, recomputing each digest and the seal chain
(:mod:`kopcore.ledger._integrity`). Every finding is a :class:`Problem` with a ``kind``; findings
of severity ``info`` (id gaps left by rolled-back transactions, entries not sealed yet) do not
make the books fail. Each enabled plugin then checks its own records against the ledger
(``kopcore_verify``); its findings are errors of kind ``<plugin>.<kind>``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import attrs
from sqlalchemy import Connection, func, select, union_all

from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.ledger import _integrity as integrity
from kopcore.ledger._integrity import GENESIS, KEYED
from kopcore.ledger._offices import RAK_GL
from kopcore.ledger._units import declared_units

ERROR = "error"
INFO = "info"
#: Findings listed per kind; beyond that they are only counted.
MAX_PER_KIND = 100

#: Every kind of finding, with what it means.
KINDS: dict[str, str] = {
    "unbalanced_entry": "an entry's postings do not sum to zero in a currency",
    "too_few_postings": "an entry has fewer than two postings",
    "balance_mismatch": "an account's cached balance differs from the sum of its postings",
    "orphan_posting": "a posting names an entry or account that does not exist",
    "currency_mismatch": "a posting's currency differs from its account's",
    "trial_balance": "debits and credits of the whole ledger differ in a currency",
    "reversal_unknown": "an entry reverses an entry that does not exist",
    "reversal_of_reversal": "an entry reverses an entry that is itself a reversal",
    "reversed_twice": "an entry is reversed by more than one entry",
    "reversal_mismatch": "a reversal's postings are not the mirror of the original's",
    "digest_mismatch": "an entry or its postings changed after posting (or were forged)",
    "missing_digest": "an entry posted after revision k0002 has no digest and is not sealed",
    "unkeyed_entry": "an integrity key is configured, but an entry after the last keyed seal "
                     "carries a plain (unkeyed) digest",
    "duplicate_digest": "two entries carry the same digest: one is a copy",
    "key_required": "keyed digests or seals exist and no integrity_key is configured",
    "seal_broken": "a sealed range's entries were deleted, inserted, renumbered or changed",
    "seal_sequence": "seal numbers or ranges are not consecutive",
    "outside_seals": "an entry lies between two sealed ranges (inserted after sealing)",
    "seal_head_mismatch": "the chain does not end at the seal head recorded by the auditor",
    "journal_shortened": "the journal or its seals end before the sealed head kept in "
                         "journal_head: sealed rows were removed (TRUNCATE, or DELETE with the "
                         "triggers dropped)",
    "journal_head_mismatch": "the last seal is not the one journal_head recorded when it was "
                             "made, or the head row is missing",
    "office_unbalanced": "an entry's postings in one office do not sum to zero in a currency "
                         "(a RAK line is missing)",
    "posting_office_mismatch": "a posting is in another office than its account",
    "office_unknown": "an account, posting or user names an office that does not exist",
    "rak_not_netting": "the inter-office (RAK) accounts do not net to zero in the consolidated "
                       "books",
    "inter_unit_not_netting": "the inter-unit accounts of the units with books of their own do "
                              "not net to zero in the consolidated books",
    "unit_unbalanced": "a unit's books do not balance on their own: an entry between the unit "
                       "and the main books did not go through the inter-unit accounts",
    "unsealed_gap": "ids missing among the entries not sealed yet (a rolled-back transaction "
                    "leaves one; see docs/integrity.md)",
    "unsealed_entries": "entries posted since the last seal",
}
INFO_KINDS = frozenset({"unsealed_gap", "unsealed_entries", "unit_unbalanced"})


@attrs.frozen
class Problem:
    """One finding: its kind (see :data:`KINDS`), severity, the entry or account concerned and
    a sentence saying what is wrong."""

    kind: str
    detail: str
    entry_id: int | None = None
    account_id: int | None = None
    severity: str = ERROR


@attrs.frozen
class VerifyReport:
    ok: bool
    problems: list[Problem]
    entries: int
    postings: int
    accounts: int
    seals: int
    sealed_through: int
    """Highest entry id covered by a seal (0: none)."""
    chain_head: str | None
    """The last seal's chain value: record it with the seal number outside the database."""
    keyed: bool
    """Whether an integrity key was used to check."""
    counts: dict[str, int]
    """Findings per kind, including those beyond the listed :data:`MAX_PER_KIND`."""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]


class _Findings:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.counts: Counter[str] = Counter()

    def add(self, kind: str, detail: str, *, entry_id: int | None = None,
            account_id: int | None = None) -> None:
        self.counts[kind] += 1
        if self.counts[kind] <= MAX_PER_KIND:
            severity = INFO if kind in INFO_KINDS else ERROR
            self.problems.append(Problem(kind, detail, entry_id, account_id, severity))


def _ledger_checks(conn: Connection, found: _Findings) -> None:
    row: Any
    e, p, a = t.journal_entries.c, t.postings.c, t.accounts.c
    total = func.sum(p.amount)
    for row in conn.execute(
        select(p.entry_id, p.currency, total).group_by(p.entry_id, p.currency)
        .having(total != 0).order_by(p.entry_id)
    ):
        found.add("unbalanced_entry", f"entry {row[0]}: {row[1]} postings sum to {row[2]} "
                  "(minor units) instead of 0", entry_id=row[0])
    n = func.count(p.id)
    for row in conn.execute(
        select(e.id, n).select_from(t.journal_entries.outerjoin(t.postings, p.entry_id == e.id))
        .group_by(e.id).having(n < 2).order_by(e.id)
    ):
        found.add("too_few_postings", f"entry {row[0]} has {row[1]} posting(s)",
                  entry_id=row[0])
    sums = select(p.account_id, func.sum(p.amount).label("total")) \
        .group_by(p.account_id).subquery()
    summed = func.coalesce(sums.c.total, 0)
    for row in conn.execute(
        select(a.id, a.number, a.balance, summed)
        .select_from(t.accounts.outerjoin(sums, sums.c.account_id == a.id))
        .where(a.balance != summed).order_by(a.id)
    ):
        found.add("balance_mismatch", f"account {row[1]}: cached balance {row[2]}, postings "
                  f"sum to {row[3]} (minor units)", account_id=row[0])
    for row in conn.execute(
        select(p.id, p.entry_id, p.account_id, e.id.label("e"), a.id.label("a"))
        .select_from(t.postings.outerjoin(t.journal_entries, e.id == p.entry_id)
                     .outerjoin(t.accounts, a.id == p.account_id))
        .where((e.id.is_(None)) | (a.id.is_(None))).order_by(p.id)
    ):
        missing = "entry" if row.e is None else "account"
        found.add("orphan_posting", f"posting {row.id} names {missing} "
                  f"{row.entry_id if row.e is None else row.account_id}, which does not exist",
                  entry_id=row.entry_id, account_id=row.account_id)
    for row in conn.execute(
        select(p.id, p.entry_id, p.account_id, p.currency, a.number, a.currency)
        .join(t.accounts, a.id == p.account_id).where(p.currency != a.currency).order_by(p.id)
    ):
        found.add("currency_mismatch", f"posting {row[0]} of entry {row[1]} is in {row[3]}; "
                  f"account {row[4]} is in {row[5]}", entry_id=row[1], account_id=row[2])
    for row in conn.execute(select(p.currency, total).group_by(p.currency).having(total != 0)):
        found.add("trial_balance", f"{row[0]}: postings sum to {row[1]} (minor units) "
                  "instead of 0")
    cached = func.sum(a.balance)
    for row in conn.execute(select(a.currency, cached).group_by(a.currency)
                            .having(cached != 0)):
        found.add("trial_balance", f"{row[0]}: cached account balances sum to {row[1]} "
                  "(minor units) instead of 0")


def _office_checks(conn: Connection, found: _Findings) -> None:
    """Each office's books balance on their own, and the RAK accounts net to zero
    (kopcore.ledger._offices)."""
    row: Any
    p, a, o = t.postings.c, t.accounts.c, t.offices.c
    total = func.sum(p.amount)
    for row in conn.execute(
        select(p.entry_id, p.office_id, p.currency, total)
        .group_by(p.entry_id, p.office_id, p.currency).having(total != 0)
        .order_by(p.entry_id, p.office_id)
    ):
        found.add("office_unbalanced", f"entry {row[0]}: {row[2]} postings in office "
                  f"{row[1]} sum to {row[3]} (minor units) instead of 0", entry_id=row[0])
    for row in conn.execute(
        select(p.id, p.entry_id, p.account_id, p.office_id, a.number, a.office_id)
        .join(t.accounts, a.id == p.account_id).where(p.office_id != a.office_id)
        .order_by(p.id)
    ):
        found.add("posting_office_mismatch", f"posting {row[0]} of entry {row[1]} is in office "
                  f"{row[3]}; account {row[4]} is in office {row[5]}", entry_id=row[1],
                  account_id=row[2])
    for table in (t.accounts, t.postings, t.users):
        office_id = table.c.office_id
        for row in conn.execute(
            select(office_id, func.count()).select_from(
                table.outerjoin(t.offices, o.id == office_id))
            .where(o.id.is_(None)).group_by(office_id)
        ):
            found.add("office_unknown", f"{row[1]} row(s) of {table.name} name office {row[0]}, "
                      "which does not exist")
    rak = func.sum(a.balance)
    for row in conn.execute(select(a.currency, rak).where(a.gl_key == RAK_GL)
                            .group_by(a.currency).having(rak != 0)):
        found.add("rak_not_netting", f"{row[0]}: the RAK accounts sum to {row[1]} (minor "
                  "units) instead of 0")


def _unit_checks(ctx: Context, found: _Findings) -> None:
    """The inter-unit accounts net to zero; each unit's books balance (information only: a
    unit's books are separable by the operator's choice of GL accounts)."""
    row: Any
    p, a = t.postings.c, t.accounts.c
    units = [spec for _, spec in declared_units(ctx).values()]
    total = func.sum(p.amount)

    def nets(gl_keys: frozenset[str]) -> Any:
        return ctx.conn.execute(
            select(p.currency, total).join(t.accounts, a.id == p.account_id)
            .where(a.gl_key.in_(sorted(gl_keys))).group_by(p.currency).having(total != 0))

    inter = frozenset().union(*(spec.inter_unit_gl_keys for spec in units))
    for row in nets(inter) if inter else ():
        found.add("inter_unit_not_netting", f"{row[0]}: the inter-unit accounts sum to {row[1]} "
                  "(minor units) instead of 0")
    for spec in units:
        for row in nets(spec.gl_keys):
            found.add("unit_unbalanced", f"unit {spec.key}: {row[0]} postings sum to {row[1]} "
                      "(minor units) instead of 0")


def _reversal_checks(conn: Connection, found: _Findings) -> None:
    row: Any
    e = t.journal_entries.c
    original = t.journal_entries.alias("original")
    o = original.c
    for row in conn.execute(
        select(e.id, e.reverses_entry_id, o.id.label("o"), o.reverses_entry_id.label("oo"))
        .select_from(t.journal_entries.outerjoin(original, o.id == e.reverses_entry_id))
        .where(e.reverses_entry_id.is_not(None),
               (o.id.is_(None)) | (o.reverses_entry_id.is_not(None)))
        .order_by(e.id)
    ):
        if row.o is None:
            found.add("reversal_unknown", f"entry {row.id} reverses entry "
                      f"{row.reverses_entry_id}, which does not exist", entry_id=row.id)
        else:
            found.add("reversal_of_reversal", f"entry {row.id} reverses entry "
                      f"{row.reverses_entry_id}, itself a reversal", entry_id=row.id)
    n = func.count(e.id)
    for row in conn.execute(
        select(e.reverses_entry_id, n).where(e.reverses_entry_id.is_not(None))
        .group_by(e.reverses_entry_id).having(n > 1).order_by(e.reverses_entry_id)
    ):
        found.add("reversed_twice", f"entry {row[0]} is reversed by {row[1]} entries",
                  entry_id=row[0])
    # A reversal plus its original nets to zero on every account.
    p = t.postings.c
    pairs = union_all(
        select(e.id.label("rid"), p.account_id, p.currency, p.amount)
        .join(t.postings, p.entry_id == e.id).where(e.reverses_entry_id.is_not(None)),
        select(e.id.label("rid"), p.account_id, p.currency, p.amount)
        .join(t.postings, p.entry_id == e.reverses_entry_id)
        .where(e.reverses_entry_id.is_not(None)),
    ).subquery()
    net = func.sum(pairs.c.amount)
    seen: set[int] = set()
    for row in conn.execute(
        select(pairs.c.rid, pairs.c.account_id, net)
        .group_by(pairs.c.rid, pairs.c.account_id, pairs.c.currency)
        .having(net != 0).order_by(pairs.c.rid)
    ):
        if row.rid not in seen:
            seen.add(row.rid)
            found.add("reversal_mismatch", f"entry {row.rid} and the entry it reverses do "
                      f"not cancel out on account id {row.account_id}", entry_id=row.rid,
                      account_id=row.account_id)


def _journal_checks(conn: Connection, key: bytes | None, found: _Findings,
                    expect_seal: int | None, expect_chain: str | None
                    ) -> tuple[int, int, str | None]:
    """Digests, seals and gaps; returns (number of seals, last sealed id, chain head)."""
    e = t.journal_entries.c
    n = func.count(e.id)
    for row in conn.execute(select(e.digest, n, func.min(e.id)).where(e.digest.is_not(None))
                            .group_by(e.digest).having(n > 1)):
        found.add("duplicate_digest", f"{row[1]} entries carry the digest of entry {row[2]}",
                  entry_id=row[2])
    seals = integrity.all_seals(conn)
    expected_id, previous_last = 1, 0
    for seal in seals:
        if seal.id != expected_id or seal.first_entry_id <= previous_last or \
                seal.last_entry_id < seal.first_entry_id:
            found.add("seal_sequence", f"seal {seal.id} (entries {seal.first_entry_id}-"
                      f"{seal.last_entry_id}) does not follow seal {expected_id - 1}")
        expected_id, previous_last = seal.id + 1, seal.last_entry_id
    if key is None and any(s.keyed for s in seals):
        found.add("key_required", "the seals are keyed: configure integrity_key to check them")
    keyed_through = max((s.last_entry_id for s in seals if s.keyed), default=0)
    sealed_through = seals[-1].last_entry_id if seals else 0
    head = seals[-1].chain_hash if seals else None

    index = 0  # the seal the next entry should fall into
    chain, count = GENESIS, 0
    checkable = True  # False: a keyed seal and no key

    def close_seal(i: int) -> None:
        seal = seals[i]
        if not checkable:
            return
        if count != seal.entry_count or chain != seal.chain_hash:
            found.add("seal_broken", f"seal {seal.id} covers entries {seal.first_entry_id}-"
                      f"{seal.last_entry_id}: {seal.entry_count} entries were sealed, "
                      f"{count} are there now"
                      + ("" if count != seal.entry_count else ", and the chain differs"),
                      entry_id=seal.first_entry_id)

    def open_seal(i: int) -> None:
        nonlocal chain, count, checkable
        chain = seals[i - 1].chain_hash if i > 0 else GENESIS
        count = 0
        checkable = key is not None or not seals[i].keyed

    if seals:
        open_seal(0)
    previous_id = sealed_through
    unsealed = 0
    keyed_missing = 0
    for entry in integrity.journal_rows(conn):
        while index < len(seals) and entry.id > seals[index].last_entry_id:
            close_seal(index)
            index += 1
            if index < len(seals):
                open_seal(index)
        if entry.digest is not None:
            why = entry.check(key)
            if why is not None and key is None and entry.digest.startswith(KEYED + ":"):
                keyed_missing += 1
            elif why is not None:
                found.add("digest_mismatch", f"entry {entry.id}: {why}", entry_id=entry.id)
        if index < len(seals) and entry.id >= seals[index].first_entry_id:
            chain = integrity.chain_step(key if seals[index].keyed else None, chain, entry.id,
                                         entry.chain_input())
            count += 1
        elif index < len(seals):
            found.add("outside_seals", f"entry {entry.id} lies before seal {seals[index].id} "
                      f"(entries {seals[index].first_entry_id}-{seals[index].last_entry_id}) "
                      "but after the seal before it", entry_id=entry.id)
        else:
            unsealed += 1
            if entry.digest is None:
                found.add("missing_digest", f"entry {entry.id} has no digest",
                          entry_id=entry.id)
            elif key is not None and not entry.digest.startswith(KEYED + ":") and \
                    entry.id > keyed_through:
                found.add("unkeyed_entry", f"entry {entry.id} has a plain digest although an "
                          "integrity key is configured", entry_id=entry.id)
            if entry.id != previous_id + 1:
                found.add("unsealed_gap", f"no entries {previous_id + 1}-{entry.id - 1}",
                          entry_id=entry.id)
            previous_id = entry.id
    while index < len(seals):
        close_seal(index)
        index += 1
        if index < len(seals):
            open_seal(index)
    if keyed_missing:
        found.add("key_required", f"{keyed_missing} entries carry keyed digests: configure "
                  "integrity_key to check them")
    if unsealed:
        found.add("unsealed_entries", f"{unsealed} entries after entry {sealed_through} are "
                  "not sealed yet (end of day seals them)")
    if expect_seal is not None or expect_chain is not None:
        recorded = next((s for s in seals if s.id == expect_seal), None) \
            if expect_seal is not None else (seals[-1] if seals else None)
        if recorded is None or (expect_chain is not None and recorded.chain_hash != expect_chain):
            found.add("seal_head_mismatch", f"seal {expect_seal}: "
                      + ("missing" if recorded is None else
                         f"chain {recorded.chain_hash}, recorded {expect_chain}"))
    return len(seals), sealed_through, head


def _head_checks(conn: Connection, found: _Findings) -> None:
    """Compare the journal and its last seal with the head kept outside them."""
    heads = conn.execute(select(t.journal_head)).all()
    if len(heads) != 1:
        found.add("journal_head_mismatch", "the journal head row is missing: the seals "
                  "cannot be compared with the head kopcore kept")
        return
    head = heads[0]
    last = integrity.last_seal(conn)
    sealed = f"seal {head.seal_id} through entry {head.last_entry_id}"
    if head.seal_id > (last.seal_id if last else 0):
        found.add("journal_shortened", f"the journal head records {sealed}; the seals end "
                  + (f"at seal {last.seal_id}" if last else "before the first"))
    elif last is not None and (last.seal_id, last.last_entry_id, last.chain_hash) != (
            head.seal_id, head.last_entry_id, head.chain_hash):
        found.add("journal_head_mismatch", f"the journal head records {sealed} with chain "
                  f"{head.chain_hash}; seal {last.seal_id} ends at entry {last.last_entry_id} "
                  f"with chain {last.chain_hash}")
    newest = conn.execute(select(func.max(t.journal_entries.c.id))).scalar_one() or 0
    if newest < head.last_entry_id:
        found.add("journal_shortened", f"entries through {head.last_entry_id} were sealed; "
                  + (f"the journal ends at entry {newest}" if newest else "the journal is empty"),
                  entry_id=head.last_entry_id)


def verify_books(source: Connection | Context, *, key: bytes | str | None = None,
                 digests: bool = True, expect_seal: int | None = None,
                 expect_chain: str | None = None) -> VerifyReport:
    """Check the books and say what is wrong; writes nothing.

    ``source`` is a connection (``key`` then says which integrity key to check with) or a
    :class:`~kopcore.context.Context` (the key comes from its settings unless given; each
    enabled plugin then checks its own records through ``kopcore_verify`` too).
    ``digests=False`` skips the journal pass (digests, seals, gaps) and runs only the set-based
    accounting checks. ``expect_seal``/``expect_chain`` compare the chain with a head recorded
    outside the database, which also catches the removal of the most recent seals.
    """
    if isinstance(source, Context):
        conn = source.conn
        if key is None:
            key = integrity.key_of(source.settings)
    else:
        conn = source
    key_bytes = key.encode("utf-8") if isinstance(key, str) else key
    found = _Findings()
    _ledger_checks(conn, found)
    _office_checks(conn, found)
    _reversal_checks(conn, found)
    _head_checks(conn, found)
    if isinstance(source, Context):
        _unit_checks(source, found)
        for plugin, findings in source.kernel.plugins.call("kopcore_verify", ctx=source):
            for finding in findings:
                found.add(f"{plugin}.{finding.kind}", finding.detail, entry_id=finding.entry_id,
                          account_id=finding.account_id)
    seals, sealed_through, head = 0, 0, None
    if digests:
        seals, sealed_through, head = _journal_checks(conn, key_bytes, found, expect_seal,
                                                      expect_chain)
    sizes: Any = conn.execute(select(
        select(func.count()).select_from(t.journal_entries).scalar_subquery(),
        select(func.count()).select_from(t.postings).scalar_subquery(),
        select(func.count()).select_from(t.accounts).scalar_subquery(),
    )).one()
    ok = not any(kind not in INFO_KINDS for kind in found.counts)
    return VerifyReport(ok=ok, problems=found.problems, entries=sizes[0], postings=sizes[1],
                        accounts=sizes[2], seals=seals, sealed_through=sealed_through,
                        chain_head=head, keyed=key_bytes is not None, counts=dict(found.counts))


__all__ = ["ERROR", "INFO", "KINDS", "Problem", "VerifyReport", "verify_books"]
