"""Writing the sample region: byte-reproducible RFC 7946 GeoJSON files and the broken copy's answer key.

Files are written by hand rather than through GDAL so that the same region always gives the same bytes:
keys sorted, one feature per line, coordinates as the shortest decimal of their 7-decimal value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from gridmap.geo.hierarchy import Level
from gridmap.services.demo import REGION_FILE
from gridmap_demo.broken import plant_problems
from gridmap_demo.broken_copy import Record, plain_value
from gridmap_demo.households import (
    ADDRESSES_FILE,
    HOUSEHOLDS_FILE,
    addresses_csv,
    generate_households,
    households_csv,
)
from gridmap_demo.streets import noded_streets

if TYPE_CHECKING:
    from gridmap_demo.region import SampleRegion

BOUNDARIES_FILE = REGION_FILE  # where `gridmap demo load` reads the demo
BROKEN_FILE = Path("boundaries/broken/shouning_aoyang_broken.geojson")
PLANTED_FILE = Path("boundaries/broken/planted.json")
STREETS_FILE = Path("sample/streets.geojson")
RIVER_FILE = Path("sample/river.geojson")
FACILITIES_FILE = Path("sample/facilities.geojson")


@dataclass(frozen=True)
class SampleSummary:
    """What `write_sample_region` wrote: feature counts and the files (relative to the output folder)."""

    communities: int
    grids: int
    microgrids: int
    streets: int
    planted: int
    files: tuple[Path, ...]
    addresses: int = 0
    households: int = 0


def write_region_files(region: SampleRegion, out_dir: Path, *, households: int = 0) -> SampleSummary:
    """Write boundaries, the broken copy with its answer key, streets (noded), river and (if asked) households."""
    boundaries = region.boundaries
    _write_text(out_dir / BOUNDARIES_FILE, feature_collection(frame_records(boundaries)))
    check_round_trip(out_dir / BOUNDARIES_FILE, boundaries)

    broken, planted = plant_problems(boundaries, region.layout.frame, seed=region.seed)
    _write_text(out_dir / BROKEN_FILE, feature_collection(broken))
    _write_text(out_dir / PLANTED_FILE, json.dumps(planted, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    _write_text(out_dir / STREETS_FILE, feature_collection(frame_records(noded_streets(region.streets))))
    _write_text(out_dir / RIVER_FILE, feature_collection(frame_records(region.river)))
    counts = boundaries["level"].value_counts()
    files: tuple[Path, ...] = (BOUNDARIES_FILE, BROKEN_FILE, PLANTED_FILE, STREETS_FILE, RIVER_FILE)
    addresses = 0
    if households > 0:
        people = generate_households(region, count=households)
        _write_text(out_dir / ADDRESSES_FILE, addresses_csv(people.registry))
        _write_text(out_dir / HOUSEHOLDS_FILE, households_csv(people.households))
        addresses = len(people.registry.addresses)
        # facilities are spaced along the generator's whole streets, not the noded pieces the file holds
        from gridmap_demo.facilities import facilities_geojson, sample_facilities

        _write_text(out_dir / FACILITIES_FILE, facilities_geojson(sample_facilities(region)))
        files = (*files, ADDRESSES_FILE, HOUSEHOLDS_FILE, FACILITIES_FILE)
    return SampleSummary(
        communities=int(counts.get(Level.COMMUNITY.value, 0)),
        grids=int(counts.get(Level.GRID.value, 0)),
        microgrids=int(counts.get(Level.MICROGRID.value, 0)),
        streets=len(region.streets),
        planted=sum(1 for entry in planted if "consequence_of" not in entry),
        files=files,
        addresses=addresses,
        households=households,
    )


def frame_records(frame: gpd.GeoDataFrame) -> list[Record]:
    """A GeoDataFrame's rows as (properties, geometry) records with plain Python values."""
    columns = [column for column in frame.columns if column != frame.geometry.name]
    records: list[Record] = []
    for values, geometry in zip(frame[columns].itertuples(index=False), frame.geometry, strict=True):
        properties = {column: plain_value(value) for column, value in zip(columns, values, strict=True)}
        records.append((properties, geometry))
    return records


def feature_collection(records: Iterable[Record]) -> str:
    """An RFC 7946 FeatureCollection, one feature per line, keys sorted."""
    lines = [_feature_json(properties, geometry) for properties, geometry in records]
    return '{"features":[\n' + ",\n".join(lines) + '\n],"type":"FeatureCollection"}\n'


def check_round_trip(path: Path, boundaries: gpd.GeoDataFrame) -> None:
    """Re-read a written boundaries file and fail unless geometries are identical and each level exact."""
    written = gpd.read_file(path)
    same = shapely.equals_exact(
        np.asarray(written.geometry, dtype=object), np.asarray(boundaries.geometry, dtype=object), tolerance=0.0
    )
    if len(written) != len(boundaries) or not bool(np.all(same)):
        msg = f"{path} does not read back to the generated geometries"
        raise RuntimeError(msg)
    for level in Level:
        geometries = np.asarray(written.geometry[written["level"] == level.value], dtype=object)
        if not shapely.coverage_is_valid(geometries, gap_width=0.0):
            msg = f"the {level} level of {path} is not an exact coverage after reading it back"
            raise RuntimeError(msg)


def _feature_json(properties: dict[str, Any], geometry: BaseGeometry | None) -> str:
    """One GeoJSON Feature as compact JSON with sorted keys."""
    feature = {
        "geometry": None if geometry is None else mapping(geometry),
        "properties": properties,
        "type": "Feature",
    }
    return json.dumps(feature, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _write_text(path: Path, text: str) -> None:
    """Write UTF-8 text with LF line ends, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
