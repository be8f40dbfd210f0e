"""The ijarah tables of the sharia plugin (revision ``sharia0009``): the assets the cooperative
owns for leasing and the lease contracts (ijarah and ijarah muntahiyah bittamlik)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: An asset the cooperative bought to lease (aset ijarah, PSAK 107), at cost. ``accumulated``
#: is its depreciation so far over ``depreciated_months`` months of lease; status ``available``
#: (owned, not leased), ``leased`` (contract ``contract_account_id``) or ``transferred`` (its
#: ownership passed to the lessee at the end of an IMBT). Money columns are minor units.
ijarah_assets = sa.Table(
    "sharia_ijarah_assets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("asset", sa.String(200), nullable=False),
    sa.Column("cost", sa.BigInteger, nullable=False),
    sa.Column("residual", sa.BigInteger, nullable=False),
    sa.Column("useful_life_months", sa.Integer, nullable=False),
    sa.Column("supplier", sa.String(200), nullable=False),
    sa.Column("document", sa.String(200), nullable=False),
    sa.Column("acquired_on", sa.Date, nullable=False),
    sa.Column("accumulated", sa.BigInteger, nullable=False),
    sa.Column("depreciated_months", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("contract_account_id", sa.Integer, nullable=True),
    sa.Column("entry_id", sa.Integer, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    # An IMBT by gradual sale: the cost and the accumulated depreciation of the parts sold.
    sa.Column("sold_cost", sa.BigInteger, nullable=False),
    sa.Column("sold_accumulated", sa.BigInteger, nullable=False),
)

#: One row per lease; the ujrah receivable is the member account ``account_id``. ``kind``
#: ``ijarah`` or ``imbt``; an IMBT's ``transfer`` is ``hibah``, ``sale`` (at
#: ``transfer_price`` at the end) or ``gradual`` (that price in parts, one with each rent).
#: The contract depreciates ``dep_base`` over ``dep_months`` of its months (the asset's
#: remaining useful life for an ijarah, the lease term for an IMBT).
ijarah_contracts = sa.Table(
    "sharia_ijarah",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.Column("asset_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("transfer", sa.String(8), nullable=True),
    sa.Column("transfer_price", sa.BigInteger, nullable=False),
    sa.Column("ujrah", sa.BigInteger, nullable=False),
    sa.Column("term", sa.SmallInteger, nullable=False),
    sa.Column("contract_on", sa.Date, nullable=False),
    sa.Column("dep_base", sa.BigInteger, nullable=False),
    sa.Column("dep_months", sa.Integer, nullable=False),
    sa.Column("accrued", sa.SmallInteger, nullable=False),
    sa.Column("paid", sa.SmallInteger, nullable=False),
    sa.Column("depreciation", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("ended_on", sa.Date, nullable=True),
    sa.Column("end_entry_id", sa.Integer, nullable=True),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("collectibility", sa.String(16), nullable=True),
    sa.Column("allowance", sa.BigInteger, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    # The ta'zir agreed at signing: per late rent, and per day it is late.
    sa.Column("tazir_flat", sa.BigInteger, nullable=False),
    sa.Column("tazir_daily", sa.BigInteger, nullable=False),
)
