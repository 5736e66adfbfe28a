"""The standard address registry in the store: `address_registry`, one row per door plate, compound, building or room.

Imported with `gridmap registry import`; the geocoder reads it from here instead of from a file path.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create address_registry (AUTOINCREMENT on SQLite, so row numbers never come back after a replace)."""
    op.create_table(
        "address_registry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.String(100), nullable=False),
        sa.Column("road", sa.String(200), nullable=True),
        sa.Column("number", sa.String(32), nullable=True),
        sa.Column("compound", sa.String(200), nullable=True),
        sa.Column("building", sa.String(32), nullable=True),
        sa.Column("unit", sa.String(32), nullable=True),
        sa.Column("room", sa.String(32), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_address_registry"),
        sa.UniqueConstraint("address_id", name="uq_address_registry_address_id"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    """Drop address_registry."""
    op.drop_table("address_registry")
