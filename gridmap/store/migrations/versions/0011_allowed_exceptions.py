"""Allowed exceptions: `allowed_exceptions`, the gaps and overlaps a boundary set keeps on purpose.

One row per registered area (a river, the county's outer perimeter, an overlay grid's overlaps) with its kind,
the codes it names, its reason, who registered it and when. The geometry is a PostGIS geometry(GEOMETRY, 4326)
or WKB in a BLOB on SQLite; a set holds a handful of them, read whole, so no spatial index.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create allowed_exceptions, deleted with its boundary set."""
    postgis = op.get_bind().dialect.name == "postgresql"
    geometry_type = Geometry("GEOMETRY", srid=4326, spatial_index=False) if postgis else sa.LargeBinary()
    op.create_table(
        "allowed_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("geometry", geometry_type, nullable=False),
        sa.Column("codes", sa.Text(), nullable=False),
        sa.Column("outside", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_allowed_exceptions"),
        sa.ForeignKeyConstraint(
            ["set_id"], ["boundary_sets.id"], name="fk_allowed_exceptions_set_id_boundary_sets", ondelete="CASCADE"
        ),
        sa.CheckConstraint("kind IN ('gap', 'overlap')", name="ck_allowed_exceptions_kind"),
    )
    op.create_index("ix_allowed_exceptions_set_id", "allowed_exceptions", ["set_id"])


def downgrade() -> None:
    """Drop allowed_exceptions."""
    op.drop_index("ix_allowed_exceptions_set_id", table_name="allowed_exceptions")
    op.drop_table("allowed_exceptions")
