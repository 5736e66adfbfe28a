"""Incident maps for the viewer: counts per cell (clusters, heat), per area (choropleth), points, and time extent.

The server aggregates so that a map of 200,000 incidents costs a few hundred cells, not 200,000 points.
Cells, area counts and the extent are public like the boundaries (`public_read`): they are counts. Points
need a staff token (worker or above), because one point can show whose house a neighbour dispute is at.
Every endpoint takes the same filters: `category`, `status` (one or several, comma-separated) and the report
period `[since, before)`.

Public callers (no token, or a viewer's) get answers computed from generalised points only, without private
categories: cells at least the generalisation grid a side, placed at their centre, none with fewer than k
incidents (smaller ones merged into coarser cells or withheld, and counted in `withheld`), and area counts
below k withheld (`gridmap.services.public_incidents`, docs/incidents.md). Staff get exact answers.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from gridmap.api.contract import AnswerRoute
from gridmap.api.dependencies import AudienceDep, StaffDep, StoreDep, TaxonomyDep
from gridmap.api.incident_answers import IncidentAreas, IncidentCells, IncidentExtent, IncidentPoints
from gridmap.api.params import Bbox, parse_bbox
from gridmap.api.problems import BadParameter
from gridmap.errors import InvalidInput
from gridmap.geo.hierarchy import Level
from gridmap.incidents.disclosure import withhold_small_areas
from gridmap.incidents.workflow import Status, parse_status
from gridmap.services import incident_map, public_incidents
from gridmap.store.incident_store import IncidentFilter

router = APIRouter(route_class=AnswerRoute, prefix="/incident-map", tags=["incident map"])

CELL_PX = 60  # a cluster covers about this many screen pixels a side
TILE_PX = 256  # Web Mercator: the world is 256 * 2**zoom pixels wide
MAX_ZOOM = 22
MAX_CELLS = 20_000  # cells a bbox may span at the requested size (a large screen holds about 1,000)
DEFAULT_POINTS = 2000
MAX_POINTS = 5000
COORDINATE_DIGITS = 7  # about 1 cm


def _statuses(text: str) -> frozenset[Status]:
    """The statuses named by a comma-separated list."""
    try:
        return frozenset(parse_status(name.strip()) for name in text.split(","))
    except InvalidInput as exc:
        raise BadParameter(f"status: {exc.detail}") from None


def _aware(moment: datetime | None, name: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        msg = f"query parameter {name} needs a time zone offset, e.g. 2026-10-01T00:00:00+08:00"
        raise BadParameter(msg)
    return moment


def incident_filter(
    category: Annotated[str | None, Query(max_length=64, description="A category code, e.g. noise_livestock")] = None,
    status: Annotated[
        str | None, Query(max_length=200, description="Statuses, comma-separated, e.g. reported,accepted")
    ] = None,
    since: Annotated[datetime | None, Query(description="Reported at or after (ISO 8601 with offset)")] = None,
    before: Annotated[datetime | None, Query(description="Reported before (ISO 8601 with offset)")] = None,
) -> IncidentFilter:
    """The filters every incident-map endpoint takes, without the bbox."""
    since, before = _aware(since, "since"), _aware(before, "before")
    if since is not None and before is not None and since >= before:
        msg = f"since ({since.isoformat()}) must come before before ({before.isoformat()})"
        raise BadParameter(msg)
    return IncidentFilter(
        statuses=None if status is None or not status.strip() else _statuses(status),
        category=category or None,
        reported_since=since,
        reported_before=before,
    )


FilterDep = Annotated[IncidentFilter, Depends(incident_filter)]
BboxQuery = Annotated[str | None, Query(description="min lon, min lat, max lon, max lat (WGS-84)")]


def cell_size(zoom: float, cell_px: int = CELL_PX) -> float:
    """Degrees a cell spans at a zoom: `cell_px` screen pixels at the whole zoom level below it."""
    return cell_px * 360.0 / (TILE_PX * 2.0 ** math.floor(zoom))


def snap_to_cells(bbox: Bbox, cell_deg: float) -> Bbox:
    """The bbox grown to whole cells (so that a cell's count never depends on what is in view), within the world."""
    min_x, min_y, max_x, max_y = bbox
    return (
        max(-180.0, math.floor(min_x / cell_deg) * cell_deg),
        max(-90.0, math.floor(min_y / cell_deg) * cell_deg),
        min(180.0, (math.floor(max_x / cell_deg) + 1) * cell_deg),
        min(90.0, (math.floor(max_y / cell_deg) + 1) * cell_deg),
    )


@router.get(
    "/cells",
    summary="Incidents counted per square cell of the view (clusters and heat)",
    response_model=IncidentCells,
)
def incident_cells(
    store: StoreDep,
    shown: AudienceDep,
    where: FilterDep,
    taxonomy: TaxonomyDep,
    bbox: Annotated[str, Query(description="min lon, min lat, max lon, max lat (WGS-84): the view")],
    zoom: Annotated[float, Query(description=f"The map's zoom, 0-{MAX_ZOOM}")],
    cell_px: Annotated[int, Query(description="Screen pixels a cell spans, 8-256")] = CELL_PX,
) -> dict[str, Any]:
    """Count and mean point of the matching incidents per cell; cells are `cell_px` pixels at `zoom`.

    Public answers: cells at least the generalisation grid a side, at their centres, none below k (`withheld`).
    """
    if not (math.isfinite(zoom) and 0 <= zoom <= MAX_ZOOM):
        msg = f"zoom must be a number from 0 to {MAX_ZOOM}, not {zoom}"
        raise BadParameter(msg)
    if not 8 <= cell_px <= 256:
        msg = f"cell_px must be 8-256, not {cell_px}"
        raise BadParameter(msg)
    view = parse_bbox(bbox)
    if view is None:
        msg = "bbox is required: min lon, min lat, max lon, max lat of the view"
        raise BadParameter(msg)
    cell_deg = cell_size(zoom, cell_px)
    if shown is not None:
        # One degree beyond the view: the bbox snapped to whole cells reaches a little poleward of it.
        reach = max(abs(view[1]), abs(view[3])) + 1.0
        cell_deg = public_incidents.min_cell_degrees(cell_deg, shown.location_m, reach)
    snapped = snap_to_cells(view, cell_deg)
    spans = round((snapped[2] - snapped[0]) / cell_deg) * round((snapped[3] - snapped[1]) / cell_deg)
    if spans > MAX_CELLS:
        msg = f"bbox {bbox!r} spans {spans} cells at zoom {zoom}, more than {MAX_CELLS}: zoom out or send the view"
        raise BadParameter(msg)
    cells = incident_map.incident_cells(
        store=store, where=where, shown=shown, taxonomy=taxonomy, bbox=snapped, cell_deg=cell_deg
    )
    answer = {"zoom": zoom, "cell_deg": cell_deg, "bbox": list(snapped), "total": sum(cell.count for cell in cells)}
    if shown is not None:
        public, withheld = public_incidents.public_cells(cells, cell_deg, shown.min_group)
        public_rules = {"withheld": withheld, "min_group": shown.min_group, "generalised_m": shown.location_m}
        return {**answer, **public_rules, "cells": [_rounded(cell) for cell in public]}
    return {
        **answer,
        "cells": [
            {
                "x": cell.x,
                "y": cell.y,
                "count": cell.count,
                "lon": round(cell.lon, COORDINATE_DIGITS),
                "lat": round(cell.lat, COORDINATE_DIGITS),
            }
            for cell in cells
        ],
    }


@router.get(
    "/areas",
    summary="Incidents counted per community, grid or microgrid they were routed to",
    response_model=IncidentAreas,
)
def incident_areas(
    store: StoreDep,
    shown: AudienceDep,
    where: FilterDep,
    taxonomy: TaxonomyDep,
    level: Annotated[Level, Query(description="community, grid or microgrid")] = Level.GRID,
) -> dict[str, Any]:
    """Matching incidents per area code (areas without any are left out; public answers: below k withheld)."""
    counts = incident_map.incident_area_counts(store=store, where=where, shown=shown, taxonomy=taxonomy, level=level)
    total = sum(counts.values())
    if shown is None:
        return {"level": level.value, "total": total, "counts": dict(sorted(counts.items()))}
    public, withheld = withhold_small_areas(counts, shown.min_group)
    return {
        "level": level.value,
        "total": total,
        "withheld": withheld,
        "min_group": shown.min_group,
        "counts": dict(sorted(public.items())),
    }


@router.get(
    "/points",
    summary="Matching incidents as points, newest first (staff: worker or above)",
    response_model=IncidentPoints,
)
def incident_points(
    store: StoreDep,
    staff: StaffDep,
    where: FilterDep,
    bbox: BboxQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_POINTS)] = DEFAULT_POINTS,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of at most `limit` points, with the number matched and whether it was cut.

    Exact points are for staff, within their scope (a worker: their grids); viewers read what the public reads.
    """
    points, matched = incident_map.incident_points(
        store=store, where=where, scope=staff.scope, bbox=parse_bbox(bbox), limit=limit
    )
    features = [
        {
            "type": "Feature",
            "id": point.id,
            "geometry": {
                "type": "Point",
                "coordinates": [round(point.lon, COORDINATE_DIGITS), round(point.lat, COORDINATE_DIGITS)],
            },
            "properties": {
                "id": point.id,
                "category": point.category,
                "status": point.status.value,
                "reported_at": point.reported_at.isoformat(),
            },
        }
        for point in points
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "matched": matched,
        "truncated": matched > len(features),
        "limit": limit,
    }


@router.get(
    "/extent",
    summary="The first and last report time of the matching incidents, and their number",
    response_model=IncidentExtent,
)
def incident_extent(
    store: StoreDep, shown: AudienceDep, where: FilterDep, taxonomy: TaxonomyDep, bbox: BboxQuery = None
) -> dict[str, Any]:
    """The period the matching incidents span (null for none): what the viewer's time slider runs over.

    Times only, never a place; in public answers the bbox holds generalised points, so it cannot pin one down.
    """
    first, last, total = incident_map.incident_extent(
        store=store, where=where, shown=shown, taxonomy=taxonomy, bbox=parse_bbox(bbox)
    )
    return {
        "first": None if first is None else first.isoformat(),
        "last": None if last is None else last.isoformat(),
        "total": total,
    }


def _rounded(cell: dict[str, float]) -> dict[str, float]:
    return {**cell, "lon": round(cell["lon"], COORDINATE_DIGITS), "lat": round(cell["lat"], COORDINATE_DIGITS)}
