"""The public description of an incident: `incidents.public_description`, the text a member of staff approved.

NULL until approved (and after a withdrawal): public answers then show an empty description.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add incidents.public_description (nullable: nothing is approved yet)."""
    # Plain ADD COLUMN works on both backends (no table rebuild on SQLite).
    op.add_column("incidents", sa.Column("public_description", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop incidents.public_description."""
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("public_description")
