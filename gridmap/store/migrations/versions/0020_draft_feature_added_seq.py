"""`grid_features.added_seq`: the draft edit sequence number at which an edit (or an undo or redo) added the row.

NULL for a row the version was made with (imported, or copied when a draft was started). A draft file records
the draft's edit sequence at its export, so that an import told to delete the features a file lacks can tell a
feature the file deleted (added at or before the export) from one added to the draft after it (kept).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable column (plain ADD COLUMN on both backends: no table rewrite)."""
    op.add_column("grid_features", sa.Column("added_seq", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop the column (plain DROP COLUMN: SQLite 3.35 and later has it)."""
    op.drop_column("grid_features", "added_seq")
