"""Walkable ways from OpenStreetMap files (.osm XML, plain or .bz2/.gz; .osm.pbf) and from GeoJSON lines.

Everything comes out as WGS-84 LineStrings with the way's id, highway type and name, read offline. XML is
streamed with the standard library's iterparse, so memory grows with the nodes' coordinates, not the file;
.osm.pbf needs pyosmium (`pip install osmium`). A way that leaves the extract (a node reference without
coordinates) is cut there into the runs of nodes that are present.

Which ways are walkable (OpenStreetMap's highway values):
- always: footway, pedestrian, path, steps, corridor, living_street, residential, service, unclassified,
  road, track, and tertiary, secondary, primary with their _link roads (Chinese town streets of every class
  carry pavements, and `sidewalk` is rarely mapped);
- only with foot=yes/designated/permissive/official: cycleway, bridleway, trunk, trunk_link (in the `cn`
  profile trunk and trunk_link are walkable like primary: national roads tagged trunk run through Chinese
  town centres with pavements);
- never: motorway and motorway_link, anything else (construction, proposed, platform, raceway ...), ways
  with foot=no/private/use_sidepath, and ways with access=no/private unless foot explicitly allows walking.
Closed pedestrian areas (area=yes) are kept as their outline, which still links the streets meeting them.
A `highway` holding several values, as OSMnx writes a simplified edge made of several ways
(`"['residential', 'service']"`), is walkable when one of its values is.
"""

from __future__ import annotations

import ast
import bz2
import gzip
import json
import xml.etree.ElementTree as ET
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import shape

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.crs import Datum, to_wgs84

WALKABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "pedestrian",
        "path",
        "steps",
        "corridor",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "road",
        "track",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
    }
)
WALKABLE_WITH_FOOT_ACCESS = frozenset({"cycleway", "bridleway", "trunk", "trunk_link"})
WALKABLE_IN_CN = frozenset({"trunk", "trunk_link"})  # with pavements unless foot=no
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "official"})
FOOT_FORBIDDEN = frozenset({"no", "private", "use_sidepath"})
ACCESS_FORBIDDEN = frozenset({"no", "private"})

GeometryArray = npt.NDArray[np.object_]


class WalkProfile(StrEnum):
    """Which highways are walkable: `default` follows OpenStreetMap's access tags, `cn` adds trunk roads."""

    DEFAULT = "default"
    CN = "cn"


@dataclass(frozen=True)
class Walkways:
    """Walkable ways as WGS-84 LineStrings, one row per line (a way cut at missing nodes gives several)."""

    way_id: npt.NDArray[np.int64]
    highway: npt.NDArray[np.object_]  # str
    name: npt.NDArray[np.object_]  # str or None
    lines: GeometryArray

    def __len__(self) -> int:
        return len(self.lines)


def is_walkable(tags: Mapping[str, str], profile: WalkProfile = WalkProfile.DEFAULT) -> bool:
    """Whether a way with these OpenStreetMap tags can be walked (see the module docstring for the rules)."""
    foot = tags.get("foot")
    if foot in FOOT_FORBIDDEN:
        return False
    access_ok = tags.get("access") not in ACCESS_FORBIDDEN or foot in FOOT_ALLOWED
    for highway in highway_values(tags.get("highway")):
        if highway in WALKABLE_HIGHWAYS or (profile == WalkProfile.CN and highway in WALKABLE_IN_CN):
            if access_ok:
                return True
        elif highway in WALKABLE_WITH_FOOT_ACCESS and foot in FOOT_ALLOWED:
            return True
    return False


def highway_values(value: str | None) -> list[str]:
    """The values of a `highway` tag: one, or several in a list as OSMnx writes them ("['a', 'b']")."""
    if value is None:
        return []
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            values = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return [text]
        return [str(v) for v in values] if isinstance(values, list) else [text]
    return [text]


def read_walkways(path: Path, *, datum: Datum = Datum.WGS84, profile: WalkProfile = WalkProfile.DEFAULT) -> Walkways:
    """Walkable ways from .osm/.osm.bz2/.osm.gz (XML), .osm.pbf, OSMnx .graphml, or .geojson/.json lines."""
    if not path.is_file():
        msg = f"{path}: no such file"
        raise NotFound(msg)
    name = path.name.lower()
    if name.endswith(".pbf"):
        return read_osm_pbf(path, profile=profile)
    if name.endswith((".geojson", ".json")):
        return read_geojson_lines(path, datum=datum, profile=profile)
    if name.endswith((".graphml", ".graphml.bz2", ".graphml.gz")):
        from gridmap.io.graphml import read_osmnx_graphml  # it builds on this module

        return read_osmnx_graphml(path, profile=profile)
    if name.endswith((".osm", ".osm.bz2", ".osm.gz", ".xml", ".xml.bz2", ".xml.gz")):
        return read_osm_xml(path, profile=profile)
    msg = f"{path}: not a walking network file (use .osm, .osm.bz2, .osm.gz, .osm.pbf, .graphml or .geojson)"
    raise InvalidInput(msg)


def read_osm_xml(path: Path, *, profile: WalkProfile = WalkProfile.DEFAULT) -> Walkways:
    """Walkable ways of an OpenStreetMap XML file, streamed (compressed with bzip2 or gzip if it ends so)."""
    node_id, lon, lat = array("q"), array("d"), array("d")
    refs, counts = array("q"), array("q")
    way_ids: list[int] = []
    way_tags: list[dict[str, str]] = []
    with open_compressed(path) as handle:
        context = iter(ET.iterparse(handle, events=("start", "end")))
        try:
            _, root = next(context)
            for event, element in context:
                if event != "end" or element.tag not in ("node", "way", "relation"):
                    continue
                if element.attrib.get("action") == "delete" or element.attrib.get("visible") == "false":
                    pass  # deleted in an editor's file (JOSM) or in a history extract
                elif element.tag == "node":
                    node_id.append(int(element.attrib["id"]))
                    lon.append(float(element.attrib.get("lon", "nan")))
                    lat.append(float(element.attrib.get("lat", "nan")))
                elif element.tag == "way":
                    tags = {t.attrib["k"]: t.attrib["v"] for t in element.iter("tag")}
                    if is_walkable(tags, profile):
                        way_refs = [int(nd.attrib["ref"]) for nd in element.iter("nd")]
                        refs.extend(way_refs)
                        counts.append(len(way_refs))
                        way_ids.append(int(element.attrib["id"]))
                        way_tags.append(tags)
                root.clear()  # the element is read: drop it and everything before it
        except (ET.ParseError, KeyError, ValueError, StopIteration) as error:
            msg = f"{path}: not a readable OpenStreetMap XML file ({error})"
            raise InvalidInput(msg) from None
    ref_lon, ref_lat = _locate(
        np.frombuffer(refs, dtype=np.int64),
        np.frombuffer(node_id, dtype=np.int64),
        np.frombuffer(lon, dtype=np.float64),
        np.frombuffer(lat, dtype=np.float64),
    )
    return _assemble(way_ids, way_tags, np.frombuffer(counts, dtype=np.int64), ref_lon, ref_lat)


def read_osm_pbf(path: Path, *, profile: WalkProfile = WalkProfile.DEFAULT) -> Walkways:
    """Walkable ways of an OpenStreetMap PBF file (needs pyosmium; nodes before ways, as in every extract)."""
    try:
        import osmium  # optional: only .osm.pbf needs it
    except ImportError:
        msg = f"{path}: reading .osm.pbf needs pyosmium (pip install osmium); .osm XML works without it"
        raise InvalidInput(msg) from None
    lon, lat, counts = array("d"), array("d"), array("q")
    way_ids: list[int] = []
    way_tags: list[dict[str, str]] = []
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    try:
        for way in processor:
            if not isinstance(way, osmium.osm.Way):
                continue
            tags = {tag.k: tag.v for tag in way.tags}
            if not is_walkable(tags, profile):
                continue
            for ref in way.nodes:
                valid = ref.location.valid()
                lon.append(ref.location.lon if valid else np.nan)
                lat.append(ref.location.lat if valid else np.nan)
            counts.append(len(way.nodes))
            way_ids.append(way.id)
            way_tags.append(tags)
    except RuntimeError as error:
        msg = f"{path}: not a readable OpenStreetMap PBF file ({error})"
        raise InvalidInput(msg) from None
    return _assemble(
        way_ids,
        way_tags,
        np.frombuffer(counts, dtype=np.int64),
        np.frombuffer(lon, dtype=np.float64),
        np.frombuffer(lat, dtype=np.float64),
    )


def read_geojson_lines(
    path: Path, *, datum: Datum = Datum.WGS84, profile: WalkProfile = WalkProfile.DEFAULT
) -> Walkways:
    """LineStrings and MultiLineStrings of a GeoJSON file; features with a `highway` property are filtered."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
        features: list[dict[str, Any]] = document["features"]
    except (ValueError, KeyError, TypeError) as error:
        msg = f"{path}: not a GeoJSON FeatureCollection ({error})"
        raise InvalidInput(msg) from None
    way_ids: list[int] = []
    highways: list[str] = []
    names: list[str | None] = []
    lines: list[Any] = []
    for number, feature in enumerate(features):
        geometry = feature.get("geometry") or {}
        if geometry.get("type") not in ("LineString", "MultiLineString"):
            continue
        properties = {str(k): str(v) for k, v in (feature.get("properties") or {}).items() if v is not None}
        if "highway" in properties and not is_walkable(properties, profile):
            continue
        for part in shapely.get_parts(shape(geometry)):
            way_ids.append(int(feature["id"]) if isinstance(feature.get("id"), int) else number)
            highways.append(highway_values(properties.get("highway", "footway"))[0])
            names.append(properties.get("name"))
            lines.append(part)
    geometries = np.asarray(lines, dtype=np.object_)
    if len(geometries) and datum != Datum.WGS84:
        geometries = shapely.transform(geometries, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], datum)))
    return Walkways(
        way_id=np.asarray(way_ids, dtype=np.int64),
        highway=np.asarray(highways, dtype=np.object_),
        name=np.asarray(names, dtype=np.object_),
        lines=geometries,
    )


def _locate(
    refs: npt.NDArray[np.int64],
    node_id: npt.NDArray[np.int64],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Coordinates of the referenced nodes (NaN for references to nodes not in the file)."""
    ref_lon, ref_lat = np.full(len(refs), np.nan), np.full(len(refs), np.nan)
    if not len(node_id):
        return ref_lon, ref_lat
    order = np.argsort(node_id, kind="stable")
    position = np.minimum(np.searchsorted(node_id[order], refs), len(node_id) - 1)
    node = order[position]
    found = node_id[node] == refs
    ref_lon[found], ref_lat[found] = lon[node[found]], lat[node[found]]
    return ref_lon, ref_lat


def open_compressed(path: Path) -> IO[bytes]:
    """The file as bytes, decompressed on the fly when it ends in .bz2 or .gz."""
    suffix = path.suffix.lower()
    if suffix == ".bz2":
        return cast(IO[bytes], bz2.open(path, "rb"))
    if suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _assemble(
    way_ids: Sequence[int],
    way_tags: Sequence[Mapping[str, str]],
    counts: npt.NDArray[np.int64],
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
) -> Walkways:
    """Lines from the ways' node coordinates (NaN where a node is missing: the way is cut there)."""
    way = np.repeat(np.arange(len(counts)), counts)
    present = ~np.isnan(lon) & ~np.isnan(lat)
    # a run is a stretch of present nodes within one way; keep runs of two nodes or more
    boundary = np.ones(len(way), dtype=bool)
    boundary[1:] = (way[1:] != way[:-1]) | (present[1:] != present[:-1])
    run = np.cumsum(boundary) - 1
    run_size = np.bincount(run, minlength=int(run[-1]) + 1 if len(run) else 0)
    keep = present & (run_size[run] >= 2)
    runs, line_index = np.unique(run[keep], return_inverse=True)
    lines = np.empty(len(runs), dtype=np.object_)
    if len(runs):
        lines[:] = shapely.linestrings(np.column_stack([lon[keep], lat[keep]]), indices=line_index)
    run_way = np.zeros(len(runs), dtype=np.intp)
    run_way[line_index] = way[keep]
    tags = [way_tags[w] for w in run_way.tolist()]
    return Walkways(
        way_id=np.asarray(way_ids, dtype=np.int64)[run_way],
        highway=np.asarray([t["highway"] for t in tags], dtype=np.object_),
        name=np.asarray([t.get("name") for t in tags], dtype=np.object_),
        lines=lines,
    )
