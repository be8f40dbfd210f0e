"""the event outbox and the members' notification channels

Revision ID: k0011_events
Revises: k0010_counterparties
Create Date: 2026-12-07

``events`` keeps each fact recorded by an operation or an end-of-day task in the transaction
that caused it (an entry posted to a member's account, an installment due or overdue, a PPOB
token, a login code), with its delivery state (pending, sent, failed, dead, skipped), the
attempts made, when the next is due and the last error; ``event_id`` is the idempotency key a
channel hands its provider. ``member_notification_channels`` keeps the channel (and address)
through which a member is reached when not the cooperative's default.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0011_events"
down_revision: str | None = "k0010_counterparties"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("dedup_key", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('pending','sent','failed','dead','skipped')",
                           name=op.f("ck_events_state_known")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_events_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_events_event_id")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_events_dedup_key")),
    )
    op.create_index("ix_events_state_next_attempt_at", "events", ["state", "next_attempt_at"])
    op.create_index("ix_events_member_id", "events", ["member_id"])
    op.create_table(
        "member_notification_channels",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_member_notification_channels_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_notification_channels")),
    )


def downgrade() -> None:
    op.drop_table("member_notification_channels")
    op.drop_index("ix_events_member_id", table_name="events")
    op.drop_index("ix_events_state_next_attempt_at", table_name="events")
    op.drop_table("events")
