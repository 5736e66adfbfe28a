"""Allowed exceptions: gaps and overlaps a boundary set keeps on purpose, and the rule that lists them as allowed.

A river between two communities, the county's outer perimeter, an overlay grid that may overlap the base
grids of its community: each is registered with a WGS-84 area and a reason. The check does not drop the
problems they explain: it lists them with severity `info` and `details.allowed_by`, so nothing is hidden,
and they never fail a check, not even a strict one. `gridmap fix` leaves the area inside them as it was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.errors import InvalidInput
from gridmap.geo.coverage import polygonal_parts
from gridmap.geo.crs import LocalMetres
from gridmap.geo.problems import Problem, ProblemKind, Severity

# m: a problem counts as inside an exception when it lies within this distance of the registered area, so
# that an area drawn along a river bank by hand still holds the gap the check computes from the grids.
ALLOWED_TOLERANCE_M = 1.0
REASON_MAX_LENGTH = 500
CODE_MAX_LENGTH = 32


class ExceptionKind(StrEnum):
    """What an exception allows: a gap (no feature covers the area) or an overlap (features share it)."""

    GAP = "gap"
    OVERLAP = "overlap"


_PROBLEM_KIND = {ExceptionKind.GAP: ProblemKind.GAP, ExceptionKind.OVERLAP: ProblemKind.OVERLAP}


@dataclass(frozen=True)
class AllowedException:
    """One registered gap or overlap: where (WGS-84 polygonal), why, and for overlaps which features.

    `outside` turns the area inside out: everything outside `geometry` is allowed (the county's outer
    perimeter: the outline goes in, and whatever the check finds beyond it is listed as allowed).
    `id` is the stored id, or the feature's position (from 1) in an --allow file.
    """

    kind: ExceptionKind
    geometry: BaseGeometry
    reason: str
    codes: tuple[str, ...] = ()
    outside: bool = False
    id: int | None = None
    allowed_by: str | None = None  # who registered it (a person: not in public answers or reports)
    allowed_at: datetime | None = None

    def reference(self) -> dict[str, Any]:
        """What a report says about the exception that allows a problem: its id, kind and reason."""
        return {"id": self.id, "kind": self.kind.value, "reason": self.reason}

    def applies_to(self, kind: ProblemKind, codes: Sequence[str]) -> bool:
        """True when a problem of this kind and these codes may be allowed here (wherever it lies).

        An overlap exception with codes allows only overlaps that involve at least one of them (an overlay
        grid's code allows its overlaps with any base grid); without codes it allows every overlap.
        """
        if kind is not _PROBLEM_KIND[self.kind]:
            return False
        return not self.codes or bool(set(self.codes) & set(codes))

    def to_geojson(self, *, with_author: bool) -> dict[str, Any]:
        """The exception as a GeoJSON Feature; who registered it only `with_author` (a person's name)."""
        properties: dict[str, Any] = {
            "kind": self.kind.value,
            "reason": self.reason,
            "codes": list(self.codes),
            "outside": self.outside,
            "allowed_at": None if self.allowed_at is None else self.allowed_at.isoformat(),
        }
        if with_author:
            properties["allowed_by"] = self.allowed_by
        return {
            "type": "Feature",
            "id": self.id,
            "geometry": shapely.geometry.mapping(self.geometry),
            "properties": properties,
        }


def allowed_exception(
    *,
    kind: str,
    geometry: BaseGeometry | Mapping[str, Any] | None,
    reason: str,
    codes: Sequence[str] = (),
    outside: bool = False,
    id: int | None = None,
    allowed_by: str | None = None,
    allowed_at: datetime | None = None,
) -> AllowedException:
    """A validated exception; InvalidInput saying what to change when the kind, area, reason or codes are wrong.

    The geometry (a shapely object or a GeoJSON geometry mapping) must be a valid WGS-84 Polygon or
    MultiPolygon; the reason must say why; codes are given only for overlaps.
    """
    try:
        exception_kind = ExceptionKind(kind)
    except ValueError:
        msg = f"an allowed exception's kind is gap or overlap, not {kind!r}"
        raise InvalidInput(msg) from None
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        msg = "an allowed exception needs a reason (e.g. 'the Aoyang river between 城东 and 大同')"
        raise InvalidInput(msg)
    if len(reason) > REASON_MAX_LENGTH:
        msg = f"an allowed exception's reason is longer than {REASON_MAX_LENGTH} characters"
        raise InvalidInput(msg)
    cleaned = tuple(dict.fromkeys(str(code).strip() for code in codes))
    if any(not code or len(code) > CODE_MAX_LENGTH for code in cleaned):
        msg = f"an allowed exception's codes must be feature codes of 1 to {CODE_MAX_LENGTH} characters"
        raise InvalidInput(msg)
    if cleaned and exception_kind is ExceptionKind.GAP:
        msg = "codes name the features allowed to overlap; a gap exception takes none"
        raise InvalidInput(msg)
    return AllowedException(
        kind=exception_kind,
        geometry=_wgs84_area(geometry),
        reason=reason,
        codes=cleaned,
        outside=bool(outside),
        id=id,
        allowed_by=allowed_by,
        allowed_at=allowed_at,
    )


def _wgs84_area(geometry: BaseGeometry | Mapping[str, Any] | None) -> BaseGeometry:
    """The geometry as a valid 2D Polygon or MultiPolygon in lon/lat; InvalidInput otherwise."""
    if isinstance(geometry, Mapping):
        try:
            geometry = shapely.geometry.shape(dict(geometry))
        except (AttributeError, KeyError, TypeError, ValueError, IndexError, shapely.errors.ShapelyError):
            msg = "an allowed exception's geometry is not a GeoJSON geometry"
            raise InvalidInput(msg) from None
    if not isinstance(geometry, BaseGeometry) or geometry.is_empty:
        msg = "an allowed exception needs an area: a GeoJSON Polygon or MultiPolygon"
        raise InvalidInput(msg)
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        msg = f"an allowed exception's geometry is a {geometry.geom_type}; draw the area as a Polygon or MultiPolygon"
        raise InvalidInput(msg)
    if not shapely.is_valid(geometry):
        msg = f"an allowed exception's area is not valid: {shapely.is_valid_reason(geometry)}"
        raise InvalidInput(msg)
    min_x, min_y, max_x, max_y = geometry.bounds
    if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
        msg = "an allowed exception's coordinates are not WGS-84 lon/lat (RFC 7946 GeoJSON)"
        raise InvalidInput(msg)
    shape: BaseGeometry = shapely.force_2d(geometry)
    return shape


def allowing(
    geometries: Sequence[BaseGeometry | None],
    kinds: Sequence[ProblemKind],
    codes: Sequence[Sequence[str]],
    exceptions: Sequence[AllowedException],
    *,
    tolerance_m: float = ALLOWED_TOLERANCE_M,
) -> list[AllowedException | None]:
    """For each problem area (WGS-84; None for problems without one), the first exception that allows it, or None.

    A problem is allowed when the exception applies to its kind and codes and the problem lies within the
    exception's area grown by `tolerance_m` (for an `outside` exception: meets no point deeper than
    `tolerance_m` inside the area). Distances are measured in local metres around the data.
    """
    found: list[AllowedException | None] = [None] * len(geometries)
    if not exceptions or not geometries:
        return found
    shapes = np.asarray(geometries, dtype=object)
    present = ~shapely.is_missing(shapes) & ~shapely.is_empty(shapes)
    if not present.any():
        return found
    areas = np.array([e.geometry for e in exceptions], dtype=object)
    local = LocalMetres(*(float(b) for b in shapely.total_bounds(np.concatenate([shapes[present], areas]))))
    metric = np.full(len(shapes), None, dtype=object)
    metric[present] = local.to_local(shapes[present])
    for exception, area in zip(exceptions, local.to_local(areas), strict=True):
        candidates = [
            i for i in np.flatnonzero(present).tolist() if found[i] is None and exception.applies_to(kinds[i], codes[i])
        ]
        if not candidates:
            continue
        inside = _within(area, metric[candidates], outside=exception.outside, tolerance_m=tolerance_m)
        for i, allowed in zip(candidates, inside.tolist(), strict=True):
            if allowed:
                found[i] = exception
    return found


def _within(
    area: BaseGeometry, shapes: npt.NDArray[np.object_], *, outside: bool, tolerance_m: float
) -> npt.NDArray[np.bool_]:
    """Which local-metre shapes lie in the (local-metre) area grown by the tolerance, or outside it shrunk by it."""
    if outside:
        core = shapely.buffer(area, -tolerance_m)
        shapely.prepare(core)
        result: npt.NDArray[np.bool_] = ~shapely.intersects(core, shapes)
        return result
    grown = shapely.buffer(area, tolerance_m)
    shapely.prepare(grown)
    covered: npt.NDArray[np.bool_] = shapely.covers(grown, shapes)
    return covered


def mark_allowed(
    problems: Sequence[Problem],
    exceptions: Sequence[AllowedException],
    *,
    tolerance_m: float = ALLOWED_TOLERANCE_M,
) -> list[Problem]:
    """The problems, with every gap and overlap an exception allows turned into info naming it (never dropped)."""
    allowed = allowing(
        [p.geometry for p in problems],
        [p.kind for p in problems],
        [p.codes for p in problems],
        exceptions,
        tolerance_m=tolerance_m,
    )
    return [
        problem
        if exception is None
        else replace(problem, severity=Severity.INFO, details={**problem.details, "allowed_by": exception.reference()})
        for problem, exception in zip(problems, allowed, strict=True)
    ]


def is_allowed(problem: Problem) -> bool:
    """True for a problem an allowed exception explains (listed, never failing)."""
    return "allowed_by" in problem.details


def keep_allowed_areas(
    before: npt.NDArray[np.object_],
    after: npt.NDArray[np.object_],
    codes: Sequence[str],
    exceptions: Sequence[AllowedException],
) -> npt.NDArray[np.object_]:
    """Repaired features (WGS-84) with every change inside an allowed exception's area undone.

    A repair fills gaps and hands overlaps to one side; where an exception allows the gap or overlap,
    each feature gets back exactly what it had there (`after - area | before & area`). Gap exceptions
    apply to every feature, overlap exceptions to the features they name (all when they name none).
    Features the repair did not change are returned as they are.
    """
    kept = after.copy()
    if not exceptions:
        return kept
    changed = np.flatnonzero(~shapely.equals(before, after)).tolist()
    if not changed:
        return kept
    frame = shapely.box(*shapely.total_bounds(np.concatenate([before, after, [e.geometry for e in exceptions]])))
    frame = shapely.buffer(frame, 1.0)  # a degree around everything: the "outside" of an outline, made finite
    for i in changed:
        zones = [
            shapely.difference(frame, e.geometry) if e.outside else e.geometry
            for e in exceptions
            if e.kind is ExceptionKind.GAP or not e.codes or codes[i] in e.codes
        ]
        if not zones:
            continue
        zone = shapely.union_all(zones)
        restored = shapely.union(shapely.difference(after[i], zone), shapely.intersection(before[i], zone))
        parts = polygonal_parts(restored, 0.0)
        kept[i] = shapely.Polygon() if not parts else parts[0] if len(parts) == 1 else shapely.union_all(parts)
    return kept
