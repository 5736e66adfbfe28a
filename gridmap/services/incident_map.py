"""What the viewer's incident maps count: cells, areas, points and the time extent, as the caller may see them.

Staff (`shown` None) count exact points; anyone else counts by the public's rules (`public_incidents.as_seen`):
the private categories of the deployment's taxonomy left out and the bbox applied to generalised points. Points
are for staff only, within their scope; the API checks the role before it asks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from gridmap.geo.hierarchy import Level
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.disclosure import Disclosure
from gridmap.incidents.taxonomy import Taxonomy
from gridmap.services.public_incidents import as_seen
from gridmap.store.incident_store import IncidentCell, IncidentFilter, IncidentPoint, IncidentStore

# min lon, min lat, max lon, max lat (WGS-84)
Bbox = tuple[float, float, float, float]


def incident_cells(
    *,
    store: IncidentStore,
    where: IncidentFilter,
    shown: Disclosure | None,
    taxonomy: Taxonomy,
    bbox: Bbox,
    cell_deg: float,
) -> list[IncidentCell]:
    """The matching incidents in `bbox` counted per square cell of `cell_deg` degrees, with their mean point."""
    return store.incident_cells(replace(as_seen(where, shown, taxonomy), bbox=bbox), cell_deg)


def incident_area_counts(
    *, store: IncidentStore, where: IncidentFilter, shown: Disclosure | None, taxonomy: Taxonomy, level: Level
) -> dict[str, int]:
    """The matching incidents counted per community, grid or microgrid code they were routed to."""
    return store.incident_area_counts(as_seen(where, shown, taxonomy), level)


def incident_points(
    *, store: IncidentStore, where: IncidentFilter, scope: IncidentScope | None, bbox: Bbox | None, limit: int
) -> tuple[list[IncidentPoint], int]:
    """Up to `limit` matching incidents within a member of staff's scope, newest first; and how many matched."""
    return store.incident_points(replace(where, scope=scope, bbox=bbox), limit)


def incident_extent(
    *, store: IncidentStore, where: IncidentFilter, shown: Disclosure | None, taxonomy: Taxonomy, bbox: Bbox | None
) -> tuple[datetime | None, datetime | None, int]:
    """The first and last report time of the matching incidents (None when none match), and their number."""
    return store.incident_extent(replace(as_seen(where, shown, taxonomy), bbox=bbox))


def rebuild_incident_counts(*, store: IncidentStore) -> int:
    """Count every stored incident again into the incident map's kept counts; the number of count rows."""
    return store.rebuild_incident_counts()
