"""The deterministic sample region: Shouning's county town (鳌阳镇) cut into communities, grids and microgrids.

`generate_region` lays the town out (or, above nine communities, a lattice of perturbed blocks for
benchmarks), then numbers, names and staffs it: codes run west to east and north to south inside each
parent (DOMAIN.md), grid workers get plausible names and every grid a households target.
`write_sample_region` writes the clean boundaries, a broken copy with planted problems, streets and river,
and for the town the address registry and households.

Each stage draws from its own random stream, `np.random.default_rng([seed, stage])`: 1 the town layout,
2 names and people, 3 the lattice, 4 the broken copy, 5 households (`households`). A later stage (facilities,
incidents) takes the next number and starts from `SampleRegion.layout` (its `StreetNetwork` in local metres and the
`LocalFrame` to convert), so adding it leaves everything generated before byte-identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridmap.address.gazetteer import SHOUNING_COMMUNITIES
from gridmap.geo.hierarchy import Level, child_code
from gridmap_demo.codes import community_code
from gridmap_demo.files import SampleSummary, write_region_files
from gridmap_demo.households import DEFAULT_HOUSEHOLDS
from gridmap_demo.lattice import lattice_layout
from gridmap_demo.layout import IntArray, Layout, StreetKind, apportion, coverage_union_groups
from gridmap_demo.names import (
    OTHER_COMPOUNDS,
    REPORTED_COMPOUNDS,
    community_names,
    person_names,
)
from gridmap_demo.projection import FloatArray, GeometryArray
from gridmap_demo.town import town_layout

DEFAULT_SEED = 350924
TOWN_MAX_COMMUNITIES = 9
BOUNDARY_COLUMNS = ("code", "name", "level", "parent", "worker", "households_target", "geometry")
CHENGDONG_GRID_WORKER = "张发敏"  # the report's second-level grid worker in 城东社区

_GRID_HOUSEHOLDS = (150, 500)
_MICROGRID_HOUSEHOLDS = (30, 120)
_HOUSEHOLDS_PER_M2 = 0.004
_COMPOUND_SHARE = 0.3


@dataclass(frozen=True)
class SampleRegion:
    """A generated region: boundaries of all three levels, streets and river (WGS-84), and its layout."""

    boundaries: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    river: gpd.GeoDataFrame
    layout: Layout
    seed: int

    def level(self, level: Level) -> gpd.GeoDataFrame:
        """The boundaries of one level, in code order."""
        return self.boundaries[self.boundaries["level"] == level.value]


def generate_region(*, communities: int = TOWN_MAX_COMMUNITIES, seed: int = DEFAULT_SEED) -> SampleRegion:
    """The sample region with `communities` communities; the same seed always gives the same region."""
    if communities < 1:
        msg = f"a region needs at least one community, not {communities}"
        raise ValueError(msg)
    if communities <= TOWN_MAX_COMMUNITIES:
        layout = town_layout(communities=communities, seed=seed)
    else:
        layout = lattice_layout(communities=communities, seed=seed)
    boundaries = _boundaries(layout, np.random.default_rng([seed, 2]))
    return SampleRegion(
        boundaries=boundaries,
        streets=layout.network.streets_frame(layout.frame),
        river=layout.network.river_frame(layout.frame),
        layout=layout,
        seed=seed,
    )


def reading_order(x: FloatArray, y: FloatArray, row_height: float) -> IntArray:
    """Indices sorted in rows north to south (rows `row_height` tall), west to east within a row."""
    order = np.argsort(-y, kind="stable")
    rows = np.zeros(len(x), dtype=np.int64)
    row, top = 0, y[order[0]] if len(order) else 0.0
    for index in order:
        if top - y[index] > row_height:
            row, top = row + 1, y[index]
        rows[index] = row
    return np.lexsort((x, rows)).astype(np.int64)


def reading_ranks(parents: IntArray, centres: FloatArray) -> IntArray:
    """Each child's 0-based position in reading order among its parent's children (by centroid)."""
    ranks = np.zeros(len(parents), dtype=np.int64)
    for members in _groups(parents):
        points = centres[members]
        extent = np.ptp(points, axis=0).max() if len(members) > 1 else 0.0
        # Rows about one child tall: a child's size is roughly the parent's extent over sqrt(children).
        row_height = 0.5 * extent / max(np.sqrt(len(members)), 1.0)
        ranks[members[reading_order(points[:, 0], points[:, 1], row_height)]] = np.arange(len(members))
    return ranks


@dataclass(frozen=True)
class _Tree:
    """Geometries, codes and ranks of the three levels, before names and people."""

    geometries: dict[Level, GeometryArray]
    centres: dict[Level, FloatArray]
    ranks: dict[Level, IntArray]
    codes: dict[Level, list[str]]


def _coded_tree(layout: Layout) -> _Tree:
    """Grids and communities as coverage unions, each level numbered in reading order inside its parent."""
    micro = layout.microgrids
    grids = coverage_union_groups(micro, layout.microgrid_grid, layout.grid_count)
    communities = coverage_union_groups(grids, layout.grid_community, layout.community_count)
    geometries = {Level.COMMUNITY: communities, Level.GRID: grids, Level.MICROGRID: micro}
    centres = {
        level: shapely.get_coordinates(shapely.centroid(layout.frame.to_local(geoms)))
        for level, geoms in geometries.items()
    }
    parents = {
        Level.COMMUNITY: np.zeros(len(communities), dtype=np.int64),
        Level.GRID: layout.grid_community,
        Level.MICROGRID: layout.microgrid_grid,
    }
    ranks = {level: reading_ranks(parents[level], centres[level]) for level in Level}
    codes: dict[Level, list[str]] = {Level.COMMUNITY: [community_code(int(rank)) for rank in ranks[Level.COMMUNITY]]}
    for level in (Level.GRID, Level.MICROGRID):
        above = codes[Level.COMMUNITY if level is Level.GRID else Level.GRID]
        codes[level] = [
            child_code(above[parent], level, int(rank) + 1)
            for parent, rank in zip(parents[level], ranks[level], strict=True)
        ]
    return _Tree(geometries=geometries, centres=centres, ranks=ranks, codes=codes)


def _boundaries(layout: Layout, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Coded, named and staffed boundaries of all three levels, one row per feature, in code order."""
    tree = _coded_tree(layout)
    community_codes, grid_codes = tree.codes[Level.COMMUNITY], tree.codes[Level.GRID]
    community_labels = _community_names(layout, tree.ranks[Level.COMMUNITY], tree.centres[Level.COMMUNITY])
    grid_labels = [
        f"{community_labels[parent]}第{int(rank) + 1}网格"
        for parent, rank in zip(layout.grid_community, tree.ranks[Level.GRID], strict=True)
    ]
    micro_labels = _microgrid_names(layout, tree.codes[Level.MICROGRID], tree.centres[Level.MICROGRID], rng)

    counts = [len(tree.codes[level]) for level in Level]
    workers = _workers(sum(counts), rng, unique=layout.community_count <= TOWN_MAX_COMMUNITIES)
    if "城东社区" in community_labels:
        first_grid = grid_codes.index(community_codes[community_labels.index("城东社区")] + "001")
        workers[counts[0] + first_grid] = CHENGDONG_GRID_WORKER

    micro_households, grid_households = _households(layout, rng)
    community_households = np.bincount(layout.grid_community, weights=grid_households, minlength=counts[0])
    rows = {
        "code": [code for level in Level for code in tree.codes[level]],
        "name": [*community_labels, *grid_labels, *micro_labels],
        "level": [level.value for level, count in zip(Level, counts, strict=True) for _ in range(count)],
        "parent": [""] * counts[0]
        + [community_codes[i] for i in layout.grid_community]
        + [grid_codes[i] for i in layout.microgrid_grid],
        "worker": workers,
        "households_target": [
            int(value) for values in (community_households, grid_households, micro_households) for value in values
        ],
    }
    geometries = np.concatenate([tree.geometries[level] for level in Level])
    geometries = shapely.orient_polygons(shapely.normalize(geometries), exterior_cw=False)
    table = gpd.GeoDataFrame(rows, geometry=list(geometries), crs="EPSG:4326")
    table["rank"] = table["level"].map({level.value: level.rank for level in Level})
    table = table.sort_values(["rank", "code"], kind="stable").drop(columns="rank").reset_index(drop=True)
    return table[list(BOUNDARY_COLUMNS)]


def _groups(parents: IntArray) -> Iterator[IntArray]:
    """Member indices of each parent, parent by parent."""
    order = np.argsort(parents, kind="stable")
    bounds = np.flatnonzero(np.diff(parents[order])) + 1
    yield from np.split(order, bounds)


def _community_names(layout: Layout, ranks: IntArray, centres: FloatArray) -> list[str]:
    """Community names by index; in the town 大同 is 001 and the others sit where their names point."""
    count = len(ranks)
    if count > TOWN_MAX_COMMUNITIES:
        by_rank = community_names(count)
        return [by_rank[int(rank)] for rank in ranks]
    by_rank_index = np.argsort(ranks)
    river = layout.network.river
    free = [int(i) for i in by_rank_index]
    chosen: dict[int, str] = {}

    def take(name: str, index: int) -> None:
        chosen[index] = name
        free.remove(index)

    rules = (
        ("大同社区", lambda i: 0.0),
        ("北凤社区", lambda i: -centres[i, 1]),
        ("城东社区", lambda i: -centres[i, 0]),
        ("鳌东社区", lambda i: -centres[i, 0]),
        ("蟾溪社区", lambda i: river.distance(shapely.Point(centres[i]))),
    )
    for name, key in rules:
        if free:
            take(name, min(free, key=key))
    rest = [name for name in SHOUNING_COMMUNITIES if name not in chosen.values()]
    for index in list(free):
        take(rest.pop(0), index)
    return [chosen[i] for i in range(count)]


def _microgrid_names(layout: Layout, codes: list[str], centres: FloatArray, rng: np.random.Generator) -> list[str]:
    """Compound names for some microgrids (the reported ones always), '<street>N号楼片区' for the rest."""
    count = len(codes)
    names: list[str | None] = [None] * count
    for compound, index in layout.placed_compounds.items():
        names[index] = compound
    pool = [name for name in REPORTED_COMPOUNDS if name not in layout.placed_compounds]
    pool += [OTHER_COMPOUNDS[i] for i in rng.permutation(len(OTHER_COMPOUNDS))]
    free = [i for i in rng.permutation(count).tolist() if names[i] is None]
    for index, compound in zip(free[: max(int(_COMPOUND_SHARE * count), len(REPORTED_COMPOUNDS))], pool, strict=False):
        names[index] = compound

    streets = [street for street in layout.network.streets if street.kind is not StreetKind.LANE]
    segments, segment_street = _segments(np.array([street.geometry for street in streets], dtype=object))
    unnamed = [i for i in sorted(range(count), key=lambda i: codes[i]) if names[i] is None]
    nearest = (
        segment_street[shapely.STRtree(segments).query_nearest(shapely.points(centres[unnamed]), all_matches=False)[1]]
        if unnamed
        else []
    )
    numbers: dict[str, int] = {}
    for index, street_index in zip(unnamed, nearest, strict=True):
        street = streets[int(street_index)].name
        numbers[street] = numbers.get(street, 0) + 1
        names[index] = f"{street}{numbers[street]}号楼片区"
    return [name or "" for name in names]


def _segments(lines: GeometryArray) -> tuple[GeometryArray, IntArray]:
    """The two-point segments of `lines` and the line each came from.

    A nearest-street query over whole streets degrades when every street spans the region (the lattice's do):
    their bounding boxes all overlap. Segments keep the boxes small and the nearest line the same.
    """
    coords, line = shapely.get_coordinates(lines, return_index=True)
    start = np.flatnonzero(line[1:] == line[:-1])
    segments = shapely.linestrings(np.stack([coords[start], coords[start + 1]], axis=1))
    return np.asarray(segments, dtype=object), line[start].astype(np.int64)


def _workers(count: int, rng: np.random.Generator, *, unique: bool) -> list[str]:
    """Grid workers' names, none of them the reported worker (who is placed on purpose)."""
    names = [name for name in person_names(count + 1, rng, unique=unique) if name != CHENGDONG_GRID_WORKER]
    # names may repeat when not unique, so the reported worker may have been drawn (and dropped) more than once
    while len(names) < count:
        names += [name for name in person_names(count - len(names), rng, unique=False) if name != CHENGDONG_GRID_WORKER]
    return names[:count]


def _households(layout: Layout, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """Households targets: grids by area within 150..500, split over their microgrids within 30..120."""
    areas = layout.frame.area_m2(layout.microgrids)
    grid_areas = np.bincount(layout.microgrid_grid, weights=areas, minlength=layout.grid_count)
    micro_targets = np.zeros(len(areas), dtype=np.int64)
    grid_targets = np.zeros(layout.grid_count, dtype=np.int64)
    noise = rng.uniform(0.75, 1.25, size=layout.grid_count)
    for grid, members in enumerate(_groups(layout.microgrid_grid)):
        low = max(_GRID_HOUSEHOLDS[0], _MICROGRID_HOUSEHOLDS[0] * len(members))
        high = min(_GRID_HOUSEHOLDS[1], _MICROGRID_HOUSEHOLDS[1] * len(members))
        target = int(np.clip(round(grid_areas[grid] * _HOUSEHOLDS_PER_M2 * noise[grid]), low, high))
        grid_targets[grid] = target
        micro_targets[members] = apportion(target, areas[members].tolist(), *_MICROGRID_HOUSEHOLDS)
    return micro_targets, grid_targets


def write_sample_region(
    out_dir: Path,
    *,
    communities: int = TOWN_MAX_COMMUNITIES,
    seed: int = DEFAULT_SEED,
    households: int | None = None,
) -> SampleSummary:
    """Write the sample region's files under `out_dir` (see `files`) and return what was written.

    `households` defaults to 20,000 for the county town and none for a benchmark lattice.
    """
    if households is None:
        households = DEFAULT_HOUSEHOLDS if communities <= TOWN_MAX_COMMUNITIES else 0
    region = generate_region(communities=communities, seed=seed)
    return write_region_files(region, out_dir, households=households)


__all__ = ["SampleRegion", "SampleSummary", "generate_region", "reading_order", "reading_ranks", "write_sample_region"]
