"""Incidents (a WGS-84 point, the codes it was routed to, status), their audit trail and idempotency keys.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the incident tables, with a GiST index on the point on PostGIS."""
    postgis = op.get_bind().dialect.name == "postgresql"
    point_type = Geometry("POINT", srid=4326, spatial_index=False) if postgis else sa.LargeBinary()
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("point", point_type, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("reporter", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("community_code", sa.String(32), nullable=True),
        sa.Column("grid_code", sa.String(32), nullable=True),
        sa.Column("microgrid_code", sa.String(32), nullable=True),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("photo_urls", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("duplicate_of", sa.String(36), nullable=True),
        _timestamp("reported_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
    )
    for column in ("status", "category", "grid_code", "community_code", "reported_at"):
        op.create_index(f"ix_incidents_{column}", "incidents", [column])
    if postgis:
        op.create_index("ix_incidents_point", "incidents", ["point"], postgresql_using="gist")
    op.create_table(
        "incident_audit",
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        _timestamp("at"),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("duplicate_of", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("incident_id", "seq", name="pk_incident_audit"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_incident_audit_incident_id_incidents", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "incident_keys",
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("client", "key", name="pk_incident_keys"),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_incident_keys_incident_id_incidents", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    """Drop the incident tables."""
    op.drop_table("incident_keys")
    op.drop_table("incident_audit")
    op.drop_table("incidents")
