"""Built-in plugin: checking the books and sealing the journal (docs/integrity.md)."""

from __future__ import annotations

import attrs

from kopcore import hookimpl
from kopcore.context import Context
from kopcore.errors import Conflict
from kopcore.ledger._integrity import seal_now
from kopcore.ledger._verify import verify_books
from kopcore.operations import Operation
from kopcore.records import PermissionSpec

PERMISSIONS: tuple[PermissionSpec, ...] = (
    PermissionSpec("books.verify", "Check the ledger's invariants and the journal's tamper "
                   "evidence", ("auditor", "manager")),
    PermissionSpec("books.seal", "Seal the journal entries posted since the last seal",
                   ("manager",)),
)


@attrs.frozen
class VerifyIn:
    digests: bool = attrs.field(default=True, metadata={
        "help": "Also check every entry's digest and the seal chain (reads the whole journal); "
                "false: only the set-based accounting checks"})
    expect_seal: int | None = attrs.field(default=None, metadata={
        "help": "Seal number recorded earlier outside the database", "minimum": 1,
        "maximum": 2**31})
    expect_chain: str | None = attrs.field(default=None, metadata={
        "help": "Chain value recorded with that seal (64 hex digits)", "max_length": 64})


@attrs.frozen
class ProblemOut:
    kind: str
    severity: str
    detail: str
    entry_id: int | None
    account_id: int | None


@attrs.frozen
class VerifyOut:
    """``ok`` is false when any problem of severity ``error`` was found."""

    ok: bool
    entries: int
    postings: int
    accounts: int
    seals: int
    sealed_through: int
    chain_head: str | None
    keyed: bool
    counts: dict[str, int]
    problems: list[ProblemOut]


@attrs.frozen
class SealIn:
    """No parameters."""


@attrs.frozen
class SealOut:
    sealed: bool
    seal_id: int | None
    first_entry_id: int | None
    last_entry_id: int | None
    entry_count: int
    chain_head: str | None
    keyed: bool


def verify(ctx: Context, data: VerifyIn) -> VerifyOut:
    """Check the books: every entry balanced per currency with at least two postings, cached
    balances equal to their postings, no orphan postings, trial balance at zero, reversal links
    valid, and (with digests) every entry unchanged since posting and every sealed range intact.
    Writes nothing. The CLI's ``kopcore verify`` exits non-zero when ``ok`` is false."""
    report = verify_books(ctx, digests=data.digests, expect_seal=data.expect_seal,
                          expect_chain=data.expect_chain)
    return VerifyOut(
        report.ok, report.entries, report.postings, report.accounts, report.seals,
        report.sealed_through, report.chain_head, report.keyed, report.counts,
        [ProblemOut(p.kind, p.severity, p.detail, p.entry_id, p.account_id)
         for p in report.problems],
    )


def seal(ctx: Context, data: SealIn) -> SealOut:
    """Seal the journal entries posted since the last seal (end of day does this too); refuses
    to seal an entry whose digest does not match. Posting waits only for a moment."""
    made = seal_now(ctx.kernel, ctx.actor)
    keyed = ctx.settings.integrity_key is not None
    if made is None:
        from kopcore.ledger._integrity import last_seal

        previous = last_seal(ctx.conn)
        return SealOut(False, None, None, None, 0,
                       previous.chain_hash if previous else None, keyed)
    return SealOut(True, made.seal_id, made.first_entry_id, made.last_entry_id,
                   made.entry_count, made.chain_hash, made.keyed)


@hookimpl
def kopcore_permissions() -> tuple[PermissionSpec, ...]:
    return PERMISSIONS


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("books.verify", VerifyIn, VerifyOut, verify, permission="books.verify",
                  mutates=False, summary="Check the books and the journal's integrity"),
        Operation("books.seal", SealIn, SealOut, seal, permission="books.seal", mutates=True,
                  summary="Seal the journal", errors=(Conflict,), own_transactions=True),
    ]
