"""Output classes shared by the kernel's operations and by plugins' (an entry, an account...).

A plugin whose deposit posts an entry returns :class:`EntryOut`, so clients see one shape.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from kopcore.ledger._records import Account, JournalEntry, Member
from kopcore.ledger._reports import Statement
from kopcore.money import Money


@attrs.frozen
class MemberOut:
    """A member (anggota)."""

    member_number: str
    name: str
    nik: str | None
    status: str
    phone: str | None
    email: str | None
    address: str | None
    applied_on: date
    joined_on: date | None
    left_on: date | None
    exit_reason: str | None
    #: ``person``, or a legal entity's form (``koperasi``, ``pt``, ``cv``...).
    kind: str = "person"
    #: ``member``, or ``non-member`` for a counterparty served by agreement.
    membership: str = "member"
    nib: str | None = None
    npwp: str | None = None
    deed_number: str | None = None
    deed_date: date | None = None
    legal_decree_number: str | None = None
    legal_decree_date: date | None = None
    representative_name: str | None = None
    representative_nik: str | None = None
    representative_position: str | None = None

    @classmethod
    def of(cls, m: Member) -> MemberOut:
        legal = m.legal
        return cls(m.member_number, m.name, m.nik, m.status.value, m.phone, m.email, m.address,
                   m.applied_on, m.joined_on, m.left_on, m.exit_reason, m.kind.value,
                   m.membership.value, m.nib, m.npwp,
                   legal.deed_number if legal else None, legal.deed_date if legal else None,
                   legal.legal_decree_number if legal else None,
                   legal.legal_decree_date if legal else None,
                   legal.representative_name if legal else None,
                   legal.representative_nik if legal else None,
                   legal.representative_position if legal else None)


@attrs.frozen
class AccountOut:
    """An account with its balance on the normal side and what is available after holds."""

    number: str
    name: str
    gl_key: str
    member_number: str | None
    product_code: str | None
    plugin: str
    currency: str
    status: str
    balance: Money
    held: Money
    available: Money
    floor: Money | None
    opened_on: date
    closed_on: date | None
    #: The code of the office the account belongs to (contract 1.1).
    office: str | None = None

    @classmethod
    def of(cls, a: Account, member_number: str | None = None,
           office: str | None = None) -> AccountOut:
        return cls(a.number, a.name, a.gl_key, member_number, a.product_code, a.plugin,
                   a.currency, a.status.value, a.balance, a.held, a.available, a.floor,
                   a.opened_on, a.closed_on, office)


@attrs.frozen
class PostingOut:
    account: str
    side: str
    amount: Money


@attrs.frozen
class EntryOut:
    """A posted journal entry. ``source``: the plugin whose operation or end-of-day task posted
    it, or ``python-api``; empty for entries posted before sources were recorded."""

    entry_id: int
    business_date: date
    memo: str
    actor: str
    operation: str
    source: str | None
    reverses_entry_id: int | None
    created_at: datetime
    postings: list[PostingOut]

    @classmethod
    def of(cls, e: JournalEntry) -> EntryOut:
        return cls(
            e.id, e.business_date, e.memo, e.actor, e.operation, e.source, e.reverses_entry_id,
            e.created_at,
            [PostingOut(p.account_number, p.side,
                        Money(abs(p.amount.minor), p.amount.currency)) for p in e.postings],
        )


#: Account statement (mutasi rekening): the ledger's own record is the output, as it is.
StatementOut = Statement


#: The stylesheet of the printable statements (RAT statements, the amil's PSAK 409 statements):
#: A4, the figures right-aligned, each statement on a page of its own.
PRINT_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11pt; margin: 2cm; color: #111; }
h1 { font-size: 16pt; margin-bottom: 0; } h2 { font-size: 13pt; margin-top: 1.5em; }
p.sub { margin-top: 0.2em; color: #444; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; }
th, td { padding: 3px 6px; border-bottom: 1px solid #ddd; vertical-align: top; }
th { text-align: left; background: #f2f2f2; } td.amount, th.amount { text-align: right;
white-space: nowrap; } tr.total td { font-weight: bold; border-top: 1px solid #555; }
tr.section td { font-weight: bold; background: #fafafa; }
section { page-break-after: always; } section:last-child { page-break-after: auto; }
@media print { body { margin: 0; } }
"""
