"""Bulk import of incidents with their audit trails: many rows per statement, all or nothing.

For sample data, demos and benchmarks (hundreds of thousands of incidents), where `create_incident` one at a
time with its idempotency check would take minutes. The rows are the same ones `create_incident` writes
(`_row`, `_audit_rows`, `contact_rows`), inserted in batches inside one transaction (an executemany per table, a
COPY on PostgreSQL: `postgresql_copy`); the map counts of the whole import are gathered in memory and added at its
end, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from itertools import islice
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.errors import Conflict, InvalidInput
from gridmap.incidents.model import Incident
from gridmap.store.bulk_writes import BulkWrites
from gridmap.store.incident_counts import AREA_COUNTS, COUNTS, CountChanges, counted_fields
from gridmap.store.incident_privacy import contact_rows
from gridmap.store.incidents import _audit_rows, _row
from gridmap.store.tables import IncidentAuditRow, IncidentContactRow, IncidentRow

DEFAULT_BATCH = 5000
_INCIDENTS = cast(Table, IncidentRow.__table__)  # declarative classes type their table loosely
_AUDIT = cast(Table, IncidentAuditRow.__table__)
_CONTACTS = cast(Table, IncidentContactRow.__table__)
_WRITTEN = (_INCIDENTS, _AUDIT, _CONTACTS, COUNTS, AREA_COUNTS)  # the tables an import adds rows to
_ID_CHECK_CHUNK = 500  # ids per `IN (...)` when looking for ones that exist already


class IncidentImport(BulkWrites):
    """The bulk-import half of a SQL store; the store supplies the transaction."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _insert_rows(self, session: Session, table: Table, rows: list[dict[str, object]]) -> None:
        """Insert rows (values by column name, the same names in each) into `table`; backends may do it faster."""
        # Core inserts: one executemany, without the ORM's per-row bookkeeping.
        session.execute(insert(table), rows)

    def import_incidents(
        self,
        incidents: Iterable[Incident],
        *,
        batch: int = DEFAULT_BATCH,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Store incidents with their trails in one transaction, `batch` per statement; the number stored.

        An id that is stored already (or repeats in the input) is a Conflict naming it, and nothing of the
        import is kept. `progress` is called with the running count after each batch.
        """
        if batch < 1:
            msg = f"batch is {batch}; give 1 or more incidents per batch"
            raise InvalidInput(msg)
        stored = 0
        seen: set[str] = set()
        counts = CountChanges()
        try:
            with self._write_transaction() as session:
                self._start_bulk_write(session)
                for chunk in _chunks(incidents, batch):
                    _refuse_known(session, chunk, seen)
                    self._insert_rows(session, _INCIDENTS, [{"id": i.id, **_row(i)} for i in chunk])
                    audit = [row for i in chunk for row in _audit_rows(i.id, i.audit, 0)]
                    if audit:
                        self._insert_rows(session, _AUDIT, audit)
                    if contacts := contact_rows(chunk):
                        self._insert_rows(session, _CONTACTS, contacts)
                    counts.add([counted_fields(i) for i in chunk])
                    stored += len(chunk)
                    if progress is not None:
                        progress(stored)
                counts.write(session.connection())
                self._end_bulk_write(session, [t.name for t in _WRITTEN], stored)
        except IntegrityError:
            # Another writer stored one of these ids between our check and the insert.
            msg = "an incident of this import was stored by someone else meanwhile; nothing was imported"
            raise Conflict(msg) from None
        return stored


def _chunks(incidents: Iterable[Incident], size: int) -> Iterator[list[Incident]]:
    iterator = iter(incidents)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _refuse_known(session: Session, chunk: list[Incident], seen: set[str]) -> None:
    """Conflict naming the first incident of `chunk` stored already or given twice in this import."""
    for incident in chunk:
        if incident.id in seen:
            msg = f"incident {incident.id!r} appears twice in the import; nothing was imported"
            raise Conflict(msg)
        seen.add(incident.id)
    ids = [incident.id for incident in chunk]
    for start in range(0, len(ids), _ID_CHECK_CHUNK):
        part = ids[start : start + _ID_CHECK_CHUNK]
        known = set(session.scalars(select(IncidentRow.id).where(IncidentRow.id.in_(part))))
        if known:
            first = next(i for i in part if i in known)
            msg = f"an incident {first!r} exists already; nothing was imported"
            raise Conflict(msg)
