"""Statistics per community, grid or microgrid as one table: JSON rows, or the same as CSV or XLSX.

Household figures are for planners and admins (`services.grid_stats.may_see_households`); incident figures
follow `public_read` as `/incidents/stats` does; life-circle completeness is the analysis `/lifecircle/coverage`
serves. An answer may start a life-circle analysis (about a second when it is not kept), so callers without a
token take a token from their address's bucket of costly requests, as the life-circle routes do.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from gridmap.api.answers import Answer, binary_answer
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import CostlyReaderDep, SettingsDep, StoreDep, VersionsDep, readable_version
from gridmap.api.params import MAX_ID, parse_bbox, parse_period
from gridmap.api.routers.lifecircle import _towns as lifecircle_towns
from gridmap.geo.hierarchy import Level
from gridmap.io.tables import table_csv, table_xlsx
from gridmap.services.grid_stats import GridStats, Kind, StatsQuery, grid_statistics

router = APIRouter(route_class=AnswerRoute, tags=["statistics"])

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableFormat(StrEnum):
    """How the table is served."""

    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


class StatsColumn(Answer):
    """A column: the key of its values in each row, its title (Chinese and English) and how its values read."""

    key: str
    title: str
    kind: Kind


class StatsPeriod(Answer):
    """The incidents' period, [start, end); null start and end: all time."""

    start: str | None
    end: str | None


class GridStatsAnswer(Answer):
    """One row per area, with the columns the caller may see and the data can give; notes say what was left out."""

    version_id: int
    level: str
    period: StatsPeriod
    columns: list[StatsColumn]
    rows: list[dict[str, str | int | float | None]]
    notes: list[str]
    sources: dict[str, str] = Field(default_factory=dict)


@router.get(
    "/grid-stats",
    summary="Households, incidents and life-circle completeness per community, grid or microgrid",
    response_model=GridStatsAnswer,
    responses={
        **errors(404, 429),
        **binary_answer(CSV_TYPE, XLSX_TYPE, description="The table: JSON, or a file with format=csv or xlsx"),
    },
)
def grid_stats(
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    versions: VersionsDep,
    user: CostlyReaderDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Boundary version; default: published")] = None,
    level: Annotated[Level | None, Query(description="community, grid or microgrid; default: grid")] = None,
    bbox: Annotated[str | None, Query(max_length=200, description="Only areas meeting minx,miny,maxx,maxy")] = None,
    community: Annotated[str | None, Query(max_length=32, description="Only this community's areas")] = None,
    month: Annotated[str | None, Query(max_length=7, description="Incidents reported in YYYY-MM (China time)")] = None,
    since: Annotated[datetime | None, Query(description="Incidents reported at or after (ISO 8601, offset)")] = None,
    before: Annotated[datetime | None, Query(description="Incidents reported before (ISO 8601, offset)")] = None,
    lifecircle: Annotated[bool, Query(description="Add life-circle completeness (an analysis)")] = True,
    table_format: Annotated[
        TableFormat, Query(alias="format", description="json, csv (UTF-8 with BOM) or xlsx")
    ] = TableFormat.JSON,
) -> Any:
    """The table of the areas asked for (every area of `level`, those meeting `bbox`, a community's children)."""
    boundary_version = readable_version(versions, version, user)
    query = StatsQuery(
        level=level or Level.GRID, bbox=parse_bbox(bbox), community=community, period=parse_period(month, since, before)
    )
    towns = lifecircle_towns(request, settings, store) if lifecircle else None
    stats = grid_statistics(store=store, version=boundary_version, query=query, user=user, towns=towns)
    if table_format is TableFormat.JSON:
        return _json(stats)
    header = [column.title for column in stats.columns]
    rows = [[row.get(column.key) for column in stats.columns] for row in stats.rows]
    name = f"grid-stats-v{stats.version_id}-{stats.level.value}"
    if table_format is TableFormat.CSV:
        return table_download(table_csv(header, rows), CSV_TYPE, f"{name}.csv")
    shares = [i for i, column in enumerate(stats.columns) if column.kind is Kind.SHARE]
    notes = [f"版本 version {stats.version_id}", *stats.notes]
    body = table_xlsx(header, rows, title="统计 Statistics", shares=shares, notes=notes)
    return table_download(body, XLSX_TYPE, f"{name}.xlsx")


def _json(stats: GridStats) -> dict[str, Any]:
    start, end = stats.period or (None, None)
    return {
        "version_id": stats.version_id,
        "level": stats.level.value,
        "period": {"start": start and start.isoformat(), "end": end and end.isoformat()},
        "columns": [{"key": c.key, "title": c.title, "kind": c.kind.value} for c in stats.columns],
        "rows": stats.rows,
        "notes": stats.notes,
        "sources": stats.sources,
    }


def table_download(body: bytes, media_type: str, filename: str) -> Response:
    """A file to save as `filename` (the tables of this router and of the incident scores)."""
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
