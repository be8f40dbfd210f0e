"""The wakaf tables (revision ``sharia0011``): the wakaf received, its investments and the
results and distributions of those investments. Money columns are minor units."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: One row per wakaf received (an ikrar wakaf): permanent, or temporary until ``until``.
wakaf = sa.Table(
    "sharia_wakaf",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("wakif", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("ikrar", sa.String(64), nullable=False, unique=True),
    sa.Column("purpose", sa.String(200), nullable=False),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("until", sa.Date, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=False),
    sa.Column("returned_on", sa.Date, nullable=True),
    sa.Column("return_entry_id", sa.Integer, nullable=True),
)

#: One row per placement of wakaf money: in the cooperative's financing or deposits (the
#: business keeps the money and owes it to the wakaf) or in a bank's sharia deposit.
investments = sa.Table(
    "sharia_wakaf_investments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("placement", sa.String(16), nullable=False),
    sa.Column("placed_with", sa.String(200), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("placed_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=False),
    sa.Column("returned_on", sa.Date, nullable=True),
    sa.Column("return_entry_id", sa.Integer, nullable=True),
)

#: Results of investments (``result``: gross, with the nazhir's part) and distributions to the
#: mauquf 'alaih (``distribution``).
movements = sa.Table(
    "sharia_wakaf_movements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("investment_id", sa.Integer, nullable=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("nazhir_part", sa.BigInteger, nullable=False),
    sa.Column("memo", sa.String(200), nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=False),
)
