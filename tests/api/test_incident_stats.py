"""Incident statistics over the API on both backends: per grid or community, by month (China time) or period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridmap.incidents.intake import advance, open_incident
from gridmap.incidents.model import Channel, Incident
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.routing import Route
from gridmap.store.interface import BoundaryStore
from tests.api.conftest import AppFactory, TestClient, assert_problem
from tests.api.test_incidents import IN_00101, report_body

CHINA = ZoneInfo("Asia/Shanghai")
COMMUNITY_1, COMMUNITY_2 = "350924100001", "350924100002"
STATS = "/api/v1/incidents/stats"


def reported(
    number: int, at: datetime, *, community: str = COMMUNITY_1, grid: int = 1, category: str = "noise_livestock"
) -> Incident:
    """Incident I-`number`, reported at `at` and routed to grid `grid` of `community`."""
    request = ReportRequest(category, 119.5, 27.45, f"第{number}号", "", Channel.APP, None, {})
    grid_code = f"{community}{grid:03d}"
    route = Route(119.5, 27.45, community, grid_code, f"{grid_code}01", "张发敏", 50.0, near_boundary=False)
    return open_incident(
        incident_id=f"I-{number}", request=request, route=route, reporter="居民", role="resident", at=at
    )


def handled(incident: Incident, steps: list[tuple[str, str, float]]) -> Incident:
    """The incident after workflow steps (status, role, hours after its report)."""
    start = incident.state.reported_at
    for to, role, hours in steps:
        incident = advance(incident, to, actor="staff", role=role, at=start + timedelta(hours=hours), note="查看")
    return incident


def to_resolved(response_h: float, resolved_h: float) -> list[tuple[str, str, float]]:
    """Accepted after `response_h` hours, then dispatched, started and resolved after `resolved_h` hours."""
    return [
        ("accepted", "worker", response_h),
        ("dispatched", "planner", response_h + 0.5),
        ("in_progress", "worker", response_h + 0.75),
        ("resolved", "worker", resolved_h),
    ]


@pytest.fixture
def october(client: TestClient) -> TestClient:
    """Five incidents around October 2026 (China time) in the test region's two communities."""
    store: BoundaryStore = client.app.state.store  # type: ignore[attr-defined]
    incidents = [
        handled(reported(1, datetime(2026, 10, 5, 8, tzinfo=CHINA)), to_resolved(2.0, 10.0)),
        handled(
            reported(2, datetime(2026, 10, 6, 9, tzinfo=CHINA), grid=2, category="other"),
            [("rejected", "worker", 1.0)],
        ),
        reported(3, datetime(2026, 10, 31, 23, 30, tzinfo=CHINA)),
        # 16:10 UTC on 31 October, but already November in China time.
        reported(4, datetime(2026, 11, 1, 0, 10, tzinfo=CHINA)),
        handled(reported(5, datetime(2026, 10, 10, 12, tzinfo=CHINA), community=COMMUNITY_2), to_resolved(30, 48)),
    ]
    for incident in incidents:
        store.create_incident(incident)
    return client


def areas(body: dict[str, object]) -> dict[str, dict[str, object]]:
    """The areas of a statistics answer by code."""
    listed = body["areas"]
    assert isinstance(listed, list)
    return {area["area_code"]: area for area in listed}


def test_statistics_per_grid_for_a_month_in_china_time(october: TestClient) -> None:
    response = october.get(f"{STATS}?by=grid&month=2026-10")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["by"] == "grid"
    assert body["period"] == {"start": "2026-10-01T00:00:00+08:00", "end": "2026-11-01T00:00:00+08:00"}
    by_grid = areas(body)
    assert list(by_grid) == [f"{COMMUNITY_1}001", f"{COMMUNITY_1}002", f"{COMMUNITY_2}001"]
    assert by_grid[f"{COMMUNITY_1}001"] == {
        "area_code": f"{COMMUNITY_1}001",
        "total": 2,  # I-1 and I-3; I-4 belongs to November
        "by_category": {"noise_livestock": 2},
        "by_status": {"reported": 1, "resolved": 1},
        "median_first_response_h": 2.0,
        "median_resolution_h": 10.0,
        "share_within_24h": 0.5,
    }
    rejected = by_grid[f"{COMMUNITY_1}002"]
    assert (rejected["by_status"], rejected["median_first_response_h"]) == ({"rejected": 1}, 1.0)
    assert rejected["median_resolution_h"] is None and rejected["share_within_24h"] is None
    slow = by_grid[f"{COMMUNITY_2}001"]
    assert (slow["median_first_response_h"], slow["median_resolution_h"], slow["share_within_24h"]) == (30, 48, 0)


def test_statistics_per_community_one_community_and_a_period(october: TestClient) -> None:
    per_community = areas(october.get(f"{STATS}?by=community&month=2026-10").json())
    assert {code: area["total"] for code, area in per_community.items()} == {COMMUNITY_1: 3, COMMUNITY_2: 1}
    one = areas(october.get(f"{STATS}?by=grid&month=2026-10&community={COMMUNITY_1}").json())
    assert list(one) == [f"{COMMUNITY_1}001", f"{COMMUNITY_1}002"]
    assert october.get(f"{STATS}?month=2026-11").json()["by"] == "grid"  # grid is the default
    november = areas(october.get(f"{STATS}?month=2026-11").json())
    assert {code: area["total"] for code, area in november.items()} == {f"{COMMUNITY_1}001": 1}
    # A period in UTC: 31 October UTC takes I-3 (15:30 UTC) and I-4 (16:10 UTC).
    period = october.get(f"{STATS}?by=community&since=2026-10-31T00:00:00Z&before=2026-11-01T00:00:00%2B00:00")
    assert period.status_code == 200, period.text
    assert period.json()["period"]["start"] == "2026-10-31T00:00:00+00:00"
    assert {code: area["total"] for code, area in areas(period.json()).items()} == {COMMUNITY_1: 2}
    assert october.get(f"{STATS}?month=2025-01").json()["areas"] == []


def test_the_period_is_given_one_way_exactly(client: TestClient) -> None:
    for query in (
        "",
        "?month=2026-10&since=2026-10-01T00:00:00Z",
        "?since=2026-10-01T00:00:00Z",
        "?since=2026-10-01T00:00:00&before=2026-11-01T00:00:00",
        "?since=2026-11-01T00:00:00Z&before=2026-10-01T00:00:00Z",
        "?month=2026-13",
        "?month=October",
        "?month=2026-10&by=street",
    ):
        assert_problem(client.get(STATS + query), 400)


def test_the_path_is_not_taken_for_an_incident_id(client: TestClient) -> None:
    # The statistics route is declared before /incidents/{incident_id}: without a token it answers, not 401.
    assert client.post("/api/v1/incidents", json=report_body(IN_00101)).status_code == 201
    body = client.get(f"{STATS}?month=2026-10").json()
    assert body["areas"] == []
    now = datetime.now(UTC)
    since, before = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=1)).isoformat()
    around_now = client.get(STATS, params={"by": "community", "since": since, "before": before}).json()
    assert [(a["area_code"], a["total"]) for a in around_now["areas"]] == [(COMMUNITY_1, 1)]


def test_statistics_follow_public_read(make_client: AppFactory) -> None:
    private = make_client(public_read=False)
    body = assert_problem(private.get(f"{STATS}?month=2026-10"), 401)
    assert "token" in body["detail"]
