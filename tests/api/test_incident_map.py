"""The incident-map API on both backends: cells, area counts, points and extent, their filters and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from gridmap.api.routers.incident_map import cell_size
from gridmap.incidents.intake import advance, open_incident
from gridmap.incidents.model import Channel, Incident
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.routing import Route
from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import TOWN, WORKERS, grid_centre
from tests.boundary_builders import LAT0, LON0, STEP

URL = "/api/v1/incident-map"
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
COMMUNITY_1, COMMUNITY_2 = f"{TOWN}001", f"{TOWN}002"
REGION_BBOX = f"{LON0},{LAT0},{LON0 + 4 * STEP},{LAT0 + 2 * STEP}"


def stored_incident(
    client: TestClient,
    number: int,
    where: tuple[float, float],
    grid: str,
    *,
    category: str = "noise_livestock",
    at: datetime = T0,
    accepted: bool = False,
) -> Incident:
    """An incident stored straight into the client's store, routed to `grid` (and its west microgrid)."""
    lon, lat = where
    request = ReportRequest(
        service_code=category,
        lon=lon,
        lat=lat,
        description=f"第{number}号",
        address="胜利街1号",
        channel=Channel.APP,
        media_url=None,
        contact={},
    )
    route = Route(
        lon=lon,
        lat=lat,
        community_code=grid[:12],
        grid_code=grid,
        microgrid_code=f"{grid}01",
        worker=WORKERS[0],
        boundary_distance_m=50.0,
        near_boundary=False,
    )
    made = open_incident(
        incident_id=f"M-{number:03d}", request=request, route=route, reporter="居民王某", role="resident", at=at
    )
    if accepted:
        made = advance(made, "accepted", actor=WORKERS[0], role="worker", at=at + timedelta(hours=1))
    stored, _ = client.app.state.store.create_incident(made)  # type: ignore[attr-defined]
    result: Incident = stored
    return result


def seed(client: TestClient) -> None:
    """10 incidents: 5 noise in grid 001 over five days, 3 accepted rubbish in 002, 2 others in community 2."""
    north_west, north_east = grid_centre(0, 0, 1), grid_centre(0, 1, 1)
    for i in range(5):
        where = (north_west[0] + 0.0001 * i, north_west[1])
        stored_incident(client, i, where, f"{COMMUNITY_1}001", at=T0 + timedelta(days=i))
    for i in range(5, 8):
        stored_incident(
            client,
            i,
            north_east,
            f"{COMMUNITY_1}002",
            category="living_environment",
            at=T0 + timedelta(days=10),
            accepted=True,
        )
    for i in range(8, 10):
        stored_incident(
            client, i, grid_centre(2, 0, 1), f"{COMMUNITY_2}001", category="other", at=T0 + timedelta(days=40)
        )


def planner(client: TestClient) -> dict[str, str]:
    """Headers of an unscoped planner: staff read exact cells and counts (the public: test_incident_map_public)."""
    return bearer(add_token(client, "调度员", Role.PLANNER))


def cells(
    client: TestClient,
    query: str = "",
    *,
    bbox: str = REGION_BBOX,
    zoom: float = 14,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = client.get(f"{URL}/cells?bbox={bbox}&zoom={zoom}{query}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_cells_add_up_and_sit_where_their_incidents_are(client: TestClient) -> None:
    seed(client)
    staff = planner(client)
    overview = cells(client, headers=staff, zoom=14)
    assert overview["total"] == sum(cell["count"] for cell in overview["cells"]) == 10
    assert overview["cell_deg"] == pytest.approx(cell_size(14)) == pytest.approx(60 * 360 / 256 / 2**14)
    for cell in overview["cells"]:
        size = overview["cell_deg"]
        assert cell["x"] * size <= cell["lon"] < (cell["x"] + 1) * size
        assert cell["y"] * size <= cell["lat"] < (cell["y"] + 1) * size
    # Zoomed in, the five noise reports 10 m apart still add up, in more or the same cells; a fraction of a
    # zoom level keeps the cells of the whole level.
    close = cells(client, headers=staff, zoom=19)
    assert close["total"] == 10 and len(close["cells"]) >= len(overview["cells"])
    assert cells(client, headers=staff, zoom=19.75)["cells"] == close["cells"]
    # The returned bbox is the view grown to whole cells.
    min_x, min_y, max_x, max_y = close["bbox"]
    assert min_x <= LON0 and min_y <= LAT0 and max_x >= LON0 + 4 * STEP and max_y >= LAT0 + 2 * STEP
    # A view elsewhere holds nothing; finer cells for a heat map are allowed.
    assert cells(client, headers=staff, bbox="100,20,100.1,20.1")["cells"] == []
    assert cells(client, "&cell_px=20", headers=staff)["total"] == 10
    assert client.get(f"{URL}/extent", headers=staff).json()["total"] == 10


def test_filters_by_category_status_and_period(client: TestClient) -> None:
    seed(client)
    staff = planner(client)
    assert cells(client, "&category=noise_livestock", headers=staff)["total"] == 5
    assert cells(client, "&status=accepted", headers=staff)["total"] == 3
    assert cells(client, "&status=reported", headers=staff)["total"] == 7
    assert cells(client, "&status=reported,accepted", headers=staff)["total"] == 10
    assert cells(client, "&status=reported,accepted,dispatched,in_progress", headers=staff)["total"] == 10
    assert cells(client, "&status=resolved,closed", headers=staff)["total"] == 0
    assert cells(client, "&category=other&status=accepted", headers=staff)["total"] == 0
    since, before = quote((T0 + timedelta(days=1)).isoformat()), quote((T0 + timedelta(days=10)).isoformat())
    # [since, before): days 1-4 of the noise reports, not the accepted ones reported on day 10.
    assert cells(client, f"&since={since}&before={before}", headers=staff)["total"] == 4
    areas = client.get(f"{URL}/areas?level=grid&since={since}", headers=staff).json()
    assert areas["counts"] == {f"{COMMUNITY_1}001": 4, f"{COMMUNITY_1}002": 3, f"{COMMUNITY_2}001": 2}
    assert areas["total"] == 9
    extent = client.get(f"{URL}/extent?category=noise_livestock", headers=staff).json()
    first, last = datetime.fromisoformat(extent["first"]), datetime.fromisoformat(extent["last"])
    assert (first, last, extent["total"]) == (T0, T0 + timedelta(days=4), 5)
    assert client.get(f"{URL}/extent?category=customs", headers=staff).json() == {
        "first": None,
        "last": None,
        "total": 0,
    }


def test_areas_count_per_level(client: TestClient) -> None:
    seed(client)
    staff = planner(client)
    grids = client.get(f"{URL}/areas", headers=staff).json()
    assert grids["level"] == "grid"
    assert grids["counts"] == {f"{COMMUNITY_1}001": 5, f"{COMMUNITY_1}002": 3, f"{COMMUNITY_2}001": 2}
    communities = client.get(f"{URL}/areas?level=community", headers=staff).json()["counts"]
    assert communities == {COMMUNITY_1: 8, COMMUNITY_2: 2}
    microgrids = client.get(f"{URL}/areas?level=microgrid&category=living_environment", headers=staff).json()
    assert microgrids == {"level": "microgrid", "total": 3, "counts": {f"{COMMUNITY_1}00201": 3}}


def test_bbox_edges_are_inside(client: TestClient) -> None:
    lon, lat = grid_centre(0, 0, 0)
    stored_incident(client, 1, (lon, lat), f"{COMMUNITY_1}003")
    staff = planner(client)

    def matched(bbox: str) -> int:
        body = client.get(f"{URL}/points?bbox={bbox}", headers=staff).json()
        count: int = body["matched"]
        assert count == len(body["features"])
        return count

    assert matched(f"{lon},{lat},{lon + 0.01},{lat + 0.01}") == 1  # on the west and south edges
    assert matched(f"{lon - 0.01},{lat - 0.01},{lon},{lat}") == 1  # on the east and north edges
    assert matched(f"{lon},{lat},{lon},{lat}") == 1  # a box that is the point
    assert matched(f"{lon + 1e-7},{lat - 0.01},{lon + 0.01},{lat + 0.01}") == 0
    # A view ending on the point, at any zoom, counts it: the view grows to whole cells.
    for zoom in (3, 12, 18, 22):
        assert cells(client, bbox=f"{lon - 0.001},{lat - 0.001},{lon},{lat}", zoom=zoom, headers=staff)["total"] == 1
        assert cells(client, bbox=f"{lon},{lat},{lon + 0.001},{lat + 0.001}", zoom=zoom, headers=staff)["total"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "cells?zoom=14",  # no bbox
        f"cells?bbox={REGION_BBOX}",  # no zoom
        f"cells?bbox={REGION_BBOX}&zoom=-1",
        f"cells?bbox={REGION_BBOX}&zoom=23",
        f"cells?bbox={REGION_BBOX}&zoom=nan",
        f"cells?bbox={REGION_BBOX}&zoom=ten",
        f"cells?bbox={REGION_BBOX}&zoom=14&cell_px=4",
        "cells?bbox=1,2,3&zoom=14",
        "cells?bbox=10,10,5,5&zoom=14",
        "cells?bbox=-180,-90,180,90&zoom=18",  # millions of cells
        f"cells?bbox={REGION_BBOX}&zoom=14&status=done",
        f"cells?bbox={REGION_BBOX}&zoom=14&since=2026-10-01T00:00:00",  # no offset
        f"cells?bbox={REGION_BBOX}&zoom=14&since=2026-10-02T00:00:00Z&before=2026-10-01T00:00:00Z",
        "areas?level=street",
        "extent?status=reported,later",
    ],
)
def test_bad_parameters_are_400_problems(client: TestClient, query: str) -> None:
    body = assert_problem(client.get(f"{URL}/{query}"), 400)
    assert body["title"] == "Bad request parameter"


def test_points_need_a_token_and_carry_no_personal_data(client: TestClient) -> None:
    seed(client)
    assert_problem(client.get(f"{URL}/points"), 401)
    assert_problem(client.get(f"{URL}/points", headers=bearer(add_token(client, "访客", Role.VIEWER))), 403)
    viewer = planner(client)
    for limit in (0, 5001):
        assert_problem(client.get(f"{URL}/points?limit={limit}", headers=viewer), 400)
    body = client.get(f"{URL}/points?bbox={REGION_BBOX}", headers=viewer).json()
    assert body["type"] == "FeatureCollection" and body["matched"] == 10 and body["truncated"] is False
    first = body["features"][0]
    assert first["id"] == first["properties"]["id"] == "M-008"  # newest first (M-008 and M-009 share a time)
    assert set(first["properties"]) == {"id", "category", "status", "reported_at"}
    assert "居民王某" not in str(body) and "胜利街" not in str(body) and "第8号" not in str(body)
    assert {tuple(f["geometry"]["coordinates"]) for f in body["features"]} >= {grid_centre(2, 0, 1)}
    cut = client.get(f"{URL}/points?limit=3&status=reported", headers=viewer).json()
    assert (cut["matched"], cut["truncated"]) == (7, True)
    assert [f["id"] for f in cut["features"]] == ["M-008", "M-009", "M-004"]


def test_aggregates_follow_public_read(make_client: Any) -> None:
    closed = make_client(public_read=False)
    for path in (f"cells?bbox={REGION_BBOX}&zoom=14", "areas", "extent"):
        assert_problem(closed.get(f"{URL}/{path}"), 401)
    viewer = bearer(add_token(closed, "访客", Role.VIEWER))  # reads what the public reads
    assert closed.get(f"{URL}/areas", headers=viewer).json() == {
        "level": "grid",
        "total": 0,
        "withheld": 0,
        "min_group": 5,
        "counts": {},
    }
