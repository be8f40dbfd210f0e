"""loans tables

Revision ID: loans0001
Revises:
Create Date: 2026-11-27

The first revision of the ``loans`` branch: products, loans, installment schedules, loan events,
guarantors, collateral and the collectibility classes (seeded with the defaults of DOMAIN.md §3).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loans0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("loans",)
depends_on: str | Sequence[str] | None = "kopcore"

#: Kolektibilitas: code, name, first day past due of the class, allowance (PPAP) percent, NPL.
DEFAULT_CLASSES = (
    ("L", "Lancar", 0, "0.5", False),
    ("KL", "Kurang Lancar", 91, "10", True),
    ("D", "Diragukan", 121, "50", True),
    ("M", "Macet", 181, "100", True),
)


def upgrade() -> None:
    op.create_table(
        "loans_collectibility_classes",
        sa.Column("code", sa.String(length=16), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("min_days", sa.Integer(), nullable=False, unique=True),
        sa.Column("allowance_percent", sa.String(length=32), nullable=False),
        sa.Column("non_performing", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "loans_products",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(length=32), nullable=False, unique=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("annual_rate", sa.String(length=32), nullable=False),
        sa.Column("rounding_unit", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("min_amount", sa.BigInteger(), nullable=False),
        sa.Column("max_amount", sa.BigInteger(), nullable=False),
        sa.Column("min_term", sa.Integer(), nullable=False),
        sa.Column("max_term", sa.Integer(), nullable=False),
        sa.Column("savings_multiple", sa.String(length=32), nullable=True),
        sa.Column("provisi_percent", sa.String(length=32), nullable=False),
        sa.Column("admin_fee", sa.BigInteger(), nullable=False),
        sa.Column("fees_deducted", sa.Boolean(), nullable=False),
        sa.Column("penalty_percent_per_day", sa.String(length=32), nullable=False),
        sa.Column("penalty_base", sa.String(length=16), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("allocation_order", sa.String(length=64), nullable=False),
        sa.Column("accounting", sa.String(length=16), nullable=False),
        sa.Column("settlement_interest", sa.String(length=16), nullable=False),
        sa.Column("exit_netting", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "loans_loans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(length=32), nullable=False, unique=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("loans_products.id"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("term", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("annual_rate", sa.String(length=32), nullable=False),
        sa.Column("rounding_unit", sa.String(length=32), nullable=False),
        sa.Column("provisi_fee", sa.BigInteger(), nullable=False),
        sa.Column("admin_fee", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("auto_debit", sa.Boolean(), nullable=False),
        sa.Column("applied_by", sa.String(length=64), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_note", sa.String(length=200), nullable=True),
        sa.Column("disbursed_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("interest_account_id", sa.Integer(), nullable=True),
        sa.Column("interest_recognized", sa.BigInteger(), nullable=False),
        sa.Column("penalty_due", sa.BigInteger(), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("collectibility", sa.String(length=16), nullable=True),
        sa.Column("allowance", sa.BigInteger(), nullable=False),
        sa.Column("schedule_version", sa.Integer(), nullable=False),
        sa.Column("written_off", sa.BigInteger(), nullable=False),
        sa.Column("recovered", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("principal > 0", name="ck_loans_loans_principal_positive"),
        sa.CheckConstraint(
            "status IN ('applied','approved','rejected','cancelled','active','closed',"
            "'written_off')", name="ck_loans_loans_status_known"),
        sa.CheckConstraint("penalty_due >= 0",
                           name="ck_loans_loans_penalty_not_negative"),
    )
    op.create_index("ix_loans_loans_member_id", "loans_loans", ["member_id"])
    op.create_table(
        "loans_collateral",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("loan_id", sa.Integer(), sa.ForeignKey("loans_loans.id"), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("document_ref", sa.String(length=100), nullable=True),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
    )
    op.create_table(
        "loans_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("loan_id", sa.Integer(), sa.ForeignKey("loans_loans.id"), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("penalty", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
    )
    op.create_index("ix_loans_events_loan_id", "loans_events", ["loan_id"])
    op.create_table(
        "loans_guarantors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("loan_id", sa.Integer(), sa.ForeignKey("loans_loans.id"), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("relationship", sa.String(length=100), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.UniqueConstraint("loan_id", "member_id", name="uq_loans_guarantors_pair"),
    )
    op.create_table(
        "loans_installments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("loan_id", sa.Integer(), sa.ForeignKey("loans_loans.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("principal", sa.BigInteger(), nullable=False),
        sa.Column("interest", sa.BigInteger(), nullable=False),
        sa.Column("principal_paid", sa.BigInteger(), nullable=False),
        sa.Column("interest_paid", sa.BigInteger(), nullable=False),
        sa.Column("interest_waived", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.CheckConstraint("principal_paid >= 0 AND principal_paid <= principal",
                           name="ck_loans_installments_principal_paid"),
        sa.CheckConstraint("status IN ('open','paid','superseded')",
                           name="ck_loans_installments_status_known"),
        sa.CheckConstraint("interest_paid >= 0 AND interest_paid + interest_waived <= interest",
                           name="ck_loans_installments_interest_paid"),
        sa.UniqueConstraint("loan_id", "version", "seq",
                            name="uq_loans_installments_row"),
    )
    classes = sa.table(
        "loans_collectibility_classes",
        sa.column("code", sa.String), sa.column("name", sa.String),
        sa.column("min_days", sa.Integer), sa.column("allowance_percent", sa.String),
        sa.column("non_performing", sa.Boolean),
    )
    op.bulk_insert(classes, [
        {"code": code, "name": name, "min_days": days, "allowance_percent": percent,
         "non_performing": npl}
        for code, name, days, percent, npl in DEFAULT_CLASSES
    ])


def downgrade() -> None:
    for table in ("loans_collateral", "loans_guarantors", "loans_events", "loans_installments",
                  "loans_loans", "loans_products", "loans_collectibility_classes"):
        op.drop_table(table)
