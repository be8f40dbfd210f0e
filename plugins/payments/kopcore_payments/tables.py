"""The payments plugin's tables (SQLAlchemy Core). Money columns are BigInteger minor units."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

settings = sa.Table(
    "payments_settings", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

#: A gateway's fee per kind of channel: ``fixed`` minor units plus ``rate_ppm`` parts per
#: million of the amount, rounded half up to the minor unit.
fees = sa.Table(
    "payments_fees", metadata,
    sa.Column("gateway", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(8), primary_key=True),
    sa.Column("fixed", sa.BigInteger, nullable=False),
    sa.Column("rate_ppm", sa.Integer, nullable=False),
)

bills = sa.Table(
    "payments_bills", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("target_operation", sa.String(64), nullable=False),
    sa.Column("target_input", sa.Text, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    #: ``creating`` (asking the gateway), ``open``, ``paid``, ``expired``, ``failed``.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_on", sa.Date, nullable=False),
    sa.Column("payment_row_id", sa.Integer, nullable=True),
    sa.UniqueConstraint("number", name="uq_payments_bills_number"),
)

channels = sa.Table(
    "payments_channels", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("gateway", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("gateway_ref", sa.String(64), nullable=False),
    sa.Column("external_id", sa.String(64), nullable=False),
    sa.Column("number", sa.String(1000), nullable=False),
    sa.Column("bank_code", sa.String(32), nullable=False),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.Column("bill_id", sa.Integer, nullable=True),
    sa.Column("amount", sa.BigInteger, nullable=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_on", sa.Date, nullable=False),
    sa.UniqueConstraint("gateway", "gateway_ref", name="uq_payments_channels_ref"),
    sa.UniqueConstraint("gateway", "external_id", name="uq_payments_channels_external"),
)

payments = sa.Table(
    "payments_payments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("gateway", sa.String(32), nullable=False),
    sa.Column("payment_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("channel_ref", sa.String(64), nullable=False),
    sa.Column("channel_id", sa.Integer, nullable=True),
    sa.Column("member_id", sa.Integer, nullable=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("fee", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
    #: ``callback``, ``poll`` or ``reconcile``: how it first reached the books.
    sa.Column("received_via", sa.String(16), nullable=False),
    #: ``credited``, ``suspense``, ``assigned`` (from suspense) or ``refunded``.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("credited_to", sa.String(200), nullable=True),
    sa.Column("reason", sa.String(300), nullable=True),
    sa.Column("entry_id", sa.Integer, nullable=True),
    sa.Column("fee_entry_id", sa.Integer, nullable=True),
    sa.Column("resolution_entry_id", sa.Integer, nullable=True),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.UniqueConstraint("gateway", "payment_id", name="uq_payments_payments_id"),
)

callbacks = sa.Table(
    "payments_callbacks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("gateway", sa.String(32), nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("payment_id", sa.String(128), nullable=True),
    sa.Column("detail", sa.String(200), nullable=True),
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

settlements = sa.Table(
    "payments_settlements", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("gateway", sa.String(32), nullable=False),
    sa.Column("reference", sa.String(64), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("bank_account", sa.String(64), nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=False),
    sa.Column("settled_on", sa.Date, nullable=False),
    sa.UniqueConstraint("gateway", "reference", name="uq_payments_settlements_ref"),
)
