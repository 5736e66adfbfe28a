"""Shared state for several workers: rate-limit buckets, background jobs, tokens with expiry and revocation.

Each user's token hash moves from `users.token_hash` into `api_tokens` (no expiry for tokens handed out
before; `gridmap token revoke` ends them), where a user may hold several tokens.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


# Token hashes wait here while `users` is rebuilt: on SQLite, rebuilding a table drops the old one, and with
# foreign keys on that would delete the rows of a table referring to it (`api_tokens`, ON DELETE CASCADE).
_COPY = "token_hashes_in_migration"


def upgrade() -> None:
    """Add the bucket, job and token tables; move the users' token hashes into the token table."""
    op.create_table(
        "rate_buckets",
        sa.Column("limit_name", sa.String(32), nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("limit_name", "client", name="pk_rate_buckets"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _timestamp("created_at"),
        _timestamp("finished_at", nullable=True),
        sa.Column("runner", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_jobs_status"),
    )
    op.create_index("ix_jobs_kind", "jobs", ["kind"])
    op.execute(f"CREATE TABLE {_COPY} AS SELECT id AS user_id, token_hash, created_at FROM users")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_token_hash", type_="unique")
        batch.drop_column("token_hash")
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at", nullable=True),
        _timestamp("last_used_at", nullable=True),
        _timestamp("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_api_tokens_user_id_users", ondelete="CASCADE"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.execute(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at) "
        f"SELECT user_id, token_hash, 'first token', created_at FROM {_COPY} ORDER BY user_id"
    )
    op.execute(f"DROP TABLE {_COPY}")


def downgrade() -> None:
    """Put each user's newest unrevoked token back on the user (other tokens are lost); drop the new tables."""
    # A user without one gets an unusable placeholder (no token hashes to it: it is not a hex digest).
    op.execute(
        f"CREATE TABLE {_COPY} AS SELECT u.id AS user_id, COALESCE("
        "(SELECT t.token_hash FROM api_tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL "
        "ORDER BY t.id DESC LIMIT 1), 'revoked-' || CAST(u.id AS VARCHAR(20))) AS token_hash FROM users u"
    )
    op.drop_index("ix_api_tokens_user_id", table_name="api_tokens")
    op.drop_table("api_tokens")
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(64), nullable=True))
    op.execute(f"UPDATE users SET token_hash = (SELECT c.token_hash FROM {_COPY} c WHERE c.user_id = users.id)")
    op.execute(f"DROP TABLE {_COPY}")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("token_hash", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint("uq_users_token_hash", ["token_hash"])
    op.drop_index("ix_jobs_kind", table_name="jobs")
    op.drop_table("jobs")
    op.drop_table("rate_buckets")
