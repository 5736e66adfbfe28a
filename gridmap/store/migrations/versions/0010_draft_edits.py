"""Draft editing: `boundary_versions.based_on` and `edit_seq`, and `boundary_edits`, the history of a draft's edits.

Each edit row keeps the operation, who, when and why, and JSON snapshots of every feature it touched before and
after, so that undo, redo and replay need nothing else.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two version columns (plain ADD COLUMN on both backends) and create boundary_edits."""
    op.add_column("boundary_versions", sa.Column("based_on", sa.Integer(), nullable=True))
    op.add_column("boundary_versions", sa.Column("edit_seq", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "boundary_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(32), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("who", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("area_moved_m2", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_boundary_edits"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["boundary_versions.id"],
            name="fk_boundary_edits_version_id_boundary_versions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("version_id", "seq", name="uq_boundary_edits_version_id_seq"),
        sa.CheckConstraint("state IN ('applied', 'undone')", name="ck_boundary_edits_state"),
    )


def downgrade() -> None:
    """Drop boundary_edits and the two columns (plain DROP COLUMN: SQLite 3.35 and later has it, and a rebuilt
    boundary_versions would take its features with it through the cascade)."""
    op.drop_table("boundary_edits")
    op.drop_column("boundary_versions", "edit_seq")
    op.drop_column("boundary_versions", "based_on")
