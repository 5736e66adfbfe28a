"""Incident map counts kept per quadtree cell, period, category and status (`incident_cell_counts`), filled from
the stored incidents.

The incident map's cells are summed from these rows rather than counted from every incident
(`gridmap.store.incident_counts`). The table is filled here by the same recount that
`gridmap incidents rebuild-counts` runs, so a store migrated from an earlier version answers as before.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = ("generalised_m", "level", "span", "x", "y", "start_day", "category", "status")


def upgrade() -> None:
    """Create the counts table (clustered on its key: without rowid on SQLite) and count the incidents into it."""
    # Imported here: the recount reads `incidents` as the application does, only when this revision runs.
    from gridmap.store.incident_counts import CELLS, recount_incidents

    op.create_table(
        "incident_cell_counts",
        sa.Column("generalised_m", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("span", sa.String(8), nullable=False),
        sa.Column("x", sa.BigInteger(), nullable=False),
        sa.Column("y", sa.BigInteger(), nullable=False),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("lon_sum", sa.Float(), nullable=False),
        sa.Column("lat_sum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(*_KEY, name="pk_incident_cell_counts"),
        sqlite_with_rowid=False,
    )
    recount_incidents(op.get_bind(), [CELLS])


def downgrade() -> None:
    """Drop the counts (the incidents themselves are untouched)."""
    op.drop_table("incident_cell_counts")
