"""mudharabah losses borne by the fund owners, or by the cooperative on recorded negligence

Revision ID: sharia0007
Revises: sharia0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sharia0007"
down_revision: str | None = "sharia0006"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A month's loss is recorded as the pool's distribution of that month, with a negative
    # distributable result and negative shares; the finding of the manager's negligence, when
    # recorded, keeps the loss with the cooperative.
    with op.batch_alter_table("sharia_mudharabah_distributions") as batch:
        batch.add_column(sa.Column("negligence", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sharia_mudharabah_distributions") as batch:
        batch.drop_column("negligence")
