"""Incident statistics per grid or community and period, from incidents and their audit trails.

Definitions (docs/incidents.md): an incident belongs to the period in which it was reported. Its first
response is the first change by staff after the report (accepting, rejecting or marking it a duplicate);
its resolution is the first time it reached `resolved`. "Handled within 24 h" is the share of incidents
that were not rejected or duplicates and were resolved within 24 hours of the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import pandas as pd

from gridmap.errors import InvalidInput
from gridmap.incidents.model import Incident
from gridmap.incidents.workflow import ActorRole, AuditAction, Status

CHINA_TIME = ZoneInfo("Asia/Shanghai")
HANDLED_WITHIN = timedelta(hours=24)


class GroupBy(StrEnum):
    """The area statistics are grouped by."""

    GRID = "grid"
    COMMUNITY = "community"


@dataclass(frozen=True)
class AreaStats:
    """Statistics of one area over one period; times in hours, None when nothing to measure."""

    area_code: str
    total: int
    by_category: dict[str, int]
    by_status: dict[str, int]
    median_first_response_h: float | None
    median_resolution_h: float | None
    share_within_24h: float | None


def month_period(month: str, *, tz: ZoneInfo = CHINA_TIME) -> tuple[datetime, datetime]:
    """The start (inclusive) and end (exclusive) of a month written YYYY-MM, in local time."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=tz)
    except ValueError:
        msg = f"month {month!r} is not written YYYY-MM (e.g. 2026-10)"
        raise InvalidInput(msg) from None
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def first_response_at(incident: Incident) -> datetime | None:
    """When staff first acted on the incident after its report, or None."""
    for entry in incident.audit:
        if entry.action is AuditAction.TRANSITION and entry.role is not ActorRole.RESIDENT:
            return entry.at
    return None


def resolved_at(incident: Incident) -> datetime | None:
    """When the incident first reached `resolved`, or None."""
    for entry in incident.audit:
        if entry.action is AuditAction.TRANSITION and entry.to_status is Status.RESOLVED:
            return entry.at
    return None


def incident_table(incidents: Sequence[Incident]) -> pd.DataFrame:
    """One row per incident: area codes, category, status and the hours to first response and resolution."""
    rows = []
    for incident in incidents:
        reported = incident.state.reported_at
        response = first_response_at(incident)
        resolution = resolved_at(incident)
        rows.append(
            {
                "id": incident.id,
                "community": incident.community_code,
                "grid": incident.grid_code,
                "category": incident.category,
                "status": incident.state.status.value,
                "reported_at": pd.Timestamp(reported).tz_convert("UTC"),
                "response_h": None if response is None else (response - reported).total_seconds() / 3600.0,
                "resolution_h": None if resolution is None else (resolution - reported).total_seconds() / 3600.0,
            }
        )
    columns = ["id", "community", "grid", "category", "status", "reported_at", "response_h", "resolution_h"]
    table = pd.DataFrame(rows, columns=columns)
    table["response_h"] = table["response_h"].astype("float64")
    table["resolution_h"] = table["resolution_h"].astype("float64")
    return table


def area_stats(incidents: Sequence[Incident], *, by: GroupBy | str, start: datetime, end: datetime) -> list[AreaStats]:
    """Statistics per area for incidents reported in [start, end), areas in code order."""
    group = GroupBy(by)
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        msg = "a period needs time-zone-aware start and end, with end after start"
        raise InvalidInput(msg)
    in_period = [i for i in incidents if start <= i.state.reported_at < end]
    table = incident_table(in_period)
    table = table[table[group.value].notna()]
    results = []
    for code, rows in table.groupby(group.value, sort=True):
        counted = rows[~rows["status"].isin([Status.REJECTED.value, Status.DUPLICATE.value])]
        within = (counted["resolution_h"] <= HANDLED_WITHIN.total_seconds() / 3600.0).sum()
        results.append(
            AreaStats(
                area_code=str(code),
                total=len(rows),
                by_category={str(k): int(v) for k, v in rows["category"].value_counts().sort_index().items()},
                by_status={str(k): int(v) for k, v in rows["status"].value_counts().sort_index().items()},
                median_first_response_h=_median(rows["response_h"]),
                median_resolution_h=_median(rows["resolution_h"]),
                share_within_24h=float(within) / len(counted) if len(counted) else None,
            )
        )
    return results


def _median(values: pd.Series) -> float | None:
    known = values.dropna()
    return float(known.median()) if len(known) else None
