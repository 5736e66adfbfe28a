"""Reference layers: `reference_layers`, the streets, river, buildings and stations a map is read by.

Each row is a whole layer (imported and replaced whole with `gridmap reference import`): its description and
style, its features as one WKB geometry collection and their labels as a JSON list. No spatial column: the
layers are small enough to be read whole and filtered in memory, the same way on both backends.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create reference_layers."""
    op.create_table(
        "reference_layers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("style", sa.Text(), nullable=False),
        sa.Column("label_field", sa.String(200), nullable=True),
        sa.Column("feature_count", sa.Integer(), nullable=False),
        sa.Column("west", sa.Float(), nullable=True),
        sa.Column("south", sa.Float(), nullable=True),
        sa.Column("east", sa.Float(), nullable=True),
        sa.Column("north", sa.Float(), nullable=True),
        sa.Column("features", sa.LargeBinary(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('point', 'line', 'polygon')", name="ck_reference_layers_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_reference_layers"),
        sa.UniqueConstraint("name", name="uq_reference_layers_name"),
    )


def downgrade() -> None:
    """Drop reference_layers."""
    op.drop_table("reference_layers")
