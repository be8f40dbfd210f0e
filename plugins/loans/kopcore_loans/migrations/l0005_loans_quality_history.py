"""history of collateral values and of officers' judgements

Revision ID: loans0005
Revises: loans0004
Create Date: 2026-12-07

A health assessment or a collectibility dated in the past uses the collateral cover and the
officer's judgement as they were recorded by that date. ``loans_collateral_values`` keeps each
appraisal of a collateral (appraised and liquidation value) from the business date it was
recorded; ``loans_judgements`` each judgement of whether a loan can still be rescued, with who,
when and why. Rows already there start the history: each collateral's value from the day it was
added, each loan's judgement from the day it was made.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loans0005"
down_revision: str | None = "loans0004"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loans_collateral_values",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("collateral_id", sa.Integer(), sa.ForeignKey("loans_collateral.id"),
                  nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("liquidation_value", sa.BigInteger(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
    )
    op.create_index("ix_loans_collateral_values_collateral", "loans_collateral_values",
                    ["collateral_id", "valid_from"])
    op.create_table(
        "loans_judgements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("loan_id", sa.Integer(), sa.ForeignKey("loans_loans.id"), nullable=False),
        sa.Column("rescuable", sa.Boolean(), nullable=False),
        sa.Column("judged_by", sa.String(64), nullable=False),
        sa.Column("judged_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
    )
    op.create_index("ix_loans_judgements_loan", "loans_judgements", ["loan_id", "judged_on"])
    op.execute("INSERT INTO loans_collateral_values (collateral_id, value, liquidation_value, "
               "valid_from) SELECT id, value, liquidation_value, added_on FROM loans_collateral")
    op.execute("INSERT INTO loans_judgements (loan_id, rescuable, judged_by, judged_on, note) "
               "SELECT id, rescuable, judged_by, judged_on, judgement_note FROM loans_loans "
               "WHERE rescuable IS NOT NULL AND judged_on IS NOT NULL "
               "AND judged_by IS NOT NULL")


def downgrade() -> None:
    op.drop_index("ix_loans_judgements_loan", table_name="loans_judgements")
    op.drop_table("loans_judgements")
    op.drop_index("ix_loans_collateral_values_collateral", table_name="loans_collateral_values")
    op.drop_table("loans_collateral_values")
