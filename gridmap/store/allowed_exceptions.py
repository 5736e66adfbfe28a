"""Allowed exceptions in SQL: one row per registered gap or overlap, the same on PostGIS and SQLite.

A set holds a handful of them and the check reads them whole, so there is no spatial index; the geometry
crosses in and out as shapely objects through `GeometryType`.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.allowed_exceptions import AllowedException, allowed_exception
from gridmap.store.exception_store import ExceptionStore
from gridmap.store.frames import lookup_text, stored_text
from gridmap.store.tables import PERSON_LENGTH, AllowedExceptionRow, BoundarySet, utc_now


def _exception(row: AllowedExceptionRow) -> AllowedException:
    return allowed_exception(
        kind=row.kind,
        geometry=row.geometry,
        reason=row.reason,
        codes=json.loads(row.codes),
        outside=row.outside,
        id=row.id,
        allowed_by=row.created_by,
        allowed_at=row.created_at,
    )


def _set_id(session: Session, set_name: str) -> int:
    set_id = session.scalar(select(BoundarySet.id).where(BoundarySet.name == lookup_text(set_name, "set name")))
    if set_id is None:
        msg = f"there is no boundary set named {set_name!r}"
        raise NotFound(msg)
    return set_id


class AllowedExceptions(ExceptionStore):
    """The allowed-exceptions half of a SQL store; the store supplies the transactions."""

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def allowed_exceptions(self, set_name: str) -> list[AllowedException]:
        """The set's exceptions, oldest first; NotFound when there is no such set."""
        with self._transaction() as session:
            query = select(AllowedExceptionRow).where(AllowedExceptionRow.set_id == _set_id(session, set_name))
            return [_exception(row) for row in session.scalars(query.order_by(AllowedExceptionRow.id))]

    def add_allowed_exception(self, set_name: str, exception: AllowedException, *, who: str) -> AllowedException:
        """Store a validated exception for the set as registered by `who` now; returns it with its id and time."""
        if not who.strip():
            msg = "say who allows this exception: every exception records who, when and why"
            raise InvalidInput(msg)
        stored_text(who, "who", PERSON_LENGTH)
        lookup_text(exception.reason, "the reason")
        for code in exception.codes:
            lookup_text(code, "a code")
        with self._write_transaction() as session:
            row = AllowedExceptionRow(
                set_id=_set_id(session, set_name),
                kind=exception.kind.value,
                geometry=exception.geometry,
                codes=json.dumps(list(exception.codes), ensure_ascii=False),
                outside=exception.outside,
                reason=exception.reason,
                created_by=who,
                created_at=utc_now(),
            )
            session.add(row)
            session.flush()
            return _exception(row)

    def remove_allowed_exception(self, set_name: str, exception_id: int) -> None:
        """Delete exception `exception_id` of the set; NotFound when the set has no such exception."""
        with self._write_transaction() as session:
            deleted = session.execute(
                delete(AllowedExceptionRow).where(
                    AllowedExceptionRow.set_id == _set_id(session, set_name), AllowedExceptionRow.id == exception_id
                )
            )
            if not deleted.rowcount:  # type: ignore[attr-defined]
                msg = f"boundary set {set_name!r} has no allowed exception {exception_id}"
                raise NotFound(msg)
