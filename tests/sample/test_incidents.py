"""The generator's incidents stage: trails that replay, points inside their microgrid, routes, rhythm, the file."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridmap.errors import InvalidInput
from gridmap.geo.hierarchy import Level
from gridmap.incidents.model import Channel, Incident
from gridmap.incidents.routing import DEFAULT_NEAR_BOUNDARY_M, route_report
from gridmap.incidents.stats import CHINA_TIME, area_stats
from gridmap.incidents.workflow import ActorRole, AuditAction, Status, replay
from gridmap.io.incidents import incidents_geojson, read_incidents
from gridmap_demo.files import BOUNDARIES_FILE
from gridmap_demo.households import HOUSEHOLDS_FILE
from gridmap_demo.incidents import (
    CATEGORY_WEIGHTS,
    CHANNEL_SHARES,
    DEFAULT_NEAR_BOUNDARY_SHARE,
    INCIDENTS_FILE,
    SAMPLE_END,
    SAMPLE_INCIDENTS,
    SAMPLE_START,
    generate_incidents,
)
from tests.store.conftest import frame_from, region_features

COMMITTED = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def boundaries() -> gpd.GeoDataFrame:
    return gpd.read_file(COMMITTED / BOUNDARIES_FILE)


@pytest.fixture(scope="module")
def homes() -> np.ndarray:
    return pd.read_csv(COMMITTED / HOUSEHOLDS_FILE, usecols=["lon", "lat"]).to_numpy()


@pytest.fixture(scope="module")
def incidents(boundaries: gpd.GeoDataFrame, homes: np.ndarray) -> list[Incident]:
    return generate_incidents(boundaries, count=SAMPLE_INCIDENTS, homes=homes)


def of_level(boundaries: gpd.GeoDataFrame, level: Level) -> gpd.GeoDataFrame:
    return boundaries[boundaries["level"] == level.value]


def test_committed_file_is_up_to_date_and_reads_back(incidents: list[Incident]) -> None:
    committed = COMMITTED / INCIDENTS_FILE
    assert committed.exists(), f"{committed} is missing: run `python -m gridmap_demo sample --out data`"
    assert committed.read_text(encoding="utf-8") == incidents_geojson(incidents), f"{committed} is stale"
    assert committed.stat().st_size < 3_500_000  # each incident also carries number, due_at and held_since (null)
    assert read_incidents(committed) == incidents


def test_every_trail_replays_to_its_state(incidents: list[Incident]) -> None:
    for incident in incidents:
        assert replay(list(incident.audit)) == incident.state, incident.id


def test_points_lie_inside_their_microgrid_grid_and_community(
    boundaries: gpd.GeoDataFrame, incidents: list[Incident]
) -> None:
    points = shapely.points([(i.lon, i.lat) for i in incidents])
    for level, codes in (
        (Level.MICROGRID, [i.microgrid_code for i in incidents]),
        (Level.GRID, [i.grid_code for i in incidents]),
        (Level.COMMUNITY, [i.community_code for i in incidents]),
    ):
        areas = of_level(boundaries, level)
        # Each point is covered by exactly one feature of each level (none sits on a shared edge).
        hits = shapely.STRtree(np.asarray(areas.geometry)).query(points, predicate="intersects")
        assert np.array_equal(np.sort(hits[0]), np.arange(len(incidents)))
        assert [areas["code"].iloc[j] for j in hits[1][np.argsort(hits[0])]] == codes


def test_routes_are_what_route_report_gives(boundaries: gpd.GeoDataFrame, incidents: list[Incident]) -> None:
    features = {
        code: (level, worker, geometry)
        for code, level, worker, geometry in boundaries[["code", "level", "worker", "geometry"]].itertuples(index=False)
    }

    class Area:
        def __init__(self, code: str) -> None:
            level, worker, geometry = features[code]
            self.code, self.level, self.worker, self.geometry = code, Level(level), worker, geometry

    for incident in incidents[::7]:
        assert incident.community_code and incident.grid_code and incident.microgrid_code
        chain = [Area(incident.community_code), Area(incident.grid_code), Area(incident.microgrid_code)]
        route = route_report(incident.lon, incident.lat, chain)
        assert (route.grid_code, route.worker) == (incident.grid_code, incident.worker)
        assert route.boundary_distance_m == incident.boundary_distance_m
        assert route.near_boundary == incident.near_boundary


def test_a_share_of_reports_is_near_a_grid_boundary(incidents: list[Incident]) -> None:
    near = [i for i in incidents if i.near_boundary]
    assert abs(len(near) / len(incidents) - DEFAULT_NEAR_BOUNDARY_SHARE) < 0.03
    assert all(i.boundary_distance_m is not None and i.boundary_distance_m <= DEFAULT_NEAR_BOUNDARY_M for i in near)
    far = [i.boundary_distance_m for i in incidents if not i.near_boundary]
    assert min(d for d in far if d is not None) > DEFAULT_NEAR_BOUNDARY_M


def test_the_mix_of_categories_channels_and_outcomes(incidents: list[Incident]) -> None:
    categories = Counter(i.category for i in incidents)
    assert set(categories) == set(CATEGORY_WEIGHTS)
    assert categories.most_common(1)[0][0] == "living_environment"
    channels = Counter(i.channel for i in incidents)
    assert set(channels) == set(CHANNEL_SHARES)  # the hotline bridge's 12345 channel comes from imports only
    assert channels[Channel.APP] > channels[Channel.PATROL] > channels[Channel.VISIT]
    statuses = Counter(i.status for i in incidents)
    assert statuses[Status.CLOSED] > 0.75 * len(incidents)
    for status in (Status.REJECTED, Status.DUPLICATE, Status.DISPATCHED, Status.IN_PROGRESS):
        assert statuses[status] > 0, status
    rated = [i for i in incidents if i.state.rating is not None]
    assert 0.2 * len(incidents) < len(rated) and all(i.status is Status.CLOSED for i in rated)
    assert all(i.channel is not Channel.PATROL for i in rated)
    # Most are handled within a day; the stats module measures it the way the reports do.
    (whole,) = area_stats(
        [Incident(**{**vars(i), "community_code": "town"}) for i in incidents],
        by="community",
        start=SAMPLE_START,
        end=SAMPLE_END,
    )
    assert whole.share_within_24h is not None and 0.6 < whole.share_within_24h < 0.95
    assert whole.median_first_response_h is not None and whole.median_first_response_h < 2.0


def test_duplicates_name_an_earlier_report_of_the_same_kind_in_the_same_grid(incidents: list[Incident]) -> None:
    by_id = {i.id: i for i in incidents}
    duplicates = [i for i in incidents if i.status is Status.DUPLICATE]
    assert duplicates
    for incident in duplicates:
        original = by_id[incident.state.duplicate_of or ""]
        assert original.state.reported_at <= incident.state.reported_at
        assert (original.grid_code, original.category) == (incident.grid_code, incident.category)


def test_reports_follow_the_day_and_week_in_china_time(incidents: list[Incident]) -> None:
    assert all(SAMPLE_START <= i.state.reported_at < SAMPLE_END for i in incidents)
    assert [i.state.reported_at for i in incidents] == sorted(i.state.reported_at for i in incidents)
    local = [(i.channel, i.state.reported_at.astimezone(CHINA_TIME)) for i in incidents]
    patrols = [at for channel, at in local if channel is Channel.PATROL]
    assert all(7 <= at.hour <= 18 for at in patrols)
    weekdays = Counter(at.weekday() for at in patrols)
    assert weekdays[6] * 3 < weekdays[2]  # far fewer patrol reports on a Sunday than on a Wednesday
    app_hours = Counter(at.hour for channel, at in local if channel is Channel.APP)
    assert app_hours[3] * 5 < app_hours[9]


def test_staff_act_in_working_hours_and_residents_report_and_rate(incidents: list[Incident]) -> None:
    for incident in incidents[:500]:
        first, *steps = incident.audit
        assert first.role is (ActorRole.WORKER if incident.channel is Channel.PATROL else ActorRole.RESIDENT)
        assert first.actor == incident.reporter
        for entry in steps:
            if entry.action is AuditAction.RATE:
                assert entry.role is ActorRole.RESIDENT and entry.actor == incident.reporter
            else:
                local = entry.at.astimezone(CHINA_TIME)
                assert (local.hour, local.minute) >= (7, 30) and local.hour < 23, entry


def test_the_same_seed_gives_the_same_incidents(boundaries: gpd.GeoDataFrame, incidents: list[Incident]) -> None:
    again = generate_incidents(boundaries, count=200, seed=11)
    assert again == generate_incidents(boundaries, count=200, seed=11)
    assert [i.id for i in again] != [] and again != incidents[:200]
    assert generate_incidents(boundaries, count=200, seed=12) != again


def test_incidents_after_now_have_not_happened(boundaries: gpd.GeoDataFrame) -> None:
    now = datetime(2026, 10, 10, tzinfo=UTC)
    made = generate_incidents(boundaries, count=300, start=now - timedelta(days=3), end=now)
    assert all(i.state.updated_at < now for i in made)
    # The last hours' reports are still waiting.
    assert any(i.status in (Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED) for i in made[-30:])


def test_bad_arguments_are_refused(boundaries: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="time-zone-aware"):
        generate_incidents(boundaries, count=1, start=datetime(2026, 9, 1), end=datetime(2026, 9, 2))
    with pytest.raises(ValueError, match="near_boundary_share"):
        generate_incidents(boundaries, count=1, near_boundary_share=1.5)
    with pytest.raises(ValueError, match="too long"):
        generate_incidents(boundaries, count=1, id_prefix="x" * 40)
    with pytest.raises(ValueError, match="no grids"):
        generate_incidents(of_level(boundaries, Level.COMMUNITY), count=1)


def test_a_file_whose_trail_and_status_disagree_is_refused(tmp_path: Path, incidents: list[Incident]) -> None:
    text = incidents_geojson(incidents[:3]).replace('"status":"closed"', '"status":"reported"', 1)
    path = tmp_path / "incidents.geojson"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"incidents.geojson: feature \d: incident 'sample-00000\d': its trail"):
        read_incidents(path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.integers(min_value=0, max_value=40),
    seed=st.integers(min_value=0, max_value=2**31),
    days=st.integers(min_value=1, max_value=40),
    near=st.floats(min_value=0.0, max_value=1.0),
)
def test_any_seed_and_period_give_valid_incidents_on_a_small_region(
    count: int, seed: int, days: int, near: float
) -> None:
    region = frame_from(region_features())
    start = datetime(2026, 3, 1, tzinfo=CHINA_TIME)
    end = start + timedelta(days=days)
    made = generate_incidents(region, count=count, seed=seed, start=start, end=end, near_boundary_share=near)
    assert len(made) == count == len({i.id for i in made})
    microgrids = {
        code: geometry
        for code, level, geometry in region[["code", "level", "geometry"]].itertuples(index=False)
        if level == "microgrid"
    }
    for incident in made:
        assert replay(list(incident.audit)) == incident.state
        assert start <= incident.state.reported_at < end and incident.state.updated_at < end
        assert microgrids[incident.microgrid_code or ""].contains(shapely.Point(incident.lon, incident.lat))
        assert incident.microgrid_code is not None and incident.microgrid_code.startswith(incident.grid_code or "-")


def test_a_file_with_nan_coordinates_is_refused_by_feature(tmp_path: Path, incidents: list[Incident]) -> None:
    document = json.loads(incidents_geojson(incidents[:2]))
    document["features"][1]["geometry"]["coordinates"][0] = float("nan")
    path = tmp_path / "incidents.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")  # json writes NaN, and reads it back
    with pytest.raises(InvalidInput, match=r"incidents\.geojson: feature 2: coordinates nan, [\d.]+ are not finite"):
        read_incidents(path)
