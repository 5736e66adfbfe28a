"""Life-circle service on hand-made streets whose answers are known: times, coverage, isochrones, siting."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridmap.errors import InvalidInput
from gridmap.geo.crs import LocalMetres
from gridmap.services.lifecircle import (
    LifeCircle,
    households_frame,
    network_from_lines,
    read_facilities,
    read_households,
)

LON0, LAT0 = 119.51, 27.46
# a frame centred on (LON0, LAT0), as the service's own is for the symmetric networks below
FRAME = LocalMetres(LON0 - 0.01, LAT0 - 0.01, LON0 + 0.01, LAT0 + 0.01)


def wgs(geometries: list[shapely.Geometry]) -> list[shapely.Geometry]:
    """Local-metre geometries in WGS-84."""
    return list(FRAME.to_wgs84(np.asarray(geometries, dtype=object)))


def points(*xy: tuple[float, float]) -> list[shapely.Geometry]:
    """WGS-84 points at local metres."""
    return wgs([shapely.Point(x, y) for x, y in xy])


def street() -> list[shapely.Geometry]:
    """One straight street 1 km long, west to east through the origin."""
    return wgs([shapely.LineString([(-500, 0), (500, 0)])])


def facilities(*rows: tuple[str, float, float]) -> gpd.GeoDataFrame:
    """Facilities of the given type at local metres."""
    return gpd.GeoDataFrame(
        {"name": [f"f{i}" for i in range(len(rows))], "type": [r[0] for r in rows]},
        geometry=points(*[(r[1], r[2]) for r in rows]),
        crs="EPSG:4326",
    )


def along_street(*xs: float) -> gpd.GeoDataFrame:
    """Households on the street at these x (metres)."""
    return households_frame(points(*[(x, 0.0) for x in xs]), people=[2.0] * len(xs))


def test_walking_minutes_along_a_street_and_the_5_minute_circle() -> None:
    town = LifeCircle(
        network_from_lines(street()), along_street(-400, -110, 150, 290, 310), facilities(("red_station", -400, 0))
    )
    expected = np.array([0, 290, 550, 690, 710]) / 60.0
    np.testing.assert_allclose(town.minutes["red_station"], expected, atol=1e-4)
    assert town.covered["red_station"].tolist() == [True, True, False, False, False]
    # no kindergarten at all: never reached
    assert np.isinf(town.minutes["kindergarten"]).all()
    assert not town.covered["kindergarten"].any()


def test_slower_walkers_take_longer_and_fall_out_of_the_circle() -> None:
    households = along_street(200)
    fast = LifeCircle(network_from_lines(street()), households, facilities(("red_station", 0, 0)), speed=1.0)
    slow = LifeCircle(network_from_lines(street()), households, facilities(("red_station", 0, 0)), speed=0.5)
    assert slow.minutes["red_station"][0] == pytest.approx(2 * fast.minutes["red_station"][0])
    assert fast.covered["red_station"][0]
    assert not slow.covered["red_station"][0]  # 400 s > 300 s
    with pytest.raises(InvalidInput):
        LifeCircle(network_from_lines(street()), households, facilities(), speed=0)


def test_crossing_lines_join_only_when_crossings_are_noded() -> None:
    cross = wgs([shapely.LineString([(-500, 0), (500, 0)]), shapely.LineString([(0, -500), (0, 500)])])
    households = households_frame(points((0, 200)))
    station = facilities(("red_station", 100, 0))
    noded = LifeCircle(network_from_lines(cross, node_crossings=True), households, station)
    assert noded.minutes["red_station"][0] == pytest.approx(300 / 60.0, abs=1e-3)
    bridge = LifeCircle(network_from_lines(cross, node_crossings=False), households, station)
    assert np.isinf(bridge.minutes["red_station"][0])  # a bridge over a street without a shared node


def test_connector_length_counts() -> None:
    town = LifeCircle(
        network_from_lines(street()), households_frame(points((100, 40))), facilities(("food_market", 0, -30))
    )
    assert town.minutes["food_market"][0] == pytest.approx((30 + 100 + 40) / 60.0, abs=1e-3)


def boundaries() -> gpd.GeoDataFrame:
    """A community of two grids, west and east of the origin."""
    west, east = shapely.box(-600, -100, 0, 100), shapely.box(0, -100, 600, 100)
    return gpd.GeoDataFrame(
        {
            "code": ["350924100001", "350924100001001", "350924100001002"],
            "name": ["大同社区", "西网格", "东网格"],
            "level": ["community", "grid", "grid"],
            "parent": [None, "350924100001", "350924100001"],
        },
        geometry=wgs([shapely.union(west, east), west, east]),
        crs="EPSG:4326",
    )


def test_coverage_per_grid_community_and_town() -> None:
    households = households_frame(points((-300, 10), (-200, 10), (250, 10), (450, 10)), people=[1, 3, 2, 4])
    town = LifeCircle(
        network_from_lines(street()),
        households,
        facilities(("red_station", -250, 0), ("primary_school", 0, 0)),
        boundaries=boundaries(),
    )
    assert town.areas["grid"].tolist() == ["350924100001001"] * 2 + ["350924100001002"] * 2
    assert set(town.areas["community"]) == {"350924100001"}
    grids = town.coverage("grid")
    west, east = grids.loc["350924100001001"], grids.loc["350924100001002"]
    assert (west["households"], west["people"]) == (2, 4)
    assert west["name"] == "西网格"
    assert west["red_station"] == 1.0
    assert east["red_station"] == 0.0
    # the school (10 min = 600 m) reaches x=250 and x=450 (with the 10 m connectors) and both western ones
    assert east["primary_school"] == 1.0
    # 5-minute level: 1 of its 4 types in the west; 10-minute: 2 of 8; east: 0 of 4 and 1 of 8
    assert west["complete_5"] == pytest.approx(0.25)
    assert west["complete_10"] == pytest.approx(0.25)
    assert east["complete_5"] == 0.0
    assert east["complete_10"] == pytest.approx(0.125)
    whole = town.coverage()
    assert whole.loc["all", "red_station"] == 0.5
    assert whole.loc["all", "red_station_people"] == pytest.approx(4 / 10)
    assert town.coverage("community").loc["350924100001", "households"] == 4
    assert town.worst_grids(1).index.tolist() == ["350924100001002"]
    with pytest.raises(InvalidInput):
        town.coverage("street")


def test_isochrones_follow_the_street() -> None:
    town = LifeCircle(network_from_lines(street()), along_street(0), facilities(("red_station", -200, 0)))
    shapes = town.isochrones(minutes=(5,))
    assert len(shapes) == 1
    assert shapes.crs.to_epsg() == 4326
    polygon = FRAME.to_local(shapes.geometry.iloc[0])
    assert polygon.contains(shapely.Point(-200 + 290, 0))
    assert not polygon.contains(shapely.Point(-200 + 330, 0))
    assert not polygon.contains(shapely.Point(-200, 200))  # a straight buffer would hold it
    assert town.isochrones().shape[0] == 3


def test_propose_picks_the_site_that_covers_the_most() -> None:
    households = along_street(-450, -420, 300, 350, 400, 450)
    town = LifeCircle(network_from_lines(street()), households, facilities(("kindergarten", -450, 0)))
    proposal = town.propose("kindergarten", 1, candidates=points((-100, 0), (380, 0)))
    assert proposal.covered_before == 2
    assert proposal.gain == 4
    assert proposal.share_after == 1.0
    site = FRAME.to_local(proposal.sites.geometry.iloc[0])
    assert site.distance(shapely.Point(380, 0)) < 0.01
    assert proposal.sites["gain"].tolist() == [4.0]
    # by default every street node is a candidate; the east end covers the four eastern households
    assert town.propose("kindergarten", 1).gain == 4
    with pytest.raises(InvalidInput):
        town.propose("casino", 1)
    with pytest.raises(InvalidInput):
        town.propose("kindergarten", 0)


def test_read_facilities_checks_the_types(tmp_path: Path) -> None:
    good = tmp_path / "good.geojson"
    facilities(("red_station", 0, 0)).to_file(good, driver="GeoJSON")
    assert read_facilities(good)["type"].tolist() == ["red_station"]
    bad = tmp_path / "bad.geojson"
    facilities(("casino", 0, 0)).to_file(bad, driver="GeoJSON")
    with pytest.raises(InvalidInput, match="casino"):
        read_facilities(bad)


def test_read_households_takes_people_when_given(tmp_path: Path) -> None:
    with_people = tmp_path / "h.csv"
    with_people.write_text("lon,lat,people\n119.51,27.46,3\n119.52,27.47,\n", encoding="utf-8")
    assert read_households(with_people)["people"].tolist() == [3.0, 1.0]
    without = tmp_path / "p.csv"
    without.write_text("lng,lat\n119.51,27.46\n", encoding="utf-8")
    frame = read_households(without)
    assert frame["people"].tolist() == [1.0]
    assert frame.geometry.iloc[0].x == pytest.approx(119.51)
