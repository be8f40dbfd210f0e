"""The PPOB plugin's own tables (SQLAlchemy Core), created by the ``ppob`` Alembic branch.

Amounts are BIGINT minor units of the cooperative's currency; percentages are integer parts per
million. ``ppob_transactions.ref_id`` is unique: it is the idempotency key sent to the provider.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

settings = sa.Table(
    "ppob_settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

products = sa.Table(
    "ppob_products",
    metadata,
    sa.Column("sku", sa.String(64), primary_key=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("brand", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("postpaid", sa.Boolean, nullable=False),
    #: Prepaid: the provider's price. Postpaid: the provider's admin fee per bill.
    sa.Column("buy_price", sa.BigInteger, nullable=False),
    #: Prepaid: the member's price. Postpaid: the admin fee the member pays on top of the bill.
    sa.Column("selling_price", sa.BigInteger, nullable=False),
    sa.Column("available", sa.Boolean, nullable=False),
    sa.Column("synced_on", sa.Date, nullable=False),
    #: The provider's daily cut-off window from its price list, WIB ``HH:MM`` (ppob0002).
    sa.Column("cutoff_start", sa.String(5), nullable=True),
    sa.Column("cutoff_end", sa.String(5), nullable=True),
    #: Products of one group are the same product at different providers (ppob0005).
    sa.Column("group_code", sa.String(64), nullable=True),
)

markups = sa.Table(
    "ppob_markups",
    metadata,
    sa.Column("category", sa.String(32), primary_key=True),
    sa.Column("flat", sa.BigInteger, nullable=False),
    sa.Column("percent_ppm", sa.Integer, nullable=False),
    sa.Column("round_to", sa.BigInteger, nullable=False),
)

transactions = sa.Table(
    "ppob_transactions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ref_id", sa.String(64), nullable=False, unique=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("customer_no", sa.String(32), nullable=False),
    sa.Column("customer_name", sa.String(200), nullable=True),
    #: inquired (postpaid bill quoted) → pending → success | failed
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("member_id", sa.Integer, nullable=True),
    #: The member's savings account (held) or the teller cash account (via suspense).
    sa.Column("source_account", sa.String(64), nullable=True),
    sa.Column("paid_by", sa.String(8), nullable=True),
    sa.Column("bill", sa.BigInteger, nullable=False),
    sa.Column("selling_price", sa.BigInteger, nullable=False),
    sa.Column("buy_price", sa.BigInteger, nullable=False),
    sa.Column("hold_id", sa.Integer, nullable=True),
    sa.Column("cash_entry_id", sa.Integer, nullable=True),
    sa.Column("entry_id", sa.Integer, nullable=True),
    sa.Column("sn", sa.String(200), nullable=True),
    sa.Column("message", sa.String(200), nullable=True),
    #: Set when the provider contradicts a final outcome (success after failure): for the
    #: operator, never posted.
    sa.Column("anomaly", sa.String(200), nullable=True),
    sa.Column("created_on", sa.Date, nullable=False),
    sa.Column("resolved_on", sa.Date, nullable=True),
    #: When the row was claimed for payment (ppob0003; null on older rows): the end-of-day
    #: check counts networked transactions pending longer than the limit.
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
    #: How a manager resolved the anomaly (ppob0003): charged | absorbed | refunded; set once.
    sa.Column("resolution", sa.String(16), nullable=True),
    sa.Column("resolution_note", sa.String(200), nullable=True),
    sa.Column("resolved_by", sa.String(64), nullable=True),
    sa.Column("resolution_on", sa.Date, nullable=True),
    #: The entry the resolution posted (charged: the sale; absorbed: the loss).
    sa.Column("resolution_entry_id", sa.Integer, nullable=True),
    #: What the provider actually charged for a successful purchase (ppob0004); it differs
    #: from ``buy_price`` (the catalogue's, or the quote's) when the provider's price changed.
    sa.Column("cost", sa.BigInteger, nullable=True),
    #: Why a pending transaction needs an operator (ppob0004): the provider answered a status
    #: re-send with a code that refused the request only (bad key, unknown IP, rate limit).
    sa.Column("attention", sa.String(200), nullable=True),
    #: The product the member asked for, when routing sold another provider's (ppob0005).
    sa.Column("requested_sku", sa.String(64), nullable=True),
)

#: Each period of a postpaid bill as the provider detailed it at inquiry (ppob0004).
bill_periods = sa.Table(
    "ppob_bill_periods",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ref_id", sa.String(64), nullable=False, index=True),
    sa.Column("period", sa.String(32), nullable=False),
    sa.Column("bill", sa.BigInteger, nullable=False),
    sa.Column("penalty", sa.BigInteger, nullable=False),
)

#: Every callback received, verified or not (ppob0002): forged ones are kept here with
#: ``verdict = 'bad-signature'`` and change nothing else.
callbacks = sa.Table(
    "ppob_callbacks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("ref_id", sa.String(64), nullable=True),
    #: applied | duplicate | late | unknown-ref | bad-signature | malformed
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=True),
    sa.Column("detail", sa.String(200), nullable=True),
    #: SHA-256 of the body, to recognise a delivery repeated byte for byte.
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

#: Changes to a provider's deposit other than purchases (ppob0006): ``topup`` (positive) and
#: the adjustments agreed at reconciliation, ``price`` and ``unrecorded`` (negative: the
#: provider took more). With the purchases' costs they give the deposit kopcore expects.
deposit_moves = sa.Table(
    "ppob_deposit_moves",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("provider", sa.String(32), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("ref_id", sa.String(64), nullable=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=True),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("note", sa.String(200), nullable=True),
    sa.UniqueConstraint("ref_id", "kind", name="uq_ppob_deposit_moves_ref_kind"),
)
