"""kolektibilitas regimes: class roles, the loan policy, the KSP judgement

Revision ID: loans0003
Revises: loans0002
Create Date: 2026-12-07

Each collectibility class gets its role (current, special-mention, substandard, doubtful, loss);
``loans_settings`` keeps the cooperative's choice of regime, collateral deduction and allowance
posting; a loan keeps the day it became Diragukan and an officer's recorded judgement of whether
it can be rescued.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loans0003"
down_revision: str | None = "loans0002"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = {"L": "current", "KL": "substandard", "D": "doubtful", "M": "loss"}
LOAN_COLUMNS = (
    ("doubtful_since", sa.Date()),
    ("rescuable", sa.Boolean()),
    ("judged_by", sa.String(64)),
    ("judged_on", sa.Date()),
    ("judgement_note", sa.String(200)),
)


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy): loans_loans is referenced by the schedule and events.
    op.add_column("loans_collectibility_classes",
                  sa.Column("role", sa.String(16), nullable=False, server_default="current"))
    for code, role in ROLES.items():
        op.execute(sa.text("UPDATE loans_collectibility_classes SET role = :role "
                           "WHERE code = :code").bindparams(role=role, code=code))
    # A class of the cooperative's own that counts as non-performing is at least substandard.
    op.execute("UPDATE loans_collectibility_classes SET role = 'substandard' "
               "WHERE role = 'current' AND non_performing AND code NOT IN ('L')")
    op.execute("UPDATE loans_collectibility_classes SET role = 'special-mention' "
               "WHERE role = 'current' AND min_days > 0")
    for name, type_ in LOAN_COLUMNS:
        op.add_column("loans_loans", sa.Column(name, type_, nullable=True))
    op.create_table(
        "loans_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("loans_settings")
    # ALTER TABLE … DROP COLUMN in place: a copy of loans_loans would break the references to it.
    for name, _type in reversed(LOAN_COLUMNS):
        op.execute(f"ALTER TABLE loans_loans DROP COLUMN {name}")
    op.execute("ALTER TABLE loans_collectibility_classes DROP COLUMN role")
