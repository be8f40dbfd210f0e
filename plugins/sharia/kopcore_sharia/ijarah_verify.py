"""The ijarah assets checked against the ledger (``kopcore verify``): the Aset Ijarah GL account
holds the cost of what the cooperative still owns of its assets bought to lease (not
transferred, less the parts sold by gradual sale), and Akumulasi Penyusutan Aset Ijarah their
accumulated depreciation. An asset edited in the database, or an entry posted by hand to
either account, is reported."""

from __future__ import annotations

import sqlalchemy as sa

from kopcore import ledger
from kopcore.context import Context
from kopcore.money import Money
from kopcore.records import Finding
from kopcore_sharia import chart, ijarah
from kopcore_sharia.ijarah_tables import ijarah_assets


def findings(ctx: Context) -> list[Finding]:
    """Disagreements between the assets' figures and the two GL accounts."""
    s = ijarah_assets.c
    held = ctx.conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(s.cost - s.sold_cost), 0),
                  sa.func.coalesce(sa.func.sum(s.accumulated - s.sold_accumulated), 0))
        .where(s.status != ijarah.TRANSFERRED)).one()
    found = []
    for key, recorded, what in (
            (chart.IJARAH_ASSET, int(held[0]), "cost"),
            (chart.IJARAH_ACCUMULATED_DEPRECIATION, int(held[1]), "accumulated depreciation")):
        account = ledger.get_account(ctx, chart.gl(key))
        if account.balance.minor != recorded:
            found.append(Finding(
                "ijarah_assets_differ",
                f"the ijarah assets' {what} is {Money(recorded, account.currency).format()}; "
                f"{key} holds {account.balance.format()}", account_id=account.id))
    return found
