"""Statistics per grid and community: counts, medians of response and resolution, share within 24 h."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridmap.errors import InvalidInput
from gridmap.incidents.model import Channel, Incident
from gridmap.incidents.stats import CHINA_TIME, GroupBy, area_stats, month_period
from gridmap.incidents.workflow import Status, report, transition

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
PATH = [Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]


def incident(
    number: int, *, grid: str, category: str, hours: list[float], to: list[Status] | None = None, at: datetime = T0
) -> Incident:
    """An incident reported at `at` and moved along `to` at the given hours after the report."""
    state, entry = report(actor="r", role="resident", at=at)
    trail = [entry]
    for step_hours, target in zip(hours, to or PATH, strict=False):
        state, entry = transition(
            state, target, actor="w", role="admin", at=at + timedelta(hours=step_hours), note="n", duplicate_of="x"
        )
        trail.append(entry)
    return Incident(
        id=f"I-{number}",
        category=category,
        description="",
        lon=119.5,
        lat=27.46,
        channel=Channel.APP,
        reporter="r",
        state=state,
        audit=tuple(trail),
        community_code=grid[:12],
        grid_code=grid,
    )


G1, G2 = "350924100001001", "350924100001002"
G3 = "350924100002001"


def sample() -> list[Incident]:
    return [
        incident(1, grid=G1, category="other", hours=[1, 2, 3, 10, 30]),  # resolved in 10 h
        incident(2, grid=G1, category="other", hours=[3, 4, 5, 30]),  # resolved in 30 h
        incident(3, grid=G1, category="customs", hours=[2]),  # accepted only
        incident(4, grid=G1, category="customs", hours=[1], to=[Status.REJECTED]),  # not counted in the share
        incident(5, grid=G2, category="other", hours=[]),  # untouched
        incident(6, grid=G3, category="other", hours=[0.5, 1, 2, 20]),
        incident(7, grid=G1, category="other", hours=[1], at=T0 + timedelta(days=40)),  # another month
    ]


def test_per_grid_counts_medians_and_share() -> None:
    start, end = month_period("2026-10")
    by_grid = {s.area_code: s for s in area_stats(sample(), by="grid", start=start, end=end)}
    assert list(by_grid) == [G1, G2, G3]
    g1 = by_grid[G1]
    assert g1.total == 4
    assert g1.by_category == {"customs": 2, "other": 2}
    assert g1.by_status == {"accepted": 1, "closed": 1, "rejected": 1, "resolved": 1}
    assert g1.median_first_response_h == pytest.approx(1.5)  # 1, 3, 2, 1
    assert g1.median_resolution_h == pytest.approx(20.0)  # 10 and 30
    assert g1.share_within_24h == pytest.approx(1 / 3)  # 1 of 3 (the rejected one is left out)
    g2 = by_grid[G2]
    assert (g2.total, g2.median_first_response_h, g2.median_resolution_h, g2.share_within_24h) == (1, None, None, 0.0)


def test_per_community() -> None:
    start, end = month_period("2026-10")
    result = area_stats(sample(), by=GroupBy.COMMUNITY, start=start, end=end)
    assert [(s.area_code, s.total) for s in result] == [("350924100001", 5), ("350924100002", 1)]
    assert result[1].share_within_24h == 1.0


def test_empty_and_bad_periods() -> None:
    start, end = month_period("2026-12")
    assert end.year == 2027
    assert end.month == 1
    assert start.tzinfo is CHINA_TIME
    assert area_stats(sample(), by="grid", start=start, end=end) == []
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        month_period("10/2026")
    with pytest.raises(InvalidInput, match="end after start"):
        area_stats([], by="grid", start=end, end=start)
    with pytest.raises(ValueError, match="'street'"):
        area_stats([], by="street", start=start, end=end)


def test_the_month_follows_china_time() -> None:
    start, end = month_period("2026-10")
    # 23:30 UTC on 30 September is 07:30 on 1 October in Ningde.
    late = incident(8, grid=G1, category="other", hours=[], at=datetime(2026, 9, 30, 23, 30, tzinfo=UTC))
    assert [s.total for s in area_stats([late], by="grid", start=start, end=end)] == [1]
