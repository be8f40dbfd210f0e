"""verify checks the ijarah assets against the Aset Ijarah and Akumulasi Penyusutan GL accounts
(``kopcore_verify``)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from kopcore_sharia.ijarah_tables import ijarah_assets
from sharia_coop import CASH, Coop

from kopcore.testing import verify_books


def errors(coop: Coop) -> list[str]:
    report = coop.kernel.read("auditor", verify_books)
    return [p.kind for p in report.errors]


def test_an_asset_edited_in_the_database_is_found(coop: Coop) -> None:
    member = coop.member()
    for transfer in ("gradual", "hibah"):
        asset = coop.call("sharia.ijarah-acquire", asset="Mesin", cost="120000000",
                          useful_life_months=60, cash_account=CASH, supplier="PT Pemasok",
                          document="Faktur 1")["asset"]["id"]
        coop.call("sharia.ijarah-contract", member=member, asset=asset, ujrah="2000000",
                  term=4, kind="imbt", transfer=transfer,
                  transfer_price="40000000" if transfer == "gradual" else None)
    coop.close_days(date(2026, 3, 6))  # two rents of each: parts sold, depreciation charged
    assert errors(coop) == []
    with coop.kernel.db.engine.begin() as conn:
        conn.execute(sa.update(ijarah_assets).where(ijarah_assets.c.id == 1)
                     .values(accumulated=ijarah_assets.c.accumulated + 100))
    assert errors(coop) == ["sharia.ijarah_assets_differ"]
