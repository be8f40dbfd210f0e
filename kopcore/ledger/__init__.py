"""The double-entry ledger: members, accounts, journal entries, balances and reports.

Every function takes a :class:`~kopcore.context.Context` (a connection inside an open transaction
plus the acting user) and leaves committing to the caller — :meth:`kopcore.kernel.Kernel.write`.
"""

from kopcore.ledger._accounts import (
    active_holds,
    close_account,
    freeze_account,
    get_account,
    gl_account_number,
    list_accounts,
    member_accounts,
    open_account,
    place_hold,
    release_hold,
    set_floor,
    unfreeze_account,
)
from kopcore.ledger._bulk import EntryRequest, insert_rows, post_entries
from kopcore.ledger._dues import member_dues, settle_dues
from kopcore.ledger._exit import exit_member
from kopcore.ledger._members import (
    activate_member,
    get_member,
    get_member_by_id,
    list_members,
    register_member,
    require_active,
    search_members,
    update_contact,
    validate_nib,
    validate_nik,
    validate_npwp,
)
from kopcore.ledger._opening import AccountOpening, open_accounts
from kopcore.ledger._posting import get_entry, post_entry, reverse_entry
from kopcore.ledger._records import (
    Account,
    AccountStatus,
    JournalEntry,
    LegalDocuments,
    Member,
    MemberChange,
    MemberChangeKind,
    MemberKind,
    Membership,
    MemberStatus,
    PostingView,
    ProposedEntry,
)
from kopcore.ledger._reports import (
    balance_as_of,
    financial_position,
    ledger_invariants,
    operating_results,
    statement,
    trial_balance,
)
from kopcore.ledger._settlement import settlement_account

__all__ = [
    "Account",
    "AccountOpening",
    "AccountStatus",
    "EntryRequest",
    "JournalEntry",
    "LegalDocuments",
    "Member",
    "MemberChange",
    "MemberChangeKind",
    "MemberKind",
    "MemberStatus",
    "Membership",
    "PostingView",
    "ProposedEntry",
    "activate_member",
    "active_holds",
    "balance_as_of",
    "close_account",
    "exit_member",
    "financial_position",
    "freeze_account",
    "get_account",
    "get_entry",
    "get_member",
    "get_member_by_id",
    "gl_account_number",
    "insert_rows",
    "ledger_invariants",
    "list_accounts",
    "list_members",
    "member_accounts",
    "member_dues",
    "open_account",
    "open_accounts",
    "operating_results",
    "place_hold",
    "post_entries",
    "post_entry",
    "register_member",
    "release_hold",
    "require_active",
    "reverse_entry",
    "search_members",
    "set_floor",
    "settle_dues",
    "settlement_account",
    "statement",
    "trial_balance",
    "unfreeze_account",
    "update_contact",
    "validate_nib",
    "validate_nik",
    "validate_npwp",
]
