"""The loans plugin's own tables (created by the ``loans`` Alembic branch).

Money columns are BIGINT minor units; rates and rounding units are exact decimal strings. The
plugin writes only these tables; balances live in the kernel's ledger and change only through
:func:`kopcore.ledger.post_entry`.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

products = sa.Table(
    "loans_products",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("frequency", sa.String(16), nullable=False),
    sa.Column("annual_rate", sa.String(32), nullable=False),
    sa.Column("rounding_unit", sa.String(32), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("min_amount", sa.BigInteger, nullable=False),
    sa.Column("max_amount", sa.BigInteger, nullable=False),
    sa.Column("min_term", sa.Integer, nullable=False),
    sa.Column("max_term", sa.Integer, nullable=False),
    sa.Column("savings_multiple", sa.String(32), nullable=True),
    sa.Column("provisi_percent", sa.String(32), nullable=False),
    sa.Column("admin_fee", sa.BigInteger, nullable=False),
    sa.Column("fees_deducted", sa.Boolean, nullable=False),
    sa.Column("penalty_percent_per_day", sa.String(32), nullable=False),
    sa.Column("penalty_base", sa.String(16), nullable=False),
    sa.Column("grace_days", sa.Integer, nullable=False),
    sa.Column("allocation_order", sa.String(64), nullable=False),
    sa.Column("accounting", sa.String(16), nullable=False),
    sa.Column("settlement_interest", sa.String(16), nullable=False),
    sa.Column("exit_netting", sa.Boolean, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_on", sa.Date, nullable=False),
    #: Simpanan wajib pinjam: percent of the principal blocked in savings until payoff.
    sa.Column("blocked_savings_percent", sa.String(32), nullable=False, server_default="0"),
)

loans = sa.Table(
    "loans_loans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(32), nullable=False, unique=True),
    sa.Column("member_id", sa.Integer, nullable=False, index=True),
    sa.Column("product_id", sa.Integer, sa.ForeignKey("loans_products.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("principal", sa.BigInteger, nullable=False),
    sa.Column("term", sa.Integer, nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("frequency", sa.String(16), nullable=False),
    sa.Column("annual_rate", sa.String(32), nullable=False),
    sa.Column("rounding_unit", sa.String(32), nullable=False),
    sa.Column("provisi_fee", sa.BigInteger, nullable=False),
    sa.Column("admin_fee", sa.BigInteger, nullable=False),
    sa.Column("purpose", sa.String(200), nullable=False),
    sa.Column("auto_debit", sa.Boolean, nullable=False),
    sa.Column("applied_by", sa.String(64), nullable=False),
    sa.Column("applied_on", sa.Date, nullable=False),
    sa.Column("decided_by", sa.String(64), nullable=True),
    sa.Column("decided_on", sa.Date, nullable=True),
    sa.Column("decision_note", sa.String(200), nullable=True),
    sa.Column("disbursed_on", sa.Date, nullable=True),
    sa.Column("closed_on", sa.Date, nullable=True),
    sa.Column("account_id", sa.Integer, nullable=True),
    sa.Column("interest_account_id", sa.Integer, nullable=True),
    sa.Column("interest_recognized", sa.BigInteger, nullable=False, default=0),
    sa.Column("penalty_due", sa.BigInteger, nullable=False, default=0),
    sa.Column("days_past_due", sa.Integer, nullable=False, default=0),
    sa.Column("collectibility", sa.String(16), nullable=True),
    sa.Column("allowance", sa.BigInteger, nullable=False, default=0),
    sa.Column("schedule_version", sa.Integer, nullable=False, default=1),
    #: KSP regime: the day the loan became Diragukan (Macet after 21 months without repayment).
    sa.Column("doubtful_since", sa.Date, nullable=True),
    #: An officer's recorded judgement: can the loan still be rescued (dapat diselamatkan)?
    sa.Column("rescuable", sa.Boolean, nullable=True),
    sa.Column("judged_by", sa.String(64), nullable=True),
    sa.Column("judged_on", sa.Date, nullable=True),
    sa.Column("judgement_note", sa.String(200), nullable=True),
    #: A group loan: the group (kelompok) whose members are jointly liable.
    sa.Column("group_id", sa.Integer, nullable=True),
    #: Simpanan wajib pinjam: the kernel hold on the member's savings, and its amount.
    sa.Column("blocked_hold_id", sa.Integer, nullable=True),
    sa.Column("blocked_savings", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("written_off", sa.BigInteger, nullable=False, default=0),
    sa.Column("recovered", sa.BigInteger, nullable=False, default=0),
    sa.CheckConstraint(
        "status IN ('applied','approved','rejected','cancelled','active','closed',"
        "'written_off')", name="ck_loans_loans_status_known"),
    sa.CheckConstraint("principal > 0", name="ck_loans_loans_principal_positive"),
    sa.CheckConstraint("penalty_due >= 0", name="ck_loans_loans_penalty_not_negative"),
)

installments = sa.Table(
    "loans_installments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("loan_id", sa.Integer, sa.ForeignKey("loans_loans.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("principal", sa.BigInteger, nullable=False),
    sa.Column("interest", sa.BigInteger, nullable=False),
    sa.Column("principal_paid", sa.BigInteger, nullable=False, default=0),
    sa.Column("interest_paid", sa.BigInteger, nullable=False, default=0),
    sa.Column("interest_waived", sa.BigInteger, nullable=False, default=0),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("paid_on", sa.Date, nullable=True),
    sa.UniqueConstraint("loan_id", "version", "seq", name="uq_loans_installments_row"),
    sa.CheckConstraint("status IN ('open','paid','superseded')",
                       name="ck_loans_installments_status_known"),
    sa.CheckConstraint("principal_paid >= 0 AND principal_paid <= principal",
                       name="ck_loans_installments_principal_paid"),
    sa.CheckConstraint("interest_paid >= 0 AND interest_paid + interest_waived <= interest",
                       name="ck_loans_installments_interest_paid"),
)

events = sa.Table(
    "loans_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("loan_id", sa.Integer, sa.ForeignKey("loans_loans.id"), nullable=False,
              index=True),
    sa.Column("business_date", sa.Date, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("penalty", sa.BigInteger, nullable=False, default=0),
    sa.Column("interest", sa.BigInteger, nullable=False, default=0),
    sa.Column("principal", sa.BigInteger, nullable=False, default=0),
    sa.Column("entry_id", sa.Integer, nullable=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("note", sa.String(500), nullable=False, default=""),
)

guarantors = sa.Table(
    "loans_guarantors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("loan_id", sa.Integer, sa.ForeignKey("loans_loans.id"), nullable=False),
    sa.Column("member_id", sa.Integer, nullable=False),
    sa.Column("relationship", sa.String(100), nullable=False),
    sa.Column("added_on", sa.Date, nullable=False),
    sa.Column("added_by", sa.String(64), nullable=False),
    #: The day the loan was paid off and the guarantee ended.
    sa.Column("released_on", sa.Date, nullable=True),
    sa.UniqueConstraint("loan_id", "member_id", name="uq_loans_guarantors_pair"),
)

collateral = sa.Table(
    "loans_collateral",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("loan_id", sa.Integer, sa.ForeignKey("loans_loans.id"), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("description", sa.String(500), nullable=False),
    #: Appraised value (nilai taksasi).
    sa.Column("value", sa.BigInteger, nullable=False),
    #: Liquidation value (nilai likuidasi); the appraised value counts when empty.
    sa.Column("liquidation_value", sa.BigInteger, nullable=True),
    #: ``fidusia``, ``hak_tanggungan``, ``gadai`` or ``none``
    sa.Column("binding", sa.String(16), nullable=False, server_default="none"),
    #: The binding's deed or certificate number (akta/sertifikat fidusia, APHT/SHT).
    sa.Column("binding_ref", sa.String(100), nullable=True),
    #: The owner when it is not the borrower (spouse, parent…).
    sa.Column("owner", sa.String(200), nullable=True),
    #: The documents the cooperative holds (BPKB asli, SHM asli, kuitansi…).
    sa.Column("documents", sa.String(500), nullable=True),
    sa.Column("appraised_on", sa.Date, nullable=True),
    sa.Column("document_ref", sa.String(100), nullable=True),
    #: ``held``, ``released`` or ``returned``
    sa.Column("status", sa.String(16), nullable=False, server_default="held"),
    sa.Column("added_on", sa.Date, nullable=False),
    sa.Column("added_by", sa.String(64), nullable=False),
    sa.Column("released_on", sa.Date, nullable=True),
    sa.Column("released_by", sa.String(64), nullable=True),
    sa.Column("release_note", sa.String(200), nullable=True),
    sa.Column("returned_on", sa.Date, nullable=True),
    sa.Column("returned_to", sa.String(200), nullable=True),
)

collectibility_classes = sa.Table(
    "loans_collectibility_classes",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("min_days", sa.Integer, nullable=False, unique=True),
    sa.Column("allowance_percent", sa.String(32), nullable=False),
    sa.Column("non_performing", sa.Boolean, nullable=False),
    #: ``current``, ``special-mention``, ``substandard``, ``doubtful`` or ``loss``
    sa.Column("role", sa.String(16), nullable=False, server_default="current"),
)

#: The cooperative's loan policy: ``collectibility_regime``, ``allowance_deducts_collateral``,
#: ``allowance_posting``.
settings = sa.Table(
    "loans_settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

#: Groups for group loans (kelompok, tanggung renteng).
groups = sa.Table(
    "loans_groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("leader_member_id", sa.Integer, nullable=False),
    #: ``monday`` … ``sunday``
    sa.Column("meeting_day", sa.String(16), nullable=False),
    sa.Column("created_on", sa.Date, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    #: How members' money covers another's shortfall: ``equal`` or ``in-order``
    #: (:class:`kopcore_loans.groups.JointLiability`; revision loans0007).
    sa.Column("joint_liability", sa.String(16), nullable=False, server_default="equal"),
)

#: A member belongs to one group at a time.
group_members = sa.Table(
    "loans_group_members",
    metadata,
    sa.Column("member_id", sa.Integer, primary_key=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("loans_groups.id"), nullable=False,
              index=True),
    sa.Column("joined_on", sa.Date, nullable=False),
)

#: Each appraisal of a collateral from the business date it was recorded (revision loans0005):
#: the cover of a past date (:func:`kopcore_loans.collateral.cover_as_of`).
collateral_values = sa.Table(
    "loans_collateral_values",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("collateral_id", sa.Integer, sa.ForeignKey("loans_collateral.id"), nullable=False),
    sa.Column("value", sa.BigInteger, nullable=False),
    sa.Column("liquidation_value", sa.BigInteger, nullable=True),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Index("ix_loans_collateral_values_collateral", "collateral_id", "valid_from"),
)

#: Each officer's judgement of whether a loan can still be rescued (revision loans0005): the
#: judgement in force on a past date (:func:`kopcore_loans.collateral.judgement_as_of`).
judgements = sa.Table(
    "loans_judgements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("loan_id", sa.Integer, sa.ForeignKey("loans_loans.id"), nullable=False),
    sa.Column("rescuable", sa.Boolean, nullable=False),
    sa.Column("judged_by", sa.String(64), nullable=False),
    sa.Column("judged_on", sa.Date, nullable=False),
    sa.Column("note", sa.String(200), nullable=True),
    sa.Index("ix_loans_judgements_loan", "loan_id", "judged_on"),
)

#: The loan policy in force from a business date on (revision loans0006): the regime, the
#: collateral deduction, the allowance posting and the classes table as JSON. A figure of a past
#: date classes loans by the policy in force then (:mod:`kopcore_loans.policy_history`).
policy_history = sa.Table(
    "loans_policy_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("effective_from", sa.Date, nullable=False, index=True),
    sa.Column("regime", sa.String(64), nullable=False),
    sa.Column("deduct_collateral", sa.Boolean, nullable=False),
    sa.Column("allowance_posting", sa.String(16), nullable=False),
    sa.Column("classes", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.String(64), nullable=False),
)
