"""cut-over imports

Revision ID: cutover0001
Revises:
Create Date: 2026-12-01

The first revision of the ``kopcore_cutover`` branch (the built-in cut-over import): one row
per imported file, by the digest of its content.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cutover0001"
down_revision: str | None = None
branch_labels: Sequence[str] | None = ("kopcore_cutover",)
depends_on: str | Sequence[str] | None = "kopcore"


def upgrade() -> None:
    op.create_table(
        "cutover_imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.UniqueConstraint("digest", name="uq_cutover_imports_digest"),
    )


def downgrade() -> None:
    op.drop_table("cutover_imports")
