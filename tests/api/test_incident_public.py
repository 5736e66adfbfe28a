"""What the public reads about incidents, on both backends: generalised points, groups of at least k, no private
category, and only the description a planner approved. Staff read exact data."""

from __future__ import annotations

import math

from gridmap.geo.generalise import METRES_PER_DEGREE, generalise
from gridmap.incidents.workflow import Status
from gridmap.store.account_store import Role
from tests.api.conftest import TestClient, add_token, assert_problem, bearer
from tests.api.region import grid_centre
from tests.api.test_incident_map import COMMUNITY_1, REGION_BBOX, URL, cells, planner, seed, stored_incident

OPEN311 = "/open311/v2"


def test_public_cells_are_generalised_centred_and_never_below_k(client: TestClient) -> None:
    seed(client)  # 5 noise reports 10 m apart in grid 001, 3 at one point in 002, 2 in community 2
    for zoom, cell_px in ((14, 60), (19, 60), (22, 8), (22, 256), (10, 8)):
        body = cells(client, f"&cell_px={cell_px}", zoom=zoom)
        assert body["min_group"] == 5 and body["generalised_m"] == 50
        assert body["total"] == 10 == sum(cell["count"] for cell in body["cells"]) + body["withheld"]
        for cell in body["cells"]:
            assert cell["count"] >= 5
            size = cell["cell_deg"]
            assert math.isclose(cell["lon"], (cell["x"] + 0.5) * size, abs_tol=1e-7)
            assert math.isclose(cell["lat"], (cell["y"] + 0.5) * size, abs_tol=1e-7)
            # At least the generalisation grid a side, wherever in the cell.
            assert size * METRES_PER_DEGREE * math.cos(math.radians(abs(cell["lat"]) + size)) >= 50
    close = cells(client, "&cell_px=8", zoom=22)
    assert close["cell_deg"] > 8 * 360 / 256 / 2**22  # the asked size was far below 50 m
    # The staff answer of the same view keeps the asked size and the small cells.
    lon, lat = grid_centre(0, 0, 1)
    near = f"{lon - 0.0002},{lat - 0.0002},{lon + 0.0006},{lat + 0.0002}"
    exact = cells(client, "&cell_px=8", bbox=near, zoom=20, headers=planner(client))
    assert exact["cell_deg"] == 8 * 360 / 256 / 2**20 and min(c["count"] for c in exact["cells"]) < 5


def test_a_viewer_reads_what_the_public_reads(client: TestClient) -> None:
    seed(client)
    viewer = bearer(add_token(client, "访客", Role.VIEWER))
    for path in (f"cells?bbox={REGION_BBOX}&zoom=22&cell_px=8", "areas?level=microgrid", "extent"):
        assert client.get(f"{URL}/{path}", headers=viewer).json() == client.get(f"{URL}/{path}").json()
    assert (
        client.get(f"{OPEN311}/requests.json", headers=viewer).json() == client.get(f"{OPEN311}/requests.json").json()
    )


def test_public_area_counts_below_k_are_withheld(client: TestClient) -> None:
    seed(client)
    grids = client.get(f"{URL}/areas").json()
    assert grids["counts"] == {f"{COMMUNITY_1}001": 5}
    assert (grids["total"], grids["withheld"]) == (10, 5)
    assert client.get(f"{URL}/areas?level=community").json()["counts"] == {COMMUNITY_1: 8}


def test_private_categories_are_in_no_public_answer(client: TestClient) -> None:
    where = grid_centre(0, 0, 1)
    for number in range(6):
        stored_incident(client, number, where, f"{COMMUNITY_1}001", category="neighbour_dispute")
    stored_incident(client, 6, where, f"{COMMUNITY_1}001", category="customs")
    assert cells(client)["total"] == 0 and cells(client)["cells"] == []
    assert client.get(f"{URL}/areas").json()["total"] == 0
    assert client.get(f"{URL}/extent").json() == {"first": None, "last": None, "total": 0}
    assert cells(client, "&category=neighbour_dispute")["total"] == 0
    assert client.get(f"{OPEN311}/requests.json").json() == []
    assert client.get(f"{OPEN311}/requests.json?service_code=neighbour_dispute").json() == []
    assert_problem(client.get(f"{OPEN311}/requests/M-000.json"), 404)
    assert "neighbour_dispute" in {s["service_code"] for s in client.get(f"{OPEN311}/services.json").json()}
    # Staff see them.
    staff = planner(client)
    assert cells(client, headers=staff)["total"] == 7
    assert client.get(f"{OPEN311}/requests/M-000.json", headers=staff).json()[0]["service_code"] == "neighbour_dispute"


def test_open311_items_are_generalised_without_words_until_approved(client: TestClient) -> None:
    lon, lat = grid_centre(0, 0, 1)
    stored_incident(client, 1, (lon, lat), f"{COMMUNITY_1}001")
    public = client.get(f"{OPEN311}/requests/M-001.json").json()[0]
    assert (public["long"], public["lat"]) == generalise(lon, lat, 50)
    assert public["description"] == "" and public["address"] is None and public["media_url"] is None
    assert "胜利街" not in str(public) and "第1号" not in str(public) and "居民王某" not in str(public)
    assert client.get(f"{OPEN311}/requests.json").json() == [public]
    staff = planner(client)
    exact = client.get(f"{OPEN311}/requests/M-001.json", headers=staff).json()[0]
    assert (exact["long"], exact["lat"], exact["description"]) == (lon, lat, "第1号")


def test_a_planner_approves_and_withdraws_the_public_description(client: TestClient) -> None:
    stored_incident(client, 1, grid_centre(0, 0, 1), f"{COMMUNITY_1}001")
    path = "/api/v1/incidents/M-001/public-description"
    assert_problem(client.post(path, json={"text": "x"}), 401)
    for role in (Role.VIEWER, Role.WORKER):
        assert_problem(client.post(path, json={"text": "x"}, headers=bearer(add_token(client, role.value, role))), 403)
    staff = planner(client)
    approved = client.post(path, json={"text": " 路灯不亮 "}, headers=staff)
    assert approved.status_code == 200, approved.text
    assert approved.json()["public_description"] == "路灯不亮" and approved.json()["description"] == "第1号"
    assert client.get(f"{OPEN311}/requests/M-001.json").json()[0]["description"] == "路灯不亮"
    assert client.post(path, json={"text": ""}, headers=staff).json()["public_description"] is None
    assert client.get(f"{OPEN311}/requests/M-001.json").json()[0]["description"] == ""
    assert_problem(client.post("/api/v1/incidents/no-such/public-description", json={"text": "x"}, headers=staff), 404)
    assert_problem(client.post(path, json={"text": "长" * 4001}, headers=staff), 400)
    # The approval is not a workflow step.
    assert client.get("/api/v1/incidents/M-001", headers=staff).json()["status"] == Status.REPORTED.value
