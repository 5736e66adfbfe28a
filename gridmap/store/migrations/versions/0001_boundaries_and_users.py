"""Boundary sets, versions and grid features (all levels), and users.

On PostgreSQL: the postgis extension, a geometry(GEOMETRY, 4326) column and its GiST index. On SQLite: the
geometry as WKB in a BLOB and an R*Tree virtual table of bounding boxes, emptied by a trigger on delete (the
store fills it on insert and update).

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PUBLISHED = sa.text("status = 'published'")


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the tables, and the spatial index the backend supports."""
    postgis = op.get_bind().dialect.name == "postgresql"
    if postgis:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "boundary_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_boundary_sets"),
        sa.UniqueConstraint("name", name="uq_boundary_sets_name"),
    )
    op.create_table(
        "boundary_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        _timestamp("created_at"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(100), nullable=True),
        _timestamp("published_at", nullable=True),
        sa.Column("publish_reason", sa.Text(), nullable=True),
        _timestamp("retired_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_boundary_versions"),
        sa.ForeignKeyConstraint(
            ["set_id"], ["boundary_sets.id"], name="fk_boundary_versions_set_id_boundary_sets", ondelete="CASCADE"
        ),
        sa.CheckConstraint("status IN ('draft', 'published', 'retired')", name="ck_boundary_versions_status"),
    )
    op.create_index("ix_boundary_versions_set_id", "boundary_versions", ["set_id"])
    op.create_index(
        "uq_boundary_versions_one_published",
        "boundary_versions",
        ["set_id"],
        unique=True,
        sqlite_where=_PUBLISHED,
        postgresql_where=_PUBLISHED,
    )

    geometry_type = Geometry("GEOMETRY", srid=4326, spatial_index=False) if postgis else sa.LargeBinary()
    op.create_table(
        "grid_features",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.String(36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=True),
        sa.Column("parent", sa.String(32), nullable=True),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("households_target", sa.Integer(), nullable=True),
        sa.Column("geometry", geometry_type, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_grid_features"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["boundary_versions.id"],
            name="fk_grid_features_version_id_boundary_versions",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("version_id", "feature_id", name="uq_grid_features_version_id_feature_id"),
        sa.UniqueConstraint("version_id", "code", name="uq_grid_features_version_id_code"),
    )
    op.create_index("ix_grid_features_version_id_level_parent", "grid_features", ["version_id", "level", "parent"])
    if postgis:
        op.create_index("ix_grid_features_geometry", "grid_features", ["geometry"], postgresql_using="gist")
    else:
        op.execute("CREATE VIRTUAL TABLE grid_feature_rtree USING rtree(id, min_x, max_x, min_y, max_y)")
        op.execute(
            "CREATE TRIGGER grid_feature_rtree_delete AFTER DELETE ON grid_features "
            "BEGIN DELETE FROM grid_feature_rtree WHERE id = old.id; END"
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
        sa.UniqueConstraint("token_hash", name="uq_users_token_hash"),
        sa.CheckConstraint("role IN ('viewer', 'worker', 'planner', 'admin')", name="ck_users_role"),
    )


def downgrade() -> None:
    """Drop everything upgrade created (the postgis extension stays: other schemas may use it)."""
    op.drop_table("users")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS grid_feature_rtree_delete")
        op.execute("DROP TABLE IF EXISTS grid_feature_rtree")
    op.drop_table("grid_features")
    op.drop_table("boundary_versions")
    op.drop_table("boundary_sets")
