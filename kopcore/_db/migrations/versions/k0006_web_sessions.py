"""web app logins and sessions

Revision ID: k0006
Revises: k0005
Create Date: 2026-12-07

The staff web app (``/app``) signs people in with a username and a password. ``web_logins``
holds, per user, the argon2 hash of the password, whether it must be changed at the next login
(a password set by an administrator is temporary), the count of failed attempts, the time until
which the login is locked and, when the person turned on two-step login, the secret of their
authenticator app (TOTP, RFC 6238) with the last time step used, so that a code is accepted
once. ``web_sessions`` holds the server-side sessions: the SHA-256 of the session cookie (the
cookie itself is never stored), the CSRF token of its forms, when it was last used, when it
expires and whether it still waits for the authenticator's code. Logging out deletes the row;
"log out everywhere" deletes every row of the user.

``web_slips`` keeps the slip (struk) of each money transaction a teller posted from the web app,
as it was when posted (member, account, amount, entry number, new balance), keyed by the
teller and the form's idempotency key: printing it again shows the same slip, marked
"CETAK ULANG" from the second print on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0006"
down_revision: str | None = "k0005"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_logins",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("must_change", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_web_logins_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_web_logins")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("needs_code", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_web_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "web_slips",
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("prints", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("actor", "key", name=op.f("pk_web_slips")),
    )


def downgrade() -> None:
    op.drop_table("web_slips")
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("web_logins")
