"""The payroll plugin's own tables (created by the ``payroll`` Alembic branch).

Money columns are BIGINT minor units. The plugin writes only these tables; balances change only
through :func:`kopcore.ledger.settle_dues`.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: An employer (instansi or perusahaan) whose payroll office deducts for the cooperative.
employers = sa.Table(
    "payroll_employers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    #: ``instansi`` (a government office) or ``perusahaan`` (a company)
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("contact_name", sa.String(200), nullable=False),
    sa.Column("contact_phone", sa.String(32), nullable=True),
    sa.Column("contact_email", sa.String(200), nullable=True),
    #: Day of the month the list is due at the payroll office (1-28).
    sa.Column("cut_off_day", sa.SmallInteger, nullable=False),
    #: Internal account receiving the employer's transfer (a bank account).
    sa.Column("bank_account", sa.String(64), nullable=False),
    #: Allocation order of the priority classes, e.g. ``wajib,overdue,current,other``.
    sa.Column("priority", sa.String(64), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_on", sa.Date, nullable=False),
)

#: A member's employment: one row per employer and stretch of time; a move ends one row and
#: starts another.
employments = sa.Table(
    "payroll_employments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.Integer, nullable=False, index=True),
    sa.Column("employer_id", sa.Integer, sa.ForeignKey("payroll_employers.id"), nullable=False),
    sa.Column("employee_number", sa.String(32), nullable=False),
    sa.Column("start_on", sa.Date, nullable=False),
    sa.Column("end_on", sa.Date, nullable=True),
    sa.CheckConstraint("end_on IS NULL OR end_on >= start_on",
                       name="ck_payroll_employments_dates"),
)

#: One deduction batch per employer and month: the list sent, then the result posted.
batches = sa.Table(
    "payroll_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("employer_id", sa.Integer, sa.ForeignKey("payroll_employers.id"), nullable=False),
    #: ``YYYY-MM``
    sa.Column("period", sa.String(7), nullable=False),
    #: ``listed`` (sent, waiting for the result) or ``posted``
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("listed_total", sa.BigInteger, nullable=False),
    sa.Column("listed_on", sa.Date, nullable=False),
    sa.Column("listed_by", sa.String(64), nullable=False),
    sa.Column("result_digest", sa.String(64), nullable=True),
    sa.Column("transfer", sa.BigInteger, nullable=True),
    sa.Column("allocated", sa.BigInteger, nullable=True),
    sa.Column("suspense", sa.BigInteger, nullable=True),
    sa.Column("bank_account", sa.String(64), nullable=True),
    sa.Column("entry_id", sa.Integer, nullable=True),
    sa.Column("posted_on", sa.Date, nullable=True),
    sa.Column("posted_by", sa.String(64), nullable=True),
    sa.UniqueConstraint("employer_id", "period", name="uq_payroll_batches_period"),
    sa.CheckConstraint("status IN ('listed','posted')", name="ck_payroll_batches_status"),
)

#: The dues listed in a batch, one row per member and due, in allocation order; once posted,
#: also the dues settled that were not listed (``amount`` 0: they arose after the list).
lines = sa.Table(
    "payroll_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("payroll_batches.id"), nullable=False,
              index=True),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.Column("employee_number", sa.String(32), nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("priority", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(128), nullable=False),
    sa.Column("account", sa.String(64), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    #: What the result allocated to this due (NULL until posted).
    sa.Column("settled", sa.BigInteger, nullable=True),
)

#: The employer's result, one row per employee number in it, and per listed member missing
#: from it (deducted 0).
results = sa.Table(
    "payroll_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("payroll_batches.id"), nullable=False,
              index=True),
    sa.Column("employee_number", sa.String(32), nullable=False),
    #: NULL: not in the list (the money went to suspense).
    sa.Column("member_id", sa.Integer, nullable=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("listed", sa.BigInteger, nullable=False),
    sa.Column("deducted", sa.BigInteger, nullable=False),
    #: Settled against dues; the rest of ``deducted`` went to suspense.
    sa.Column("allocated", sa.BigInteger, nullable=False),
    #: ``full``, ``partial``, ``missing`` or ``unknown``
    sa.Column("outcome", sa.String(16), nullable=False),
    #: The entry that posted the row (a batch above 2,400 dues is posted as several entries).
    sa.Column("entry_id", sa.Integer, nullable=True),
    sa.UniqueConstraint("batch_id", "employee_number", name="uq_payroll_results_row"),
)
