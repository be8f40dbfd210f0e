"""ppob routing: product groups and the product the member asked for

Revision ID: ppob0005
Revises: ppob0004
Create Date: 2026-12-07

Products of one ``group_code`` are the same product sold by different providers; a prepaid sale
is routed to the preferred provider of its group or category, with a fallback. A transaction
keeps the product the member asked for (``requested_sku``) next to the one a provider sold.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ppob0005"
down_revision: str | None = "ppob0004"
branch_labels: Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ppob_products") as batch:
        batch.add_column(sa.Column("group_code", sa.String(64), nullable=True))
    with op.batch_alter_table("ppob_transactions") as batch:
        batch.add_column(sa.Column("requested_sku", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ppob_transactions") as batch:
        batch.drop_column("requested_sku")
    with op.batch_alter_table("ppob_products") as batch:
        batch.drop_column("group_code")
