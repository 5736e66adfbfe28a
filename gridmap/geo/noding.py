"""Noding lines drawn without shared vertices: split where they cross and where one ends on another.

Walking lines drawn by hand or generated cross without a shared vertex, and a lane meant to end on a
street often stops a few millimetres short of it or runs a few millimetres past it. A graph that joins
lines only at shared vertices (`gridmap.geo.network`) would miss those junctions; snapping everything to a
grid does not fix them either, as a lane end rounded to the grid is still off the street.

`node_lines` works in metres and finds the junctions first:

- every line end within the tolerance of another line lands on the nearest such line: on that line's
  nearest vertex when one lies within the tolerance of the end (the other line then stays as it is), else
  on the end's projection onto the line (the end itself when it touches the line already). An end that
  runs past the line by less than the tolerance is trimmed back onto it, so no stub is left;
- every point where two lines cross or touch, and both ends of a stretch they share;
- candidates closer than the tolerance to one already taken join it, line ends before crossings.

Then every line within the tolerance of a junction is cut there: the junction replaces the line's nearest
vertex when that is within the tolerance, and becomes a new vertex otherwise. The pieces meeting at a
junction share its coordinates exactly. Moving a line end onto a junction can bring the line within the
tolerance of another one, so the pieces are noded again until a pass changes nothing (noding the result
once more then changes nothing either), at most `_MAX_PASSES` times: where several junctions cluster
within a few tolerances of each other, a pass can keep moving a short piece among them. A line no junction
comes near is returned as it was, bit for bit, and so is every vertex of the others that no junction
replaced. Lines shift only near junctions, each pass by at most the tolerance. Where a line crosses itself is not
a junction, and neither is a line end near its own line.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, MultiLineString

NODING_TOLERANCE_M = 0.05
"""Metres: a line end this close to another line is a junction on it, and junctions this close are one."""

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
GeometryArray = npt.NDArray[np.object_]

_MAX_PASSES = 4  # a pass moves line ends onto junctions, which may bring them near another line


def node_lines(lines: npt.ArrayLike, tolerance_m: float = NODING_TOLERANCE_M) -> GeometryArray:
    """The lines (metric CRS) split at every junction with each other, one geometry per input line.

    Each result is the input geometry itself when no junction came near it, else its pieces between
    junctions in order and in its direction: a LineString when one piece is left, a MultiLineString when
    several (an empty LineString if the line shrank to nothing, being shorter than the tolerance).
    Geometries other than lines with a length pass through untouched and take no part.
    """
    if not tolerance_m > 0:
        msg = f"the noding tolerance must be positive, got {tolerance_m} m"
        raise ValueError(msg)
    geometries = np.asarray(lines, dtype=object)
    result = geometries.copy()
    parts, owner = shapely.get_parts(geometries, return_index=True)
    usable = (shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING) & (shapely.length(parts) > 0)
    parts, owner = parts[usable], owner[usable]
    changed: set[int] = set()
    for _ in range(_MAX_PASSES):
        noded, source, moved = _node_once(parts, tolerance_m)
        if not len(moved):
            break
        changed.update(owner[moved].tolist())
        parts, owner = noded, owner[source]
    for row in sorted(changed):
        pieces = list(parts[owner == row])
        result[row] = pieces[0] if len(pieces) == 1 else MultiLineString(pieces) if pieces else LineString()
    return result


def _node_once(lines: GeometryArray, tolerance_m: float) -> tuple[GeometryArray, IndexArray, IndexArray]:
    """One pass: the pieces of every line cut at the junctions, the line each came from, the lines changed."""
    unchanged = (lines, np.arange(len(lines)), np.zeros(0, dtype=np.intp))
    if len(lines) < 2:
        return unchanged
    junctions = _junctions(lines, tolerance_m)
    if not len(junctions):
        return unchanged
    junction_points = np.asarray(shapely.points(junctions), dtype=object)
    line_index, junction_index = shapely.STRtree(junction_points).query(
        lines, predicate="dwithin", distance=tolerance_m
    )
    near: dict[int, list[int]] = {}
    for line, junction in zip(line_index.tolist(), junction_index.tolist(), strict=True):
        near.setdefault(line, []).append(junction)
    # a line whose junctions all lie on its own ends stays as it is
    at_end = shapely.equals_exact(junction_points[junction_index], shapely.get_point(lines[line_index], 0), 0.0)
    at_end |= shapely.equals_exact(junction_points[junction_index], shapely.get_point(lines[line_index], -1), 0.0)
    for line in np.setdiff1d(line_index, line_index[~at_end]).tolist():
        del near[line]
    pieces: list[LineString] = []
    source: list[int] = []
    moved: list[int] = []
    for index, line in enumerate(lines):
        here = near.get(index)
        cut = [line] if here is None else _split(line, junctions[here], tolerance_m)
        if len(cut) != 1 or not cut[0].equals_exact(line, 0.0):
            moved.append(index)
        else:
            cut = [line]
        pieces.extend(cut)
        source.extend([index] * len(cut))
    if not moved:
        return unchanged
    noded = np.empty(len(pieces), dtype=object)
    noded[:] = pieces
    return noded, np.asarray(source, dtype=np.intp), np.asarray(moved, dtype=np.intp)


def _junctions(lines: GeometryArray, tolerance_m: float) -> FloatArray:
    """Where lines meet: line ends landed on the lines they stop near, then crossings, merged within tolerance."""
    tree = shapely.STRtree(lines)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    end_line = np.tile(np.arange(len(lines)), 2)
    end_index, other = tree.query(ends, predicate="dwithin", distance=tolerance_m)
    keep = end_line[end_index] != other
    end_index, other = end_index[keep], other[keep]
    # each end lands on the nearest other line only (the lowest index among equals); lines it also comes
    # near are joined only if the landing is near them too
    distance = shapely.distance(ends[end_index], lines[other])
    order = np.lexsort((other, distance, end_index))
    first = order[np.r_[True, end_index[order][1:] != end_index[order][:-1]]] if len(order) else order
    landings = _landings(ends[end_index[first]], lines[other[first]], tolerance_m)
    first, second = tree.query(lines, predicate="intersects")
    pairs = first < second
    met = shapely.get_parts(shapely.intersection(lines[first[pairs]], lines[second[pairs]]))
    met = shapely.get_parts(met)  # collections (points and stretches together) into single parts
    stretches = met[shapely.get_dimensions(met) == 1]
    candidates = np.vstack(
        [
            landings,
            shapely.get_coordinates(met[shapely.get_dimensions(met) == 0]),
            shapely.get_coordinates(shapely.get_point(stretches, 0)),
            shapely.get_coordinates(shapely.get_point(stretches, -1)),
        ]
    )
    return candidates[_first_apart(candidates, tolerance_m)]


def _landings(ends: GeometryArray, lines: GeometryArray, tolerance_m: float) -> FloatArray:
    """Where each line end joins the line it stops near: its nearest vertex within tolerance, else its projection."""
    landed = shapely.get_coordinates(ends).reshape(-1, 2)
    if not len(landed):
        return landed
    xy, pair = shapely.get_coordinates(lines, return_index=True)
    distance = np.hypot(*(xy - landed[pair]).T)
    order = np.lexsort((distance, pair))
    nearest = order[np.r_[True, pair[order][1:] != pair[order][:-1]]]  # each pair's nearest vertex
    projected = shapely.get_coordinates(shapely.line_interpolate_point(lines, shapely.line_locate_point(lines, ends)))
    off_line = shapely.distance(ends, lines) > 0
    landed[off_line] = projected[off_line]
    at_vertex = distance[nearest] <= tolerance_m
    landed[at_vertex] = xy[nearest][at_vertex]
    return landed


def _first_apart(points: FloatArray, tolerance_m: float) -> IndexArray:
    """Indices of the points kept when each, in order, joins the first kept point within tolerance of it."""
    geometries = np.asarray(shapely.points(points), dtype=object)
    close, neighbour = shapely.STRtree(geometries).query(geometries, predicate="dwithin", distance=tolerance_m)
    order = np.argsort(close, kind="stable")
    bounds = np.searchsorted(close[order], np.arange(len(points) + 1))
    absorbed = np.zeros(len(points), dtype=bool)
    taken: list[int] = []
    for index in range(len(points)):
        if not absorbed[index]:
            taken.append(index)
            absorbed[neighbour[order[bounds[index] : bounds[index + 1]]]] = True
    return np.asarray(taken, dtype=np.intp)


def _split(line: LineString, junctions: FloatArray, tolerance_m: float) -> list[LineString]:
    """`line` cut at the junctions near it: a junction replaces its nearest vertex within tolerance, if free.

    The result's points are ordered by how far along the line each lies, a junction by its projection (a
    replaced vertex stays between its neighbours), so that a line end caught between two junctions runs
    through both rather than doubling back.
    """
    xy = shapely.get_coordinates(line)
    count = len(xy)
    along_vertices = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    along: list[float] = np.asarray(shapely.line_locate_point(line, shapely.points(junctions)), dtype=float).tolist()
    distances = np.hypot(xy[None, :, 0] - junctions[:, None, 0], xy[None, :, 1] - junctions[:, None, 1])
    closed = bool(line.is_closed)
    # (distance along the line, order among equals, coordinates, whether the line is cut there)
    points = [(float(a), 2 * k, c, False) for k, (a, c) in enumerate(zip(along_vertices, xy.tolist(), strict=True))]
    taken: set[int] = set()
    for index in np.argsort(distances.min(axis=1), kind="stable").tolist():
        junction = junctions[index].tolist()
        vertex = int(np.argmin(distances[index]))
        if distances[index, vertex] <= tolerance_m and vertex not in taken:
            if closed and vertex in (0, count - 1):
                taken.update((0, count - 1))
                points[0] = (points[0][0], 0, junction, True)
                points[count - 1] = (points[count - 1][0], 2 * (count - 1), junction, True)
                continue
            taken.add(vertex)
            low = along_vertices[vertex - 1] if vertex > 0 else -np.inf
            high = along_vertices[vertex + 1] if vertex < count - 1 else np.inf
            points[vertex] = (float(np.clip(along[index], low, high)), 2 * vertex, junction, True)
            continue
        segment = int(np.clip(np.searchsorted(along_vertices, along[index]) - 1, 0, count - 2))
        points.append((along[index], 2 * segment + 1, junction, True))
    points.sort(key=lambda point: (point[0], point[1]))
    runs: list[list[list[float]]] = []
    current: list[list[float]] = []
    for _, _, coordinate, is_cut in points:
        current.append(coordinate)
        if is_cut and len(current) > 1:
            runs.append(current)
            current = [coordinate]
    if len(current) > 1:
        runs.append(current)
    return [LineString(run) for run in runs if len({tuple(c) for c in run}) > 1]
