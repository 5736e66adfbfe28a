"""Aliases of the address registry: `address_aliases`, other names residents write for a road, compound or town.

Imported with `gridmap registry import --aliases FILE` (or an `aliases` column of the registry file); the
geocoder reads them with the registry, so the community can edit them as data rather than code.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create address_aliases (one alias per kind names one thing)."""
    op.create_table(
        "address_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("alias", sa.String(200), nullable=False),
        sa.CheckConstraint("kind IN ('road', 'compound', 'town')", name="ck_address_aliases_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_address_aliases"),
        sa.UniqueConstraint("kind", "alias", name="uq_address_aliases_kind_alias"),
    )


def downgrade() -> None:
    """Drop address_aliases."""
    op.drop_table("address_aliases")
