"""Finding an account that pays or receives money for a member, through plugins."""

from __future__ import annotations

from kopcore.context import Context
from kopcore.ledger._accounts import get_account
from kopcore.ledger._records import Account, Member


def settlement_account(
    ctx: Context, member: Member, purpose: str, currency: str | None = None
) -> Account | None:
    """Ask the ``kopcore_settlement_account`` hook for the member's account for ``purpose``.

    Returns ``None`` when no enabled plugin offers one (the caller falls back to cash).
    """
    for _plugin, answer in ctx.kernel.plugins.call(
            "kopcore_settlement_account", ctx=ctx, member=member, purpose=purpose,
            currency=currency or ctx.settings.currency):
        return get_account(ctx, answer.account_number)
    return None
