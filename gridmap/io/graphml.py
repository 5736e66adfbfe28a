"""Walkable edges of an OSMnx GraphML file, the format analysts save street networks in.

OSMnx (`ox.save_graphml`) writes a MultiDiGraph: nodes with `x`, `y` in the graph's `crs` (a graph
attribute: EPSG:4326 unless the graph was projected), edges with `highway` (a list written as text when
simplification merged several ways: "['residential', 'service']"), `name`, `osmid` and, for simplified
edges, a WKT `geometry`; an edge without one is straight between its nodes. Both directions of a two-way
street are separate edges, one drawn backwards: only the first is kept, as walking ignores `oneway`.
Edges are filtered by `gridmap.io.osm.is_walkable` on the tags OSMnx kept (by default `highway` and
`access`, rarely `foot`). Read with the standard library's streaming XML parser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyproj
import shapely

from gridmap.errors import InvalidInput
from gridmap.io.osm import WalkProfile, Walkways, highway_values, is_walkable, open_compressed

_NAMESPACE = "{http://graphml.graphdrawing.org/xmlns}"


def read_osmnx_graphml(path: Path, *, profile: WalkProfile = WalkProfile.DEFAULT) -> Walkways:
    """Walkable edges of an OSMnx GraphML file (plain, .bz2 or .gz) as WGS-84 LineStrings."""
    keys: dict[str, str] = {}  # key id -> attribute name
    crs = "EPSG:4326"
    node_xy: dict[str, tuple[float, float]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    try:
        with open_compressed(path) as handle:
            for _, element in ET.iterparse(handle, events=("end",)):
                tag = element.tag.removeprefix(_NAMESPACE)
                if tag == "key":
                    keys[element.attrib["id"]] = element.attrib["attr.name"]
                elif tag in ("node", "edge", "graph"):
                    data = {
                        keys.get(d.attrib["key"], d.attrib["key"]): d.text or ""
                        for d in element.findall(f"{_NAMESPACE}data")
                    }
                    if tag == "node":
                        node_xy[element.attrib["id"]] = (float(data["x"]), float(data["y"]))
                    elif tag == "edge":
                        edges.append((element.attrib["source"], element.attrib["target"], data))
                    else:
                        crs = data.get("crs", crs)
                    element.clear()
    except (ET.ParseError, KeyError, ValueError) as error:
        msg = f"{path}: not a readable OSMnx GraphML file ({error})"
        raise InvalidInput(msg) from None
    way_ids: list[int] = []
    highways: list[str] = []
    names: list[str | None] = []
    lines: list[shapely.Geometry] = []
    for source, target, data in edges:
        if not is_walkable(data, profile) or source not in node_xy or target not in node_xy:
            continue
        try:
            line = shapely.from_wkt(data["geometry"]) if "geometry" in data else None
        except shapely.errors.GEOSException:
            msg = f"{path}: edge {source}-{target} has an unreadable geometry"
            raise InvalidInput(msg) from None
        lines.append(line if line is not None else shapely.LineString([node_xy[source], node_xy[target]]))
        osmid = highway_values(data.get("osmid"))  # a list too when several ways were merged
        way_ids.append(int(osmid[0]) if osmid and osmid[0].lstrip("-").isdigit() else len(way_ids))
        highways.append(
            next(h for h in highway_values(data.get("highway")) if is_walkable({**data, "highway": h}, profile))
        )
        names.append(highway_values(data["name"])[0] if data.get("name") else None)
    # a two-way street is two edges, one drawn backwards: keep the first of each (walking has no direction)
    _, first = np.unique(shapely.to_wkb(shapely.normalize(np.asarray(lines, dtype=object))), return_index=True)
    kept = np.sort(first)
    geometries = np.asarray(lines, dtype=object)[kept]
    if len(geometries) and not pyproj.CRS.from_user_input(crs).equals(pyproj.CRS.from_epsg(4326)):
        to_wgs84 = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
        geometries = shapely.transform(geometries, lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1])))
    return Walkways(
        way_id=np.asarray(way_ids, dtype=np.int64)[kept],
        highway=np.asarray(highways, dtype=np.object_)[kept],
        name=np.asarray(names, dtype=np.object_)[kept],
        lines=geometries,
    )
