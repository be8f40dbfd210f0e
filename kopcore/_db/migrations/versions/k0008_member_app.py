"""member app logins and the development notification outbox

Revision ID: k0008
Revises: k0007
Create Date: 2026-12-07

The member app (``/anggota``) signs members in with their member number or phone, a one-time
code sent through the cooperative's notification channel, then a PIN of their own.
``member_logins`` holds, per member, the user the app acts as (a ``member`` user, created at the
first login when the member has none), the argon2 hash of the current one-time code with its
expiry, when it was sent and how many wrong codes were typed, and the argon2 hash of the PIN
with the count of wrong PINs and when it was blocked. ``member_sessions`` holds the app's
server-side sessions: the SHA-256 of the cookie, the CSRF token of its forms, the stage of the
login (waiting for the code, for a new PIN, for the PIN, or signed in), the device (its browser
as it names itself), the wrong codes typed in it and the times. ``notification_outbox`` keeps
the messages of the kernel's ``development`` channel, which sends nothing: ``kopcore notify
outbox`` shows them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0008"
down_revision: str | None = "k0007"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_logins",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_failures", sa.Integer(), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=True),
        sa.Column("pin_failures", sa.Integer(), nullable=False),
        sa.Column("pin_locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pin_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_member_logins_member_id_members")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_member_logins_user_id_users")),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_logins")),
    )
    op.create_table(
        "member_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("code_failures", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stage IN ('code','new-pin','pin','ready')",
                           name=op.f("ck_member_sessions_stage_known")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_member_sessions_member_id_members")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_member_sessions")),
    )
    op.create_index("ix_member_sessions_member_id", "member_sessions", ["member_id"])
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("member_number", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
    )


def downgrade() -> None:
    op.drop_table("notification_outbox")
    op.drop_index("ix_member_sessions_member_id", table_name="member_sessions")
    op.drop_table("member_sessions")
    op.drop_table("member_logins")
