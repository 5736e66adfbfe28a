"""The household register in SQL: households, and their codes (placements) per boundary version."""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager

import numpy as np
from sqlalchemy import Integer, cast, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.store.bulk_writes import BulkWrites
from gridmap.store.frames import stored_text
from gridmap.store.household_store import (
    HouseholdCounts,
    HouseholdLocations,
    HouseholdPoint,
    HouseholdRecord,
    HouseholdStore,
    PlacedHousehold,
    Placement,
)
from gridmap.store.rows import in_batches
from gridmap.store.tables import (
    HOUSEHOLD_ID_LENGTH,
    MAX_INTEGER,
    PERSON_LENGTH,
    BoundaryVersion,
    GridFeature,
    Household,
    HouseholdPlacement,
)

_PHONE_LENGTH = 32


def _row(record: HouseholdRecord) -> dict[str, object]:
    """The table row of a record, refusing values the columns cannot hold."""
    household_id = stored_text(record.household_id.strip(), "the household id", HOUSEHOLD_ID_LENGTH)
    if not household_id:
        msg = "every household needs a household id"
        raise InvalidInput(msg)
    for value in (record.lon, record.lat):
        if value is not None and not math.isfinite(value):
            msg = f"household {household_id}: coordinates must be finite numbers"
            raise InvalidInput(msg)
    if not (0 <= record.people <= MAX_INTEGER and 0 <= record.left_behind_children <= MAX_INTEGER):
        msg = f"household {household_id}: people and children must be counts"
        raise InvalidInput(msg)
    return {
        "household_id": household_id,
        "address": record.address,
        "lon": record.lon,
        "lat": record.lat,
        "people": record.people,
        "elderly_alone": bool(record.elderly_alone),
        "disabled": bool(record.disabled),
        "left_behind_children": record.left_behind_children,
        "head_name": None if record.head_name is None else stored_text(record.head_name, "a name", PERSON_LENGTH),
        "phone": None if record.phone is None else stored_text(record.phone, "a phone number", _PHONE_LENGTH),
    }


def _record(row: Household) -> HouseholdRecord:
    """The record of a table row."""
    return HouseholdRecord(
        household_id=row.household_id,
        address=row.address,
        lon=row.lon,
        lat=row.lat,
        people=row.people,
        elderly_alone=row.elderly_alone,
        disabled=row.disabled,
        left_behind_children=row.left_behind_children,
        head_name=row.head_name,
        phone=row.phone,
    )


def _require_code(session: Session, version_id: int, code: str) -> None:
    """NotFound when the version has no feature `code`."""
    exists = session.scalar(
        select(GridFeature.id).where(GridFeature.version_id == version_id, GridFeature.code == code)
    )
    if exists is None:
        msg = f"boundary version {version_id} has no community, grid or microgrid {code!r}"
        raise NotFound(msg)


class HouseholdRegister(HouseholdStore, BulkWrites):
    """The household half of a SQL store; the store supplies the transaction."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def add_households(self, households: Sequence[HouseholdRecord]) -> int:
        """Add households to the register in one transaction; Conflict when a household id is taken."""
        rows = [_row(record) for record in households]
        ids = [row["household_id"] for row in rows]
        if len(set(ids)) != len(ids):
            msg = "the households repeat a household id"
            raise Conflict(msg)
        if not rows:
            return 0
        try:
            with self._transaction() as session:
                session.execute(insert(Household), rows)
                self._end_bulk_write(session, [Household.__tablename__], len(rows))
        except IntegrityError:
            msg = "some of these household ids are in the register already"
            raise Conflict(msg) from None
        return len(rows)

    def household_points(self) -> list[HouseholdPoint]:
        """Every stored household's point and id, by row."""
        with self._transaction() as session:
            found = session.execute(
                select(Household.id, Household.household_id, Household.lon, Household.lat).order_by(Household.id)
            )
            return [
                HouseholdPoint(row=row, household_id=household_id, lon=lon, lat=lat)
                for row, household_id, lon, lat in found
            ]

    def household_locations(self) -> HouseholdLocations:
        """The row numbers and points of the households that have a point, by row, as arrays."""
        located = (
            select(Household.id, Household.lon, Household.lat)
            .where(Household.lon.is_not(None), Household.lat.is_not(None))
            .order_by(Household.id)
        )
        with self._transaction() as session:
            connection = session.connection()
            # The driver's own cursor hands the rows out as plain tuples: a result Row per household would
            # cost 3x the CPU of the whole read (100,000 households).
            cursor = connection.connection.cursor()
            try:
                cursor.execute(str(located.compile(connection)))
                columns = np.array(cursor.fetchall(), dtype=np.float64).reshape(-1, 3)
            finally:
                cursor.close()
        return HouseholdLocations(
            rows=columns[:, 0].astype(np.int64), lon=columns[:, 1].copy(), lat=columns[:, 2].copy()
        )

    def household_ids(self, rows: Sequence[int]) -> list[str]:
        """The household ids of stored rows, in the order asked for."""
        with self._transaction() as session:
            ids = {
                row: household_id
                for batch in in_batches(sorted({int(row) for row in rows}))
                for row, household_id in session.execute(
                    select(Household.id, Household.household_id).where(Household.id.in_(batch))
                )
            }
        return [ids[int(row)] for row in rows]

    def save_placements(self, version_id: int, placements: Sequence[Placement]) -> None:
        """Replace the household codes stored for a version."""
        with self._write_transaction() as session:
            if session.get(BoundaryVersion, version_id) is None:
                msg = f"there is no boundary version {version_id}"
                raise NotFound(msg)
            session.execute(delete(HouseholdPlacement).where(HouseholdPlacement.version_id == version_id))
            if placements:
                session.execute(
                    insert(HouseholdPlacement),
                    [
                        {
                            "version_id": version_id,
                            "household_row": p.row,
                            "community_code": p.community_code,
                            "grid_code": p.grid_code,
                            "microgrid_code": p.microgrid_code,
                            "nearest_grid_code": p.nearest_grid_code,
                            "distance_m": p.distance_m,
                        }
                        for p in placements
                    ],
                )

    def has_placements(self, version_id: int) -> bool:
        """Whether household codes are stored for a version."""
        with self._transaction() as session:
            query = select(HouseholdPlacement.household_row).where(HouseholdPlacement.version_id == version_id)
            return session.scalar(query.limit(1)) is not None

    def households(self) -> list[HouseholdRecord]:
        """Every household of the register (personal data included), by household id."""
        with self._transaction() as session:
            return [_record(row) for row in session.scalars(select(Household).order_by(Household.household_id))]

    def household_revision(self) -> tuple[int, int]:
        """How many households the register holds and its highest row number: changes with every import."""
        with self._transaction() as session:
            count, last = session.execute(select(func.count(), func.coalesce(func.max(Household.id), 0))).one()
        return int(count), int(last)

    def households_in(self, version_id: int, code: str) -> list[PlacedHousehold]:
        """The households placed in the feature `code` of a version, by household id; NotFound for no such code."""
        placed = HouseholdPlacement
        with self._transaction() as session:
            _require_code(session, version_id, code)
            found = session.execute(
                select(Household, placed.community_code, placed.grid_code, placed.microgrid_code)
                .join(placed, Household.id == placed.household_row)
                .where(
                    placed.version_id == version_id,
                    or_(placed.community_code == code, placed.grid_code == code, placed.microgrid_code == code),
                )
                .order_by(Household.household_id)
            )
            return [
                PlacedHousehold(_record(row), community, grid, microgrid) for row, community, grid, microgrid in found
            ]

    def household_counts(self, version_id: int, code: str) -> HouseholdCounts:
        """Households placed in the feature `code` of a version; NotFound when the version has no such code."""
        with self._transaction() as session:
            _require_code(session, version_id, code)
            placed = HouseholdPlacement
            sums = session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(Household.people), 0),
                    func.coalesce(func.sum(cast(Household.elderly_alone, Integer)), 0),
                    func.coalesce(func.sum(cast(Household.disabled, Integer)), 0),
                    func.coalesce(func.sum(Household.left_behind_children), 0),
                )
                .select_from(placed)
                .join(Household, Household.id == placed.household_row)
                .where(
                    placed.version_id == version_id,
                    or_(placed.community_code == code, placed.grid_code == code, placed.microgrid_code == code),
                )
            ).one()
        households, people, elderly, disabled, children = (int(v) for v in sums)
        return HouseholdCounts(
            code=code,
            version_id=version_id,
            households=households,
            people=people,
            elderly_alone=elderly,
            disabled=disabled,
            left_behind_children=children,
        )
