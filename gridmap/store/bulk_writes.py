"""What a SQL store does around a write of many rows: hooks each backend fills in as it needs (postgis.py).

PostgreSQL plans queries from statistics that autovacuum gathers on its own schedule, or never on a server that
runs without it: until then a table filled in bulk is planned as the nearly empty table it was (a query by parent
on a new draft read the whole version; an import's id check read the whole incidents table per batch). SQLite
keeps no statistics unless asked, and its plans here do not need them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session


class BulkWrites:
    """The hooks of the store's bulk writes; by default they do nothing."""

    def _start_bulk_write(self, session: Session) -> None:
        """Set up the transaction of a bulk write before its first row; backends may need to (postgis.py)."""

    def _end_bulk_write(self, session: Session, tables: Sequence[str], added: int) -> None:
        """After a bulk write added `added` rows (of its main table) to `tables`, in the same transaction;
        backends may refresh the planner's statistics."""
