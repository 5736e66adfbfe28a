"""The search by words on PostgreSQL: an index of the characters and pairs of characters of each incident's texts.

The desk's search (`LIKE '%…%'` on the number, description and address) read every report of its window on
PostgreSQL: pg_trgm's trigrams find no word of two Chinese characters, the usual query, and pg_bigm is not
packaged for Debian. `incident_grams(number, description, address)` lists every character and every pair of
neighbouring characters of the three texts (joined by line breaks: a pair across two texts only adds a candidate
that LIKE turns down), and the GIN index `ix_incidents_grams` on it finds the incidents that hold all the pairs
of the searched words; LIKE confirms them (`gridmap.store.incident_words`). Building the index fills it for the
stored incidents; PostgreSQL keeps it as incidents are added and changed. SQLite keeps its words index (0021)
and gets nothing here.

The function is declared costly so that the planner never runs it on rows as a filter when it can read the index.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRAMS = "ix_incidents_grams"
GRAMS_FUNCTION = """
CREATE FUNCTION incident_grams(number text, description text, address text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 1000
AS $$
    SELECT coalesce(array_agg(substr(texts.joined, at, width)), '{}')
    FROM (
        SELECT coalesce(number, '') || E'\\n' || coalesce(description, '') || E'\\n' || coalesce(address, '')
    ) AS texts(joined),
    generate_series(1, length(texts.joined)) AS at,
    (VALUES (1), (2)) AS widths(width)
$$
"""
GRAMS_OF_TEXTS = "incident_grams(number, description, address)"


def upgrade() -> None:
    """Add the function and its GIN index on PostgreSQL."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(GRAMS_FUNCTION)
    op.create_index(GRAMS, "incidents", [sa.text(GRAMS_OF_TEXTS)], postgresql_using="gin")


def downgrade() -> None:
    """Drop the index and the function."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(GRAMS, table_name="incidents")
    op.execute("DROP FUNCTION incident_grams(text, text, text)")
