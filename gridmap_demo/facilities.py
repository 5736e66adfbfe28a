"""Life-circle facilities for the sample region: a plausible set for Shouning's county town, with gaps.

Facilities stand beside the generated streets (a few metres off a street or lane, never on an arterial
road's carriageway), spread out by farthest-point sampling so that each type covers the town roughly
evenly, as a planner would place them. A few gaps are left on purpose, so that the life-circle analysis
has something to find (see `GAPS`): the south-east has no elderly day care, the north-east no food market
and the west no after-school care.
"""

from __future__ import annotations

import json
from collections import Counter

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from gridmap.geo.crs import LocalMetres
from gridmap.geo.lifecircle_levels import FACILITY_TYPES
from gridmap_demo.region import SampleRegion

DEFAULT_FACILITY_SEED = 350924

FACILITY_COUNTS: dict[str, int] = {
    "red_station": 24,
    "kindergarten": 12,
    "elderly_day_care": 9,
    "after_school": 6,
    "primary_school": 6,
    "food_market": 5,
    "health_station": 7,
    "sports_ground": 5,
    "secondary_school": 3,
    "health_centre": 2,
    "cultural_centre": 2,
    "elderly_care_home": 2,
}
"""How many of each type the county town gets (about 20,000 households and 55,000 people, 2 km across)."""

GAPS: dict[str, str] = {
    "elderly_day_care": "south-east",
    "food_market": "north-east",
    "after_school": "west",
}
"""Deliberate gaps: the part of town (relative to the streets' centre) where a type is left out."""

_SPACING = 40.0  # metres between candidate spots along a street
_SETBACK = 15.0  # metres from the street centre line to the facility's door
_APART = 60.0  # metres at least between two facilities of any type
_PRECISION = 7  # decimal places of the written coordinates (about 1 cm)


def sample_facilities(
    region_or_streets: SampleRegion | gpd.GeoDataFrame, *, seed: int = DEFAULT_FACILITY_SEED
) -> gpd.GeoDataFrame:
    """Facilities (WGS-84 points with name, type, level) beside the region's streets; same seed, same set.

    Spots are spaced along each line as given: the sample file's facilities come from the generator's whole
    streets (`region.streets`), not from the noded pieces `data/sample/streets.geojson` holds.
    """
    streets = region_or_streets.streets if isinstance(region_or_streets, SampleRegion) else region_or_streets
    streets = streets.to_crs(4326) if streets.crs is not None else streets
    if "kind" in streets.columns:
        streets = streets[streets["kind"] != "arterial"]
    lines = np.asarray(shapely.get_parts(np.asarray(streets.geometry.values, dtype=object)), dtype=object)
    if not len(lines):
        msg = "no streets to place facilities along"
        raise ValueError(msg)
    metres = LocalMetres(*(float(b) for b in shapely.total_bounds(lines)))
    local = metres.to_local(lines)
    spots, street = _candidate_spots(local)
    names = streets["name"].to_numpy(dtype=object) if "name" in streets.columns else np.full(len(lines), "")
    street_names = np.repeat(names, shapely.get_num_geometries(np.asarray(streets.geometry.values, dtype=object)))
    rng = np.random.default_rng(seed)
    centre = spots.mean(axis=0)
    rows: list[tuple[str, str, str, shapely.Point]] = []
    used: Counter[str] = Counter()
    taken = np.zeros(len(spots), dtype=bool)
    for key, count in FACILITY_COUNTS.items():
        allowed = np.flatnonzero(~_in_gap(spots, centre, GAPS.get(key)) & ~taken)
        chosen = _spread(spots[allowed], count, rng, centre)
        kind = FACILITY_TYPES[key]
        for index in allowed[chosen]:
            taken |= np.hypot(*(spots - spots[index]).T) < _APART
            base = f"{street_names[street[index]] or ''}{kind.name_zh}"
            used[base] += 1
            name = base if used[base] == 1 else f"{base}({used[base]})"
            rows.append((name, key, kind.level, shapely.Point(spots[index])))
    points = metres.to_wgs84(np.asarray([r[3] for r in rows], dtype=object))
    points = shapely.set_precision(points, 10.0**-_PRECISION)
    return gpd.GeoDataFrame(
        {"name": [r[0] for r in rows], "type": [r[1] for r in rows], "level": [r[2] for r in rows]},
        geometry=list(points),
        crs="EPSG:4326",
    )


def facilities_geojson(facilities: gpd.GeoDataFrame) -> str:
    """The facilities as a GeoJSON FeatureCollection text, one feature a line, stable from run to run."""
    features = []
    for name, kind, level, point in zip(
        facilities["name"], facilities["type"], facilities["level"], facilities.geometry, strict=True
    ):
        coordinates = [round(float(point.x), _PRECISION), round(float(point.y), _PRECISION)]
        feature = {
            "type": "Feature",
            "properties": {"name": name, "type": kind, "level": level},
            "geometry": {"type": "Point", "coordinates": coordinates},
        }
        features.append(json.dumps(feature, ensure_ascii=False))
    return '{"type": "FeatureCollection", "features": [\n' + ",\n".join(features) + "\n]}\n"


def _candidate_spots(lines: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
    """Spots every `_SPACING` m along each line, set back `_SETBACK` m to its left; and each spot's line."""
    length = shapely.length(lines)
    count = np.maximum((length // _SPACING).astype(np.intp) - 1, 0)
    line = np.repeat(np.arange(len(lines)), count)
    step = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count) + 1
    along = step * _SPACING
    here = shapely.get_coordinates(shapely.line_interpolate_point(lines[line], along))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(lines[line], along + 1.0))
    tangent = ahead - here
    tangent /= np.maximum(np.hypot(tangent[:, 0], tangent[:, 1]), 1e-9)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    return here + _SETBACK * normal, line.astype(np.intp)


def _in_gap(spots: npt.NDArray[np.float64], centre: npt.NDArray[np.float64], gap: str | None) -> npt.NDArray[np.bool_]:
    """Which spots lie in the named part of town (none when `gap` is None)."""
    dx, dy = spots[:, 0] - centre[0], spots[:, 1] - centre[1]
    parts = {
        None: np.zeros(len(spots), dtype=bool),
        "south-east": (dx > 0) & (dy < 0),
        "north-east": (dx > 0) & (dy > 0),
        "west": dx < -0.15 * (spots[:, 0].max() - spots[:, 0].min()),
    }
    return np.asarray(parts[gap], dtype=bool)


def _spread(
    spots: npt.NDArray[np.float64], count: int, rng: np.random.Generator, centre: npt.NDArray[np.float64]
) -> npt.NDArray[np.intp]:
    """`count` spots far apart: a single one near the centre, more by farthest-point sampling."""
    to_centre = np.hypot(spots[:, 0] - centre[0], spots[:, 1] - centre[1])
    if count == 1:
        central = np.flatnonzero(to_centre <= np.quantile(to_centre, 0.1))
        return np.asarray([int(rng.choice(central))], dtype=np.intp)
    chosen = [int(rng.integers(len(spots)))]
    nearest = np.hypot(*(spots - spots[chosen[0]]).T)
    jitter = rng.uniform(0.85, 1.0, size=len(spots))  # so that one type's sites do not mirror another's
    for _ in range(count - 1):
        pick = int(np.argmax(nearest * jitter))
        chosen.append(pick)
        nearest = np.minimum(nearest, np.hypot(*(spots - spots[pick]).T))
    return np.asarray(chosen, dtype=np.intp)
