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
from sqlalchemy import ColumnElement, Select, exists, func, select
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


def _check_point(lon: float, lat: float) -> None:
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        msg = f"({lon}, {lat}) is not a WGS-84 longitude and latitude"
        raise InvalidInput(msg)


def _window(lon: float, lat: float, half: float) -> Bbox:
    return (lon - half, lat - half, lon + half, lat + half)


def _count(conditions: Sequence[ColumnElement[bool]]) -> Select[int]:
    return select(func.count()).select_from(GridFeature).where(*conditions)


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
    ) -> FeaturePage:
        """Features of a version matching every filter given, by code; bbox is (minx, miny, maxx, maxy)."""
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
        query = select(GridFeature).where(*conditions).order_by(GridFeature.code)
        with self._transaction() as session:
            self._version_row(session, version_id)
            if bbox is None or self.exact_spatial_sql:
                rows = list(session.scalars(query.offset(offset).limit(limit)).all())
                whole = offset == 0 and limit is None  # every match was read: no need to count them apart
                matched = len(rows) if whole else session.scalar(_count(conditions)) or 0
            else:
                candidates = session.scalars(query).all()
                hits = shapely.intersects(
                    np.asarray([r.geometry for r in candidates], dtype=object), shapely.box(*bbox)
                )
                every = [row for row, hit in zip(candidates, hits, strict=True) if hit]
                matched = len(every)
                rows = every[offset : None if limit is None else offset + limit]
            return FeaturePage([feature_from_row(row) for row in rows], matched)

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
