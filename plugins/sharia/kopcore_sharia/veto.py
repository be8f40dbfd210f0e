"""No riba: an entry touching a sharia account may not touch an interest account."""

from __future__ import annotations

from kopcore.ledger import ProposedEntry
from kopcore.records import Veto
from kopcore_sharia.chart import SHARIA_GL_KEYS
from kopcore_sharia.messages import _

INTEREST_ACCOUNT = "sharia.interest-account"


def is_interest_key(gl_key: str) -> bool:
    """Interest income/expense/receivable/payable GL accounts are recognised by their key
    (``savings.interest_expense``, ``loans.interest_income``...)."""
    return "interest" in gl_key.lower() and gl_key not in SHARIA_GL_KEYS


#: The kernel's member-exit settlement is one entry gathering every plugin's lines for the
#: leaving member: a conventional loan's interest netted by its own plugin may sit beside the
#: wadiah refund. That entry is not a sharia product's posting, so it is let through; so is a
#: collection settling members' dues (``entry.settles_dues``: one salary deduction paying a
#: murabahah installment and a conventional loan's, each plugin writing its own lines).
EXEMPT_OPERATIONS = frozenset({"members.exit"})


def veto(entry: ProposedEntry) -> Veto | None:
    if entry.operation in EXEMPT_OPERATIONS or entry.settles_dues:
        return None
    keys = {account.gl_key for account in entry.accounts.values()}
    sharia = sorted(keys & SHARIA_GL_KEYS)
    interest = sorted(key for key in keys if is_interest_key(key))
    if sharia and interest:
        return Veto(INTEREST_ACCOUNT, _(
            "an entry on sharia account(s) {sharia} may not touch interest account(s) "
            "{interest}; interest the cooperative receives (a bank's) is non-halal: receive it "
            "into the non-halal fund (sharia zis-receive --fund non_halal), never into income",
            sharia=", ".join(sharia), interest=", ".join(interest)))
    return None
