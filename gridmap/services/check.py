"""The coverage check: every rule of 边界清晰,不留空白,不交叉重叠 over every level, as one report."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gridmap.geo import coverage, coverage_tiles
from gridmap.geo.allowed_exceptions import AllowedException, is_allowed, mark_allowed
from gridmap.geo.crs import LocalMetres
from gridmap.geo.hierarchy import LEVELS, Level, code_problem, parent_index
from gridmap.geo.problems import Problem, ProblemKind, Severity
from gridmap.geo.slivers import find_slivers
from gridmap.geo.validity import FeatureLabel, check_geometries
from gridmap.io.boundaries import SourceCrs
from gridmap.io.boundary_features import BoundaryFeatures
from gridmap.services.parallel import PieceMap, in_background, map_pieces, side_by_side
from gridmap.services.problem_locations import (
    bends_edges,
    crs_name,
    geometry_in_input,
    input_geometries_to_wgs84,
    is_geographic,
    is_wgs84,
    problems_json,
    wgs84_to_input,
)

if TYPE_CHECKING:  # `gridmap check` reads files into BoundaryFeatures and starts without pandas and geopandas
    import geopandas as gpd

Progress = Callable[[str], None]

_REASON_POINT = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\]")  # GEOS: "Self-intersection[x y]"
_FEATURE_PREFIX = re.compile(r"^(.*?: feature \d+) \(")  # messages start with "path: feature N (code)"


@dataclass(frozen=True)
class CheckOptions:
    """Tolerances and optional inputs of a check; the defaults suit a county's grids."""

    gap_width: float = 1.0  # m: open inlets narrower than this count as gaps
    min_area_m2: float = 1.0  # overlaps, gaps and escapes smaller than this are noise (edge_mismatch covers them)
    sliver_width: float = 2.0  # m: features thinner than this are slivers
    strict: bool = False  # warnings fail the check too
    allow_empty: bool = False  # empty features are placeholders (info), left out of the coverage rules
    extent: BaseGeometry | None = None  # WGS-84 outline the top level must cover exactly
    households: npt.NDArray[np.object_] | None = None  # WGS-84 points
    households_min: int = 0
    households_max: int = 500
    # gaps and overlaps allowed on purpose: listed as info naming their exception, never failing
    allowed: tuple[AllowedException, ...] = ()
    jobs: int = 1  # processes for the top level's tiles (the gap and inlet search); any number gives the same report
    # where each parent's children are checked against it (blocks of parents on a Dask cluster's workers: see
    # gridmap.services.dask_cluster.DaskPieces); None: here, every parent at once. The report is the same.
    parents_on: PieceMap | None = None
    # codes of the parents whose children are checked against them (not_nested, gaps inside parents); None: every
    # parent. An edit's neighbourhood check names the families it touches: the others are the same before and after.
    nesting_parents: frozenset[str] | None = None
    # WGS-84 box (min lon, min lat, max lon, max lat) the local metres are centred on and areas are measured for;
    # None: the usable features' own. A check of part of an area maps it as the check of the whole area does.
    metric_bounds: tuple[float, float, float, float] | None = None


@dataclass
class CheckReport:
    """The problems found, with counts per level and kind."""

    problems: list[Problem]
    features: int
    levels: dict[str, int]
    strict: bool = False
    notes: list[str] = field(default_factory=list)  # what the check could not do, in words
    input_crs: SourceCrs = field(default_factory=SourceCrs)  # what the files were in: locations go back to it

    @property
    def errors(self) -> int:
        """How many problems fail the check."""
        failing = {Severity.ERROR, Severity.WARNING} if self.strict else {Severity.ERROR}
        return sum(1 for p in self.problems if p.severity in failing)

    @property
    def ok(self) -> bool:
        """True when nothing fails the check."""
        return self.errors == 0

    @property
    def allowed(self) -> int:
        """How many gaps and overlaps an allowed exception explains (listed as info, never failing)."""
        return sum(1 for p in self.problems if is_allowed(p))

    def to_json(self) -> dict[str, Any]:
        """The report contract: {"ok", "summary": {"features", "levels", "problems", "input_crs"}, "problems": [...]}.

        Each problem's `geometry` and `location` ([lon, lat]) are WGS-84; `location_input` is the same point
        in the coordinates the input was read from, which `summary.input_crs` names (gcj02, EPSG:4549, ...).
        """
        return {**self.summary_json(), "problems": problems_json(self.problems, self.input_crs)}

    def summary_json(self) -> dict[str, Any]:
        """The report contract without its problems: {"ok", "summary"}."""
        kinds = Counter(p.kind.value for p in self.problems)
        return {
            "ok": self.ok,
            "summary": {
                "features": self.features,
                "levels": self.levels,
                "problems": dict(sorted(kinds.items())),
                "input_crs": crs_name(self.input_crs),
                **({"allowed": self.allowed} if self.allowed else {}),
                **({"notes": self.notes} if self.notes else {}),
            },
        }


def check_boundaries(
    frame: gpd.GeoDataFrame | BoundaryFeatures,
    options: CheckOptions | None = None,
    *,
    read_problems: Sequence[Problem] = (),
    progress: Progress | None = None,
    input_crs: SourceCrs | None = None,
) -> CheckReport:
    """Check grid-model features (WGS-84) on every level and across levels.

    `input_crs` is what the features were read from, so that the report gives locations in it too.
    """
    options = options or CheckOptions()
    step = progress or (lambda _: None)
    features = frame if isinstance(frame, BoundaryFeatures) else BoundaryFeatures.from_frame(frame)
    codes = [str(c) for c in features.code]
    levels = [None if not isinstance(v, str) or not v else v for v in features.level]
    parents = [str(p) if isinstance(p, str) else "" for p in features.parent]
    labels = [
        FeatureLabel(code=c, level=lv, where=f"{s}: feature {f}")
        for c, lv, s, f in zip(codes, levels, features.source, features.feature, strict=True)
    ]
    unusable = _unusable_rows(features, read_problems)
    step("geometry")
    geometries = features.geometries
    geometry_check = check_geometries(geometries, labels, unusable, allow_empty=options.allow_empty)
    problems = list(read_problems) + _invalid_points_in_input(
        geometry_check.problems, geometries, labels, input_crs or SourceCrs()
    )
    step("codes")
    problems += _code_problems(codes, levels, parents, labels)
    step("coverage")
    repaired = np.array([a is not b for a, b in zip(geometry_check.geometries, geometries, strict=True)], dtype=bool)
    context = _MetricContext.build(
        geometry_check.geometries, geometry_check.usable, repaired, input_crs, options.jobs, options.metric_bounds
    )
    problems += _coverage_problems(context, codes, levels, parents, options, step)
    if options.allowed:
        step("allowed exceptions")
        problems = mark_allowed(problems, options.allowed)
    level_counts = Counter(lv or "flat" for lv in levels)
    return CheckReport(
        problems=problems,
        features=len(features),
        levels={k: level_counts[k] for k in [*(lv.value for lv in LEVELS), "flat"] if level_counts[k]},
        strict=options.strict,
        input_crs=input_crs or SourceCrs(),
    )


def _invalid_points_in_input(
    problems: list[Problem], geometries: npt.NDArray[np.object_], labels: list[FeatureLabel], input_crs: SourceCrs
) -> list[Problem]:
    """invalid_geometry problems with GEOS's point found again in the input's own coordinates.

    The reader converts vertices only, and a datum shift bends the space between them, so where two
    converted edges cross lies a few centimetres (BD-09: 5 cm for 200 m edges) from where the file's own
    edges cross. The feature goes back into the input's coordinates vertex by vertex (exactly) and GEOS
    names the point there.
    """
    if is_wgs84(input_crs):
        return problems
    row_of = {label.where: i for i, label in enumerate(labels)}
    located: list[Problem] = []
    for problem in problems:
        prefix = _FEATURE_PREFIX.match(problem.message)
        row = row_of.get(prefix.group(1)) if prefix else None
        if problem.kind is ProblemKind.INVALID_GEOMETRY and row is not None and "reason" in problem.details:
            reason = shapely.is_valid_reason(geometry_in_input(geometries[row], input_crs))
            point = _REASON_POINT.search(str(reason))
            if point is not None:
                problem = replace(problem, input_location=(float(point.group(1)), float(point.group(2))))
        located.append(problem)
    return located


def _unusable_rows(features: BoundaryFeatures, read_problems: Sequence[Problem]) -> npt.NDArray[np.bool_]:
    """Rows whose geometry could not be built while reading (already reported)."""
    unusable = np.zeros(len(features), dtype=bool)
    broken = {p.message.split(" (", 1)[0] for p in read_problems if p.details.get("unusable")}
    for i, (source, feature) in enumerate(zip(features.source, features.feature, strict=True)):
        unusable[i] = f"{source}: feature {feature}" in broken
    return unusable


def _code_problems(
    codes: list[str], levels: list[str | None], parents: list[str], labels: list[FeatureLabel]
) -> list[Problem]:
    """duplicate_code, bad_code, missing_parent and wrong_parent_level."""
    problems = []
    for code, count in Counter(codes).items():
        if count > 1 and code:
            where = "; ".join(label.where for label in labels if label.code == code)
            message = f"code {code} is used by {count} features ({where})"
            problems.append(Problem(ProblemKind.DUPLICATE_CODE, Severity.ERROR, message, codes=(code,)))
    level_of_code: dict[str, str | None] = {}
    for code, level_name in zip(codes, levels, strict=True):
        level_of_code.setdefault(code, level_name)
    for code, level_name, parent, label in zip(codes, levels, parents, labels, strict=True):
        level = Level(level_name) if level_name else None
        fault = code_problem(code, level, parent if level and level.parent_level else None)
        if fault:
            problems.append(_feature_problem(ProblemKind.BAD_CODE, label, fault))
        if level is None or level.parent_level is None:
            continue
        if not parent:
            problems.append(_feature_problem(ProblemKind.MISSING_PARENT, label, f"a {level} needs a parent code"))
        elif parent not in level_of_code:
            text = f"parent {parent} is not in the data"
            problems.append(_feature_problem(ProblemKind.MISSING_PARENT, label, text, (code, parent)))
        elif level_of_code[parent] != level.parent_level.value:
            text = f"a {level}'s parent must be a {level.parent_level}, but {parent} is a {level_of_code[parent]}"
            problems.append(_feature_problem(ProblemKind.WRONG_PARENT_LEVEL, label, text, (code, parent)))
    return problems


def _feature_problem(kind: ProblemKind, label: FeatureLabel, text: str, codes: tuple[str, ...] = ()) -> Problem:
    """An error about one feature's code or parent."""
    message = f"{label.where} ({label.code or 'no code'}): {text}"
    return Problem(kind, Severity.ERROR, message, level=label.level, codes=codes or (label.code,))


@dataclass
class _MetricContext:
    """Usable geometries in local metres (for topology), and the ways back to WGS-84 and true areas."""

    metric: npt.NDArray[np.object_]
    usable: npt.NDArray[np.bool_]
    local: LocalMetres
    # features whose invalid geometry the check repaired (make_valid) to go on: their parts are its making
    repaired: npt.NDArray[np.bool_] | None = None
    # the features as the file drew them, when the reader bent its edges (being built beside the first searches)
    input_space: Future[_InputSpace] | None = None

    @classmethod
    def build(
        cls,
        geometries: npt.NDArray[np.object_],
        usable: npt.NDArray[np.bool_],
        repaired: npt.NDArray[np.bool_] | None = None,
        input_crs: SourceCrs | None = None,
        jobs: int = 1,
        bounds: tuple[float, float, float, float] | None = None,
    ) -> _MetricContext:
        """Centre the local metres on `bounds` (default: the usable features' extent) and map them; with `jobs` > 1
        the input-space geometries are built in a thread meanwhile."""
        input_space = None
        if input_crs is not None and bends_edges(input_crs) and usable.any():
            input_space = in_background(functools.partial(_InputSpace.build, geometries, usable, input_crs, jobs), jobs)
        if bounds is None:
            extent = shapely.total_bounds(geometries[usable]) if usable.any() else np.array([119.5, 27.4, 119.6, 27.5])
            bounds = (float(extent[0]), float(extent[1]), float(extent[2]), float(extent[3]))
        local = LocalMetres(*bounds)
        metric = np.full(len(geometries), None, dtype=object)
        metric[usable] = local.to_local(geometries[usable])
        return cls(metric=metric, usable=usable, local=local, repaired=repaired, input_space=input_space)

    def wgs84(self, geometry: BaseGeometry) -> BaseGeometry:
        """A local geometry back in WGS-84 for the report."""
        shape: BaseGeometry = self.local.to_wgs84(geometry)
        return shape

    def area(self, geometry: BaseGeometry) -> float:
        """The true area in m2 of a local geometry."""
        return float(self.local.true_area(geometry))

    def measured(self, geometries: Sequence[BaseGeometry]) -> list[tuple[float, BaseGeometry]]:
        """The true area in m2 and the WGS-84 shape of each local geometry, converted as one array: a region's
        conversion costs about as much as a hundred's, and a check near an edit finds dozens."""
        if not geometries:
            return []
        shapes = np.empty(len(geometries), dtype=object)
        shapes[:] = geometries
        in_wgs84 = self.local.to_wgs84(shapes)
        return list(zip((float(a) for a in self.local.wgs84_area(in_wgs84)), in_wgs84, strict=True))

    def metric_of(self, geometry: BaseGeometry) -> BaseGeometry:
        """A WGS-84 geometry in local metres."""
        shape: BaseGeometry = self.local.to_local(geometry)
        return shape


@dataclass
class _InputSpace:
    """The usable features in the input's own coordinates (degrees mapped affinely to metres), where GEOS would look.

    The reader converts vertices only, so a projected file's straight edge bends on its way to WGS-84 (by metres
    for an edge of 100 km) and a vertex digitised on a neighbour's edge lies off it there: GEOS's test in WGS-84
    then sees two borders that part and nothing wrong between them. Edges are matched in the file's coordinates
    too, where the digitiser drew them.
    """

    metric: npt.NDArray[np.object_]
    source: SourceCrs
    local: LocalMetres | None  # for degrees (GCJ-02, BD-09, a geographic CRS): their affine map to metres

    @classmethod
    def build(
        cls, geometries: npt.NDArray[np.object_], usable: npt.NDArray[np.bool_], source: SourceCrs, jobs: int
    ) -> _InputSpace:
        """The input-space geometries (worth building where the reader's conversion bends edges), the datum's
        formula in `jobs` threads."""

        def back(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return np.column_stack(wgs84_to_input(coords[:, 0], coords[:, 1], source, jobs=jobs))

        metric = np.full(len(geometries), None, dtype=object)
        metric[usable] = shapely.transform(geometries[usable], back)
        local = None
        if is_geographic(source):
            local = LocalMetres(*(float(b) for b in shapely.total_bounds(metric[usable])))
            metric[usable] = local.to_local(metric[usable])
        return cls(metric=metric, source=source, local=local)

    def to_wgs84(self, geometry: BaseGeometry) -> BaseGeometry:
        """An input-space geometry (in its metres) in WGS-84, converted vertex by vertex as the reader converts."""
        shape = self.local.to_wgs84(geometry) if self.local is not None else geometry
        converted: BaseGeometry = input_geometries_to_wgs84(shape, self.source)
        return converted


@dataclass(frozen=True)
class _LevelEdges:
    """A level's flagged linework per member: `mismatched` within 1 cm (the edge check), and `beside_gaps` flagged
    beside gaps narrower than --gap-width (the inlet search's, on the top level; None elsewhere)."""

    mismatched: npt.NDArray[np.object_]
    beside_gaps: npt.NDArray[np.object_] | None


def _flagged_edges(context: _MetricContext, members: npt.NDArray[np.intp], gap_width: float, jobs: int) -> _LevelEdges:
    """Per member, its edges that do not match its neighbours' (within 1 cm), in WGS-84 and in the file's coordinates,
    and with a `gap_width` > 0 its edges beside gaps narrower than it: GEOS's searches side by side in threads when
    `jobs` allows.

    An edge flagged only in the file's coordinates is reported where the file puts it (converted to local metres).
    """
    geometries = context.metric[members]
    searches: dict[str, Callable[[], npt.NDArray[np.object_]]] = {
        "wgs84": functools.partial(coverage.flagged_edges, geometries, coverage.EDGE_TOLERANCE_M)
    }
    input_space = context.input_space
    if input_space is not None and len(members):
        # the input space may still be being built: its search waits for it, in its thread, while the others run
        searches["input"] = lambda: coverage.flagged_edges(
            input_space.result().metric[members], coverage.EDGE_TOLERANCE_M
        )
    if gap_width > 0:
        searches["gaps"] = functools.partial(coverage.gap_edges, geometries, gap_width)
    found = dict(zip(searches, side_by_side(list(searches.values()), jobs), strict=True))
    edges = found["wgs84"]
    if input_space is not None and "input" in found:
        in_input = found["input"]
        missed = np.flatnonzero(shapely.is_empty(edges) & ~shapely.is_empty(in_input) & ~shapely.is_missing(in_input))
        if len(missed):
            edges = edges.copy()
            for i in missed.tolist():
                edges[i] = context.metric_of(input_space.result().to_wgs84(in_input[i]))
    return _LevelEdges(edges, found.get("gaps"))


def _coverage_problems(
    context: _MetricContext,
    codes: list[str],
    levels: list[str | None],
    parents: list[str],
    options: CheckOptions,
    step: Progress,
) -> list[Problem]:
    """Overlaps, edge mismatches, gaps, nesting and slivers, level by level."""
    problems: list[Problem] = []
    level_array = np.array([lv or "" for lv in levels], dtype=object)
    present = [lv.value for lv in LEVELS if (level_array == lv.value).any()] or [""]
    parent_of = np.array(parent_index(codes, parents), dtype=np.intp)
    suspects_by_level: dict[str, set[int]] = {name: set() for name in present}
    for name in present:
        step(f"coverage: {name or 'flat'}")
        members = np.flatnonzero((level_array == name) & context.usable)
        is_top = name == present[0]
        level_problems, troubled = _level_problems(context, members, codes, name or None, is_top, options)
        problems += level_problems
        parent_level = Level(name).parent_level if name else None
        if parent_level is not None:
            suspects_by_level.setdefault(parent_level.value, set()).update(
                int(parent_of[i]) for i in troubled if parent_of[i] >= 0
            )
    for name in present:
        level = Level(name) if name else None
        child = level.child_level if level else None
        if child is not None and child.value in present:
            step(f"nesting: {child.value} in {name}")
            problems += _nesting_problems(
                context, codes, level_array, parent_of, name, child.value, suspects_by_level, options
            )
    if options.extent is not None:
        problems += _extent_problems(context, codes, level_array, present[0], options)
    if options.households is not None:
        from gridmap.services.households_check import household_problems

        problems += household_problems(context.metric, context.usable, codes, level_array, options, context.metric_of)
    return problems


def _level_problems(
    context: _MetricContext,
    members: npt.NDArray[np.intp],
    codes: list[str],
    level: str | None,
    is_top: bool,
    options: CheckOptions,
) -> tuple[list[Problem], set[int]]:
    """Problems within one level, and the features involved in overlaps (their parents need an exact look)."""
    geometries = context.metric[members]
    level_edges = _flagged_edges(context, members, options.gap_width if is_top and len(members) else 0.0, options.jobs)
    edges = level_edges.mismatched
    flagged = np.flatnonzero(~shapely.is_empty(edges) & ~shapely.is_missing(edges))
    overlaps = _find_overlaps(geometries, flagged, options)
    problems: list[Problem] = []
    troubled: set[int] = set()
    for overlap, (area, place) in zip(overlaps, context.measured([o.geometry for o in overlaps]), strict=True):
        first, second = int(members[overlap.first]), int(members[overlap.second])
        troubled.update((first, second))
        message = f"{codes[first]} and {codes[second]} overlap by {area:,.1f} m2"
        problems.append(
            Problem(ProblemKind.OVERLAP, Severity.ERROR, message, level, (codes[first], codes[second]), area, place)
        )
    problems += _sliver_problems(context, geometries, members, codes, level, options.sliver_width)
    if is_top and len(members):
        reported = np.array([int(feature) not in troubled for feature in members], dtype=bool)
        gap_problems, edges = _top_level_gaps(context, geometries, level_edges, reported, level, options)
        problems += gap_problems
    for i in np.flatnonzero(~shapely.is_empty(edges) & ~shapely.is_missing(edges)):
        feature = int(members[i])
        if feature in troubled:
            continue
        message = f"{codes[feature]}: shared edges whose vertices do not match its neighbours'"
        problems.append(
            Problem(
                ProblemKind.EDGE_MISMATCH,
                Severity.WARNING,
                message,
                level,
                (codes[feature],),
                None,
                context.wgs84(edges[i]),
            )
        )
    return problems, troubled


# Pairs of intersecting features per piece of the overlap search: the pieces depend on the pairs alone (never on
# --jobs), and a country's 7,657 pairs make 30 of them.
OVERLAP_PAIRS_PER_PIECE = 256


@dataclass(frozen=True)
class _OverlapSearch:
    """What every piece of the overlap search reads: a level's geometries and the smallest overlap reported."""

    geometries: npt.NDArray[np.object_]
    min_area_m2: float


def _find_overlaps(
    geometries: npt.NDArray[np.object_], candidates: npt.NDArray[np.intp], options: CheckOptions
) -> list[coverage.Overlap]:
    """Overlaps of at least --min-area involving a candidate, searched in blocks of pairs in `options.jobs`
    processes (each pair's intersection is its own: the same overlaps in the same order for every --jobs)."""
    pairs = coverage.overlap_pairs(geometries, candidates)
    blocks = [pairs[start : start + OVERLAP_PAIRS_PER_PIECE] for start in range(0, len(pairs), OVERLAP_PAIRS_PER_PIECE)]
    search = _OverlapSearch(geometries, options.min_area_m2)
    return [overlap for found in map_pieces(_block_overlaps, search, blocks, options.jobs) for overlap in found]


def _block_overlaps(search: _OverlapSearch, pairs: npt.NDArray[np.intp]) -> list[coverage.Overlap]:
    """One block's overlaps (in a worker process)."""
    return coverage.pair_overlaps(search.geometries, pairs, search.min_area_m2)


def _top_level_gaps(
    context: _MetricContext,
    geometries: npt.NDArray[np.object_],
    level_edges: _LevelEdges,
    reported: npt.NDArray[np.bool_],
    level: str | None,
    options: CheckOptions,
) -> tuple[list[Problem], npt.NDArray[np.object_]]:
    """Gaps in the top level's union (holes, narrow inlets and wedges), and the mismatched edges with small holes'
    added.

    A hole smaller than --min-area is no gap, but the features around it do not meet: each gets the hole's
    outline as a mismatched edge, as the overlaps too small to report leave their features flagged. Only the
    `reported` features' edges get them: the others are in an overlap, which says more (a country has thousands).
    """
    space = _level_space(geometries, options)
    small = [hole for hole in space.holes if 0.0 < hole.area < options.min_area_m2]
    gaps = [hole for hole in space.holes if hole.area >= options.min_area_m2]
    gaps += _open_inlets(geometries, level_edges.beside_gaps, space, options)
    edges = level_edges.mismatched
    problems = []
    for area, place in context.measured(gaps):
        message = f"gap of {area:,.1f} m2 in the {level or 'coverage'} level, covered by no feature"
        problems.append(Problem(ProblemKind.GAP, Severity.ERROR, message, level, (), area, place))
    if small:
        edges = edges.copy()
        outlines = shapely.boundary(np.array(small, dtype=object))
        hole, around = shapely.STRtree(geometries).query(
            outlines, predicate="dwithin", distance=coverage.EDGE_TOLERANCE_M
        )
        for i in np.unique(around[reported[around]]).tolist():
            edges[i] = shapely.union_all([edges[i], *outlines[hole[around == i]]])
    return problems, edges


def _level_space(geometries: npt.NDArray[np.object_], options: CheckOptions) -> coverage_tiles.LevelSpace:
    """The holes of the level's union and its outside, searched tile by tile in `options.jobs` processes."""
    frame = coverage_tiles.search_frame(geometries)
    tiles = coverage_tiles.split_tiles(geometries, frame, margin=0.0)
    spaces = map_pieces(coverage_tiles.tile_space, geometries, tiles, options.jobs)
    return coverage_tiles.uncovered_space(spaces, frame, geometries)


def _open_inlets(
    geometries: npt.NDArray[np.object_],
    beside_gaps: npt.NDArray[np.object_] | None,
    space: coverage_tiles.LevelSpace,
    options: CheckOptions,
) -> list[BaseGeometry]:
    """Inlets open to the outside and narrower than --gap-width, searched along the edges GEOS flags beside
    such gaps (`beside_gaps`) and only near the outside, tile by tile in `options.jobs` processes."""
    if options.gap_width <= 0 or beside_gaps is None:
        return []
    near = coverage_tiles.near_outside(beside_gaps, space.outside, options.gap_width)
    flagged = ~shapely.is_missing(near)
    if not flagged.any():
        return []
    holes = np.asarray(space.holes, dtype=object)
    search = coverage_tiles.InletSearch(geometries, near, holes, options.gap_width)
    frame = coverage_tiles.search_frame(geometries)
    tiles = coverage_tiles.split_tiles(geometries[flagged], frame, margin=3.0 * options.gap_width)
    tiles = [replace(tile, members=np.flatnonzero(flagged)[tile.members]) for tile in tiles]
    found = map_pieces(coverage_tiles.tile_inlets, search, tiles, options.jobs)
    return coverage_tiles.merged_inlets(found, options.min_area_m2)


def _sliver_problems(
    context: _MetricContext,
    geometries: npt.NDArray[np.object_],
    members: npt.NDArray[np.intp],
    codes: list[str],
    level: str | None,
    width: float,
) -> list[Problem]:
    """Features thinner than `width` m everywhere (errors), and such thin parts of thicker features (warnings).

    The parts are found as `gridmap fix` finds the ones it merges, so a fixed file no longer has them. Parts
    of a feature the check repaired (a bow-tie's lobe) are left to its invalid_geometry error.
    """
    problems: list[Problem] = []
    for sliver in find_slivers(geometries, to_metres=_already_metric, sliver_width=width):
        code = codes[int(members[sliver.feature])]
        if not sliver.whole_feature and context.repaired is not None and context.repaired[members[sliver.feature]]:
            continue
        if sliver.whole_feature:
            area = context.area(geometries[sliver.feature])
            message = f"{code} is a sliver: thinner than {width:g} m everywhere ({area:,.1f} m2)"
            problems.append(
                Problem(
                    ProblemKind.SLIVER,
                    Severity.ERROR,
                    message,
                    level,
                    (code,),
                    area,
                    context.wgs84(geometries[sliver.feature]),
                )
            )
            continue
        for part in sliver.parts:
            area = context.area(part)
            message = (
                f"{code} has a sliver part: a polygon of {area:,.1f} m2 thinner than {width:g} m everywhere beside its "
                "thicker parts (`gridmap fix` merges it into the neighbour of the same parent with the longest border)"
            )
            problems.append(
                Problem(ProblemKind.SLIVER_PART, Severity.WARNING, message, level, (code,), area, context.wgs84(part))
            )
    return problems


def _already_metric(geometries: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """The check's geometries are in local metres already: nothing to convert."""
    return geometries


def _nesting_problems(
    context: _MetricContext,
    codes: list[str],
    level_array: npt.NDArray[np.object_],
    parent_of: npt.NDArray[np.intp],
    parent_level: str,
    child_level: str,
    suspects_by_level: dict[str, set[int]],
    options: CheckOptions,
) -> list[Problem]:
    """not_nested children, and gaps inside parents not covered by their children."""
    checked = (level_array == parent_level) & context.usable
    if options.nesting_parents is not None:
        checked &= np.array([code in options.nesting_parents for code in codes], dtype=bool)
    parents = np.flatnonzero(checked)
    children = np.flatnonzero((level_array == child_level) & context.usable)
    local = np.full(len(codes), -1, dtype=np.intp)
    local[parents] = np.arange(len(parents))
    # a child counts only under a usable parent of the right level (other cases are code problems)
    child_parent = np.where(parent_of[children] >= 0, local[np.maximum(parent_of[children], 0)], -1)
    suspects = {int(local[i]) for i in suspects_by_level.get(parent_level, set()) if local[i] >= 0}
    nesting = _Nesting(
        parents=context.metric[parents],
        children=context.metric[children],
        child_parent=child_parent,
        suspects=np.array(sorted(suspects), dtype=np.intp),
        min_area_m2=options.min_area_m2,
    )
    escaped, gaps = _nested_regions(nesting, options.parents_on)
    problems: list[Problem] = []
    for region, (area, place) in zip(escaped, context.measured([r.geometry for r in escaped]), strict=True):
        child = int(children[region.owner])
        parent = codes[int(parents[child_parent[region.owner]])]
        message = f"{codes[child]} reaches {area:,.1f} m2 outside its parent {parent}"
        problems.append(
            Problem(ProblemKind.NOT_NESTED, Severity.ERROR, message, child_level, (codes[child], parent), area, place)
        )
    for region, (area, place) in zip(gaps, context.measured([r.geometry for r in gaps]), strict=True):
        parent = codes[int(parents[region.owner])]
        message = f"gap of {area:,.1f} m2 inside {parent} covered by none of its {child_level}s"
        problems.append(Problem(ProblemKind.GAP, Severity.ERROR, message, parent_level, (parent,), area, place))
    return problems


@dataclass(frozen=True)
class _Nesting:
    """One level's children and their parents' level (local metres), what every block of parents shares."""

    parents: npt.NDArray[np.object_]
    children: npt.NDArray[np.object_]
    child_parent: npt.NDArray[np.intp]  # per child, its parent's index in `parents` (-1: none usable)
    suspects: npt.NDArray[np.intp]  # parents to examine exactly whatever their areas (overlapping children)
    min_area_m2: float


# Blocks of parents sent to workers: about this many children each (few tasks, each of a fair size), and at least
# this many blocks (while there are parents) so that every worker of a small cluster gets some.
PARENT_CHILDREN_PER_PIECE = 5_000
PARENT_PIECES_AT_LEAST = 16


def _nested_regions(
    nesting: _Nesting, parents_on: PieceMap | None
) -> tuple[list[coverage.Region], list[coverage.Region]]:
    """Children reaching outside their parent (in child order) and gaps their children leave in parents (in parent
    order), every parent at once here or blocks of parents on `parents_on`: each parent's answer is its own."""
    every = np.arange(len(nesting.parents), dtype=np.intp)
    if parents_on is None:
        return _parent_block_regions(nesting, every)
    count = max(PARENT_PIECES_AT_LEAST, -(-len(nesting.children) // PARENT_CHILDREN_PER_PIECE))
    blocks = np.array_split(every, min(count, max(1, len(every))))
    found = parents_on(_parent_block_regions, nesting, [block for block in blocks if len(block)])
    escaped = sorted((r for block_escaped, _ in found for r in block_escaped), key=lambda r: r.owner)
    gaps = sorted((r for _, block_gaps in found for r in block_gaps), key=lambda r: r.owner)  # stable: parts in order
    return escaped, gaps


def _parent_block_regions(
    nesting: _Nesting, block: npt.NDArray[np.intp]
) -> tuple[list[coverage.Region], list[coverage.Region]]:
    """The parents in `block` (ascending indices) checked against their own children only."""
    mine = np.flatnonzero(np.isin(nesting.child_parent, block))
    in_block = np.full(len(nesting.parents), -1, dtype=np.intp)
    in_block[block] = np.arange(len(block))
    child_parent = in_block[nesting.child_parent[mine]]
    children, parents = nesting.children[mine], nesting.parents[block]
    escaped = coverage.outside_parents(children, parents, child_parent, nesting.min_area_m2)
    suspects = set(in_block[np.intersect1d(nesting.suspects, block)].tolist())
    suspects |= {int(child_parent[r.owner]) for r in escaped}
    gaps = coverage.uncovered_in_parents(
        children, parents, child_parent, nesting.min_area_m2, np.array(sorted(suspects), dtype=np.intp)
    )
    return (
        [replace(r, owner=int(mine[r.owner])) for r in escaped],
        [replace(r, owner=int(block[r.owner])) for r in gaps],
    )


def _extent_problems(
    context: _MetricContext,
    codes: list[str],
    level_array: npt.NDArray[np.object_],
    top_level: str,
    options: CheckOptions,
) -> list[Problem]:
    """The top level against the outline it must cover exactly: gaps inside it, features reaching out."""
    assert options.extent is not None
    extent = np.array([context.metric_of(options.extent)], dtype=object)
    members = np.flatnonzero((level_array == top_level) & context.usable)
    inside = np.zeros(len(members), dtype=np.intp)
    level = top_level or None
    problems: list[Problem] = []
    for region in coverage.outside_parents(context.metric[members], extent, inside, options.min_area_m2):
        code = codes[int(members[region.owner])]
        message = f"{code} reaches {context.area(region.geometry):,.1f} m2 outside the extent"
        problems.append(
            Problem(
                ProblemKind.NOT_NESTED,
                Severity.ERROR,
                message,
                level,
                (code,),
                context.area(region.geometry),
                context.wgs84(region.geometry),
            )
        )
    for region in coverage.uncovered_in_parents(
        context.metric[members], extent, inside, options.min_area_m2, np.array([0], dtype=np.intp)
    ):
        message = f"gap of {context.area(region.geometry):,.1f} m2 inside the extent covered by no {level or 'feature'}"
        problems.append(
            Problem(
                ProblemKind.GAP,
                Severity.ERROR,
                message,
                level,
                (),
                context.area(region.geometry),
                context.wgs84(region.geometry),
            )
        )
    return problems
