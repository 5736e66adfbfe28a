"""Households (the register, with personal data in its own columns) and their codes per boundary version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the household register and the placements table."""
    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("elderly_alone", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("left_behind_children", sa.Integer(), nullable=False),
        sa.Column("head_name", sa.String(100), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_households"),
        sa.UniqueConstraint("household_id", name="uq_households_household_id"),
    )
    op.create_table(
        "household_placements",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("household_row", sa.Integer(), nullable=False),
        sa.Column("community_code", sa.String(32), nullable=True),
        sa.Column("grid_code", sa.String(32), nullable=True),
        sa.Column("microgrid_code", sa.String(32), nullable=True),
        sa.Column("nearest_grid_code", sa.String(32), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("version_id", "household_row", name="pk_household_placements"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["boundary_versions.id"],
            name="fk_household_placements_version_id_boundary_versions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_row"],
            ["households.id"],
            name="fk_household_placements_household_row_households",
            ondelete="CASCADE",
        ),
    )
    for column in ("grid_code", "community_code", "microgrid_code"):
        op.create_index(f"ix_household_placements_version_id_{column}", "household_placements", ["version_id", column])


def downgrade() -> None:
    """Drop the household tables."""
    op.drop_table("household_placements")
    op.drop_table("households")
