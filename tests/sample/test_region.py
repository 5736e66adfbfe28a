"""The sample-region generator: exact coverages, nesting, codes, names, the broken copy, committed files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from gridmap.geo.hierarchy import Level
from gridmap_demo.broken import KINDS
from gridmap_demo.codes import community_code
from gridmap_demo.files import (
    BOUNDARIES_FILE,
    BROKEN_FILE,
    PLANTED_FILE,
    RIVER_FILE,
    STREETS_FILE,
    write_region_files,
)
from gridmap_demo.lattice import CELLS_PER_SIDE
from gridmap_demo.layout import StreetKind, apportion
from gridmap_demo.names import REPORTED_COMPOUNDS, SHOUNING_COMMUNITIES, person_names
from gridmap_demo.region import (
    BOUNDARY_COLUMNS,
    CHENGDONG_GRID_WORKER,
    SampleRegion,
    _workers,
    generate_region,
    reading_order,
    write_sample_region,
)
from gridmap_demo.verify import code_problems, coverage_problems, nesting_problems, reading_order_problems

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMITTED = REPO_ROOT / "data"
ALL_FILES = (BOUNDARIES_FILE, BROKEN_FILE, PLANTED_FILE, STREETS_FILE, RIVER_FILE)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files of ALL_FILES as the command writes them: generated anew, apart from `region` (no households,
    which no test here reads)."""
    out = tmp_path_factory.mktemp("sample")
    write_sample_region(out, households=0)
    return out


def _features(path: Path) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["features"]
    return features


def _planted(out: Path) -> list[dict[str, Any]]:
    planted: list[dict[str, Any]] = json.loads((out / PLANTED_FILE).read_text(encoding="utf-8"))
    return planted


def test_counts_match_the_shouning_town(region: SampleRegion) -> None:
    levels = region.boundaries["level"].value_counts()
    assert levels[Level.COMMUNITY.value] == 9
    assert 40 <= levels[Level.GRID.value] <= 52
    assert 130 <= levels[Level.MICROGRID.value] <= 170
    children = region.boundaries[region.boundaries["parent"] != ""].groupby("parent").size()
    communities = set(region.level(Level.COMMUNITY)["code"])
    assert children[children.index.isin(communities)].between(4, 7).all()
    assert children[~children.index.isin(communities)].between(2, 5).all()


def test_columns_and_values(region: SampleRegion) -> None:
    frame = region.boundaries
    assert tuple(frame.columns) == BOUNDARY_COLUMNS
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    assert set(frame["level"]) == {level.value for level in Level}
    assert (frame.loc[frame["level"] == "community", "parent"] == "").all()
    assert frame["worker"].str.len().between(2, 3).all()
    grids, micro = region.level(Level.GRID), region.level(Level.MICROGRID)
    assert grids["households_target"].between(150, 500).all()
    assert micro["households_target"].between(30, 120).all()
    assert (micro.groupby("parent")["households_target"].sum() == grids.set_index("code")["households_target"]).all()
    lon, lat = shapely.get_coordinates(np.asarray(frame.geometry, dtype=object)).T
    assert 119.49 < lon.min() < lon.max() < 119.53
    assert 27.44 < lat.min() < lat.max() < 27.48


def test_every_level_is_an_exact_coverage_without_holes(region: SampleRegion) -> None:
    assert coverage_problems(region.boundaries) == []


def test_children_nest_exactly_in_their_parents(region: SampleRegion) -> None:
    assert nesting_problems(region.boundaries, region.layout.frame) == []


def test_codes_are_well_formed_and_numbered_west_to_east_north_to_south(region: SampleRegion) -> None:
    assert code_problems(region.boundaries) == []
    assert reading_order_problems(region.boundaries, region.layout.frame) == []
    assert region.level(Level.COMMUNITY)["code"].tolist() == [f"3509241000{n:02d}" for n in range(1, 10)]
    assert region.boundaries["code"].str.len().map({12: 1, 15: 1, 17: 1}).notna().all()


def test_names_and_people_from_the_report(region: SampleRegion) -> None:
    frame = region.boundaries
    assert set(region.level(Level.COMMUNITY)["name"]) == set(SHOUNING_COMMUNITIES)
    assert frame.loc[frame["code"] == "350924100001", "name"].item() == "大同社区"
    assert set(REPORTED_COMPOUNDS) <= set(region.level(Level.MICROGRID)["name"])
    assert region.level(Level.MICROGRID)["name"].is_unique
    grids = region.level(Level.GRID)
    chengdong = frame.loc[frame["name"] == "城东社区", "code"].item()
    assert grids.loc[grids["worker"] == "张发敏", "parent"].tolist() == [chengdong]
    assert grids["name"].str.fullmatch(r".+社区第\d网格").all()


def test_boundaries_follow_streets_and_the_river(region: SampleRegion) -> None:
    network, frame = region.layout.network, region.layout.frame
    roads = {kind: [s.geometry for s in network.streets if s.kind is kind] for kind in StreetKind}
    edge_lines = [network.outline.exterior, network.river]
    allowed = {
        Level.COMMUNITY: edge_lines + roads[StreetKind.ARTERIAL],
        Level.GRID: edge_lines + roads[StreetKind.ARTERIAL] + roads[StreetKind.STREET],
        Level.MICROGRID: edge_lines + [line for lines in roads.values() for line in lines],
    }
    for level, lines in allowed.items():
        corridor = shapely.union_all(lines).buffer(0.5)
        boundaries = shapely.union_all(shapely.boundary(frame.to_local(np.asarray(region.level(level).geometry))))
        assert boundaries.difference(corridor).length < 1.0, level


def test_streets_and_river(region: SampleRegion) -> None:
    assert set(region.streets["kind"]) == {kind.value for kind in StreetKind}
    assert {"环城路", "胜利街", "解放街", "东区路"} <= set(region.streets["name"])
    assert (region.streets.geom_type == "LineString").all()
    assert set(region.river["name"]) == {"蟾溪"}
    assert set(region.river.geom_type) == {"Polygon", "LineString"}


def test_same_seed_gives_identical_files_and_other_seeds_differ(
    written: Path, tmp_path: Path, region: SampleRegion
) -> None:
    write_region_files(region, tmp_path / "again")  # the module's region, generated apart from `written`
    for name in ALL_FILES:
        assert (tmp_path / "again" / name).read_bytes() == (written / name).read_bytes(), name
    other = generate_region(seed=7)
    assert not other.boundaries.geometry.iloc[0].equals(region.boundaries.geometry.iloc[0])


def test_committed_files_are_up_to_date(written: Path) -> None:
    for name in ALL_FILES:
        committed = COMMITTED / name
        assert committed.exists(), f"{committed} is missing: run `python -m gridmap_demo sample --out data`"
        assert committed.read_bytes() == (written / name).read_bytes(), f"{committed} is stale: regenerate it"


def test_written_boundaries_read_back_exactly(written: Path, region: SampleRegion) -> None:
    text = (written / BOUNDARIES_FILE).read_text(encoding="utf-8")
    assert '"crs"' not in text
    reread = gpd.read_file(written / BOUNDARIES_FILE)
    assert reread["code"].tolist() == region.boundaries["code"].tolist()
    assert shapely.equals_exact(
        np.asarray(reread.geometry, dtype=object), np.asarray(region.boundaries.geometry, dtype=object), tolerance=0
    ).all()
    assert coverage_problems(reread.fillna({"parent": ""})) == []
    # RFC 7946: exterior rings counter-clockwise.
    assert shapely.is_ccw(shapely.get_exterior_ring(np.asarray(reread.geometry, dtype=object))).all()


def test_planted_answer_key_lists_every_kind_once(written: Path) -> None:
    planted = _planted(written)
    primary = [entry["kind"] for entry in planted if "consequence_of" not in entry]
    assert sorted(primary) == sorted(KINDS)
    for entry in planted:
        assert set(entry) >= {"kind", "codes", "level", "area_m2", "description"}
        assert entry["codes"] and entry["level"] in {level.value for level in Level}
        assert entry.get("consequence_of", entry["kind"]) in KINDS
    by_kind = {entry["kind"]: entry for entry in planted if "consequence_of" not in entry}
    for kind in ("overlap", "gap", "not_nested", "sliver"):
        assert by_kind[kind]["area_m2"] > 0
    consequences = {(entry["kind"], entry["consequence_of"]) for entry in planted if "consequence_of" in entry}
    assert ("overlap", "not_nested") in consequences
    assert ("missing_parent", "bad_code") in consequences


def test_broken_file_holds_the_planted_problems(written: Path) -> None:
    features = _features(written / BROKEN_FILE)
    assert all(feature["type"] == "Feature" for feature in features)
    by_kind = {entry["kind"]: entry for entry in _planted(written) if "consequence_of" not in entry}
    features_of: dict[str, list[dict[str, Any]]] = {}
    for feature in features:
        features_of.setdefault(feature["properties"]["code"], []).append(feature)

    def geometry(kind: str, position: int = 0) -> BaseGeometry:
        return shape(features_of[by_kind[kind]["codes"][position]][0]["geometry"])

    assert features_of[by_kind["empty_geometry"]["codes"][0]][0]["geometry"] is None
    assert geometry("not_polygon").geom_type == "LineString"
    assert not geometry("invalid_geometry").is_valid
    assert shapely.get_coordinates(geometry("coordinates_out_of_range"))[:, 1].min() > 90
    lon, lat = shapely.get_coordinates(geometry("outside_china")).mean(axis=0)
    assert abs(lon - 2.35) < 0.01 and abs(lat - 48.85) < 0.01
    assert len(features_of[by_kind["duplicate_code"]["codes"][0]]) == 2
    bad = features_of[by_kind["bad_code"]["codes"][0]][0]["properties"]
    assert not bad["code"].startswith(bad["parent"]) and len(bad["code"]) == 15
    assert features_of[by_kind["missing_parent"]["codes"][0]][0]["properties"]["parent"] not in features_of
    wrong = features_of[by_kind["wrong_parent_level"]["codes"][0]][0]["properties"]
    assert features_of[wrong["parent"]][0]["properties"]["level"] == "community"


def test_planted_areas_match_the_broken_file(written: Path, region: SampleRegion) -> None:
    features = {f["properties"]["code"]: f for f in _features(written / BROKEN_FILE)}
    clean = {f["properties"]["code"]: shape(f["geometry"]) for f in _features(written / BOUNDARIES_FILE)}
    by_kind = {entry["kind"]: entry for entry in _planted(written) if "consequence_of" not in entry}
    frame = region.layout.frame

    def area(geometry: BaseGeometry) -> float:
        return float(frame.area_m2(np.array([geometry], dtype=object))[0])

    first, second = (shape(features[code]["geometry"]) for code in by_kind["overlap"]["codes"])
    assert area(first.intersection(second)) == pytest.approx(by_kind["overlap"]["area_m2"], rel=0.01)
    (grid,) = by_kind["gap"]["codes"]
    children = [shape(f["geometry"]) for f in features.values() if f["properties"]["parent"] == grid]
    uncovered = clean[grid].difference(shapely.union_all(children))
    assert area(uncovered) == pytest.approx(by_kind["gap"]["area_m2"], rel=0.01)
    (pushed,) = by_kind["not_nested"]["codes"]
    outside = shape(features[pushed]["geometry"]).difference(clean[features[pushed]["properties"]["parent"]])
    assert area(outside) == pytest.approx(by_kind["not_nested"]["area_m2"], rel=0.01)
    (sliver,) = by_kind["sliver"]["codes"]
    strip = shape(features[sliver]["geometry"])
    assert strip.is_valid and area(strip) == pytest.approx(by_kind["sliver"]["area_m2"], rel=0.01)
    assert 2 * area(strip) / frame.to_metric(np.array([strip]))[0].length < 2.0  # mean width under 2 m
    first, second = (shape(features[code]["geometry"]) for code in by_kind["edge_mismatch"]["codes"])
    assert first.intersection(second).area == 0
    assert not shapely.coverage_is_valid(np.array([first, second]), gap_width=0)


@settings(max_examples=3, deadline=None)
@given(communities=st.integers(min_value=1, max_value=9), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_an_exact_nested_town(communities: int, seed: int) -> None:
    generated = generate_region(communities=communities, seed=seed)
    assert generated.boundaries["level"].eq("community").sum() == communities
    assert coverage_problems(generated.boundaries) == []
    assert nesting_problems(generated.boundaries, generated.layout.frame) == []
    assert code_problems(generated.boundaries) == []


@settings(max_examples=3, deadline=None)
@given(communities=st.integers(min_value=10, max_value=40), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_an_exact_nested_lattice(communities: int, seed: int) -> None:
    generated = generate_region(communities=communities, seed=seed)
    assert generated.boundaries["level"].eq("community").sum() == communities
    assert coverage_problems(generated.boundaries) == []
    assert nesting_problems(generated.boundaries, generated.layout.frame) == []
    assert code_problems(generated.boundaries) == []
    assert reading_order_problems(generated.boundaries, generated.layout.frame) == []


@settings(max_examples=3, deadline=None)
@given(communities=st.integers(min_value=10, max_value=60), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_a_lattice_has_the_sizes_asked_and_every_row_complete(communities: int, seed: int) -> None:
    generated = generate_region(communities=communities, seed=seed)
    counts = generated.boundaries["level"].value_counts()
    assert counts["community"] == communities
    assert counts["microgrid"] == CELLS_PER_SIDE**2 * communities
    assert counts["grid"] == generated.layout.grid_count
    assert 4 * communities <= counts["grid"] <= 7 * communities  # the lattice's grid patterns
    assert generated.boundaries[list(BOUNDARY_COLUMNS)].notna().all().all()
    assert (generated.boundaries["worker"] != "").all()
    assert (generated.boundaries["worker"] == CHENGDONG_GRID_WORKER).sum() == 1  # placed in 城东社区 only


def test_workers_are_as_many_as_asked_when_the_reported_worker_is_drawn_twice() -> None:
    # seed 292 draws the reported worker twice among 5,001 names (a 100,000-grid lattice draws it several times)
    assert person_names(5_001, np.random.default_rng(292), unique=False).count(CHENGDONG_GRID_WORKER) >= 2
    workers = _workers(5_000, np.random.default_rng(292), unique=False)
    assert len(workers) == 5_000 and CHENGDONG_GRID_WORKER not in workers


def test_community_codes_continue_in_the_next_town_after_999() -> None:
    assert community_code(0) == "350924100001"
    assert community_code(998) == "350924100999"
    assert community_code(999) == "350924101001"


def test_reading_order_goes_by_rows_then_west_to_east() -> None:
    x = np.array([10.0, 0.0, 5.0, 0.0])
    y = np.array([100.0, 98.0, 0.0, 3.0])
    assert reading_order(x, y, row_height=10.0).tolist() == [1, 0, 3, 2]


@given(
    weights=st.lists(st.floats(min_value=0.1, max_value=10.0), min_size=1, max_size=12),
    extra=st.integers(min_value=0, max_value=36),
)
def test_apportion_keeps_the_total_and_the_bounds(weights: list[float], extra: int) -> None:
    total = min(2 * len(weights) + extra, 5 * len(weights))
    shares = apportion(total, weights, 2, 5)
    assert sum(shares) == total and all(2 <= share <= 5 for share in shares)


def test_too_few_communities_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one community"):
        generate_region(communities=0)
