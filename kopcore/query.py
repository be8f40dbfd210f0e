"""Read-only views of the kernel's tables, for plugins' set-based SQL: kernel tables contract 1.

A plugin's end-of-day work and reports join its own tables to the kernel's accounts, members and
journal. It reads them through these views, never through the kernel's storage tables::

    import sqlalchemy as sa
    from kopcore import query

    a = query.accounts.c
    numbers = ctx.conn.execute(
        sa.select(a.number).join(goals, goals.c.account_id == a.id)
        .where(a.status != "closed", query.normal_balance() >= goals.c.target_minor)
    ).scalars()

Each view is a ``SELECT`` of the documented columns of one kernel table, named like the table
(``(SELECT accounts.id, ... FROM accounts) AS accounts``): statements read exactly what they
would read from the table, and SQLite and PostgreSQL flatten the view into the statement, so
the plan is the table's. A view has only the columns listed in :data:`COLUMNS`, and it cannot be
written through: ``sa.insert``, ``sa.update`` and ``sa.delete`` refuse it. Balances change only
through :func:`kopcore.ledger.post_entry`, members and accounts through :mod:`kopcore.ledger`.

To use one view twice in a statement, alias it: ``query.accounts.alias("target")``.

The views are safe in a plugin's transaction facts (``kopcore_transaction_facts``): a view is
not the kernel table the posting's ``SELECT`` reads, so a fact over it is never correlated with
the posting's accounts and reads the whole table.

**The contract.** :data:`CONTRACT` numbers the set of views and columns. Within a contract,
columns are only added; a column is removed or renamed, or changes meaning, only under a new
contract number. docs/plugin-guide.md lists the columns of contract 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa

from kopcore._db import tables as t
from kopcore.errors import NotFound, message
from kopcore.records import GLType

if TYPE_CHECKING:
    from kopcore.context import Context

#: The kernel tables contract these views implement.
CONTRACT: Final = 1

#: Every view's columns and what each holds: the contract's text.
COLUMNS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType({
    "accounts": MappingProxyType({
        "id": "The account's id: what a plugin's own tables refer to.",
        "number": "The account number postings and people use (`SA00000012`, `GL-cash`).",
        "gl_key": "Key of the GL account the account rolls up to.",
        "member_id": "The member's id (`members.id`); NULL for internal accounts.",
        "product_code": "The product the account was opened under; NULL for internal "
                        "accounts.",
        "plugin": "Name of the plugin that owns the account (`kopcore` for internal ones).",
        "currency": "ISO 4217 code of the account's currency.",
        "normal_sign": "1 for a debit-normal account (assets, expenses), -1 for a "
                       "credit-normal one.",
        "status": "`open`, `frozen` or `closed`.",
        "balance": "The balance in debit-positive minor units: always the sum of the "
                   "account's postings. `balance * normal_sign` is the balance a person "
                   "reads (`normal_balance()`).",
        "held": "Minor units on hold, never negative; the available balance is the "
                "balance less this.",
        "office_id": "The office the account belongs to (`offices.id`; 1: the head office).",
    }),
    "members": MappingProxyType({
        "id": "The member's id.",
        "member_number": "The member number people use.",
        "name": "Full name.",
        "phone": "Phone number, or NULL.",
        "status": "`applicant`, `active` or `left`.",
        "kind": "`person`, or a legal entity's form: `koperasi`, `pt`, `cv`, `firma`, "
                "`yayasan`, `perkumpulan` or `other` (contract 1.3).",
        "npwp": "A legal entity's tax number (NPWP); NULL for a person (contract 1.3).",
        "membership": "`member` (anggota), or `non-member`: a counterparty served by agreement "
                      "(Permenkop 8/2023) (contract 1.4).",
    }),
    "journal_entries": MappingProxyType({
        "id": "The entry's id (`postings.entry_id`).",
        "business_date": "The business date the entry was posted on.",
        "memo": "The entry's description, printed on statements.",
        "operation": "Name of the operation that posted it (`celengan.deposit`), or "
                     "`python-api`.",
    }),
    "postings": MappingProxyType({
        "id": "The posting's id: ascending in the order postings were written.",
        "entry_id": "The journal entry (`journal_entries.id`).",
        "account_id": "The account (`accounts.id`).",
        "amount": "Debit-positive minor units (a credit is negative), never zero.",
        "currency": "ISO 4217 code, the account's currency.",
        "office_id": "The office whose books the posting is in (`offices.id`): its "
                     "account's, each office's postings of an entry summing to zero.",
    }),
    "gl_accounts": MappingProxyType({
        "key": "The GL account's key (`loans.receivable`), as plugins declare it.",
        "type": "`asset`, `liability`, `equity`, `income` or `expense`.",
    }),
    "offices": MappingProxyType({
        "id": "The office's id (`accounts.office_id`, `postings.office_id`); 1 is the head "
              "office.",
        "code": "The office code people use (`KP`, `CAB01`); it never changes.",
        "name": "The office's name.",
        "kind": "`pusat` (head office), `cabang` (branch) or `kas` (cash office).",
        "parent_id": "The office it reports to; NULL only for the head office.",
    }),
})


def _view(table: sa.Table) -> sa.Subquery:
    return sa.select(*(table.c[name] for name in COLUMNS[table.name])).subquery(table.name)


#: Member and internal accounts, with their cached balances.
accounts: Final = _view(t.accounts)
#: Members of the cooperative.
members: Final = _view(t.members)
#: Posted journal entries (never changed once posted; corrections are reversal entries).
journal_entries: Final = _view(t.journal_entries)
#: The postings of every journal entry; an entry's postings sum to zero per currency.
postings: Final = _view(t.postings)
#: The chart of accounts in force.
gl_accounts: Final = _view(t.gl_accounts)
#: The cooperative's offices: the head office, branches and cash offices (docs/offices.md).
offices: Final = _view(t.offices)


def normal_balance(view: sa.FromClause = accounts) -> sa.ColumnElement[Any]:
    """The balance as a person reads it, ``balance * normal_sign``, of ``view``
    (:data:`accounts`, or an alias of it): positive when the account holds its normal side."""
    return view.c.balance * view.c.normal_sign


def account_number(ctx: Context, account_id: int) -> str:
    """The number of the account with id ``account_id``; :class:`NotFound` if there is none."""
    number = ctx.conn.execute(
        sa.select(accounts.c.number).where(accounts.c.id == account_id)).scalar()
    if number is None:
        raise NotFound(message("no account has id {account_id}", account_id=account_id))
    return str(number)


def office_code(ctx: Context, office_id: int) -> str:
    """The code of the office with id ``office_id`` (``KP`` for the head office);
    :class:`NotFound` if there is none."""
    code = ctx.conn.execute(sa.select(offices.c.code).where(offices.c.id == office_id)).scalar()
    if code is None:
        raise NotFound(message("no office has id {office_id}", office_id=office_id))
    return str(code)


def gl_account_type(ctx: Context, key: str) -> GLType | None:
    """The type of the GL account ``key`` in the chart in force, or ``None`` when the chart
    has no such account."""
    found = ctx.conn.execute(
        sa.select(gl_accounts.c.type).where(gl_accounts.c.key == key)).scalar()
    return None if found is None else GLType(found)


__all__ = ["COLUMNS", "CONTRACT", "account_number", "accounts", "gl_account_type",
           "gl_accounts", "journal_entries", "members", "normal_balance", "postings"]
