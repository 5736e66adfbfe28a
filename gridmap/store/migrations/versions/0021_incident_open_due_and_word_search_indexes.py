"""Indexes for the desk's clock queues and its search by words.

`ix_incidents_open_due`: the open incidents whose clock runs (a due time, not held) by due time, a partial
index of a few thousand rows whatever the history holds. The overdue and due-soon queues (`held_since IS NULL
AND due_at < …`) are counted from it alone and read from it in their order; `ix_incidents_due` also holds the
held ones, and counting from it read each row to look at `held_since`.

The search by words (`LIKE '%…%'` on the number, description and address, over the last 90 days unless dates
are given) reads every report of its window: no index finds a substring of two Chinese characters, the usual
query, in SQLite or PostgreSQL (pg_trgm needs three). On SQLite `ix_incidents_words` holds the window's
columns (reported_at, then due_at and id, then the texts), so the search reads that index in reported order
and never the table. PostgreSQL keeps no such index: a B-tree entry is limited to a third of a page, less than
a description of 4,000 characters, and its window is read from `ix_incidents_reported_at` as before.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_DUE = "ix_incidents_open_due"
OPEN_DUE_COLUMNS = ["due_at", "id"]
CLOCK_RUNNING = "held_since IS NULL AND due_at IS NOT NULL"
WORDS = "ix_incidents_words"
WORDS_COLUMNS = ["reported_at", "due_at", "id", "number", "description", "address"]


def upgrade() -> None:
    """Add the partial index of running clocks on both backends, the words index on SQLite."""
    op.create_index(
        OPEN_DUE,
        "incidents",
        OPEN_DUE_COLUMNS,
        sqlite_where=sa.text(CLOCK_RUNNING),
        postgresql_where=sa.text(CLOCK_RUNNING),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(WORDS, "incidents", WORDS_COLUMNS)


def downgrade() -> None:
    """Drop both indexes."""
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(WORDS, table_name="incidents")
    op.drop_index(OPEN_DUE, table_name="incidents")
