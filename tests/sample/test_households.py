"""The generator's households stage: registry along the streets, households, committed CSV files."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from gridmap.address.match import AddressMatcher, MatchLevel
from gridmap.address.registry import AddressRegistry
from gridmap.geo.assign import assign_points
from gridmap.geo.hierarchy import Level
from gridmap_demo.households import (
    ADDRESSES_FILE,
    DEFAULT_HOUSEHOLDS,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLDS_FILE,
    SampleHouseholds,
    addresses_csv,
    generate_households,
    households_csv,
    street_roads,
)
from gridmap_demo.region import SampleRegion

COMMITTED = Path(__file__).resolve().parents[2] / "data"
FAKE_PHONE = re.compile(r"1[3-9][0-9]\*{4}[0-9]{4}")


@pytest.fixture(scope="module")
def sample(region: SampleRegion) -> SampleHouseholds:
    return generate_households(region)


def test_committed_csv_files_are_up_to_date(sample: SampleHouseholds) -> None:
    for name, text in (
        (ADDRESSES_FILE, addresses_csv(sample.registry)),
        (HOUSEHOLDS_FILE, households_csv(sample.households)),
    ):
        committed = COMMITTED / name
        assert committed.exists(), f"{committed} is missing: run `python -m gridmap_demo sample --out data`"
        assert committed.read_text(encoding="utf-8") == text, f"{committed} is stale: regenerate it"
        assert committed.stat().st_size < 3_000_000


def test_same_seed_same_households_and_count_is_honoured(region: SampleRegion, sample: SampleHouseholds) -> None:
    again = generate_households(region)
    assert again.households == sample.households
    small = generate_households(region, count=500)
    assert len(small.households) == 500
    assert len(sample.households) == DEFAULT_HOUSEHOLDS
    assert len({h.household_id for h in sample.households}) == DEFAULT_HOUSEHOLDS


def test_registry_roads_follow_the_region_streets(region: SampleRegion, sample: SampleHouseholds) -> None:
    roads = street_roads(region)
    assert set(roads) == set(region.streets["name"])
    registered = {a.road for a in sample.registry.addresses if a.road}
    assert set(roads) <= registered
    # a door plate stands a few metres beside its road, not anywhere in town
    door = next(a for a in sample.registry.addresses if a.road == "胜利街" and a.number == "7")
    x, y = region.layout.frame.lonlat_to_local(np.array([[door.lon, door.lat]]))[0]
    line = region.layout.frame.one_to_local(roads["胜利街"])
    assert line.distance(Point(x, y)) < 12.0


def test_every_household_lies_in_exactly_one_microgrid(region: SampleRegion, sample: SampleHouseholds) -> None:
    microgrids = region.level(Level.MICROGRID)
    x = np.array([h.lon for h in sample.households])
    y = np.array([h.lat for h in sample.households])
    found = assign_points(x, y, np.asarray(microgrids.geometry, dtype=object), microgrids["code"].to_numpy())
    assert (found.polygon >= 0).all()
    # households spread over the town, not piled into a few microgrids
    assert len(set(found.polygon.tolist())) > 0.8 * len(microgrids)


def test_people_and_care_flags_are_plausible(sample: SampleHouseholds) -> None:
    households = sample.households
    assert all(1 <= h.people <= 6 for h in households)
    assert all(h.people == 1 for h in households if h.elderly_alone)
    assert all(h.people > 1 for h in households if h.left_behind_children)
    share = Counter(bool(h.elderly_alone) for h in households)[True] / len(households)
    assert 0.03 < share < 0.09
    assert any(h.disabled for h in households)
    assert any(h.left_behind_children for h in households)


def test_personal_data_is_visibly_fake(sample: SampleHouseholds) -> None:
    assert all(FAKE_PHONE.fullmatch(h.phone) for h in sample.households)
    assert all(2 <= len(h.head_name) <= 3 for h in sample.households)


def test_addresses_are_mostly_standard_some_messy_and_match(sample: SampleHouseholds) -> None:
    labels = {a.id: a.label() for a in [*sample.registry.addresses, *sample.registry.unregistered]}
    households = sample.households[::20]
    messy = sum(h.address != labels[h.address_id] for h in households) / len(households)
    assert 0.08 < messy < 0.25
    matcher = AddressMatcher(sample.registry.registry())
    results = matcher.match_many(h.address for h in households)
    matched = [r for r in results if r.matched]
    assert len(matched) > 0.95 * len(results)
    wrong = [
        (h.address, r.address.id)
        for h, r in zip(households, results, strict=True)
        if r.level is MatchLevel.DOOR and r.address is not None and r.address.id != h.address_id
    ]
    assert wrong == []


def test_addresses_csv_loads_as_a_registry(sample: SampleHouseholds) -> None:
    frame = pd.read_csv(io.StringIO(addresses_csv(sample.registry)), dtype=str, keep_default_na=False)
    frame = frame.replace("", None)
    registry = AddressRegistry.from_frame(frame)
    assert len(registry.addresses) == len(sample.registry.addresses)
    header = next(csv.reader(io.StringIO(households_csv(sample.households[:1]))))
    assert tuple(header) == HOUSEHOLD_COLUMNS
