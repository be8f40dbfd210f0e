"""a group's joint-liability rule

Revision ID: loans0007
Revises: loans0006
Create Date: 2026-12-08

``loans_groups.joint_liability``: how the money members bring beyond their own dues covers
another member's shortfall (tanggung renteng): ``equal`` (in equal shares among them, the
default of a new group) or ``in-order`` (each in turn, by when they joined). Groups formed
before take ``in-order``, the closest to how they were collected (each in turn by member id).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loans0007"
down_revision: str | None = "loans0006"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loans_groups") as batch:
        batch.add_column(sa.Column("joint_liability", sa.String(16), nullable=False,
                                   server_default="equal"))
    op.execute("UPDATE loans_groups SET joint_liability = 'in-order'")


def downgrade() -> None:
    with op.batch_alter_table("loans_groups") as batch:
        batch.drop_column("joint_liability")
