"""An anonymous attacker tries to locate a reporter through every public incident answer, and fails.

A target incident is planted at a known point among a few others (fewer than k around it). The attacker asks
every public endpoint with everything it takes: Open311 list and detail; cells over a view tight around the
target in every size the public can be given there (see `cell_questions`), at every zoom 0-22, and `cell_px`
outside 8-256; area counts at every level; the extent over boxes that bisect the target's surroundings. Then
the target is moved to the opposite corner of its generalisation cell (more than the cell's size away) and
everything is asked again: every answer must be the same, byte for byte. If any differed, the answers would
tell the two places apart, i.e. locate the target closer than the generalisation grid. The words of the
report, its address, and a private-category incident at the same spot must appear in no public answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from gridmap.api.routers.incident_map import CELL_PX, MAX_ZOOM, cell_size
from gridmap.geo.generalise import cell_bounds, generalise
from gridmap.services.public_incidents import min_cell_degrees
from tests.api.conftest import TestClient
from tests.api.region import grid_centre
from tests.api.test_incident_map import COMMUNITY_1, URL, stored_incident

SIZE_M = 50.0  # the default generalisation grid
TARGET = "M-001"
PRIVATE = "M-009"
SECRETS = ("第1号", "胜利街", "居民王某", "第9号")  # the target's and the private incident's words, address, reporter
OPEN311 = "/open311/v2"
FULL_SWEEP_ZOOM = 20  # from here up even 256 px are less than the grid at the target: every cell_px is swept
SAMPLED_CELL_PX = (8, 9, 15, 16, 17, 31, 32, 33, 59, 60, 61, 64, 100, 127, 128, 129, 255, 256)
REFUSED_CELL_PX = (1, 2, 7, 257, 512)  # asked at the coarsest and the finest zoom
VIEW_HALF = 0.002  # degrees: the view around the target that cells are asked over


def corners() -> tuple[tuple[float, float], tuple[float, float]]:
    """Two places in one generalisation cell, near opposite corners: about 56 m apart."""
    min_lon, min_lat, max_lon, max_lat = cell_bounds(*grid_centre(0, 0, 1), SIZE_M)
    width, height = max_lon - min_lon, max_lat - min_lat
    return (min_lon + 0.1 * width, min_lat + 0.1 * height), (min_lon + 0.9 * width, min_lat + 0.9 * height)


def plant(client: TestClient, target: tuple[float, float]) -> None:
    """The target among three neighbours 20-150 m away, and a private neighbour dispute at the target's spot."""
    grid = f"{COMMUNITY_1}001"
    stored_incident(client, 1, target, grid)
    for number, (east, north) in enumerate(((0.0002, 0.0), (0.0, 0.0006), (0.0015, 0.0)), start=2):
        stored_incident(client, number, (target[0] + east, target[1] + north), grid)
    stored_incident(client, 9, target, grid, category="neighbour_dispute")


def box(lon: float, lat: float, half: float) -> str:
    return f"{lon - half},{lat - half},{lon + half},{lat + half}"


def cell_questions(lon: float, lat: float) -> dict[str, float]:
    """The cells questions over the view around (lon, lat), each with the public cell size its answer must have.

    The public's cells are never smaller than the grid: a cell of `cell_px` at `zoom` is doubled until it is
    (`min_cell_degrees`, as the route applies it). So cell_px at zoom 20, 21 and 22 give the same 128 sizes just
    above the grid, where a cell edge between two places of one grid cell would be likeliest, and p at zoom z
    the same as 2p at z+1. Of the old sweep (the sample at zooms 0-19, every cell_px at 20-22: 1,107 questions
    within 8-256) one question is kept per size it reaches, at the finest zoom giving it: the same 332 sizes in
    the same view. Each zoom is also asked at the default cell_px, so every zoom is asked.
    """
    reach = abs(lat) + VIEW_HALF + 1.0  # the route's reach: a degree poleward of the view
    kept: dict[float, tuple[int, int]] = {}  # public cell size -> (zoom, cell_px)
    for zoom in range(MAX_ZOOM + 1):
        for cell_px in range(8, 257) if zoom >= FULL_SWEEP_ZOOM else SAMPLED_CELL_PX:
            kept[min_cell_degrees(cell_size(zoom, cell_px), SIZE_M, reach)] = (zoom, cell_px)  # the finest wins
    asked = {(zoom, cell_px): size for size, (zoom, cell_px) in kept.items()}
    for zoom in range(MAX_ZOOM + 1):
        asked[(zoom, CELL_PX)] = min_cell_degrees(cell_size(zoom, CELL_PX), SIZE_M, reach)
    view = box(lon, lat, VIEW_HALF)
    return {f"{URL}/cells?bbox={view}&zoom={zoom}&cell_px={cell_px}": size for (zoom, cell_px), size in asked.items()}


def public_queries(first: tuple[float, float], second: tuple[float, float]) -> Iterator[str]:
    """Every public question the attacker asks (the same whichever place the target is at)."""
    yield f"{OPEN311}/requests.json"
    yield f"{OPEN311}/requests.json?service_code=noise_livestock&page_size=200"
    yield f"{OPEN311}/requests/{TARGET}.json"
    yield f"{OPEN311}/requests/{PRIVATE}.json"
    yield from cell_questions(*first)
    for zoom in (0, MAX_ZOOM):
        for cell_px in REFUSED_CELL_PX:
            yield f"{URL}/cells?bbox={box(*first, VIEW_HALF)}&zoom={zoom}&cell_px={cell_px}"
    for level in ("community", "grid", "microgrid"):
        yield f"{URL}/areas?level={level}"
        yield f"{URL}/areas?level={level}&category=noise_livestock"
    # Bisection with the extent (times and a count for a box): boxes around either place, halves between them.
    mid_lon, mid_lat = (first[0] + second[0]) / 2, (first[1] + second[1]) / 2
    for place in (first, second):
        for half in (1e-6, 1e-5, 5e-5, 1e-4, 3e-4):
            yield f"{URL}/extent?bbox={box(*place, half)}"
    yield f"{URL}/extent?bbox={first[0] - 0.01},{first[1] - 0.01},{mid_lon},{mid_lat}"
    yield f"{URL}/extent?bbox={mid_lon},{mid_lat},{second[0] + 0.01},{second[1] + 0.01}"
    yield f"{URL}/extent?bbox={first[0] - 0.01},{first[1] - 0.01},{mid_lon},{second[1] + 0.01}"
    yield f"{URL}/cells?bbox={box(*second, 0.0003)}&zoom=22&cell_px=8"


def ask_everything(client: TestClient, queries: list[str]) -> dict[str, tuple[int, Any]]:
    answers: dict[str, tuple[int, Any]] = {}
    for query in queries:
        response = client.get(query)
        assert response.status_code in (200, 400, 404), (query, response.text)
        body = response.json()
        text = json.dumps(body, ensure_ascii=False)
        assert not any(secret in text for secret in SECRETS), (query, text)
        if response.status_code == 200:
            assert PRIVATE not in text and "neighbour_dispute" not in text, (query, text)
        answers[query] = (response.status_code, body)
    return answers


def test_no_public_answer_locates_the_target_closer_than_the_grid(client: TestClient) -> None:
    first, second = corners()
    assert generalise(*first, SIZE_M) == generalise(*second, SIZE_M)
    plant(client, first)
    queries = list(public_queries(first, second))
    here = ask_everything(client, queries)
    # The attacker does get answers: the target is listed (at the cell's centre, not at its place)...
    item = here[f"{OPEN311}/requests/{TARGET}.json"][1][0]
    assert (item["long"], item["lat"]) == generalise(*first, SIZE_M) != first
    assert item["description"] == "" and item["address"] is None
    assert here[f"{OPEN311}/requests/{PRIVATE}.json"][0] == 404
    # ...and no cell ever shows fewer than k, whatever zoom and cell_px were asked...
    for query, (status, body) in here.items():
        if status == 200 and "/cells?" in query:
            assert all(cell["count"] >= 5 for cell in body["cells"]), query
    # ...and every cell size meant to be asked was (the questions were chosen by size: were the route's sizes
    # other than `cell_questions` reckons, sizes would go unasked).
    for query, size in cell_questions(*first).items():
        assert here[query][0] == 200 and here[query][1]["cell_deg"] == size, (query, here[query])
    client.app.state.store.change_incident(  # type: ignore[attr-defined]
        TARGET, lambda incident: replace(incident, lon=second[0], lat=second[1])
    )
    there = ask_everything(client, queries)
    differing = [query for query in queries if here[query] != there[query]]
    assert differing == [], f"these answers tell two places {SIZE_M:g} m apart: {differing[:5]}"
