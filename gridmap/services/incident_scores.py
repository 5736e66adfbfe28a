"""Scores of incident handling per grid, worker, community or category over a period, as a table (考核).

The formulas are `gridmap.incidents.scores` (stated in docs/incidents.md, "Scoring"); this module reads the
period's incidents within a dispatcher's scope (filtered in SQL, read with their trails a chunk at a time) and
lays the scores out as columns and rows, for JSON, CSV and XLSX alike. Outcomes only: no patrol mileage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridmap.errors import InvalidInput
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.scores import ScoreBy, ScoreRow, parse_score_by, score
from gridmap.incidents.taxonomy import Taxonomy
from gridmap.io.tables import table_csv, table_xlsx
from gridmap.services.grid_stats import Cell, Column, Kind
from gridmap.services.incident_clock import IncidentRules
from gridmap.store.incident_store import IncidentFilter, IncidentStore

KEY_TITLES = {
    ScoreBy.GRID: "网格 Grid",
    ScoreBy.WORKER: "网格员 Worker",
    ScoreBy.COMMUNITY: "社区 Community",
    ScoreBy.CATEGORY: "类别 Category",
}
SCORE_COLUMNS = (
    Column("reports", "上报 Reports", Kind.COUNT),
    Column("filed", "立案 Filed", Kind.COUNT),
    Column("response_due", "应响应 Responses due", Kind.COUNT),
    Column("responded_on_time", "按时响应 On-time responses", Kind.COUNT),
    Column("response_rate", "按时响应率 Response rate", Kind.SHARE),
    Column("resolution_due", "应处置 Resolutions due", Kind.COUNT),
    Column("resolved_on_time", "按时处置 On-time resolutions", Kind.COUNT),
    Column("resolution_rate", "按时处置率 Resolution rate", Kind.SHARE),
    Column("resolved", "已处置 Resolved", Kind.COUNT),
    Column("reopened", "返工 Reopened", Kind.COUNT),
    Column("reopen_rate", "返工率 Reopen rate", Kind.SHARE),
    Column("rated", "已评价 Rated", Kind.COUNT),
    Column("satisfied", "满意 Satisfied", Kind.COUNT),
    Column("satisfaction_rate", "满意率 Satisfaction rate", Kind.SHARE),
)
RATES = ("response_rate", "resolution_rate", "reopen_rate", "satisfaction_rate")
SHARE_DIGITS = 4
NOTES = (
    "按工作时间计(法定节假日与调休) Computed on working time (China's calendar with adjusted working days)",
    "只评结果，不按巡查里程排名 Outcomes are scored, never patrol mileage",
    "公式见 docs/incidents.md (Scoring) Formulas: docs/incidents.md, Scoring",
)


@dataclass(frozen=True)
class ScoreTable:
    """The scores as a table: its columns (the group's key and name first) and one row per group."""

    by: ScoreBy
    period: tuple[datetime, datetime]
    as_of: datetime
    columns: tuple[Column, ...]
    rows: list[dict[str, Cell]]
    notes: tuple[str, ...] = NOTES

    def header(self) -> list[str]:
        """The column titles."""
        return [column.title for column in self.columns]

    def cells(self) -> list[list[Cell]]:
        """The rows as lists of cells in column order."""
        return [[row.get(column.key) for column in self.columns] for row in self.rows]

    def csv(self) -> bytes:
        """The table as CSV (UTF-8 with a byte-order mark)."""
        return table_csv(self.header(), self.cells())

    def xlsx(self) -> bytes:
        """The table as XLSX: rates as percentages, the period and the notes on a second sheet."""
        start, end = self.period
        notes = [f"期间 period {start.isoformat()} – {end.isoformat()}", f"截至 as of {self.as_of.isoformat()}"]
        shares = [index for index, column in enumerate(self.columns) if column.kind is Kind.SHARE]
        return table_xlsx(self.header(), self.cells(), title="考核 Scores", shares=shares, notes=[*notes, *self.notes])


def incident_scores(
    *,
    store: IncidentStore,
    rules: IncidentRules,
    by: ScoreBy | str,
    period: tuple[datetime, datetime],
    as_of: datetime,
    scope: IncidentScope | None = None,
    community: str | None = None,
) -> ScoreTable:
    """The scores per `by` of the incidents reported in `period` ([start, end)) within `scope`, at `as_of`."""
    group = parse_score_by(by)
    start, end = period
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        msg = "a period needs time-zone-aware start and end, with end after start"
        raise InvalidInput(msg)
    where = IncidentFilter(community_code=community, reported_since=start, reported_before=end, scope=scope)
    scores = score(store.iter_incidents(where), rules.limits, by=group, as_of=as_of)
    names = _category_names(rules.taxonomy) if group is ScoreBy.CATEGORY else {}
    named = (Column("name", "名称 Name", Kind.TEXT),) if names else ()
    columns: tuple[Column, ...] = (Column("key", KEY_TITLES[group], Kind.TEXT), *named, *SCORE_COLUMNS)
    return ScoreTable(group, period, as_of, columns, [_row(row, names) for row in scores])


def _category_names(taxonomy: Taxonomy) -> dict[str, str]:
    return {category.code: f"{category.name_zh} {category.name_en}" for category in taxonomy}


def _row(row: ScoreRow, names: dict[str, str]) -> dict[str, Cell]:
    cells: dict[str, Cell] = {"key": row.key}
    if names:
        cells["name"] = names.get(row.key or "")
    for column in SCORE_COLUMNS:
        value = getattr(row, column.key)
        cells[column.key] = round(value, SHARE_DIGITS) if column.key in RATES and value is not None else value
    return cells
