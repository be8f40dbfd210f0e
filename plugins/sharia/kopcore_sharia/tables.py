"""The sharia plugin's tables (created by its Alembic branch ``sharia``)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: One row per murabahah contract; the receivable is the member account ``account_id``.
#: Money columns are minor units.
murabahah = sa.Table(
    "sharia_murabahah",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.Column("asset", sa.String(200), nullable=False),
    sa.Column("cost", sa.BigInteger, nullable=False),
    sa.Column("margin", sa.BigInteger, nullable=False),
    sa.Column("down_payment", sa.BigInteger, nullable=False),
    sa.Column("installments", sa.SmallInteger, nullable=False),
    sa.Column("rounding_unit", sa.BigInteger, nullable=False),
    sa.Column("contract_on", sa.Date, nullable=False),
    sa.Column("paid_installments", sa.SmallInteger, nullable=False),
    sa.Column("margin_recognised", sa.BigInteger, nullable=False),
    sa.Column("muqasah", sa.BigInteger, nullable=False),
    sa.Column("tazir", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("settled_on", sa.Date, nullable=True),
)
