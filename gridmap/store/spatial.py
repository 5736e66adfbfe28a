"""The read side both backends share: filters, point lookup and nearest feature.

A backend answers two spatial questions with SQL clauses (which rows may intersect a box, which may cover a
point). When its clauses only give candidates (SQLite's R*Tree), shapely makes the exact test here, so that
both backends give the same answers.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from typing import ClassVar

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.hierarchy import Level
from gridmap.geo.metric import degree_window_factor, distances_m
from gridmap.store.frames import lookup_text
from gridmap.store.rows import feature_from_row, lookup_chain
from gridmap.store.tables import MAX_INTEGER, BoundaryVersion, GridFeature
from gridmap.store.version_store import Feature, FeaturePage, Location, Nearest

Bbox = tuple[float, float, float, float]

# First half-width (degrees, about 1 km) of the window searched for the nearest feature; it grows fourfold.
_FIRST_WINDOW_DEG = 0.01
# Candidates of a box query read at a time when they are tested in Python (SQLite), at the least: a page stops reading
# at its end. A chunk asks for as many as the page still lacks (most candidates are hits): each chunk's query runs
# the box's index search again, which on a box as wide as the town returned every version's rows (10 chunks: 1.2 s).
_CANDIDATE_CHUNK = 500


def _check_point(lon: float, lat: float) -> None:
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        msg = f"({lon}, {lat}) is not a WGS-84 longitude and latitude"
        raise InvalidInput(msg)


def _window(lon: float, lat: float, half: float) -> Bbox:
    return (lon - half, lat - half, lon + half, lat + half)


def _count(conditions: Sequence[ColumnElement[bool]]) -> Select[int]:
    return select(func.count()).select_from(GridFeature).where(*conditions)


def _intersecting(rows: Sequence[GridFeature], box: BaseGeometry) -> list[GridFeature]:
    """The rows whose geometry intersects the box, in their order."""
    exact = shapely.intersects(np.asarray([r.geometry for r in rows], dtype=object), box)
    return [row for row, hit in zip(rows, exact, strict=True) if hit]


class SpatialQueries(ABC):
    """Features of a version by filters, by point and by distance; subclasses supply the spatial clauses."""

    # True when the spatial clauses are exact (PostGIS), False when they only give candidates (SQLite).
    exact_spatial_sql: ClassVar[bool]

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Session]:
        """One session and transaction."""

    @abstractmethod
    def _version_row(self, session: Session, version_id: int, *, for_update: bool = False) -> BoundaryVersion:
        """The version's row; NotFound when there is none."""

    @abstractmethod
    def _intersects_bbox(self, bbox: Bbox) -> ColumnElement[bool]:
        """Rows whose geometry intersects the box (or, when not exact, may)."""

    @abstractmethod
    def _covers_point(self, lon: float, lat: float) -> ColumnElement[bool]:
        """Rows whose geometry covers the point (or, when not exact, may)."""

    def _meets_any_bbox(self, boxes: Sequence[Bbox]) -> ColumnElement[bool]:
        """Rows whose geometry intersects one of the boxes (or, when not exact, may)."""
        return or_(*(self._intersects_bbox(bbox) for bbox in boxes))

    def _inside_bbox(self, bbox: Bbox) -> ColumnElement[bool]:
        """Rows whose indexed box lies inside the box, so that they surely intersect it (backends whose box
        clauses are not exact: the others never ask)."""
        raise NotImplementedError

    @abstractmethod
    def _extent_query(self, conditions: Sequence[ColumnElement[bool]]) -> Select[tuple[float, float, float, float]]:
        """One row: the box (min lon, min lat, max lon, max lat) holding the matching rows, NULLs when none."""

    def extent(self, version_id: int, *, level: Level | None = None) -> Bbox | None:
        """A box holding every feature of a version (of `level`), for a map to frame them; None when there is none.
        It may be slightly larger than the features' own box (SQLite's index rounds its boxes outwards)."""
        conditions = [GridFeature.version_id == version_id]
        if level is not None:
            conditions.append(GridFeature.level == level.value)
        with self._transaction() as session:
            self._version_row(session, version_id)
            row = session.execute(self._extent_query(conditions)).one()
        if row[0] is None:
            return None
        west, south, east, north = (float(value) for value in row)
        return (west, south, east, north)

    def features(
        self,
        version_id: int,
        *,
        bbox: Bbox | None = None,
        level: Level | None = None,
        parent: str | None = None,
        code: str | None = None,
        name_contains: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        parents: Collection[str] | None = None,
        codes: Collection[str] | None = None,
        after: str | None = None,
    ) -> FeaturePage:
        """Features of a version matching every filter given, by code; bbox is (minx, miny, maxx, maxy); `after`
        starts the page after that code (keyset paging; `number_matched` still counts every match)."""
        if not 0 <= offset <= MAX_INTEGER or (limit is not None and not 0 <= limit <= MAX_INTEGER):
            msg = f"limit and offset must be whole numbers from 0 to {MAX_INTEGER}"
            raise InvalidInput(msg)
        if bbox is not None and not (all(map(math.isfinite, bbox)) and bbox[0] <= bbox[2] and bbox[1] <= bbox[3]):
            msg = f"bbox {bbox} must be (min_lon, min_lat, max_lon, max_lat)"
            raise InvalidInput(msg)
        # R*Tree candidates (SQLite) must drive the query: written as an expression, the version test cannot pick
        # the version's index, which SQLite (without statistics) would otherwise prefer and read whole.
        by_box = bbox is not None and not self.exact_spatial_sql
        version = GridFeature.version_id + 0 if by_box else GridFeature.version_id
        conditions: list[ColumnElement[bool]] = [version == version_id]
        if level is not None:
            conditions.append(GridFeature.level == level.value)
        if parent is not None:
            conditions.append(GridFeature.parent == lookup_text(parent, "parent"))
        if code is not None:
            conditions.append(GridFeature.code == lookup_text(code, "code"))
        if parents is not None:
            conditions.append(GridFeature.parent.in_(sorted({lookup_text(p, "parent") for p in parents})))
        if codes is not None:
            conditions.append(GridFeature.code.in_(sorted({lookup_text(c, "code") for c in codes})))
        if name_contains:
            conditions.append(GridFeature.name.icontains(lookup_text(name_contains, "name"), autoescape=True))
        if bbox is not None:
            conditions.append(self._intersects_bbox(bbox))
        paged = [*conditions, GridFeature.code > lookup_text(after, "after")] if after is not None else conditions
        whole = offset == 0 and limit is None and after is None  # every match is read: no need to count them apart
        with self._transaction() as session:
            self._version_row(session, version_id)
            if bbox is None or self.exact_spatial_sql:
                query = select(GridFeature).where(*paged).order_by(GridFeature.code)
                rows = list(session.scalars(query.offset(offset).limit(limit)).all())
                matched = len(rows) if whole else session.scalar(_count(conditions)) or 0
            else:
                rows = self._box_page(session, paged, bbox, offset=offset, limit=limit)
                matched = len(rows) if whole else self._box_count(session, conditions, bbox)
            return FeaturePage([feature_from_row(row) for row in rows], matched)

    def _box_page(
        self, session: Session, conditions: Sequence[ColumnElement[bool]], bbox: Bbox, *, offset: int, limit: int | None
    ) -> list[GridFeature]:
        """The rows of one page of a box query whose clauses only give candidates: candidates read in code order
        a chunk at a time (codes and ids first, so that sorting them reads no geometry), tested exactly, until the
        page is full; without a limit, every candidate whole in one query."""
        box = shapely.box(*bbox)
        if limit is None:  # every candidate is read anyway: in one query, whole rows
            every = session.scalars(select(GridFeature).where(*conditions).order_by(GridFeature.code)).all()
            return _intersecting(every, box)[offset:]
        hits: list[GridFeature] = []
        last: str | None = None
        while len(hits) < offset + limit:
            since = [GridFeature.code > last] if last is not None else []
            wanted = max(_CANDIDATE_CHUNK, offset + limit - len(hits))
            chunk = session.execute(
                select(GridFeature.id, GridFeature.code)
                .where(*conditions, *since)
                .order_by(GridFeature.code)
                .limit(wanted)
            ).all()
            if not chunk:
                break
            ids = [row_id for row_id, _code in chunk]
            rows = session.scalars(select(GridFeature).where(GridFeature.id.in_(ids)).order_by(GridFeature.code)).all()
            hits += _intersecting(rows, box)
            last = chunk[-1][1]
            if len(chunk) < wanted:
                break
        return hits[offset : offset + limit]

    def _box_count(self, session: Session, conditions: Sequence[ColumnElement[bool]], bbox: Bbox) -> int:
        """How many rows meet a box query whose clauses only give candidates: those whose indexed box lies inside
        the box are counted in SQL, and only the geometries of the others (on the box's edge) are tested."""
        inside = self._inside_bbox(bbox)
        counted = session.scalar(_count([*conditions, inside])) or 0
        edge = session.scalars(select(GridFeature.geometry).where(*conditions, ~inside)).all()
        return counted + int(shapely.intersects(np.asarray(edge, dtype=object), shapely.box(*bbox)).sum())

    def feature(self, version_id: int, feature_id: str) -> Feature:
        """One feature of a version; NotFound when there is none."""
        with self._transaction() as session:
            return feature_from_row(self._feature_row(session, version_id, feature_id))

    def _feature_row(self, session: Session, version_id: int, feature_id: str) -> GridFeature:
        row = session.scalar(
            select(GridFeature).where(
                GridFeature.version_id == version_id, GridFeature.feature_id == lookup_text(feature_id, "feature id")
            )
        )
        if row is None:
            self._version_row(session, version_id)
            msg = f"version {version_id} has no feature {feature_id}"
            raise NotFound(msg)
        return row

    def locate(self, version_id: int, lon: float, lat: float) -> Location:
        """The features covering a point, one per level, or the nearest grid (see `BoundaryStore`)."""
        _check_point(lon, lat)
        with self._transaction() as session:
            self._version_row(session, version_id)
            rows = session.scalars(
                select(GridFeature).where(GridFeature.version_id == version_id, self._covers_point(lon, lat))
            ).all()
            if not self.exact_spatial_sql:
                point = shapely.Point(lon, lat)
                rows = [r for r in rows if shapely.covers(r.geometry, point)]
            chain = lookup_chain([feature_from_row(row) for row in rows])
            if chain:
                return Location(lon=lon, lat=lat, chain=chain)
            return Location(lon=lon, lat=lat, chain=(), nearest=self._nearest(session, version_id, lon, lat))

    def nearest(self, version_id: int, lon: float, lat: float) -> Nearest | None:
        """The nearest grid to a point and its distance in metres (0 inside); None for an empty version."""
        _check_point(lon, lat)
        with self._transaction() as session:
            self._version_row(session, version_id)
            return self._nearest(session, version_id, lon, lat)

    def _nearest(self, session: Session, version_id: int, lon: float, lat: float) -> Nearest | None:
        in_version = GridFeature.version_id == version_id
        has_grids = session.scalar(select(exists().where(in_version, GridFeature.level == Level.GRID.value)))
        conditions = [in_version, GridFeature.level == Level.GRID.value] if has_grids else [in_version]
        rows = self._nearest_candidates(session, conditions, lon, lat)
        if not rows:
            return None
        metres = distances_m([row.geometry for row in rows], lon, lat)
        best = min(range(len(rows)), key=lambda i: (float(metres[i]), rows[i].code))
        return Nearest(feature=feature_from_row(rows[best]), distance_m=float(metres[best]))

    def _nearest_candidates(
        self, session: Session, conditions: Sequence[ColumnElement[bool]], lon: float, lat: float
    ) -> Sequence[GridFeature]:
        """Rows among which the nearest in metres is sure to be: windows growing until one holds a row."""
        if not session.scalar(select(exists().where(*conditions))):
            return []
        point = shapely.Point(lon, lat)
        half = _FIRST_WINDOW_DEG
        rows: Sequence[GridFeature] = []
        while not rows:
            rows = session.scalars(
                select(GridFeature).where(*conditions, self._intersects_bbox(_window(lon, lat, half)))
            ).all()
            half *= 4
        degrees = shapely.distance(np.asarray([r.geometry for r in rows], dtype=object), point)
        reach = float(np.min(degrees)) * degree_window_factor(lat)
        rows = session.scalars(
            select(GridFeature).where(*conditions, self._intersects_bbox(_window(lon, lat, reach)))
        ).all()
        return [r for r in rows if shapely.distance(r.geometry, point) <= reach]
