"""A version's features as one frame: all of them, or those chosen by ids, codes, parents or boxes.

The columns are read as plain values and every geometry converted from WKB at once (no ORM objects). A frame of
some features numbers them by their place in the whole version all the same (the check's "feature N" labels), and
the database counts those places without handing the version's codes out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import shapely
from geopandas import GeoDataFrame
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from gridmap.errors import InvalidInput
from gridmap.geo.boxes import covering_boxes
from gridmap.store.frames import FEATURE_COLUMNS, frame_from_columns, lookup_text
from gridmap.store.rows import in_batches
from gridmap.store.spatial import SpatialQueries
from gridmap.store.tables import GridFeature, geometry_wkb

_Row = Sequence[Any]  # a row of `_COLUMNS`
# Boxes asked of the database for a frame meeting many boxes (more are merged into this many covering them).
_BOXES_PER_QUERY = 64
# Values per IN (...) list of ids, codes or parents: with 1,000 parents SQLite's planner reads the whole version.
_LISTED_PER_QUERY = 500
# The columns of a frame, the code first and the geometry (as WKB) last.
_COLUMNS = select(
    *(GridFeature.__table__.c[name] for name in FEATURE_COLUMNS), geometry_wkb(GridFeature.__table__.c.geometry)
)


def _geometries(rows: Sequence[_Row]) -> npt.NDArray[np.object_]:
    return shapely.from_wkb(np.array([row[-1] for row in rows], dtype=object))


def _frame_of(
    version_id: int, rows: Sequence[_Row], geometries: npt.NDArray[np.object_], numbers: Sequence[int] | None = None
) -> GeoDataFrame:
    """A version's frame from rows of `_COLUMNS` and their geometries, in their order."""
    values = dict(zip(FEATURE_COLUMNS, zip(*rows, strict=False), strict=False)) if rows else {}
    return frame_from_columns(
        {name: values.get(name, ()) for name in FEATURE_COLUMNS},
        geometries,
        source=f"version {version_id}",
        numbers=numbers,
    )


def _places(session: Session, version_id: int, codes: Collection[str], counted_up_to: int) -> dict[str, int]:
    """Each code's place among the version's codes in the database's order (that of ORDER BY code).

    The database orders the codes asked for, counts the version's codes from each one to the next (an index
    range each, from '' for the first) and adds the counts up: no code of the version is handed out. For more
    than `counted_up_to` codes, one read of the version's codes in order costs less than counting between them (read
    as plain rows: the ORM's row handling cost more than the read).
    """
    if len(codes) > counted_up_to:
        ordered = session.connection().execute(
            select(GridFeature.code).where(GridFeature.version_id == version_id).order_by(GridFeature.code)
        )
        return {code: number for number, (code,) in enumerate(ordered) if code in codes}
    place: dict[str, int] = {}
    for batch in in_batches(sorted(codes)):
        steps = (
            select(
                GridFeature.code, func.lag(GridFeature.code, 1, "").over(order_by=GridFeature.code).label("previous")
            )
            .where(GridFeature.version_id == version_id, GridFeature.code.in_(batch))
            .subquery("steps")
        )
        counted = aliased(GridFeature)
        between = (
            select(func.count())
            .select_from(counted)
            .where(counted.version_id == version_id, counted.code >= steps.c.previous, counted.code < steps.c.code)
            .scalar_subquery()
        )
        query = select(steps.c.code, func.sum(between).over(order_by=steps.c.code))
        place.update((code, int(before)) for code, before in session.execute(query))
    return place


def _numbered(
    session: Session, version_id: int, rows: Sequence[_Row], geometries: npt.NDArray[np.object_], counted_up_to: int
) -> GeoDataFrame:
    """The frame of some of the version's features, by code, numbered by their place in the whole version."""
    place = _places(session, version_id, {row[0] for row in rows}, counted_up_to)
    numbers = np.array([place[row[0]] for row in rows], dtype=np.int64)
    order = np.argsort(numbers)
    return _frame_of(version_id, [rows[i] for i in order], geometries[order], numbers[order].tolist())


class VersionFrames(SpatialQueries):
    """`version_frame` on SQL (the spatial clauses of the backend's `SpatialQueries`)."""

    # Codes whose places are counted between them (see `_places`); for more, the version's codes are read in order.
    counted_places: ClassVar[int] = _LISTED_PER_QUERY

    def _frame(self, session: Session, version_id: int) -> GeoDataFrame:
        """Every feature of the version, by code."""
        rows = list(session.execute(_COLUMNS.where(GridFeature.version_id == version_id).order_by(GridFeature.code)))
        return _frame_of(version_id, rows, _geometries(rows))

    def _rows_meeting(
        self, session: Session, version_id: int, boxes: npt.NDArray[np.float64]
    ) -> tuple[list[_Row], npt.NDArray[np.object_]]:
        """The rows of the version's features meeting one of the boxes, in no order, and their geometries."""
        # As in `features`: R*Tree candidates (SQLite) must drive the query, not the version's index.
        version = GridFeature.version_id if self.exact_spatial_sql else GridFeature.version_id + 0
        # Thousands of boxes (a draft changed all over) are asked as a few covering them, then filtered here: a
        # clause per box costs more to build than the rows it saves reading.
        asked = covering_boxes(boxes, _BOXES_PER_QUERY)
        bboxes = [(float(w), float(s), float(e), float(n)) for w, s, e, n in asked]
        meeting = _COLUMNS.where(version == version_id, self._meets_any_bbox(bboxes))
        rows: list[_Row] = list(session.execute(meeting))
        geometries = _geometries(rows)
        if (self.exact_spatial_sql and asked is boxes) or not rows:
            return rows, geometries
        tree = shapely.STRtree(shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]))
        hits = np.unique(tree.query(geometries, predicate="intersects")[0])
        return [rows[i] for i in hits], geometries[hits]

    def version_frame(
        self,
        version_id: int,
        *,
        feature_ids: Collection[str] | None = None,
        codes: Collection[str] | None = None,
        parents: Collection[str] | None = None,
        boxes: npt.NDArray[np.float64] | None = None,
    ) -> GeoDataFrame:
        """Every feature of a version, or those chosen by one of the other arguments (see `VersionStore`)."""
        listed = [(GridFeature.feature_id, feature_ids), (GridFeature.code, codes), (GridFeature.parent, parents)]
        chosen = [(column, wanted) for column, wanted in listed if wanted is not None]
        if len(chosen) + (boxes is not None) > 1:
            msg = "a version's features are chosen by one of feature ids, codes, parents or boxes"
            raise InvalidInput(msg)
        with self._transaction() as session:
            self._version_row(session, version_id)
            if boxes is not None:
                rows, geometries = self._rows_meeting(session, version_id, boxes)
            elif chosen:
                column, wanted = chosen[0]
                rows = [
                    row
                    for batch in in_batches(sorted({lookup_text(v, column.key) for v in wanted}), _LISTED_PER_QUERY)
                    for row in session.execute(_COLUMNS.where(GridFeature.version_id == version_id, column.in_(batch)))
                ]
                geometries = _geometries(rows)
            else:
                return self._frame(session, version_id)
            return _numbered(session, version_id, rows, geometries, self.counted_places)
