"""Incident counts kept per community, grid and microgrid, period, category and status (`incident_area_counts`),
filled from the stored incidents.

The choropleth's counts per area and the time slider's extent are read from these rows rather than counted from
every incident (`gridmap.store.incident_map`). The table is filled here by the recount that
`gridmap incidents rebuild-counts` runs, so a store migrated from an earlier version answers as before.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = ("level", "span", "start_day", "code", "category", "status")


def upgrade() -> None:
    """Create the counts table (clustered on its key: without rowid on SQLite) and count the incidents into it."""
    # Imported here: the recount reads `incidents` as the application does, only when this revision runs.
    from gridmap.store.incident_counts import AREAS, recount_incidents

    op.create_table(
        "incident_area_counts",
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("span", sa.String(8), nullable=False),
        sa.Column("start_day", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*_KEY, name="pk_incident_area_counts"),
        sqlite_with_rowid=False,
    )
    recount_incidents(op.get_bind(), [AREAS])


def downgrade() -> None:
    """Drop the counts (the incidents themselves are untouched)."""
    op.drop_table("incident_area_counts")
