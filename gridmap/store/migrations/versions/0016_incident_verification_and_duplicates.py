"""The field loop and duplicates of issue 15: `incidents.field_task` (verify or check, waiting for the worker),
`incidents.neighbour_grid_code` (the second candidate grid of a report near a boundary), and each photo's
`kind` (before or after the fix) and `added_at`.

Photos stored before this revision are the reporters' own: they become `before` photos added when their incident
was reported. Duplicates need no new column (`incidents.duplicate_of` holds the link).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the task and neighbour-grid columns (with the task queue's index) and the photos' kind and time."""
    # Plain ADD COLUMN on both backends: rebuilding `incidents` on SQLite would cascade into its children.
    op.add_column("incidents", sa.Column("field_task", sa.String(16), nullable=True))
    op.add_column("incidents", sa.Column("neighbour_grid_code", sa.String(32), nullable=True))
    op.create_index("ix_incidents_field_task", "incidents", ["field_task"])
    op.add_column("incident_photos", sa.Column("kind", sa.String(8), nullable=False, server_default="before"))
    op.add_column("incident_photos", sa.Column("added_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE incident_photos SET added_at = "
        "(SELECT reported_at FROM incidents WHERE incidents.id = incident_photos.incident_id)"
    )


def downgrade() -> None:
    """Drop the columns again (tasks waiting, neighbour grids and the photos' kinds are lost)."""
    op.drop_index("ix_incidents_field_task", table_name="incidents")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+) rather than a batch rebuild, which would cascade.
    for table, column in (
        ("incident_photos", "added_at"),
        ("incident_photos", "kind"),
        ("incidents", "neighbour_grid_code"),
        ("incidents", "field_task"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
