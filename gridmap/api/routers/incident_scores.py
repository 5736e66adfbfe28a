"""Scores of incident handling (考核) per grid, worker, community or category over a period, for dispatchers:
JSON, or the same table as CSV or XLSX. The formulas: docs/incidents.md, "Scoring".

A planner or admin reads them within their scope (a scoped dispatcher: their community's or street's incidents),
as the other incident routes do; workers are scored, they do not read each other's scores.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from gridmap.api.answers import Answer, binary_answer
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import IncidentRulesDep, PlannerDep, StoreDep, VersionsDep
from gridmap.api.params import parse_period
from gridmap.api.problems import BadParameter
from gridmap.api.routers.grid_stats import CSV_TYPE, XLSX_TYPE, StatsColumn, StatsPeriod, TableFormat, table_download
from gridmap.incidents.scores import ScoreBy
from gridmap.services import incident_access
from gridmap.services.incident_scores import ScoreTable, incident_scores

router = APIRouter(route_class=AnswerRoute, tags=["incidents"])


class IncidentScores(Answer):
    """One row per group: counts and the rates (shares 0-1, null when nothing was due), with notes."""

    by: ScoreBy
    period: StatsPeriod
    as_of: str
    columns: list[StatsColumn]
    rows: list[dict[str, str | int | float | None]]
    notes: list[str]


@router.get(
    "/incident-scores",
    summary="Scores of incident handling per grid, worker, community or category over a period (planners)",
    response_model=IncidentScores,
    responses={
        **errors(400, 401, 403),
        **binary_answer(CSV_TYPE, XLSX_TYPE, description="The table: JSON, or a file with format=csv or xlsx"),
    },
)
def scores(
    store: StoreDep,
    versions: VersionsDep,
    rules: IncidentRulesDep,
    user: PlannerDep,
    by: Annotated[ScoreBy, Query(description="grid, worker, community or category")] = ScoreBy.GRID,
    month: Annotated[str | None, Query(max_length=7, description="Incidents reported in YYYY-MM (China time)")] = None,
    since: Annotated[datetime | None, Query(description="Reported at or after (ISO 8601 with offset)")] = None,
    before: Annotated[datetime | None, Query(description="Reported before (ISO 8601 with offset)")] = None,
    community: Annotated[str | None, Query(max_length=32, description="Only this community's incidents")] = None,
    table_format: Annotated[
        TableFormat, Query(alias="format", description="json, csv (UTF-8 with BOM) or xlsx")
    ] = TableFormat.JSON,
) -> Any:
    """Reports, filed, on-time responses and resolutions, reopened and satisfied, and their rates, per group."""
    period = parse_period(month, since, before)
    if period is None:
        msg = "give the period: month=YYYY-MM, or both since and before (ISO 8601 with offset)"
        raise BadParameter(msg)
    table = incident_scores(
        store=store,
        rules=rules,
        by=by,
        period=period,
        as_of=datetime.now(UTC),
        scope=incident_access.staff_scope(versions, user),
        community=community,
    )
    name = f"incident-scores-{by.value}-{period[0].date().isoformat()}"
    if table_format is TableFormat.CSV:
        return table_download(table.csv(), CSV_TYPE, f"{name}.csv")
    if table_format is TableFormat.XLSX:
        return table_download(table.xlsx(), XLSX_TYPE, f"{name}.xlsx")
    return _json(table)


def _json(table: ScoreTable) -> dict[str, Any]:
    start, end = table.period
    return {
        "by": table.by.value,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "as_of": table.as_of.isoformat(),
        "columns": [{"key": c.key, "title": c.title, "kind": c.kind.value} for c in table.columns],
        "rows": table.rows,
        "notes": list(table.notes),
    }
