"""One community's incidents over one month, for its meeting: the grids, the incidents and their statistics.

The statistics come from `services.incidents.area_statistics` (per grid and for the whole community), so the
report shows the numbers the API gives; the boundaries are the published version's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gridmap.errors import NotFound
from gridmap.geo.hierarchy import Level
from gridmap.incidents.model import Incident
from gridmap.incidents.stats import AreaStats, GroupBy, month_period
from gridmap.services.boundaries import DEFAULT_SET, published_version
from gridmap.services.incidents import area_statistics
from gridmap.store.incident_store import IncidentFilter, IncidentStore
from gridmap.store.version_store import Feature, VersionInfo, VersionStore

KNOWN_SHOWN = 5  # communities named when the code given is unknown


class IncidentVersionStore(IncidentStore, VersionStore, Protocol):
    """The incidents and the published boundary version a monthly report groups them by."""


@dataclass(frozen=True)
class CommunityMonth:
    """What a community's monthly report shows: its boundary and grids, the month's incidents and statistics."""

    version: VersionInfo
    community: Feature
    grids: list[Feature]
    month: str
    start: datetime
    end: datetime
    incidents: list[Incident]
    grid_stats: dict[str, AreaStats]  # by grid code; grids without incidents are absent
    total: AreaStats | None  # the whole community; None when the month had no incidents


def community_month(
    store: IncidentVersionStore, *, community: str, month: str, set_name: str = DEFAULT_SET
) -> CommunityMonth:
    """The report's content; InvalidInput for a bad month, NotFound for an unknown community or no published version."""
    start, end = month_period(month)
    version = published_version(store, set_name)
    found = store.features(version.id, level=Level.COMMUNITY, code=community).features
    if not found:
        known = store.features(version.id, level=Level.COMMUNITY, limit=KNOWN_SHOWN)
        names = ", ".join(f"{f.code} {f.name}" for f in known.features)
        more = f" ({known.number_matched} in all)" if known.number_matched > KNOWN_SHOWN else ""
        msg = (
            f"there is no community {community!r} in the published version {version.id} of {set_name!r}; "
            f"known communities: {names or 'none'}{more}"
        )
        raise NotFound(msg)
    grids = store.features(version.id, level=Level.GRID, parent=community).features
    where = IncidentFilter(community_code=community, reported_since=start, reported_before=end)
    incidents = list(store.iter_incidents(where))
    by_grid = area_statistics(store, by=GroupBy.GRID, start=start, end=end, community=community)
    by_community = area_statistics(store, by=GroupBy.COMMUNITY, start=start, end=end, community=community)
    return CommunityMonth(
        version=version,
        community=found[0],
        grids=grids,
        month=month,
        start=start,
        end=end,
        incidents=incidents,
        grid_stats={stats.area_code: stats for stats in by_grid},
        total=next((s for s in by_community if s.area_code == community), None),
    )
