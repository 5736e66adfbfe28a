"""Short human incident numbers and due times: `incidents.number`, `due_at`, `held_since`, the number series,
and `incident_audit.hours` (an extension's working hours).

Incidents stored before this revision keep no number and no due time (NULL): they get a due time at their next
workflow step. The number series table holds the last number given per prefix and China-time day, so that the
next is taken in the report's own transaction.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INCIDENT_COLUMNS = ("number", "due_at", "held_since")


def upgrade() -> None:
    """Add the number and clock columns with their indexes, the audit's hours, and the number series."""
    # Plain ADD COLUMN on both backends: rebuilding `incidents` on SQLite would cascade into its children.
    op.add_column("incidents", sa.Column("number", sa.String(32), nullable=True))
    op.add_column("incidents", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("incidents", sa.Column("held_since", sa.DateTime(timezone=True), nullable=True))
    op.create_index("uq_incidents_number", "incidents", ["number"], unique=True)
    op.create_index("ix_incidents_due_at", "incidents", ["due_at"])
    op.add_column("incident_audit", sa.Column("hours", sa.Float(), nullable=True))
    op.create_table(
        "incident_number_series",
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("day", sa.String(8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "day", name="pk_incident_number_series"),
    )


def downgrade() -> None:
    """Drop the number series, the clock and number columns (numbers and due times are lost)."""
    op.drop_table("incident_number_series")
    op.drop_index("ix_incidents_due_at", table_name="incidents")
    op.drop_index("uq_incidents_number", table_name="incidents")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+) rather than a batch rebuild, which would cascade.
    op.execute("ALTER TABLE incident_audit DROP COLUMN hours")
    for column in _INCIDENT_COLUMNS:
        op.execute(f"ALTER TABLE incidents DROP COLUMN {column}")
