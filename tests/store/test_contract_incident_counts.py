"""The incident map's kept counts on SQLite and PostGIS: equal to a recount after any writes, the same cells, counts
per area and extent as counting the incidents themselves (sample incidents, every filter), and filled by
migrations 0017 (cells) and 0019 (areas)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from gridmap.geo.hierarchy import Level
from gridmap.incidents.model import Incident
from gridmap.incidents.taxonomy import default_taxonomy
from gridmap.incidents.workflow import Status
from gridmap.io.incidents import read_incidents
from gridmap.store import create_engine_for, migrate, open_store
from gridmap.store.incident_counts import AREA_COUNTS, AREA_KEY, COUNTS, KEY, cell_degrees
from gridmap.store.incident_store import IncidentCell, IncidentFilter, RemovalReason
from gridmap.store.interface import BoundaryStore
from gridmap.store.sql import SqlBoundaryStore
from tests.store.conftest import sqlite_url
from tests.store.test_contract_incidents import incident

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "incidents.geojson"
CHINA = timezone(timedelta(hours=8))
CountRows = dict[tuple[object, ...], tuple[int, float, float]]
AreaRows = dict[tuple[object, ...], int]


def _empty(store: BoundaryStore) -> None:
    assert isinstance(store, SqlBoundaryStore)
    with store.engine.begin() as connection:
        for table in ("incident_keys", "incident_audit", "incident_photos", "incident_contacts", "incidents"):
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("DELETE FROM incident_cell_counts"))
        connection.execute(text("DELETE FROM incident_area_counts"))


@pytest.fixture
def counts_store(store: BoundaryStore) -> Iterator[BoundaryStore]:
    """The store, emptied of incidents and counts before and after (the PostGIS database outlives the test)."""
    _empty(store)
    yield store
    _empty(store)


def count_rows(store: BoundaryStore) -> CountRows:
    """Every kept count row, by key."""
    assert isinstance(store, SqlBoundaryStore)
    with store.engine.connect() as connection:
        rows = connection.execute(select(COUNTS)).mappings().all()
    return {tuple(row[name] for name in KEY): (row["count"], row["lon_sum"], row["lat_sum"]) for row in rows}


def area_rows(store: BoundaryStore) -> AreaRows:
    """Every kept count row per area, by key."""
    assert isinstance(store, SqlBoundaryStore)
    with store.engine.connect() as connection:
        rows = connection.execute(select(AREA_COUNTS)).mappings().all()
    return {tuple(row[name] for name in AREA_KEY): row["count"] for row in rows}


def assert_areas_and_extent_as_counted(store: BoundaryStore, where: IncidentFilter) -> None:
    """The counts per area of every level and the extent read from the kept counts equal a direct count."""
    assert isinstance(store, SqlBoundaryStore)
    for level in Level:
        assert store.incident_area_counts(where, level) == store.recounted_area_counts(where, level), (level, where)
    assert store.incident_extent(where) == store.recounted_extent(where), where


def assert_same_counts(kept: CountRows, recounted: CountRows) -> None:
    assert kept.keys() == recounted.keys()
    for key, (count, lon_sum, lat_sum) in kept.items():
        again = recounted[key]
        assert count == again[0] > 0, key
        assert math.isclose(lon_sum, again[1], rel_tol=1e-12) and math.isclose(lat_sum, again[2], rel_tol=1e-12)


def assert_same_cells(summed: list[IncidentCell], counted: list[IncidentCell]) -> None:
    assert [(c.x, c.y, c.count) for c in summed] == [(c.x, c.y, c.count) for c in counted]
    for ours, theirs in zip(summed, counted, strict=True):
        assert math.isclose(ours.lon, theirs.lon, abs_tol=1e-11) and math.isclose(ours.lat, theirs.lat, abs_tol=1e-11)


# Writes in the sample region: reports one by one or imported, status changes, moved pins, new categories, new
# routes (another grid, no microgrid, no area at all), and personal data removed.
Change = Callable[[Incident], Incident]


def _to_status(status: Status) -> Change:
    return lambda incident: replace(incident, state=replace(incident.state, status=status))


def _to_place(place: tuple[float, float]) -> Change:
    return lambda incident: replace(incident, lon=place[0], lat=place[1])


def _to_category(category: str) -> Change:
    return lambda incident: replace(incident, category=category)


def _to_route(route: tuple[str | None, str | None, str | None]) -> Change:
    return lambda incident: replace(incident, community_code=route[0], grid_code=route[1], microgrid_code=route[2])


routes = st.sampled_from([("C1", "G1", "G101"), ("C1", "G2", None), ("C2", "G3", "G301"), (None, None, None)])
places = st.tuples(st.floats(119.49, 119.53), st.floats(27.44, 27.48))
categories = st.sampled_from(["noise_livestock", "living_environment", "neighbour_dispute"])
changes = st.one_of(
    st.sampled_from(list(Status)).map(_to_status),
    places.map(_to_place),
    categories.map(_to_category),
    routes.map(_to_route),
)
steps = st.one_of(
    st.tuples(st.sampled_from(["report", "import"]), st.lists(st.tuples(places, categories), min_size=1, max_size=4)),
    st.tuples(st.integers(0, 50), changes),
    st.tuples(st.just("purge"), st.integers(0, 50)),
)
# What the viewer asks of the areas and the extent: all, by status, category and China-time days.
AREA_FILTERS = (
    IncidentFilter(),
    IncidentFilter(status=Status.REPORTED),
    IncidentFilter(category="living_environment", statuses=frozenset({Status.REPORTED, Status.CLOSED})),
    IncidentFilter(
        reported_since=datetime(2026, 10, 6, 16, tzinfo=UTC), reported_before=datetime(2026, 11, 30, 16, tzinfo=UTC)
    ),
)


def _made(number: int, place: tuple[float, float], category: str) -> Incident:
    # 53 hours apart: reports over months, at every hour of the China-time day.
    return incident(number * 53, lon=place[0], lat=place[1], category=category)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=st.lists(steps, min_size=1, max_size=10))
def test_kept_counts_equal_a_recount_after_any_writes(
    counts_store: BoundaryStore, writes: list[tuple[Any, Any]]
) -> None:
    _empty(counts_store)
    ids: list[str] = []
    for how, what in writes:
        if how == "report" or how == "import":
            made = [_made(len(ids) + number, place, category) for number, (place, category) in enumerate(what)]
            if how == "import":
                counts_store.import_incidents(made)
            for new in made if how == "report" else ():
                counts_store.create_incident(new)
            ids += [new.id for new in made]
        elif how == "purge" and ids:
            at = datetime(2027, 1, 1, tzinfo=UTC)
            counts_store.remove_personal_data([ids[what % len(ids)]], at=at, reason=RemovalReason.RETENTION)
        elif ids:
            counts_store.change_incident(ids[how % len(ids)], what)
    for where in AREA_FILTERS:
        assert_areas_and_extent_as_counted(counts_store, where)
    kept, kept_areas = count_rows(counts_store), area_rows(counts_store)
    counts_store.rebuild_incident_counts()
    assert_same_counts(kept, count_rows(counts_store))
    assert kept_areas == area_rows(counts_store) and all(count > 0 for count in kept_areas.values())


def _whole_cells_around(bounds: tuple[float, float, float, float], cell_deg: float) -> tuple[float, ...]:
    return (
        math.floor(bounds[0] / cell_deg) * cell_deg,
        math.floor(bounds[1] / cell_deg) * cell_deg,
        (math.floor(bounds[2] / cell_deg) + 1) * cell_deg,
        (math.floor(bounds[3] / cell_deg) + 1) * cell_deg,
    )


def _china(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=CHINA)


PUBLIC = IncidentFilter(generalised_m=50.0, excluded_categories=default_taxonomy().private_codes())
FILTERS = {
    "everything": IncidentFilter(),
    "one category": IncidentFilter(category="living_environment"),
    "open statuses": IncidentFilter(statuses=frozenset({Status.DISPATCHED, Status.IN_PROGRESS, Status.REPORTED})),
    "closed": IncidentFilter(status=Status.CLOSED),
    "a month": IncidentFilter(reported_since=_china("2026-10-01"), reported_before=_china("2026-11-01")),
    "a week across months": IncidentFilter(reported_since=_china("2026-09-28"), reported_before=_china("2026-10-05")),
    "months and days": IncidentFilter(reported_since=_china("2026-06-15"), reported_before=_china("2026-10-20")),
    "since a day": IncidentFilter(reported_since=_china("2026-08-17")),
    "before a day": IncidentFilter(reported_before=_china("2026-07-09")),
    "not at midnight": IncidentFilter(reported_since=datetime(2026, 9, 3, 7, 30, tzinfo=UTC)),
    "public": PUBLIC,
    "public, a month, a category": replace(
        PUBLIC, category="parking_vending", reported_since=_china("2026-09-01"), reported_before=_china("2026-10-01")
    ),
    "by grid (not counted)": IncidentFilter(grid_code="350922100001001"),
}


@pytest.fixture
def sample_store(counts_store: BoundaryStore) -> BoundaryStore:
    """The store with the 2,000 sample incidents imported."""
    counts_store.import_incidents(read_incidents(SAMPLE))
    return counts_store


def test_cells_from_the_counts_equal_counting_the_sample_incidents(sample_store: BoundaryStore) -> None:
    assert isinstance(sample_store, SqlBoundaryStore)
    first, last, total = sample_store.incident_extent(IncidentFilter())
    assert total == 2000 and first is not None and last is not None
    bounds = (119.5005, 27.4506, 119.5213, 27.4692)  # the sample region
    for level in (9, 12, 14, 16, 17, 18):
        cell_deg = cell_degrees(level)
        view = _whole_cells_around(bounds, cell_deg)
        for name, where in FILTERS.items():
            for bbox in (view, None):
                chosen = replace(where, bbox=bbox)  # type: ignore[arg-type]
                summed = sample_store.incident_cells(chosen, cell_deg)
                assert_same_cells(summed, sample_store.recounted_cells(chosen, cell_deg))
                assert sum(c.count for c in summed) == sample_store.incident_extent(chosen)[2], (level, name)
    for where in FILTERS.values():
        assert_areas_and_extent_as_counted(sample_store, where)
    # A view that cuts through cells, and cells off the quadtree, are counted from the incidents, the same way.
    cut = (119.505, 27.455, 119.515, 27.465)
    assert_same_cells(
        sample_store.incident_cells(IncidentFilter(bbox=cut), cell_degrees(15)),
        sample_store.recounted_cells(IncidentFilter(bbox=cut), cell_degrees(15)),
    )
    assert sum(c.count for c in sample_store.incident_cells(IncidentFilter(), 0.0033)) == 2000
    # The quadtree's cells are read from the counts alone: without them, nothing; other questions still count.
    with sample_store.engine.begin() as connection:
        connection.execute(text("DELETE FROM incident_cell_counts"))
        connection.execute(text("DELETE FROM incident_area_counts"))
    assert sample_store.incident_cells(IncidentFilter(), cell_degrees(14)) == []
    assert sample_store.incident_area_counts(IncidentFilter(), Level.GRID) == {}
    assert sample_store.incident_extent(IncidentFilter()) == (None, None, 0)
    assert sample_store.incident_extent(FILTERS["not at midnight"])[2] > 0
    assert sample_store.incident_cells(PUBLIC, cell_degrees(17)) == []
    assert sum(c.count for c in sample_store.incident_cells(FILTERS["not at midnight"], cell_degrees(14))) > 0


def test_migrations_0017_and_0019_count_the_incidents_stored_before_them(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    with open_store(url, upgrade=True) as store:
        store.import_incidents(read_incidents(SAMPLE)[:300])
        kept, kept_areas = count_rows(store), area_rows(store)
    assert kept and sum(count for key, (count, _, _) in kept.items() if key[1:3] == (17, "ever")) == 600
    assert sum(count for key, count in kept_areas.items() if key[:2] == ("grid", "ever")) == 300
    engine = create_engine_for(url)
    try:
        migrate.downgrade(engine, "0016")  # before both tables
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    with open_store(url) as store:
        assert_same_counts(count_rows(store), kept)
        assert area_rows(store) == kept_areas
