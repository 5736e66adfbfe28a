"""A broken copy of the sample boundaries with one of each problem planted, and the answer key a checker must find.

Each plant changes as little as it can and keeps to its own grid: new features for the per-feature problems,
code edits for the code problems, small measured geometry edits for the topology problems (see
`broken_topology`). Consequences a plant cannot avoid (the overlap a not-nested microgrid makes, children
left without their parent) are listed as entries with `consequence_of`. Areas are in EPSG:4549.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LinearRing, LineString, Polygon, box

from gridmap.geo.hierarchy import Level, child_code
from gridmap_demo.broken_copy import BrokenCopy, CannotPlant, Entry, Record, cannot_plant, plain_value
from gridmap_demo.broken_topology import (
    plant_edge_mismatch,
    plant_gap,
    plant_invalid_geometry,
    plant_not_nested,
    plant_overlap,
    plant_sliver,
)
from gridmap_demo.layout import as_polygon
from gridmap_demo.projection import LocalFrame, round_lonlat

# The order of the answer key: the order the domain brief lists the kinds in.
KINDS = (
    "invalid_geometry",
    "empty_geometry",
    "not_polygon",
    "coordinates_out_of_range",
    "outside_china",
    "duplicate_code",
    "bad_code",
    "missing_parent",
    "wrong_parent_level",
    "overlap",
    "gap",
    "not_nested",
    "edge_mismatch",
    "sliver",
)
PARIS = (2.35, 48.85)


def plant_problems(boundaries: gpd.GeoDataFrame, frame: LocalFrame, *, seed: int) -> tuple[list[Record], list[Entry]]:
    """The broken copy of `boundaries` as (properties, geometry) records, and the answer key."""
    columns = [column for column in boundaries.columns if column != boundaries.geometry.name]
    props = [
        {column: plain_value(value) for column, value in zip(columns, values, strict=True)}
        for values in boundaries[columns].itertuples(index=False)
    ]
    work = BrokenCopy(frame=frame, props=props, geoms=list(boundaries.geometry), rng=np.random.default_rng([seed, 4]))
    work.find_microgrid_neighbours()
    communities = np.array([work.geometry(i) for i in work.indices(Level.COMMUNITY)], dtype=object)
    exterior = as_polygon(shapely.coverage_union_all(communities), "the region").exterior

    plants: list[Callable[[], None]] = [
        lambda: plant_not_nested(work),
        lambda: plant_overlap(work),
        lambda: plant_gap(work, exterior),
        lambda: plant_sliver(work, exterior),
        lambda: plant_invalid_geometry(work, exterior),
        lambda: plant_edge_mismatch(work),
        lambda: _plant_bad_code(work),
        lambda: _plant_missing_parent(work),
        lambda: _plant_wrong_parent_level(work),
        lambda: _plant_duplicate_code(work),
        lambda: _plant_empty_geometry(work),
        lambda: _plant_not_polygon(work),
        lambda: _plant_far_away(work, exterior),
    ]
    for plant in plants:
        try:
            plant()
        except CannotPlant:
            # Too few grids to keep every plant apart (a region of a few communities): share grids.
            work.strict = False
            plant()
            work.strict = True

    rank = {level.value: level.rank for level in Level}
    kept = [i for i in range(len(work.props)) if i not in work.deleted]
    kept.sort(key=lambda i: (rank[work.props[i]["level"]], work.props[i]["code"], i))
    entries = sorted(
        work.entries, key=lambda e: (KINDS.index(e.get("consequence_of", e["kind"])), "consequence_of" in e)
    )
    return [(work.props[i], work.geoms[i]) for i in kept], entries


def _unused_grid(work: BrokenCopy, *, min_children: int = 2) -> int:
    """A grid no plant has used yet, with at least `min_children` microgrids."""
    for index in work.spread(work.indices(Level.GRID), work.code):
        code = work.code(index)
        children = work.children(code)
        spare = [i for i in children if i not in work.touched]
        apart = not work.strict or not work.blocked.intersection(children)
        enough = len(spare) >= (min_children if work.strict else min(min_children, 2))
        if work.free(code) and enough and apart:
            work.claim([], [code])
            return int(index)
    raise cannot_plant("a code problem")


def _plant_bad_code(work: BrokenCopy) -> None:
    """A grid recoded under another community's code; its microgrids keep the old parent code."""
    index = _unused_grid(work)
    old, community = work.code(index), work.parent(index)
    others = sorted({work.code(i) for i in work.indices(Level.COMMUNITY)} - {community})
    # With a single community, borrow the next community number of the town.
    other = others[0] if others else child_code(community[:9], Level.COMMUNITY, int(community[-3:]) % 999 + 1)
    number = int(old[-3:]) + 50
    new = child_code(other, Level.GRID, number)
    work.props[index]["code"] = new
    work.touched.update([index, *work.children(old)])
    work.plant(
        "bad_code",
        [new],
        Level.GRID,
        None,
        f"grid {new} (was {old}) does not start with its parent's code {community}",
    )
    orphans = [work.code(i) for i in work.children(old)]
    work.plant(
        "missing_parent",
        orphans,
        Level.MICROGRID,
        None,
        f"the microgrids of {old} still name it as parent, and no feature has that code any more",
        consequence_of="bad_code",
    )
    work.plant(
        "gap",
        [new],
        Level.MICROGRID,
        work.area(work.geometry(index)),
        f"no microgrid names {new} as parent, so none of the grid's area is covered by its children",
        consequence_of="bad_code",
    )


def _plant_missing_parent(work: BrokenCopy) -> None:
    """A microgrid moved, code and parent, under a grid code that exists nowhere."""
    grid = _unused_grid(work, min_children=3)
    grid_code = work.code(grid)
    index = work.spare_children(grid_code)[-1]
    ghost = child_code(work.parent(grid), Level.GRID, int(grid_code[-3:]) + 40)
    old = work.code(index)
    new = child_code(ghost, Level.MICROGRID, 1)
    work.props[index].update(code=new, parent=ghost)
    work.touched.add(index)
    work.plant(
        "missing_parent",
        [new],
        Level.MICROGRID,
        None,
        f"microgrid {new} (was {old}) names parent {ghost}, which no feature has",
    )
    work.plant(
        "gap",
        [grid_code],
        Level.MICROGRID,
        work.area(work.geometry(index)),
        f"grid {grid_code} lost {old} from its children, so they leave that area uncovered "
        "(the microgrid level as a whole has no hole)",
        consequence_of="missing_parent",
    )


def _plant_wrong_parent_level(work: BrokenCopy) -> None:
    """A microgrid whose parent is its community instead of its grid."""
    grid = _unused_grid(work, min_children=3)
    grid_code = work.code(grid)
    index = work.spare_children(grid_code)[0]
    community = work.parent(grid)
    work.props[index]["parent"] = community
    work.touched.add(index)
    code = work.code(index)
    work.plant(
        "wrong_parent_level",
        [code],
        Level.MICROGRID,
        None,
        f"microgrid {code} names the community {community} as parent, not its grid {grid_code}",
    )
    work.plant(
        "gap",
        [grid_code],
        Level.MICROGRID,
        work.area(work.geometry(index)),
        f"grid {grid_code} lost {code} from its children, so they leave that area uncovered "
        "(the microgrid level as a whole has no hole)",
        consequence_of="wrong_parent_level",
    )


def _plant_duplicate_code(work: BrokenCopy) -> None:
    """Two microgrids of one grid with the same code (the second took the first's)."""
    grid = _unused_grid(work)
    first, second = work.spare_children(work.code(grid))[:2]
    code = work.code(first)
    old = work.code(second)
    work.props[second]["code"] = code
    work.touched.update([first, second])
    work.plant(
        "duplicate_code",
        [code],
        Level.MICROGRID,
        None,
        f"two microgrids have code {code} (the second was {old})",
    )


def _new_microgrid(work: BrokenCopy, grid: int, name: str) -> dict[str, Any]:
    """Properties of a new microgrid under `grid`, staffed like its first sibling."""
    grid_code = work.code(grid)
    sibling = work.props[work.children(grid_code)[0]]
    return {
        "code": work.next_child_code(grid_code, Level.MICROGRID),
        "name": name,
        "level": Level.MICROGRID.value,
        "parent": grid_code,
        "worker": sibling["worker"],
        "households_target": 30,
    }


def _plant_empty_geometry(work: BrokenCopy) -> None:
    """A new microgrid registered without a boundary (`"geometry": null`)."""
    grid = _unused_grid(work)
    props = _new_microgrid(work, grid, f"{work.props[grid]['name']}待勘界片区")
    work.add(props, None)
    work.plant("empty_geometry", [props["code"]], Level.MICROGRID, None, f"microgrid {props['code']} has no geometry")


def _plant_not_polygon(work: BrokenCopy) -> None:
    """A new microgrid drawn as a line: the lane between two microgrids of its grid."""
    while True:
        grid = _unused_grid(work)
        children = work.spare_children(work.code(grid))
        pairs = [
            (a, b)
            for a in children
            for b, length in work.neighbours.get(a, {}).items()
            if b in children and length > 10.0
        ]
        if pairs:
            break
    first, second = pairs[0]
    shared = shapely.line_merge(shapely.intersection(work.geometry(first).boundary, work.geometry(second).boundary))
    line = max(
        (part for part in shapely.get_parts(shared) if isinstance(part, LineString)), key=lambda part: part.length
    )
    props = _new_microgrid(work, grid, f"{work.props[grid]['name']}沿街片区")
    work.add(props, line)
    work.plant("not_polygon", [props["code"]], Level.MICROGRID, None, f"microgrid {props['code']} is a LineString")


def _plant_far_away(work: BrokenCopy, exterior: LinearRing) -> None:
    """Two new village-level features: one digitised with lon/lat swapped, one that landed in Paris."""
    community_codes = sorted(work.code(i) for i in work.indices(Level.COMMUNITY))
    town = community_codes[0][:9]
    numbers = {int(code[-3:]) for code in community_codes if code.startswith(town)}
    free = [n for n in range(1, 1000) if n not in numbers][:2]
    if len(free) < 2:
        raise cannot_plant("coordinates_out_of_range")
    _, min_lat, max_lon, max_lat = exterior.bounds
    beside = box(max_lon + 0.002, (min_lat + max_lat) / 2 - 0.001, max_lon + 0.0045, (min_lat + max_lat) / 2 + 0.0015)
    swapped = shapely.orient_polygons(
        Polygon(round_lonlat(np.asarray(beside.exterior.coords)[:, ::-1])), exterior_cw=False
    )
    paris = Polygon(
        round_lonlat(
            np.asarray(box(PARIS[0] - 0.001, PARIS[1] - 0.0008, PARIS[0] + 0.001, PARIS[1] + 0.0008).exterior.coords)
        )
    )
    paris = shapely.orient_polygons(paris, exterior_cw=False)
    for (kind, name, geometry), number in zip(
        (
            ("coordinates_out_of_range", "茗溪村", swapped),
            ("outside_china", "横程村", paris),
        ),
        free,
        strict=True,
    ):
        code = child_code(town, Level.COMMUNITY, number)
        worker = work.props[work.indices(Level.COMMUNITY)[0]]["worker"]
        work.add(
            {
                "code": code,
                "name": name,
                "level": Level.COMMUNITY.value,
                "parent": "",
                "worker": worker,
                "households_target": 600,
            },
            geometry,
        )
        detail = (
            "has longitude and latitude swapped (latitude about 119)"
            if kind == "coordinates_out_of_range"
            else f"lies around lon {PARIS[0]}, lat {PARIS[1]} (Paris), far outside China"
        )
        work.plant(kind, [code], Level.COMMUNITY, None, f"{name} {code} {detail}")
