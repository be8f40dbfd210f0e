"""Demo data: the sandbox catalogue and one paid pulsa for the first active demo member."""

from __future__ import annotations

from kopcore import ledger
from kopcore.context import Context
from kopcore.errors import KopcoreError
from kopcore.ledger import MemberStatus
from kopcore_ppob import catalogue, flow
from kopcore_ppob.providers import make_provider


def seed(ctx: Context) -> list[str]:
    """Sync the catalogue; buy TSEL10 for the first active member who has a paying account
    with enough money (all in this one transaction: the sandbox answers at once)."""
    catalogue.sync(ctx)
    for member in ledger.list_members(ctx, status=MemberStatus.ACTIVE, limit=50):
        if ledger.settlement_account(ctx, member, "payment") is None:
            continue
        req = flow.PayRequest("DEMO-PULSA-1", "TSEL10", "081234567890", member.member_number)
        savepoint = ctx.conn.begin_nested()
        try:
            txn, _ = flow.begin(ctx, req)
            result = flow.ask(make_provider(ctx, txn.provider), txn, first=True)
            flow.resolve(ctx, req.ref_id, result)
        except KopcoreError:
            savepoint.rollback()
            continue
        savepoint.commit()
        return [req.ref_id]
    return []
