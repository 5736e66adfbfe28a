"""Walkable ways from OpenStreetMap files: a hand-written file with known answers, and real extracts.

The real extracts in tests/fixtures/osm/ are OpenStreetMap data (ODbL, see the README there) copied from OSMnx's
test data, with OSMnx's own known answers.
"""

from __future__ import annotations

import bz2
import gzip
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import osmium
import pyproj
import pytest
import shapely

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.crs import Datum, metric_crs, wgs84_to_gcj02
from gridmap.geo.network import WalkingNetwork
from gridmap.io.osm import WalkProfile, is_walkable, read_walkways

OSM = Path(__file__).resolve().parents[1] / "fixtures" / "osm"
HAND = OSM / "shouning-walkways.osm"

# way id -> (highway, name, node coordinates) expected from the hand-written file
EXPECTED = {
    101: ("residential", "环城路", [(119.5100, 27.46), (119.5110, 27.46), (119.5120, 27.46)]),
    102: ("footway", None, [(119.5110, 27.461), (119.5110, 27.46), (119.5110, 27.459)]),
    104: ("trunk", None, [(119.5120, 27.46), (119.5130, 27.46)]),
    107: ("service", None, [(119.5110, 27.459), (119.5120, 27.46)]),
    110: ("cycleway", None, [(119.5110, 27.461), (119.5120, 27.46)]),
}
STEPS_RUNS = [[(119.5130, 27.46), (119.5140, 27.46)], [(119.5150, 27.46), (119.5160, 27.46)]]


def check_hand_written(ways: object) -> None:
    """The walkways read from the hand-written file (in any format) are exactly the expected ones."""
    from gridmap.io.osm import Walkways

    assert isinstance(ways, Walkways)
    assert sorted(ways.way_id.tolist()) == [101, 102, 104, 107, 110, 111, 111]
    for way_id, (highway, name, coords) in EXPECTED.items():
        (row,) = np.flatnonzero(ways.way_id == way_id)
        assert ways.highway[row] == highway
        assert ways.name[row] == name
        np.testing.assert_allclose(shapely.get_coordinates(ways.lines[row]), coords, atol=1e-7)
    steps = np.flatnonzero(ways.way_id == 111)
    assert set(ways.name[steps]) == {"朝阳新村"}
    runs = sorted(shapely.get_coordinates(ways.lines[i]).tolist() for i in steps)
    np.testing.assert_allclose(runs, STEPS_RUNS, atol=1e-7)


def test_hand_written_xml_gives_exactly_the_walkable_ways() -> None:
    check_hand_written(read_walkways(HAND))


@pytest.mark.parametrize(("suffix", "compress"), [(".osm.bz2", bz2.compress), (".osm.gz", gzip.compress)])
def test_compressed_xml_reads_the_same(tmp_path: Path, suffix: str, compress: object) -> None:
    path = tmp_path / f"walkways{suffix}"
    assert callable(compress)
    path.write_bytes(compress(HAND.read_bytes()))
    check_hand_written(read_walkways(path))


def test_pbf_written_from_the_hand_written_file_reads_the_same(tmp_path: Path) -> None:
    pbf = tmp_path / "walkways.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:  # sorted like every real PBF: nodes, then ways, then relations
        for kind in (osmium.osm.NODE, osmium.osm.WAY, osmium.osm.RELATION):
            for entity in osmium.FileProcessor(str(HAND), kind):
                writer.add(entity)
    check_hand_written(read_walkways(pbf))


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "living_street"}, True),
        ({"highway": "primary"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway", "foot": "yes"}, False),
        ({"highway": "trunk"}, False),
        ({"highway": "trunk_link", "foot": "permissive"}, True),
        ({"highway": "residential", "foot": "no"}, False),
        ({"highway": "secondary", "foot": "use_sidepath"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "track", "access": "no"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "proposed"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_walkability_rules(tags: dict[str, str], walkable: bool) -> None:
    assert is_walkable(tags) is walkable


@pytest.mark.parametrize(
    ("tags", "default", "cn"),
    [
        ({"highway": "trunk"}, False, True),  # a national road through a Chinese town centre, with pavements
        ({"highway": "trunk_link"}, False, True),
        ({"highway": "trunk", "foot": "no"}, False, False),
        ({"highway": "trunk", "access": "no"}, False, False),
        ({"highway": "primary"}, True, True),
        ({"highway": "primary", "foot": "no"}, False, False),
        ({"highway": "motorway"}, False, False),
        ({"highway": "['residential', 'service']"}, True, True),  # OSMnx's list of merged ways
        ({"highway": "['motorway', 'motorway_link']"}, False, False),
        ({"highway": "['trunk', 'motorway_link']"}, False, True),
        ({"highway": "['cycleway', 'motorway']", "foot": "yes"}, True, True),
    ],
)
def test_walk_profiles_and_list_valued_highways(tags: dict[str, str], default: bool, cn: bool) -> None:
    assert is_walkable(tags, WalkProfile.DEFAULT) is default
    assert is_walkable(tags, WalkProfile.CN) is cn


def test_osmnx_geojson_with_list_valued_highways(tmp_path: Path) -> None:
    """OSMnx's GeoDataFrame.to_file writes a merged edge's highway list as text; a plain JSON list works too."""
    features = [
        ({"highway": "['residential', 'service']", "name": "['东街', '东巷']"}, [(119.5, 27.46), (119.501, 27.46)]),
        ({"highway": ["service", "footway"]}, [(119.501, 27.46), (119.502, 27.46)]),
        ({"highway": "['motorway', 'motorway_link']"}, [(119.5, 27.461), (119.502, 27.461)]),
        ({"highway": "trunk"}, [(119.5, 27.462), (119.502, 27.462)]),
    ]
    path = tmp_path / "osmnx_edges.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": p, "geometry": {"type": "LineString", "coordinates": c}}
                    for p, c in features
                ],
            }
        ),
        encoding="utf-8",
    )
    ways = read_walkways(path)
    assert ways.highway.tolist() == ["residential", "service"]
    assert read_walkways(path, profile=WalkProfile.CN).highway.tolist() == ["residential", "service", "trunk"]


GRAPHML = """<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="d0" for="graph" attr.name="crs" attr.type="string" />
  <key id="d1" for="node" attr.name="y" attr.type="string" />
  <key id="d2" for="node" attr.name="x" attr.type="string" />
  <key id="d3" for="edge" attr.name="osmid" attr.type="string" />
  <key id="d4" for="edge" attr.name="highway" attr.type="string" />
  <key id="d5" for="edge" attr.name="name" attr.type="string" />
  <key id="d6" for="edge" attr.name="geometry" attr.type="string" />
  <graph edgedefault="directed">
    <data key="d0">EPSG:32650</data>
    <node id="1"><data key="d1">3343000</data><data key="d2">308000</data></node>
    <node id="2"><data key="d1">3343000</data><data key="d2">308100</data></node>
    <node id="3"><data key="d1">3343100</data><data key="d2">308100</data></node>
    <node id="4"><data key="d1">3343200</data><data key="d2">308100</data></node>
    <edge source="1" target="2" id="0"><data key="d3">[11, 12]</data><data key="d4">['residential', 'service']</data>
      <data key="d5">团城路</data>
      <data key="d6">LINESTRING (308000 3343000, 308050 3343010, 308100 3343000)</data></edge>
    <edge source="2" target="1" id="0"><data key="d3">[11, 12]</data><data key="d4">['residential', 'service']</data>
      <data key="d5">团城路</data>
      <data key="d6">LINESTRING (308100 3343000, 308050 3343010, 308000 3343000)</data></edge>
    <edge source="2" target="3" id="0"><data key="d3">13</data><data key="d4">trunk</data></edge>
    <edge source="3" target="4" id="0"><data key="d3">14</data><data key="d4">motorway</data></edge>
  </graph>
</graphml>
"""


def test_osmnx_graphml_is_read_projected_back_to_wgs84(tmp_path: Path) -> None:
    """A projected OSMnx GraphML (UTM 50N, as the Huangshi town is saved): both directions kept once."""
    path = tmp_path / "town.graphml"
    path.write_text(GRAPHML, encoding="utf-8")
    ways = read_walkways(path)
    assert ways.way_id.tolist() == [11]
    assert ways.highway.tolist() == ["residential"]
    assert ways.name.tolist() == ["团城路"]
    to_utm = pyproj.Transformer.from_crs(4326, 32650, always_xy=True)
    back = np.column_stack(to_utm.transform(*shapely.get_coordinates(ways.lines).T))
    np.testing.assert_allclose(back, [[308000, 3343000], [308050, 3343010], [308100, 3343000]], atol=1e-3)
    cn = read_walkways(path, profile=WalkProfile.CN)
    assert cn.highway.tolist() == ["residential", "trunk"]
    assert shapely.length(to_utm_lines(cn.lines[1], to_utm)) == pytest.approx(100.0, abs=1e-3)  # no geometry: straight


def to_utm_lines(lines: shapely.Geometry, transformer: pyproj.Transformer) -> shapely.Geometry:
    return shapely.transform(lines, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def test_a_broken_graphml_is_invalid_input(tmp_path: Path) -> None:
    path = tmp_path / "broken.graphml"
    path.write_text(GRAPHML[: len(GRAPHML) // 2], encoding="utf-8")
    with pytest.raises(InvalidInput, match="GraphML"):
        read_walkways(path)


def test_real_extract_xml_and_pbf_agree() -> None:
    """OSMnx's known answer: the Aguascalientes extract gives the same network from XML and from PBF."""
    xml = read_walkways(OSM / "aguascalientes.osm.bz2")
    pbf = read_walkways(OSM / "aguascalientes.osm.pbf")
    assert len(xml) > 500
    assert xml.way_id.tolist() == pbf.way_id.tolist()
    assert xml.highway.tolist() == pbf.highway.tolist()
    assert xml.name.tolist() == pbf.name.tolist()
    assert shapely.equals_exact(xml.lines, pbf.lines, tolerance=1e-7).all()
    assert "motorway" not in set(xml.highway)


def test_real_extract_builds_the_known_junction() -> None:
    """OSMnx's known answer: West Oakland node 53098262 joins nodes 53092170, 53060438, 53027353, 667744075."""
    path = OSM / "west-oakland.osm.bz2"
    ways = read_walkways(path)
    assert {"8th Street", "Willow Street"} <= set(ways.name)
    with bz2.open(path) as handle:
        nodes = {
            int(n.attrib["id"]): (float(n.attrib["lon"]), float(n.attrib["lat"])) for n in ET.parse(handle).iter("node")
        }
    to_metres = pyproj.Transformer.from_crs(4326, metric_crs(*shapely.total_bounds(ways.lines)), always_xy=True)
    lines = shapely.transform(ways.lines, lambda xy: np.column_stack(to_metres.transform(xy[:, 0], xy[:, 1])))
    network = WalkingNetwork.from_lines(lines)

    def node_at(osm_id: int) -> int:
        x, y = to_metres.transform(*nodes[osm_id])
        gap = np.hypot(network.node_xy[:, 0] - x, network.node_xy[:, 1] - y)
        assert gap.min() < 1e-6
        return int(gap.argmin())

    centre = node_at(53098262)
    neighbours = set(network.edge_v[network.edge_u == centre]) | set(network.edge_u[network.edge_v == centre])
    assert neighbours == {node_at(n) for n in (53092170, 53060438, 53027353, 667744075)}


def test_geojson_lines_filtered_and_converted(tmp_path: Path) -> None:
    lon, lat = np.array([119.51, 119.52]), np.array([27.46, 27.46])
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    features = [
        {"type": "Feature", "properties": {"highway": "footway", "name": "小巷"},
         "geometry": {"type": "LineString", "coordinates": np.column_stack([gcj_lon, gcj_lat]).tolist()}},
        {"type": "Feature", "properties": {"highway": "motorway"},
         "geometry": {"type": "LineString", "coordinates": [[119.5, 27.4], [119.6, 27.5]]}},
        {"type": "Feature", "properties": {},
         "geometry": {"type": "MultiLineString", "coordinates": [[[0, 0], [0, 1]], [[1, 1], [1, 2]]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}},
    ]  # fmt: skip
    path = tmp_path / "streets.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    ways = read_walkways(path, datum=Datum.GCJ02)
    assert ways.way_id.tolist() == [0, 2, 2]
    assert ways.name[0] == "小巷"
    np.testing.assert_allclose(shapely.get_coordinates(ways.lines[0]), np.column_stack([lon, lat]), atol=1e-7)


def test_unusable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        read_walkways(tmp_path / "absent.osm")
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lat='27.4' lon='119.5'></osm>", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"broken\.osm"):
        read_walkways(broken)
    other = tmp_path / "streets.shp"
    other.write_bytes(b"")
    with pytest.raises(InvalidInput, match=r"\.osm\.pbf"):
        read_walkways(other)
