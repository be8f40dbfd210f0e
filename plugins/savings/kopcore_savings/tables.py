"""The savings plugin's own tables (SQLAlchemy Core), created by the ``savings`` Alembic branch.

Amounts are BIGINT minor units; rates are integer parts per million of one (3 % a year is
``30000``), so no value ever passes through a float. The plugin writes only these tables; the
kernel's tables are read (``kopcore.query``) and changed only through ``kopcore.ledger``.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

products = sa.Table(
    "savings_products",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("gl_key", sa.String(64), nullable=False),
    #: pokok: the one-off amount; wajib: the amount due each period.
    sa.Column("amount", sa.BigInteger, nullable=True),
    #: The lowest balance a withdrawal may leave (the kernel floor of new accounts).
    sa.Column("min_balance", sa.BigInteger, nullable=False),
    sa.Column("rate_ppm", sa.Integer, nullable=False),
    sa.Column("interest_method", sa.String(16), nullable=False),
    sa.Column("days_in_year", sa.SmallInteger, nullable=False),
    sa.Column("interest_min_balance", sa.BigInteger, nullable=False),
    sa.Column("posting_months", sa.SmallInteger, nullable=False),
    sa.Column("rounding_unit", sa.BigInteger, nullable=False),
    sa.Column("tax_rate_ppm", sa.Integer, nullable=False),
    sa.Column("tax_threshold", sa.BigInteger, nullable=False),
    sa.Column("expense_gl_key", sa.String(64), nullable=False),
    sa.Column("dormant_after_days", sa.Integer, nullable=True),
    sa.Column("dormant_policy", sa.String(16), nullable=False),
    sa.Column("auto_debit", sa.Boolean, nullable=False),
    sa.Column("arrears_gl_key", sa.String(64), nullable=False),
    sa.Column("term_months", sa.SmallInteger, nullable=True),
    sa.Column("penalty_ppm", sa.Integer, nullable=False),
    sa.Column("created_on", sa.Date, nullable=False),
)

accounts = sa.Table(
    "savings_accounts",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("product_code", sa.String(32), nullable=False),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    #: Last member-initiated movement (deposit, withdrawal, transfer), for dormancy.
    sa.Column("last_activity_on", sa.Date, nullable=False),
    sa.Column("dormant_since", sa.Date, nullable=True),
    #: Last business date whose end-of-day balance was recorded for interest.
    sa.Column("accrued_through", sa.Date, nullable=True),
)

#: One row per account and closed business date: the end-of-day balance and the rate in force.
#: Rows are the unposted accrual; posting interest deletes the rows it paid.
interest_days = sa.Table(
    "savings_interest_days",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("business_date", sa.Date, primary_key=True),
    sa.Column("balance", sa.BigInteger, nullable=False),
    sa.Column("rate_ppm", sa.Integer, nullable=False),
)

interest_postings = sa.Table(
    "savings_interest_postings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, nullable=False),
    sa.Column("period_from", sa.Date, nullable=False),
    sa.Column("period_to", sa.Date, nullable=False),
    sa.Column("days", sa.Integer, nullable=False),
    sa.Column("gross", sa.BigInteger, nullable=False),
    sa.Column("tax", sa.BigInteger, nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=True),
    sa.UniqueConstraint("account_id", "period_to", name="uq_savings_interest_postings_period"),
)

#: Interest paid, per account and calendar month it was earned in: withholding tax (PPh final,
#: PP 15/2009) is judged on these, and the withholding slips and the monthly recap read them.
#: One payment (a period's posting, a deposit's maturity) writes one row per month it covers.
interest_months = sa.Table(
    "savings_interest_months",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, nullable=False),
    sa.Column("member_id", sa.Integer, nullable=False),
    #: ``YYYY-MM``: the month the interest was earned in.
    sa.Column("month", sa.String(7), nullable=False),
    #: ``sukarela`` or ``berjangka``
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("gross", sa.BigInteger, nullable=False),
    sa.Column("tax", sa.BigInteger, nullable=False),
    sa.Column("paid_on", sa.Date, nullable=False),
    sa.Column("entry_id", sa.Integer, nullable=True),
    sa.Index("ix_savings_interest_months_month", "month", "member_id"),
)

#: Withholding-tax rate and threshold changes of a product, each in force from the first day of
#: a month (the product's own figures apply before the first).
tax_changes = sa.Table(
    "savings_tax_changes",
    metadata,
    sa.Column("product_code", sa.String(32), primary_key=True),
    sa.Column("valid_from", sa.Date, primary_key=True),
    sa.Column("rate_ppm", sa.Integer, nullable=False),
    sa.Column("threshold", sa.BigInteger, nullable=False),
)

#: A legal-entity member's interest not withheld under Pasal 23 (:mod:`kopcore_savings.
#: tax_exemptions`): a bank (ayat (4) huruf a) or a Surat Keterangan Bebas, each for the
#: payments made from ``valid_from`` to ``valid_until`` (open-ended while None).
tax_exemptions = sa.Table(
    "savings_tax_exemptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.Integer, nullable=False),
    #: ``bank`` or ``skb``
    sa.Column("reason", sa.String(8), nullable=False),
    #: The SKB's number; for a bank, its licence or any reference the cooperative keeps.
    sa.Column("reference", sa.String(64), nullable=True),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=True),
    sa.Column("recorded_on", sa.Date, nullable=False),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("ended_by", sa.String(64), nullable=True),
    sa.Index("ix_savings_tax_exemptions_member", "member_id"),
)

wajib_dues = sa.Table(
    "savings_wajib_dues",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    #: ``YYYY-MM``
    sa.Column("period", sa.String(7), primary_key=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("billed_on", sa.Date, nullable=False),
)

deposits = sa.Table(
    "savings_deposits",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("principal", sa.BigInteger, nullable=False),
    sa.Column("rate_ppm", sa.Integer, nullable=False),
    sa.Column("term_months", sa.SmallInteger, nullable=False),
    sa.Column("placed_on", sa.Date, nullable=False),
    sa.Column("maturity_on", sa.Date, nullable=False),
    #: ``payout`` or ``rollover``
    sa.Column("instruction", sa.String(16), nullable=False),
    sa.Column("payout_account", sa.String(64), nullable=True),
    #: Interest already expensed to ``savings.interest_payable`` at period ends.
    sa.Column("accrued", sa.BigInteger, nullable=False),
    #: ``active``, ``matured`` (waiting for the member) or ``closed``
    sa.Column("status", sa.String(16), nullable=False),
)

events = sa.Table(
    "savings_account_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, nullable=False),
    #: ``dormant``, ``reactivated``, ``rolled-over``, ``matured``...
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("note", sa.String(200), nullable=True),
    sa.Index("ix_savings_account_events_account", "account_id"),
)

#: Interest accrued in the previous books and not yet posted at the cut-over (exact minor
#: units, accrued through ``through``); the next posting adds it to the account's interest.
carried_interest = sa.Table(
    "savings_carried_interest",
    metadata,
    sa.Column("account_id", sa.Integer, primary_key=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("through", sa.Date, nullable=False),
)

#: The cooperative's savings policy (revision savings_policy0001), one row per setting that
#: differs from its default (:mod:`kopcore_savings.policy`).
policy = sa.Table(
    "savings_policy",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(64), nullable=False),
    sa.Column("changed_on", sa.Date, nullable=False),
    sa.Column("changed_by", sa.String(64), nullable=False),
)

#: Refunds of simpanan pokok and wajib still owed to former members (``payable.member_exit``),
#: one row per installment: due on ``due_on``, or after the RAT approving the accounts of the
#: year ``after_rat_of`` (``due_on`` set when it is held). ``paid_on``/``entry_id``: paid.
exit_refunds = sa.Table(
    "savings_exit_refunds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.Column("installment", sa.SmallInteger, nullable=False),
    sa.Column("installments", sa.SmallInteger, nullable=False),
    sa.Column("left_on", sa.Date, nullable=False),
    sa.Column("due_on", sa.Date, nullable=True),
    sa.Column("after_rat_of", sa.SmallInteger, nullable=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("paid_on", sa.Date, nullable=True),
    sa.Column("entry_id", sa.Integer, nullable=True),
    sa.Index("ix_savings_exit_refunds_member", "member_id"),
    sa.Index("ix_savings_exit_refunds_open", "paid_on", "due_on"),
)
