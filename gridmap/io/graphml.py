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
import numpy.typing as npt
import pyproj
import shapely

from gridmap.errors import InvalidInput
from gridmap.io.osm import WalkProfile, Walkways, highway_values, is_walkable, open_compressed

_NAMESPACE = "{http://graphml.graphdrawing.org/xmlns}"
_DATA, _KEY, _NODE, _EDGE, _GRAPH = (f"{_NAMESPACE}{name}" for name in ("data", "key", "node", "edge", "graph"))
GeometryArray = npt.NDArray[np.object_]


def read_osmnx_graphml(path: Path, *, profile: WalkProfile = WalkProfile.DEFAULT) -> Walkways:
    """Walkable edges of an OSMnx GraphML file (plain, .bz2 or .gz) as WGS-84 LineStrings."""
    keys: dict[str, str] = {}  # key id -> attribute name
    crs = "EPSG:4326"
    node_xy: dict[str, tuple[float, float]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    try:
        with open_compressed(path) as handle:
            for _, element in ET.iterparse(handle, events=("end",)):
                tag = element.tag
                if tag == _DATA:  # most elements: read with their node or edge
                    continue
                if tag == _KEY:
                    keys[element.attrib["id"]] = element.attrib["attr.name"]
                elif tag in (_NODE, _EDGE, _GRAPH):
                    data = {}
                    for child in element:
                        if child.tag == _DATA:
                            key = child.attrib["key"]
                            data[keys.get(key, key)] = child.text or ""
                    if tag == _NODE:
                        node_xy[element.attrib["id"]] = (float(data["x"]), float(data["y"]))
                    elif tag == _EDGE:
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
    kept_edges: list[tuple[str, str]] = []
    wkt: list[str | None] = []
    walks_as: dict[tuple[str | None, ...], str | None] = {}  # by the tags `is_walkable` reads: few combinations
    for source, target, data in edges:
        tags = (data.get("highway"), data.get("access"), data.get("foot"))
        if tags not in walks_as:
            walks_as[tags] = _walkable_highway(data, profile)
        highway = walks_as[tags]
        if highway is None or source not in node_xy or target not in node_xy:
            continue
        kept_edges.append((source, target))
        wkt.append(data.get("geometry"))
        osmid = highway_values(data.get("osmid"))  # a list too when several ways were merged
        way_ids.append(int(osmid[0]) if osmid and osmid[0].lstrip("-").isdigit() else len(way_ids))
        highways.append(highway)
        names.append(highway_values(data["name"])[0] if data.get("name") else None)
    lines = _edge_lines(path, kept_edges, wkt, node_xy)
    # a two-way street is two edges, one drawn backwards: keep the first of each (walking has no direction)
    _, first = np.unique(shapely.to_wkb(shapely.normalize(lines)), return_index=True)
    kept = np.sort(first)
    geometries = lines[kept]
    if len(geometries) and not pyproj.CRS.from_user_input(crs).equals(pyproj.CRS.from_epsg(4326)):
        to_wgs84 = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
        geometries = shapely.transform(geometries, lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1])))
    return Walkways(
        way_id=np.asarray(way_ids, dtype=np.int64)[kept],
        highway=np.asarray(highways, dtype=np.object_)[kept],
        name=np.asarray(names, dtype=np.object_)[kept],
        lines=geometries,
    )


def _walkable_highway(tags: dict[str, str], profile: WalkProfile) -> str | None:
    """The first of an edge's `highway` values that makes it walkable (None: not walkable)."""
    if not is_walkable(tags, profile):
        return None
    return next(h for h in highway_values(tags.get("highway")) if is_walkable({**tags, "highway": h}, profile))


def _edge_lines(
    path: Path, edges: list[tuple[str, str]], wkt: list[str | None], node_xy: dict[str, tuple[float, float]]
) -> GeometryArray:
    """Each edge's line: its WKT `geometry`, or straight between its nodes where it has none."""
    lines = np.asarray(shapely.from_wkt(np.asarray(wkt, dtype=object), on_invalid="ignore"), dtype=object)
    given = np.asarray([text is not None for text in wkt], dtype=bool)
    unreadable = np.flatnonzero(shapely.is_missing(lines) & given)
    if len(unreadable):
        source, target = edges[unreadable[0]]
        msg = f"{path}: edge {source}-{target} has an unreadable geometry"
        raise InvalidInput(msg)
    straight = np.flatnonzero(shapely.is_missing(lines))
    ends = np.asarray([(node_xy[edges[i][0]], node_xy[edges[i][1]]) for i in straight], dtype=np.float64)
    lines[straight] = shapely.linestrings(ends.reshape(-1, 2, 2))
    return lines
