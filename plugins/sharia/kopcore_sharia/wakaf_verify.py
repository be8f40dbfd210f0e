"""The wakaf records checked against the ledger (``kopcore_verify``).

The wakaf GL accounts move only through the wakaf operations, so the ledger agrees with the
records: the permanent and the temporary wakaf funds with the wakaf not returned, the investment
account with the placements not taken back, the results fund with the results less the nazhir's
parts less the distributions. A record edited in the database, or a posting made outside the
operations (a manual entry, a reversal), is reported.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import Finding
from kopcore_sharia import chart
from kopcore_sharia.wakaf import ACTIVE, WakafKind
from kopcore_sharia.wakaf_tables import investments, movements, wakaf


def _total(ctx: Context, query: sa.Select[Any]) -> int:
    value = ctx.conn.execute(query).scalar()
    return 0 if value is None else int(value)


def findings(ctx: Context) -> list[Finding]:
    """Wakaf funds, investments and results whose records and GL balances differ."""
    w, i, m = wakaf.c, investments.c, movements.c
    results = m.amount - m.nazhir_part
    recorded = {
        chart.WAKAF_PERMANENT: _total(ctx, sa.select(sa.func.sum(w.amount)).where(
            w.kind == WakafKind.PERMANENT.value, w.status == ACTIVE)),
        chart.WAKAF_TEMPORARY: _total(ctx, sa.select(sa.func.sum(w.amount)).where(
            w.kind == WakafKind.TEMPORARY.value, w.status == ACTIVE)),
        chart.WAKAF_INVESTMENT: _total(ctx, sa.select(sa.func.sum(i.amount)).where(
            i.status == ACTIVE)),
        chart.WAKAF_BENEFITS: _total(ctx, sa.select(sa.func.sum(sa.case(
            (m.kind == "result", results), else_=-m.amount)))),
    }
    found = []
    for key, minor in recorded.items():
        account = ledger.get_account(ctx, chart.gl(key))
        if account.balance.minor != minor:
            found.append(Finding(
                "wakaf_records_differ",
                f"{account.name} holds {account.balance.format()}; the wakaf records make it "
                f"{Money(minor, account.currency).format()}", account_id=account.id))
    return found
