"""Indexes for the desk's queues: each queue read in due-time order straight from an index.

The queues filter by status, by a worker's grids or by the worker, and sort by due time with those without one
last (`ORDER BY due_at NULLS LAST, id`: PostgreSQL's ascending order, and SQLite 3.30+ reads it from the same
index). `(due_at)` becomes `(due_at, id)`, and `(status)` and `(grid_code)` become `(status, due_at, id)` and
`(grid_code, due_at, id)`, which answer the same lookups as before; `(worker, due_at, id)` is new (a worker's
scope holds the incidents routed to them).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each index replaced, with the columns it had and the name and columns of the one replacing it.
_REPLACED = (
    ("ix_incidents_due_at", ["due_at"], "ix_incidents_due", ["due_at", "id"]),
    ("ix_incidents_status", ["status"], "ix_incidents_status_due", ["status", "due_at", "id"]),
    ("ix_incidents_grid_code", ["grid_code"], "ix_incidents_grid_due", ["grid_code", "due_at", "id"]),
)
_ADDED = ("ix_incidents_worker_due", ["worker", "due_at", "id"])


def upgrade() -> None:
    """Replace the single-column indexes by the queue indexes and add the worker's."""
    for old, _, new, columns in _REPLACED:
        op.create_index(new, "incidents", columns)
        op.drop_index(old, table_name="incidents")
    op.create_index(_ADDED[0], "incidents", _ADDED[1])


def downgrade() -> None:
    """The single-column indexes of revision 0017 again."""
    op.drop_index(_ADDED[0], table_name="incidents")
    for old, old_columns, new, _ in _REPLACED:
        op.create_index(old, "incidents", old_columns)
        op.drop_index(new, table_name="incidents")
