"""Incidents keep the near-boundary flag and distance, the hash of the reporter's key, and their photos.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_COLUMNS = ("near_boundary", "boundary_distance_m", "reporter_key_hash")


def upgrade() -> None:
    """Add the three incident columns (existing incidents: not near a boundary, no key) and the photo table."""
    # Plain ADD COLUMN works on both backends (no table rebuild on SQLite, which would cascade-delete trails).
    op.add_column("incidents", sa.Column("near_boundary", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("incidents", sa.Column("boundary_distance_m", sa.Float(), nullable=True))
    op.add_column("incidents", sa.Column("reporter_key_hash", sa.String(64), nullable=True))
    op.create_table(
        "incident_photos",
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "seq", name="pk_incident_photos"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_incident_photos_incident_id_incidents", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    """Drop the photo table and the three columns (SQLite 3.35+ drops columns in place)."""
    op.drop_table("incident_photos")
    for column in reversed(_NEW_COLUMNS):
        op.drop_column("incidents", column)
