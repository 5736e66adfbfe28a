"""The county town of Shouning (鳌阳镇) as a layout: a river, arterials, streets and lanes, and their faces.

The town is drawn in local metres: an irregular outline about 2 km across, the river 蟾溪 meandering west to
east, the ring road 环城路 round the old town and three straight-ish arterials. Their faces are the blocks;
blocks are merged into communities, cut into grids by streets, and grids into microgrids by lanes. The exact
coverage comes from noding all of that linework at once and polygonizing it; each face is then given to
the designed microgrid it lies in, so every shared edge is the same noded line on both sides.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import LinearRing, LineString, Polygon
from shapely.geometry.base import BaseGeometry

from gridmap_demo.layout import (
    Layout,
    Street,
    StreetKind,
    StreetNetwork,
    apportion,
    as_polygon,
    coverage_union_groups,
)
from gridmap_demo.names import ARTERIALS, LANES, RING_ROAD, STREETS, numbered_lane
from gridmap_demo.projection import SHOUNING_CENTRE, GeometryArray, LocalFrame
from gridmap_demo.split import OVERSHOOT_M, CutLog, split_polygon

GRIDS_PER_COMMUNITY = 46 / 9
MICROGRIDS_PER_GRID = 150 / 46
RIVER_WIDTH_M = 24.0
_MIN_BLOCK_M2 = 40_000.0
_NODING_GRID_M = 0.1
_MIN_SHARED_EDGE_M = 30.0
_STREET_WIGGLE = 0.025
_LANE_WIGGLE = 0.012


def town_layout(*, communities: int, seed: int) -> Layout:
    """The town cut into `communities` communities (1..9), about 5 grids each and 3 microgrids per grid."""
    frame = LocalFrame(*SHOUNING_CENTRE)
    rng = np.random.default_rng([seed, 1])
    outline, river, arterials = _town_linework(rng)
    arterial_log, street_log, lane_log = CutLog(), CutLog(), CutLog()
    community_blocks = _community_blocks(outline, [river, *arterials], communities, rng, arterial_log)
    grids, grid_community = _cut_grids(community_blocks, rng, street_log)

    total = min(max(round(MICROGRIDS_PER_GRID * len(grids)), 2 * len(grids)), 5 * len(grids))
    designed: list[Polygon] = []
    microgrid_grid: list[int] = []
    for index, (grid, count) in enumerate(zip(grids, apportion(total, [g.area for g in grids], 2, 5), strict=True)):
        made = split_polygon(grid, count, rng, lane_log, wiggle=_LANE_WIGGLE)
        designed.extend(made)
        microgrid_grid.extend([index] * len(made))

    noded = [outline.exterior, *_overshooting(outline, [river, *arterials])]
    noded += [cut.noded for log in (arterial_log, street_log, lane_log) for cut in log.cuts]
    network = _network(outline, river, arterials, arterial_log, street_log, lane_log, rng)
    return Layout(
        frame=frame,
        microgrids=_exact_microgrids(frame, outline, noded, designed),
        microgrid_grid=np.asarray(microgrid_grid, dtype=np.int64),
        grid_community=np.asarray(grid_community, dtype=np.int64),
        network=network,
        placed_compounds=_placed_compounds(designed, network, rng),
    )


def _community_blocks(
    outline: Polygon, lines: list[LineString], communities: int, rng: np.random.Generator, log: CutLog
) -> list[list[Polygon]]:
    """The blocks (faces of the river and arterials, tiny ones merged) making up each community."""
    faces = _faces(outline, lines)
    merged = _merge(faces, [[i] for i in range(len(faces))], target=len(faces), min_area=_MIN_BLOCK_M2)
    blocks = [as_polygon(shapely.union_all([faces[i] for i in group]), "a block") for group in merged]
    groups = _merge(blocks, [[i] for i in range(len(blocks))], target=communities, min_area=0.0)
    community_blocks = [[blocks[i] for i in group] for group in groups]
    while len(community_blocks) < communities:
        # Fewer blocks than communities: a new arterial cuts the largest community in two.
        areas = [sum(block.area for block in parts) for parts in community_blocks]
        largest = int(np.argmax(areas))
        shape = as_polygon(shapely.union_all(community_blocks[largest]), "a community")
        halves = split_polygon(shape, 2, rng, log, wiggle=_STREET_WIGGLE)
        community_blocks[largest : largest + 1] = [[half] for half in halves]
    return community_blocks


def _cut_grids(
    community_blocks: list[list[Polygon]], rng: np.random.Generator, log: CutLog
) -> tuple[list[Polygon], list[int]]:
    """Grids cut by streets, 4-7 per community, never across an arterial unless blocks had to merge."""
    count = len(community_blocks)
    total = min(max(round(GRIDS_PER_COMMUNITY * count), 4 * count), 7 * count)
    areas = [sum(block.area for block in parts) for parts in community_blocks]
    grids: list[Polygon] = []
    grid_community: list[int] = []
    for community, (parts, grid_count) in enumerate(zip(community_blocks, apportion(total, areas, 4, 7), strict=True)):
        members = _merge(parts, [[i] for i in range(len(parts))], target=grid_count, min_area=0.0)
        pieces = [as_polygon(shapely.union_all([parts[i] for i in member]), "a block group") for member in members]
        for piece, piece_count in zip(
            pieces, apportion(grid_count, [p.area for p in pieces], 1, grid_count), strict=True
        ):
            made = split_polygon(piece, piece_count, rng, log, wiggle=_STREET_WIGGLE)
            grids.extend(made)
            grid_community.extend([community] * len(made))
    return grids, grid_community


def _town_linework(rng: np.random.Generator) -> tuple[Polygon, LineString, list[LineString]]:
    """Outline, river centreline and arterials (ring road first), redrawn until each crosses cleanly."""
    for _ in range(100):
        outline = _outline(rng)
        river = _wavy(rng, base=60.0, swing=110.0, slope=-0.12, along_x=True)
        arterials = [
            _ring_road(rng),
            _wavy(rng, base=-190.0, swing=45.0, slope=0.05, along_x=False),
            _wavy(rng, base=-640.0, swing=40.0, slope=0.03, along_x=True),
            _wavy(rng, base=700.0, swing=35.0, slope=-0.04, along_x=False),
        ]
        crossings = [_count_points(line.intersection(outline.exterior)) for line in [river, *arterials]]
        ring_crossings = _count_points(river.intersection(arterials[0]))
        if crossings == [2, 0, 2, 2, 2] and ring_crossings == 2 and outline.contains(arterials[0]):
            return outline, river, arterials
    msg = "could not draw the town's linework"
    raise RuntimeError(msg)


def _count_points(geometry: BaseGeometry) -> int:
    """Number of points in an intersection result (0 when empty)."""
    return 0 if geometry.is_empty else len(shapely.get_parts(geometry))


def _outline(rng: np.random.Generator) -> Polygon:
    """An irregular, roughly round built-up area about 2.2 km east-west and 2 km north-south."""
    theta = np.linspace(0.0, 2.0 * math.pi, 180, endpoint=False)
    radius = np.full_like(theta, 1000.0)
    for harmonic, amplitude in ((2, 0.06), (3, 0.05), (4, 0.03), (5, 0.02), (7, 0.012)):
        radius *= 1.0 + amplitude * rng.uniform(0.6, 1.0) * np.cos(harmonic * theta + rng.uniform(0, 2 * math.pi))
    return Polygon(np.column_stack([1.08 * radius * np.cos(theta), radius * np.sin(theta)]))


def _ring_road(rng: np.random.Generator) -> LineString:
    """环城路: a closed loop round the old town, north of the centre."""
    theta = np.linspace(0.0, 2.0 * math.pi, 120, endpoint=False)
    wobble = 1.0 + 0.05 * np.cos(3 * theta + rng.uniform(0, 2 * math.pi)) + 0.03 * np.cos(5 * theta)
    ring = LinearRing(np.column_stack([-40.0 + 480.0 * wobble * np.cos(theta), 120.0 + 400.0 * wobble * np.sin(theta)]))
    return LineString(ring.coords)


def _wavy(rng: np.random.Generator, *, base: float, swing: float, slope: float, along_x: bool) -> LineString:
    """A long meandering line across the town, west-east (`along_x`) or north-south."""
    run = np.arange(-1700.0, 1700.1, 20.0)
    phase_a, phase_b = rng.uniform(0, 2 * math.pi, size=2)
    offset = (
        base
        + swing * np.sin(2 * math.pi * run / 1500.0 + phase_a)
        + 0.3 * swing * np.sin(2 * math.pi * run / 520.0 + phase_b)
        + slope * run
    )
    points = np.column_stack([run, offset]) if along_x else np.column_stack([offset, run])
    return LineString(points)


def _overshooting(outline: Polygon, lines: list[LineString]) -> list[BaseGeometry]:
    """Lines clipped to the outline plus a small overshoot, so they node with the outline."""
    grown = outline.buffer(OVERSHOOT_M, join_style="mitre")
    return [line.intersection(grown) for line in lines]


def _faces(outline: Polygon, lines: list[LineString]) -> list[Polygon]:
    """The faces the lines cut the outline into, sorted north-west first for reproducible merging."""
    noded = shapely.union_all([outline.exterior, *_overshooting(outline, lines)])
    faces = [
        face for face in shapely.get_parts(shapely.polygonize([noded])) if outline.contains(face.representative_point())
    ]
    return sorted(faces, key=lambda face: (-round(face.centroid.y), round(face.centroid.x)))


def _merge(pieces: list[Polygon], groups: list[list[int]], *, target: int, min_area: float) -> list[list[int]]:
    """Groups of adjacent pieces merged smallest-first until at most `target` remain and none is too small."""
    groups = [list(group) for group in groups]
    shapes = [shapely.union_all([pieces[i] for i in group]) for group in groups]
    while len(groups) > 1:
        areas = [shape.area for shape in shapes]
        if len(groups) <= target and min(areas) >= min_area:
            break
        merged = False
        for small in np.argsort(areas, kind="stable"):
            if len(groups) <= target and areas[small] >= min_area:
                break
            partner = _merge_partner(shapes, int(small))
            if partner is None:
                continue
            keep, drop = sorted((int(small), partner))
            groups[keep] = sorted(groups[keep] + groups[drop])
            shapes[keep] = shapely.union_all([shapes[keep], shapes[drop]])
            del groups[drop], shapes[drop]
            merged = True
            break
        if not merged:
            break
    return groups


def _merge_partner(shapes: list[BaseGeometry], small: int) -> int | None:
    """The smallest neighbour sharing a real edge with shapes[small] whose union stays a hole-free polygon."""
    candidates: list[tuple[float, int]] = []
    # A small piece may have no edge as long as the usual minimum: a quarter of its perimeter will do.
    needed = min(_MIN_SHARED_EDGE_M, 0.25 * shapes[small].length)
    for other, shape in enumerate(shapes):
        if other == small:
            continue
        shared = shapes[small].boundary.intersection(shape.boundary).length
        if shared >= needed:
            candidates.append((shape.area, other))
    for _, other in sorted(candidates):
        union = shapely.union_all([shapes[small], shapes[other]])
        if isinstance(union, Polygon) and not union.interiors:
            return other
    return None


def _exact_microgrids(
    frame: LocalFrame, outline: Polygon, noded: list[BaseGeometry], designed: list[Polygon]
) -> GeometryArray:
    """Microgrids as unions of the faces of all linework noded together, in rounded WGS-84.

    Noding snap-rounds to a 10 cm grid, so no two vertices and no vertex and edge come closer than a few
    centimetres; rounding to 7 decimals (about 1 cm) afterwards then cannot fold an edge over itself.
    """
    linework = shapely.union_all(noded, grid_size=_NODING_GRID_M)
    faces = np.array(
        [
            face
            for face in shapely.get_parts(shapely.polygonize([linework]))
            if outline.contains(face.representative_point())
        ],
        dtype=object,
    )
    owner = np.full(len(faces), -1, dtype=np.int64)
    tree = shapely.STRtree(np.array(designed, dtype=object))
    face_index, design_index = tree.query(shapely.point_on_surface(faces), predicate="within")
    owner[face_index[::-1]] = design_index[::-1]
    for lost in np.flatnonzero(owner < 0):
        overlaps = shapely.area(shapely.intersection(faces[lost], np.array(designed, dtype=object)))
        owner[lost] = int(np.argmax(overlaps))
    if len(np.unique(owner)) != len(designed):
        msg = "a designed microgrid received no face; the linework did not node as designed"
        raise RuntimeError(msg)
    in_lonlat = frame.to_lonlat(faces)
    return coverage_union_groups(in_lonlat, owner, len(designed))


def _network(
    outline: Polygon,
    river: LineString,
    arterials: list[LineString],
    arterial_log: CutLog,
    street_log: CutLog,
    lane_log: CutLog,
    rng: np.random.Generator,
) -> StreetNetwork:
    """Named streets: the arterials, then one street name per grid-level cut and one lane per lane cut."""
    streets = [
        Street(name=name, kind=StreetKind.ARTERIAL, geometry=_as_line(line.intersection(outline)))
        for name, line in zip(ARTERIALS, arterials, strict=True)
    ]
    streets += [
        Street(name=f"新区{number}路", kind=StreetKind.ARTERIAL, geometry=_as_line(cut.drawn))
        for number, cut in enumerate(arterial_log.cuts, start=1)
    ]
    street_names = [STREETS[i] for i in rng.permutation(len(STREETS))]
    for number, cut in enumerate(street_log.cuts):
        name = street_names[number] if number < len(street_names) else f"纬{number + 1}路"
        streets.append(Street(name=name, kind=StreetKind.STREET, geometry=_as_line(cut.drawn)))
    named = list(streets)
    lane_names = [LANES[i] for i in rng.permutation(len(LANES))]
    traditional = set(rng.choice(len(lane_log.cuts), size=min(len(LANES), len(lane_log.cuts)), replace=False).tolist())
    per_street: dict[str, int] = {}
    for number, cut in enumerate(lane_log.cuts):
        if number in traditional:
            name = lane_names.pop()
        else:
            middle = cut.drawn.interpolate(0.5, normalized=True)
            nearest = min(named, key=lambda street: street.geometry.distance(middle))
            per_street[nearest.name] = per_street.get(nearest.name, 0) + 1
            name = numbered_lane(nearest.name, per_street[nearest.name])
        streets.append(Street(name=name, kind=StreetKind.LANE, geometry=_as_line(cut.drawn)))
    return StreetNetwork(outline=outline, river=river, river_width_m=RIVER_WIDTH_M, streets=tuple(streets))


def _as_line(geometry: BaseGeometry) -> LineString:
    """A clipped line as one LineString (the longest part if clipping split it)."""
    parts = [part for part in shapely.get_parts(geometry) if isinstance(part, LineString)]
    return max(parts, key=lambda part: part.length)


def _placed_compounds(designed: list[Polygon], network: StreetNetwork, rng: np.random.Generator) -> dict[str, int]:
    """朝阳新村 on the ring road (环城路 33号) and 东升大厦 on 东区路, each in a microgrid fronting that road."""
    placed: dict[str, int] = {}
    for compound, road in (("朝阳新村", RING_ROAD), ("东升大厦", "东区路")):
        line = next(street.geometry for street in network.streets if street.name == road)
        fronting = [
            index
            for index, shape in enumerate(designed)
            if index not in placed.values() and shape.boundary.intersection(line.buffer(1.0)).length > 40.0
        ]
        if fronting:
            placed[compound] = int(fronting[int(rng.integers(len(fronting)))])
    return placed
