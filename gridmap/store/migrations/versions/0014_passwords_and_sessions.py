"""Signing in with a name and password: `users.password_hash`, the lock-out columns, and `user_sessions`.

A user may have a password (an argon2 hash, set by `gridmap user passwd` or an admin) besides their tokens;
too many failed sign-ins lock the account for a while. A browser signed in holds a session whose random id
is kept hashed here, so that signing out or a password reset ends it on every worker at once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USER_COLUMNS = ("password_hash", "failed_sign_ins", "locked_until")


def upgrade() -> None:
    """Add the password and lock-out columns to users, and the sessions table."""
    # Plain ADD COLUMN on both backends: rebuilding `users` on SQLite would cascade into its tokens.
    op.add_column("users", sa.Column("password_hash", sa.String(255), nullable=True))
    op.add_column("users", sa.Column("failed_sign_ins", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_sessions"),
        sa.UniqueConstraint("session_hash", name="uq_user_sessions_session_hash"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_sessions_user_id_users", ondelete="CASCADE"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_index("ix_user_sessions_expires_at", "user_sessions", ["expires_at"])


def downgrade() -> None:
    """Drop the sessions and the password columns (every password is lost; tokens stay)."""
    op.drop_table("user_sessions")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+) rather than a batch rebuild, which would cascade into api_tokens.
    for column in _USER_COLUMNS:
        op.execute(f"ALTER TABLE users DROP COLUMN {column}")
