"""payroll tables

Revision ID: payroll0001
Revises:
Create Date: 2026-12-07

The first revision of the ``payroll`` branch; it runs after the kernel's tables exist.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "payroll0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("payroll",)
depends_on: str | Sequence[str] | None = "kopcore"


def upgrade() -> None:
    op.create_table(
        "payroll_employers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        sa.Column("contact_phone", sa.String(32), nullable=True),
        sa.Column("contact_email", sa.String(200), nullable=True),
        sa.Column("cut_off_day", sa.SmallInteger(), nullable=False),
        sa.Column("bank_account", sa.String(64), nullable=False),
        sa.Column("priority", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
    )
    op.create_table(
        "payroll_employments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), nullable=False, index=True),
        sa.Column("employer_id", sa.Integer(), sa.ForeignKey("payroll_employers.id"),
                  nullable=False),
        sa.Column("employee_number", sa.String(32), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.CheckConstraint("end_on IS NULL OR end_on >= start_on",
                           name="ck_payroll_employments_dates"),
    )
    op.create_table(
        "payroll_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("employer_id", sa.Integer(), sa.ForeignKey("payroll_employers.id"),
                  nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("listed_total", sa.BigInteger(), nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=False),
        sa.Column("listed_by", sa.String(64), nullable=False),
        sa.Column("result_digest", sa.String(64), nullable=True),
        sa.Column("transfer", sa.BigInteger(), nullable=True),
        sa.Column("allocated", sa.BigInteger(), nullable=True),
        sa.Column("suspense", sa.BigInteger(), nullable=True),
        sa.Column("bank_account", sa.String(64), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("posted_by", sa.String(64), nullable=True),
        sa.UniqueConstraint("employer_id", "period", name="uq_payroll_batches_period"),
        sa.CheckConstraint("status IN ('listed','posted')", name="ck_payroll_batches_status"),
    )
    op.create_table(
        "payroll_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("payroll_batches.id"), nullable=False,
                  index=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("employee_number", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("settled", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "payroll_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("payroll_batches.id"), nullable=False,
                  index=True),
        sa.Column("employee_number", sa.String(32), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("listed", sa.BigInteger(), nullable=False),
        sa.Column("deducted", sa.BigInteger(), nullable=False),
        sa.Column("allocated", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("batch_id", "employee_number", name="uq_payroll_results_row"),
    )


def downgrade() -> None:
    for table in ("payroll_results", "payroll_lines", "payroll_batches", "payroll_employments",
                  "payroll_employers"):
        op.drop_table(table)
