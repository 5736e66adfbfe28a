"""Life circles (GB 50180-2018): how far each household walks to the nearest facility of every type.

The walking network (GeoJSON lines or an OpenStreetMap file) is mapped to local metres and noded into a
`WalkingNetwork`; households and facilities are connected to the nearest point of the nearest street. From
the walking times follow coverage per microgrid, grid and community, the worst-served grids, isochrones
per facility and proposals for new sites. A household is covered by a type when it reaches a facility of
that type within the type's life-circle minutes (`gridmap.geo.lifecircle_levels`) at the walking speed.

Completeness of a level is the share of that level's and every lower level's facility types a household
reaches in time (GB 50180: a higher life circle also provides the lower ones' facilities), averaged over
households: 1.0 means every household has every facility it should have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.assign import CELLS_PER_POLYGON, PointAssigner
from gridmap.geo.crs import LocalMetres
from gridmap.geo.fragments import FRAGMENT_GAP, connect_fragments, fragment_edges
from gridmap.geo.isochrones import LIFE_CIRCLE_MINUTES, isochrones
from gridmap.geo.lifecircle_levels import FACILITY_TYPES, LEVEL_MINUTES, facility_type
from gridmap.geo.network import (
    DEFAULT_WALKING_SPEED,
    STEPS_FACTOR,
    WalkingNetwork,
    point_coordinates,
    walking_metres,
    walking_seconds,
)
from gridmap.geo.noding import NODING_TOLERANCE_M, node_lines
from gridmap.geo.siting import candidate_sites, coverage_matrix, propose_sites
from gridmap.io.osm import WalkProfile, read_walkways
from gridmap.io.points import read_points
from gridmap.io.text import text_encoding

GeometryArray = npt.NDArray[np.object_]
IndexArray = npt.NDArray[np.intp]

AREA_LEVELS = ("microgrid", "grid", "community")
OUTSIDE = ""  # area code of a household outside every boundary
RASTER_HOUSEHOLDS_PER_CELL = 4
"""Households per cell of the raster that assigns them to boundaries once: a finer one costs more to build."""


@dataclass(frozen=True)
class Network:
    """A walking network in local metres, and the map between those metres and WGS-84."""

    walking: WalkingNetwork
    metres: LocalMetres
    fragment_gap: float = 0.0  # fragment ends this close to the main network were joined to it (0: none)
    fragment_links: int = 0  # how many links that took


@dataclass(frozen=True)
class NetworkOptions:
    """How a walking network file is read (see `load_network` and `network_from_lines`)."""

    node_crossings: bool | None = None  # None: yes for GeoJSON, no for OpenStreetMap
    fragment_gap: float = FRAGMENT_GAP
    profile: WalkProfile = WalkProfile.DEFAULT
    steps_factor: float = STEPS_FACTOR


def network_from_lines(
    lines: npt.ArrayLike,
    *,
    node_crossings: bool = False,
    fragment_gap: float = FRAGMENT_GAP,
    factor: npt.ArrayLike | None = None,
) -> Network:
    """A walking network from WGS-84 LineStrings, its fragments joined within `fragment_gap` m (0: not joined).

    `factor` (one per line, default 1) weighs a line's metres in routing (`WalkingNetwork.from_lines`).

    With `node_crossings`, lines are also joined wherever they cross or one ends within
    `NODING_TOLERANCE_M` of another (`gridmap.geo.noding.node_lines`): right for line sets drawn without
    shared vertices, such as hand-drawn or generated streets, wrong for OpenStreetMap data, where a crossing
    without a shared node is a bridge.
    """
    geometries = np.asarray(lines, dtype=object)
    if not len(geometries):
        msg = "the walking network has no walkable lines"
        raise InvalidInput(msg)
    metres = LocalMetres(*(float(b) for b in shapely.total_bounds(geometries)))
    local = metres.to_local(geometries)
    if node_crossings:
        local = node_lines(local, NODING_TOLERANCE_M)
    walking = WalkingNetwork.from_lines(local, factor=factor)
    if fragment_gap < 0:
        msg = f"the fragment gap must not be negative, got {fragment_gap} m"
        raise InvalidInput(msg)
    if not fragment_gap:
        return Network(walking, metres)
    joined = connect_fragments(walking, fragment_gap)
    return Network(joined.network, metres, fragment_gap=fragment_gap, fragment_links=joined.links)


def load_network(path: Path, options: NetworkOptions | None = None) -> Network:
    """The walking network of a GeoJSON lines file, an OpenStreetMap file (.osm, .osm.pbf) or OSMnx GraphML.

    By default crossings are noded for GeoJSON (usually drawn or generated lines) and not for OpenStreetMap;
    fragments are joined within `FRAGMENT_GAP` m, and steps weigh `STEPS_FACTOR` times their length.
    """
    options = NetworkOptions() if options is None else options
    if not options.steps_factor >= 1:
        msg = f"the steps factor must be at least 1, got {options.steps_factor}"
        raise InvalidInput(msg)
    node_crossings = options.node_crossings
    if node_crossings is None:
        node_crossings = path.suffix.lower() in (".geojson", ".json")
    ways = read_walkways(path, profile=options.profile)
    return network_from_lines(
        ways.lines,
        node_crossings=node_crossings,
        fragment_gap=options.fragment_gap,
        factor=np.where(ways.highway == "steps", options.steps_factor, 1.0),
    )


def read_facilities(path: Path) -> gpd.GeoDataFrame:
    """Facilities (points with a `type` among the life-circle types, optional `name`) as WGS-84."""
    if not path.is_file():
        msg = f"{path}: no such file"
        raise NotFound(msg)
    frame = gpd.read_file(path)
    if "type" not in frame.columns:
        msg = f"{path}: facilities need a `type` property ({', '.join(FACILITY_TYPES)})"
        raise InvalidInput(msg)
    unknown = sorted(set(frame["type"]) - set(FACILITY_TYPES))
    if unknown:
        msg = f"{path}: unknown facility types {', '.join(map(str, unknown))}; known: {', '.join(FACILITY_TYPES)}"
        raise InvalidInput(msg)
    if (frame.geometry.geom_type != "Point").any():
        msg = f"{path}: facilities must be points"
        raise InvalidInput(msg)
    if "name" not in frame.columns:
        frame["name"] = [f"{t} {i + 1}" for i, t in enumerate(frame["type"])]
    frame = frame.to_crs(4326) if frame.crs is not None else frame.set_crs(4326)
    return frame[["name", "type", "geometry"]]


def read_households(path: Path) -> gpd.GeoDataFrame:
    """Households as WGS-84 points with `people` (1 where the file has no `people` column)."""
    points = read_points(path)
    people = np.ones(len(points))
    if path.suffix.lower() in (".geojson", ".json"):
        table = pd.DataFrame(gpd.read_file(path).drop(columns="geometry"))
    else:
        table = pd.read_csv(path, encoding=text_encoding(path))
    table.columns = [str(c).strip().lower() for c in table.columns]
    if "people" in table.columns:
        people = pd.to_numeric(table["people"], errors="coerce").fillna(1).clip(lower=0).to_numpy(dtype=float)
    return gpd.GeoDataFrame({"people": people}, geometry=list(points), crs="EPSG:4326")


def read_area_boundaries(path: Path) -> gpd.GeoDataFrame:
    """Community, grid and microgrid boundaries (properties code, level, parent, name) as WGS-84."""
    if not path.is_file():
        msg = f"{path}: no such file"
        raise NotFound(msg)
    frame = gpd.read_file(path)
    missing = {"code", "level"} - set(frame.columns)
    if missing:
        msg = f"{path}: boundaries need the properties {', '.join(sorted(missing))}"
        raise InvalidInput(msg)
    return frame.to_crs(4326) if frame.crs is not None else frame.set_crs(4326)


def households_frame(points: npt.ArrayLike, people: npt.ArrayLike | None = None) -> gpd.GeoDataFrame:
    """Households from WGS-84 points and, optionally, the number of people in each."""
    geometries = list(np.asarray(points, dtype=object))
    weight = np.ones(len(geometries)) if people is None else np.asarray(people, dtype=float)
    return gpd.GeoDataFrame({"people": weight}, geometry=geometries, crs="EPSG:4326")


@dataclass(frozen=True)
class SiteProposal:
    """New sites for one facility type and the households (and people) they would newly cover."""

    type: str
    minutes: int
    sites: gpd.GeoDataFrame  # WGS-84 points in order of choice, with `gain`: households each adds
    gain: float
    covered_before: float
    total: float
    method: str
    optimal: bool

    @property
    def share_before(self) -> float:
        """Share of households covered before the new sites."""
        return self.covered_before / self.total if self.total else 0.0

    @property
    def share_after(self) -> float:
        """Share of households covered with the new sites."""
        return (self.covered_before + self.gain) / self.total if self.total else 0.0


class LifeCircle:
    """Walking access from households to facilities on one network, at one walking speed."""

    def __init__(
        self,
        network: Network,
        households: gpd.GeoDataFrame,
        facilities: gpd.GeoDataFrame,
        *,
        speed: float = DEFAULT_WALKING_SPEED,
        boundaries: gpd.GeoDataFrame | None = None,
    ) -> None:
        if not speed > 0:
            msg = f"walking speed must be positive, got {speed} m/s"
            raise InvalidInput(msg)
        self.network = network
        self.speed = speed
        self.households = households.reset_index(drop=True)
        self.facilities = facilities.reset_index(drop=True)
        walking, metres = network.walking, network.metres
        household_lonlat = point_coordinates(self.households.geometry.values)
        self._households = walking.snap_xy(metres.local_xy(household_lonlat))
        self._facilities = walking.snap_xy(metres.local_xy(point_coordinates(self.facilities.geometry.values)))
        self.on_fragment = np.r_[fragment_edges(walking), False][self._households.edge]
        """Whether each household's nearest street is on a piece cut off from the main network."""
        self._by_type = {key: np.flatnonzero(self.facilities["type"].to_numpy() == key) for key in FACILITY_TYPES}
        snapped = {key: self._facilities.take(index) for key, index in self._by_type.items()}
        # one (type x household) array, handed to pandas as one block: no per-column copies
        minutes = walking_seconds(walking.nearest_distances(self._households, snapped), speed=speed)
        minutes /= 60.0
        self.minutes = pd.DataFrame(minutes.T, columns=list(snapped), copy=False)
        """Walking minutes from each household (row) to the nearest facility of each type (column)."""
        limits = np.asarray([FACILITY_TYPES[key].minutes for key in snapped], dtype=float)
        self.covered = pd.DataFrame((minutes <= limits[:, None]).T, columns=list(snapped), copy=False)
        """Whether each household reaches each type within the type's life-circle minutes."""
        self.areas = _areas(household_lonlat, boundaries)
        """The microgrid, grid and community code of each household ('' outside every boundary)."""
        self.area_names = _area_names(boundaries)

    def coverage(self, level: str | None = None) -> pd.DataFrame:
        """Per area of `level` (microgrid, grid, community; None: the whole town): shares covered per type.

        Columns: households, people, `<type>` (share of households covered), `<type>_people` (share of
        people covered) and `complete_5`, `complete_10`, `complete_15` (completeness of each level).
        """
        if level is not None and level not in AREA_LEVELS:
            msg = f"unknown area level {level!r}; use one of {', '.join(AREA_LEVELS)}"
            raise InvalidInput(msg)
        people = self.households["people"].to_numpy(dtype=float)
        if level is None:
            area, codes = np.zeros(len(people), dtype=np.intp), np.asarray(["all"], dtype=object)
        else:
            area, codes = _area_index(self.areas[level])
        # sums per area, households in order (one pass each: a bincount, no matrix)
        households = np.bincount(area, minlength=len(codes)).astype(np.float64)  # every area has a household
        people_sum = _area_sums(area, people, len(codes))
        one_each = bool((people == 1.0).all())  # no `people` column: the people sums are the household sums
        shares: dict[str, npt.ArrayLike] = {
            "name": [self.area_names.get(str(code), "") for code in codes],
            "households": households,
            "people": people_sum,
        }
        by_type: dict[str, npt.NDArray[np.float64]] = {}
        covered_by_type = self.covered.to_numpy()
        for column, key in enumerate(self.covered.columns):
            covered = covered_by_type[:, column]
            # the same sums, without the passes, where a type covers no household or every one
            if not covered.any():
                by_type[key], covered_people = np.zeros(len(codes)), np.zeros(len(codes))
            elif covered.all():
                by_type[key], covered_people = households, people_sum
            else:
                by_type[key] = _area_sums(area, covered, len(codes))
                covered_people = by_type[key] if one_each else _area_sums(area, covered * people, len(codes))
            shares[key] = by_type[key] / households
            shares[f"{key}_people"] = np.divide(
                covered_people, people_sum, out=np.zeros(len(codes)), where=people_sum > 0
            )
        for minutes in LEVEL_MINUTES:  # completeness summed over households: reached types over the level's types
            keys = _types_within(minutes)
            shares[f"complete_{minutes}"] = sum(by_type[key] for key in keys) / len(keys) / households
        return pd.DataFrame(shares, index=pd.Index(codes, name="code"))

    def completeness(self) -> dict[int, npt.NDArray[np.float64]]:
        """Per level (minutes): the share of that level's and lower levels' types each household reaches."""
        result: dict[int, npt.NDArray[np.float64]] = {}
        for minutes in LEVEL_MINUTES:
            result[minutes] = self.covered[_types_within(minutes)].to_numpy(dtype=float).mean(axis=1)
        return result

    def worst_grids(self, count: int = 10) -> pd.DataFrame:
        """The `count` grids with the lowest 15-minute completeness (most households first among equals)."""
        table = self.coverage("grid")
        table = table[table.index != OUTSIDE]
        return table.sort_values(["complete_15", "households"], ascending=[True, False]).head(count)

    def isochrones(self, minutes: Sequence[float] = LIFE_CIRCLE_MINUTES) -> gpd.GeoDataFrame:
        """Isochrone polygons (WGS-84), one row per facility and time budget, built on the reachable streets."""
        polygons = isochrones(self.network.walking, self._facilities, minutes=minutes, speed=self.speed)
        rows = np.repeat(np.arange(len(self.facilities)), len(minutes))
        frame = self.facilities.iloc[rows][["name", "type"]].reset_index(drop=True)
        frame["minutes"] = np.tile(np.asarray(minutes, dtype=float), len(self.facilities))
        geometry = self.network.metres.to_wgs84(polygons.reshape(-1))
        return gpd.GeoDataFrame(frame, geometry=list(geometry), crs="EPSG:4326")

    def propose(
        self,
        kind: str,
        k: int,
        *,
        candidates: npt.ArrayLike | None = None,
        weigh_people: bool = False,
        time_limit: float = 30.0,
    ) -> SiteProposal:
        """k new sites of type `kind` that newly cover the most households (or people), with the gain.

        Candidates are WGS-84 points; by default places on the streets within reach of a household not yet
        covered, one per `CANDIDATE_SPACING` m (`candidate_sites`). Greedy with a bound, exact when small.
        """
        try:
            level = facility_type(kind)
        except ValueError as error:
            raise InvalidInput(str(error)) from None
        if k < 1:
            msg = f"propose at least one site, got k={k}"
            raise InvalidInput(msg)
        walking, metres = self.network.walking, self.network.metres
        distance = walking_metres(level.minutes, speed=self.speed)
        if candidates is None:
            uncovered = self._households.take(np.flatnonzero(~self.covered[kind].to_numpy()))
            local = np.asarray(shapely.points(candidate_sites(walking, uncovered, distance)), dtype=object)
        else:
            local = metres.to_local(np.asarray(candidates, dtype=object))
        snapped = walking.snap(local)
        weights = self.households["people"].to_numpy(dtype=float) if weigh_people else None
        existing = self._facilities.take(self._by_type[kind])
        result = propose_sites(
            walking,
            households=self._households,
            facilities=existing,
            candidates=snapped,
            k=k,
            distance=distance,
            weights=weights,
            time_limit=time_limit,
        )
        sites = local[result.sites]
        reach = coverage_matrix(walking, walking.snap(sites), self._households, distance).toarray()
        open_weight = (np.ones(len(self.households)) if weights is None else weights) * ~self.covered[kind].to_numpy()
        gains = []
        for row in reach:  # each site's share of the gain, in the order the sites are listed
            gains.append(float(open_weight[row].sum()))
            open_weight[row] = 0.0
        frame = gpd.GeoDataFrame(
            {"rank": np.arange(1, len(sites) + 1), "type": kind, "gain": gains},
            geometry=list(metres.to_wgs84(sites)),
            crs="EPSG:4326",
        )
        return SiteProposal(
            type=kind,
            minutes=level.minutes,
            sites=frame,
            gain=result.gain,
            covered_before=result.covered_before,
            total=result.total,
            method=result.method,
            optimal=result.optimal,
        )


def _types_within(minutes: int) -> list[str]:
    """The facility types a life circle of `minutes` provides: its own level's and every lower level's."""
    return [key for key, kind in FACILITY_TYPES.items() if kind.minutes <= minutes]


def _areas(lonlat: npt.NDArray[np.float64], boundaries: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Microgrid, grid and community code per household (rows of `lonlat`): the finest level found, parents upwards."""
    outside = np.asarray([OUTSIDE], dtype=object)
    columns = dict.fromkeys(AREA_LEVELS, (outside, np.zeros(len(lonlat), dtype=np.intp)))  # labels, index
    if boundaries is not None and len(lonlat):
        missing = {"code", "level"} - set(boundaries.columns)
        if missing:
            msg = f"boundaries need the properties {', '.join(sorted(missing))}"
            raise InvalidInput(msg)
        columns.update(_finest_areas(lonlat, boundaries))
    return pd.DataFrame({level: _categories(labels, index) for level, (labels, index) in columns.items()})


def _finest_areas(
    lonlat: npt.NDArray[np.float64], boundaries: gpd.GeoDataFrame
) -> dict[str, tuple[npt.NDArray[np.object_], IndexArray]]:
    """Per level, from the finest one with boundaries upwards: the codes found, and each household's among them."""
    codes = boundaries["code"].astype(str).to_numpy()
    parents = dict(
        zip(codes, boundaries.get("parent", pd.Series([""] * len(codes))).fillna("").astype(str), strict=True)
    )
    x, y = lonlat[:, 0], lonlat[:, 1]
    levels = boundaries["level"].to_numpy()
    for position, level in enumerate(AREA_LEVELS):
        chosen = np.flatnonzero(levels == level)
        if not len(chosen):
            continue
        # one query: a raster of about a cell per RASTER_HOUSEHOLDS_PER_CELL households repays its building
        cells_per_polygon = min(CELLS_PER_POLYGON, max(1, len(x) // (RASTER_HOUSEHOLDS_PER_CELL * len(chosen))))
        polygons = np.asarray(boundaries.geometry.values, dtype=object)[chosen]
        found = PointAssigner(polygons, codes[chosen], cells_per_polygon=cells_per_polygon).assign_xy(x, y)
        # each level's codes are looked up per boundary (few), then handed to the households by index
        labels = np.asarray([*codes[chosen], OUTSIDE], dtype=object)
        index = np.where(found >= 0, found, len(chosen))
        columns = {level: (labels, index)}
        for upper in AREA_LEVELS[position + 1 :]:  # parents of the finest level found
            labels = np.asarray([parents.get(code, OUTSIDE) for code in labels], dtype=object)
            columns[upper] = (labels, index)
        return columns
    return {}


def _area_sums(area: IndexArray, weights: npt.ArrayLike, size: int) -> npt.NDArray[np.float64]:
    """Per area (of `size`), the sum of its households' weights, in the households' order (a bincount)."""
    return np.asarray(np.bincount(area, weights=weights, minlength=size), dtype=np.float64)


def _area_index(areas: pd.Series) -> tuple[IndexArray, npt.NDArray[np.object_]]:
    """Each household's position among the codes found in `areas`, and those codes, sorted (`pd.factorize`)."""
    values = areas.array
    sorted_codes = isinstance(values, pd.Categorical) and values.categories.is_monotonic_increasing
    if not sorted_codes or (values.codes < 0).any():  # not sorted, or missing codes: pandas' way
        area, found = pd.factorize(areas, sort=True)
        return area, np.asarray(found, dtype=object)
    # the codes of a sorted categorical (as `_categories` makes), renumbered over the categories in use
    used = np.bincount(values.codes, minlength=len(values.categories)) > 0
    renumber = np.cumsum(used) - 1
    return np.take(renumber, values.codes), np.asarray(values.categories[used], dtype=object)


def _categories(labels: npt.NDArray[np.object_], index: npt.NDArray[np.intp]) -> pd.Categorical[str]:
    """`labels[index]` as a categorical: many households share few area codes."""
    categories, code = np.unique(labels.astype(str), return_inverse=True)
    # `np.unique` numbers every label within the categories: nothing for pandas to check
    return pd.Categorical.from_codes(
        np.take(code, index), categories=pd.Index([str(c) for c in categories]), validate=False
    )


def _area_names(boundaries: gpd.GeoDataFrame | None) -> dict[str, str]:
    """Code → name of every boundary."""
    if boundaries is None or "name" not in boundaries.columns:
        return {}
    return dict(zip(boundaries["code"].astype(str), boundaries["name"].fillna("").astype(str), strict=True))


SAMPLE_FILES = {
    "network": Path("sample/streets.geojson"),
    "facilities": Path("sample/facilities.geojson"),
    "households": Path("sample/households.csv"),
    "boundaries": Path("boundaries/shouning_aoyang.geojson"),
}
"""Where the sample region's inputs lie inside the sample folder (Settings.sample_dir)."""
