"""Statistics per community, grid or microgrid: households, incidents and life-circle completeness in one table.

Each figure is the one another part of the API gives, computed by the same function: households from
`services.households.household_counts_of_level` (as `GET /household-counts`), incidents from
`incidents.stats.area_stats` (as `GET /incidents/stats`), completeness from the life-circle analysis (as
`GET /lifecircle/coverage`). What the data cannot give is left out with a note rather than guessed:

- household figures (households, people, elderly living alone) are planner data: callers below the planner
  role get none, and a store whose register is empty gets none either (all zeros would read as "no one lives
  here");
- overdue incidents: the incident model has no due date, so nothing can be overdue; the on-time rate is the
  statistics' "handled within 24 h" share;
- life-circle completeness needs the streets and facilities files; without them it is left out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.hierarchy import Level
from gridmap.geo.lifecircle_levels import LEVEL_MINUTES
from gridmap.geo.network import DEFAULT_WALKING_SPEED
from gridmap.incidents.model import Incident
from gridmap.incidents.stats import AreaStats, GroupBy, area_stats
from gridmap.incidents.workflow import OPEN_STATUSES
from gridmap.services.households import household_counts_of_level
from gridmap.services.lifecircle_towns import TownCache
from gridmap.services.users import has_role
from gridmap.store.account_store import Role, UserInfo
from gridmap.store.household_store import HouseholdVersionStore
from gridmap.store.incident_store import IncidentFilter, IncidentStore
from gridmap.store.version_store import Feature, VersionInfo

Bbox = tuple[float, float, float, float]
Cell = str | int | float | None
ALL_TIME = (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
CHILD_LEVELS = {Level.COMMUNITY: (), Level.GRID: (Level.GRID,), Level.MICROGRID: (Level.GRID, Level.MICROGRID)}
SHARE_DIGITS = 4  # shares are rounded as /lifecircle/coverage rounds them
NO_REGISTER = "未加载住户登记 no household register loaded: household figures are left out"
HOUSEHOLDS_FOR_PLANNERS = "household figures are planner data: sign in as a planner or admin to see them"
NO_OVERDUE = "overdue incidents are not counted: the incident model has no due date"
LIFECIRCLE_MISSING = "life-circle completeness is left out: the streets or facilities files are missing or unreadable"


class Kind(StrEnum):
    """How a column's values read: text, a count, or a share from 0 to 1."""

    TEXT = "text"
    COUNT = "count"
    SHARE = "share"


@dataclass(frozen=True)
class Column:
    """One column of the table: its key in each row, its bilingual title and how its values read."""

    key: str
    title: str
    kind: Kind


AREA_COLUMNS = (
    Column("code", "编码 Code", Kind.TEXT),
    Column("name", "名称 Name", Kind.TEXT),
    Column("level", "层级 Level", Kind.TEXT),
    Column("parent", "上级 Parent", Kind.TEXT),
    Column("households_target", "目标户数 Target households", Kind.COUNT),
)
HOUSEHOLD_COLUMNS = (
    Column("households", "户数 Households", Kind.COUNT),
    Column("people", "人数 People", Kind.COUNT),
    Column("elderly_alone", "独居老人 Elderly living alone", Kind.COUNT),
)
INCIDENT_COLUMNS = (
    Column("incidents", "事件 Incidents", Kind.COUNT),
    Column("incidents_open", "未办结 Open", Kind.COUNT),
    Column("on_time_rate", "24小时办结率 Handled within 24 h", Kind.SHARE),
)
LIFECIRCLE_COLUMNS = tuple(
    Column(f"complete_{m}", f"{m}分钟生活圈完整度 {m}-min completeness", Kind.SHARE) for m in LEVEL_MINUTES
)


class GridStatsStore(HouseholdVersionStore, IncidentStore, Protocol):
    """Boundary versions, the household register placed in them, and incidents."""


@dataclass(frozen=True)
class StatsQuery:
    """Which areas: every feature of `level`, or those meeting `bbox` (WGS-84), or the children of `community`
    at `level` (the community itself at the community level); incidents reported in `period` ([start, end),
    None: all time)."""

    level: Level = Level.GRID
    bbox: Bbox | None = None
    community: str | None = None
    period: tuple[datetime, datetime] | None = None


@dataclass(frozen=True)
class GridStats:
    """The table: its columns (only those the caller may see and the data can give), one row per area in code
    order, and notes saying what was left out and why."""

    version_id: int
    level: Level
    period: tuple[datetime, datetime] | None
    columns: tuple[Column, ...]
    rows: list[dict[str, Cell]]
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


def may_see_households(user: UserInfo | None) -> bool:
    """Whether the caller sees household figures: planners and admins (the viewer and the public do not)."""
    return has_role(user, Role.PLANNER)


def grid_statistics(
    *,
    store: GridStatsStore,
    version: VersionInfo,
    query: StatsQuery,
    user: UserInfo | None,
    towns: TownCache | None = None,
    speed: float = DEFAULT_WALKING_SPEED,
) -> GridStats:
    """The statistics table of the areas `query` names in `version`; life circles only when `towns` is given."""
    areas = _areas(store, version, query)
    rows: list[dict[str, Cell]] = [
        {
            "code": f.code,
            "name": f.name,
            "level": query.level.value,
            "parent": f.parent,
            "households_target": f.households_target,
        }
        for f in areas
    ]
    stats = GridStats(version.id, query.level, query.period, AREA_COLUMNS, rows)
    stats = _with_households(stats, store, version, user)
    stats = _with_incidents(stats, store, query)
    if towns is not None:
        stats = _with_lifecircle(stats, towns, version, speed)
    return stats


def _areas(store: GridStatsStore, version: VersionInfo, query: StatsQuery) -> list[Feature]:
    """The features the query names, in code order; NotFound for a community the version lacks."""
    features = store.features(version.id, level=query.level, bbox=query.bbox).features
    if query.community is None:
        return features
    found = store.features(version.id, code=query.community, level=Level.COMMUNITY).features
    if not found:
        msg = f"boundary version {version.id} has no community {query.community!r}"
        raise NotFound(msg)
    # Down the hierarchy by parent: the community's grids, then their microgrids, to the level asked for.
    inside = {query.community}
    for level in CHILD_LEVELS[query.level]:
        inside |= {f.code for f in store.features(version.id, level=level).features if f.parent in inside}
    return [f for f in features if f.code in inside]


def _with_households(
    stats: GridStats, store: HouseholdVersionStore, version: VersionInfo, user: UserInfo | None
) -> GridStats:
    """The household columns, for planners when the register holds households; else a note why not."""
    if not may_see_households(user):
        return dataclasses.replace(stats, notes=[*stats.notes, HOUSEHOLDS_FOR_PLANNERS])
    if store.household_revision()[0] == 0:
        return dataclasses.replace(stats, notes=[*stats.notes, NO_REGISTER])
    counts = {c.code: c for c in household_counts_of_level(store, version, stats.level)}
    for row in stats.rows:
        found = counts[str(row["code"])]
        row.update(households=found.households, people=found.people, elderly_alone=found.elderly_alone)
    return dataclasses.replace(stats, columns=(*stats.columns, *HOUSEHOLD_COLUMNS))


def _with_incidents(stats: GridStats, store: IncidentStore, query: StatsQuery) -> GridStats:
    """The incident columns: reported in the period, still open, and handled within 24 h (`area_stats`)."""
    start, end = query.period or ALL_TIME
    where = IncidentFilter(
        community_code=query.community,
        reported_since=None if query.period is None else start,
        reported_before=None if query.period is None else end,
    )
    by_area = {s.area_code: s for s in incident_area_stats(list(store.iter_incidents(where)), query.level, start, end)}
    for row in stats.rows:
        found = by_area.get(str(row["code"]))
        row.update(
            incidents=found.total if found else 0,
            incidents_open=sum(found.by_status.get(s.value, 0) for s in OPEN_STATUSES) if found else 0,
            on_time_rate=found.share_within_24h if found else None,
        )
    return dataclasses.replace(stats, columns=(*stats.columns, *INCIDENT_COLUMNS), notes=[*stats.notes, NO_OVERDUE])


def incident_area_stats(incidents: Sequence[Incident], level: Level, start: datetime, end: datetime) -> list[AreaStats]:
    """`area_stats` per area of `level`: it groups by grid or community, so for microgrids each incident is
    presented with its microgrid in the grid's place (a microgrid lies in one grid: nothing is mixed)."""
    if level is Level.COMMUNITY:
        return area_stats(incidents, by=GroupBy.COMMUNITY, start=start, end=end)
    if level is Level.MICROGRID:
        incidents = [dataclasses.replace(i, grid_code=i.microgrid_code) for i in incidents]
    return area_stats(incidents, by=GroupBy.GRID, start=start, end=end)


def _with_lifecircle(stats: GridStats, towns: TownCache, version: VersionInfo, speed: float) -> GridStats:
    """Completeness at 5, 10 and 15 minutes per area (None for an area without households in the analysis)."""
    try:
        analysis = towns.get(version, speed)
    except (NotFound, InvalidInput):
        return dataclasses.replace(stats, notes=[*stats.notes, LIFECIRCLE_MISSING])
    table = analysis.town.coverage(stats.level.value)
    shares = {minutes: table[f"complete_{minutes}"].to_dict() for minutes in LEVEL_MINUTES}
    for row in stats.rows:
        for minutes in LEVEL_MINUTES:
            share = shares[minutes].get(str(row["code"]))
            row[f"complete_{minutes}"] = None if share is None else round(float(share), SHARE_DIGITS)
    sources = {f"lifecircle_{key}": value for key, value in analysis.sources.items()}
    return dataclasses.replace(
        stats, columns=(*stats.columns, *LIFECIRCLE_COLUMNS), sources={**stats.sources, **sources}
    )
