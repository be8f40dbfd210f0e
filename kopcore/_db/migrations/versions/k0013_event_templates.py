"""the cooperative's own wording of event messages

Revision ID: k0013_event_templates
Revises: k0012_webhooks
Create Date: 2026-12-07

``event_templates`` keeps, per event type, the message text a cooperative wrote in place of
the plugin's (``events.template-set``): ``{field}`` placeholders from the event's payload.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0013_event_templates"
down_revision: str | None = "k0012_webhooks"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_templates",
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("type", name=op.f("pk_event_templates")),
    )


def downgrade() -> None:
    op.drop_table("event_templates")
