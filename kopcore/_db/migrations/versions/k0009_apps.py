"""member app code limits and a fresh code for large payments; tellers' till counts

Revision ID: k0009_apps
Revises: k0008
Create Date: 2026-12-07

``login_code_requests`` counts the member app's sign-in code requests of the last minutes, per
address typed (a member number or phone, normalised), per client address and per member, each
kept as the SHA-256 of what it counts: the limits on asking for codes hold across server
processes. ``member_sessions`` gains the fresh one-time code that confirms a payment at or above
the ``member_step_up_amount`` setting: its hash, the digest of the payment, when it was sent and
expires, and the wrong codes typed. ``till_counts`` keeps each teller's count of their drawer:
the cash account and office, the business date, who counted and when, the pieces per
denomination, their total and the book balance then.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0009_apps"
down_revision: str | None = "k0008"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_code_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scope IN ('address','client','member')",
                           name=op.f("ck_login_code_requests_scope_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_code_requests")),
    )
    op.create_index("ix_login_code_requests_scope_key", "login_code_requests",
                    ["scope", "key", "at"])
    op.create_index("ix_login_code_requests_at", "login_code_requests", ["at"])
    op.create_table(
        "till_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pieces", sa.Text(), nullable=False),
        sa.Column("counted", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_till_counts_account_id_accounts")),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_till_counts_office_id_offices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_till_counts")),
    )
    op.create_index("ix_till_counts_business_date", "till_counts", ["business_date"])
    with op.batch_alter_table("member_sessions") as batch:
        batch.add_column(sa.Column("step_up_hash", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("step_up_for", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("step_up_sent_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("step_up_expires_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("step_up_failures", sa.Integer(), nullable=False,
                                   server_default=sa.text("0")))


def downgrade() -> None:
    with op.batch_alter_table("member_sessions") as batch:
        for column in ("step_up_failures", "step_up_expires_at", "step_up_sent_at",
                       "step_up_for", "step_up_hash"):
            batch.drop_column(column)
    op.drop_index("ix_till_counts_business_date", table_name="till_counts")
    op.drop_table("till_counts")
    op.drop_index("ix_login_code_requests_at", table_name="login_code_requests")
    op.drop_index("ix_login_code_requests_scope_key", table_name="login_code_requests")
    op.drop_table("login_code_requests")
