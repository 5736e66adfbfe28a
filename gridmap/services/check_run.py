"""`gridmap check` as one use case: read the files, check them, compare households, write the problems.

The command line parses options and prints; everything else happens here, once. The report's JSON (every
problem's location in WGS-84 and in the input's own coordinates, which costs a GEOS call per problem) is
built once and shared by the printed text, `--format json` and the `--output` GeoJSON.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely

from gridmap.errors import EXIT_OK, EXIT_PROBLEMS_FOUND
from gridmap.geo.allowed_exceptions import AllowedException
from gridmap.io.boundaries import BoundaryInput, FieldMapping, SourceCrs, read_boundaries, read_outline
from gridmap.services.check import CheckOptions, CheckReport, Progress, check_boundaries
from gridmap.services.parallel import json_text
from gridmap.services.problem_locations import common_input_crs, crs_name, problems_json

if TYPE_CHECKING:  # a plain check starts without pandas and geopandas; households and maps need frames
    import geopandas as gpd

    from gridmap.services.household_impact import HouseholdImpact


@dataclass(frozen=True)
class CheckFiles:
    """The files a check reads besides the boundaries, by path (each optional)."""

    extent: Path | None = None  # outline the top level must cover exactly
    households: Path | None = None  # household points (CSV lon,lat or GeoJSON)
    compare_to: Path | None = None  # the boundaries in force now (with households: who would change grid)
    allow: Sequence[Path] = ()  # GeoJSON registers of allowed gaps and overlaps
    output: Path | None = None  # where to write the problems as GeoJSON


@dataclass
class CheckRun:
    """What one `gridmap check` found: the report, its JSON computed once, and the household impact."""

    report: CheckReport
    checked: BoundaryInput  # the features checked (WGS-84): `checked.frame` for a map of the problems
    impact: HouseholdImpact | None = None
    written: list[Path] = field(default_factory=list)  # files written (the --output GeoJSON)

    @functools.cached_property
    def document(self) -> dict[str, Any]:
        """The report contract (`CheckReport.to_json`), with `summary.household_impact`; built on first use."""
        return self._with_impact(self.report.to_json())

    def json_text(self, jobs: int) -> str:
        """`json.dumps(self.document, ensure_ascii=False)`, byte for byte. With several `jobs` and the document not
        built yet, its problems are built and written in pieces in forked processes instead (a country's 77,000
        problems cost 5-6 s to build and write)."""
        if jobs <= 1 or "document" in self.__dict__:
            return json.dumps(self.document, ensure_ascii=False)
        unbuilt = {**self._with_impact(self.report.summary_json()), "problems": self.report.problems}
        return json_text(unbuilt, "problems", functools.partial(problems_json, source=self.report.input_crs), jobs)

    def _with_impact(self, document: dict[str, Any]) -> dict[str, Any]:
        """The report document with `summary.household_impact` when households were compared."""
        if self.impact is not None:
            document["summary"]["household_impact"] = self.impact.to_json(with_households=False)
        return document

    @property
    def exit_code(self) -> int:
        """0 when nothing fails the check, 1 when problems fail it."""
        return EXIT_OK if self.report.ok else EXIT_PROBLEMS_FOUND


def run_check(
    paths: Sequence[Path],
    *,
    mapping: FieldMapping,
    source_crs: SourceCrs | None,
    options: CheckOptions,
    files: CheckFiles,
    progress: Progress | None = None,
) -> CheckRun:
    """Read the boundary files (and the optional ones), check them, and write the problems if asked.

    `options` carries tolerances; its extent, households and allowed exceptions come from `files`. Unreadable
    input raises a GridmapError naming the file (exit code 2).
    """
    step = progress or (lambda _: None)
    step("reading")
    boundary_input = read_boundaries(paths, mapping=mapping, source_crs=source_crs, jobs=options.jobs)
    input_crs, crs_note = common_input_crs(boundary_input.crs_by_file)
    households = options.households
    if files.households:
        from gridmap.io.points import read_points  # CSV and text decoding: imported by the checks that need them

        households = read_points(files.households)
    options = replace(
        options,
        extent=read_outline(files.extent, source_crs=source_crs) if files.extent else options.extent,
        households=households,
        allowed=options.allowed + read_allowed(files.allow),
    )
    report = check_boundaries(
        boundary_input.features, options, read_problems=boundary_input.problems, progress=step, input_crs=input_crs
    )
    if crs_note:
        report.notes.append(crs_note)
    impact = None
    if files.compare_to is not None and options.households is not None:
        step("comparing households with the boundaries in force")
        current = read_boundaries([files.compare_to], mapping=mapping, source_crs=source_crs).frame
        impact = household_impact(current, boundary_input.frame, options.households)
    run = CheckRun(report=report, checked=boundary_input, impact=impact)
    if files.output is not None:
        step("writing problems")
        run.written.append(write_problems(run, files.output))
    return run


def read_allowed(paths: Sequence[Path]) -> tuple[AllowedException, ...]:
    """Every allowed exception of the `--allow` files, in order."""
    if not paths:
        return ()
    from gridmap.io.allowed_exceptions import read_allowed_exceptions  # by the runs given --allow files

    return tuple(exception for path in paths for exception in read_allowed_exceptions(path))


def household_impact(current: gpd.GeoDataFrame, checked: gpd.GeoDataFrame, points: Any) -> HouseholdImpact:
    """Households (numbered by their row, from 1) whose grid differs between the current and checked sets."""
    from gridmap.services.household_impact import HouseholdImpact, moves_between

    lon = shapely.get_x(points).astype("float64")
    lat = shapely.get_y(points).astype("float64")
    ids = [str(i) for i in range(1, len(points) + 1)]
    moves = moves_between(current, checked, household_ids=ids, lon=lon, lat=lat)
    return HouseholdImpact(from_version=0, to_version=0, moves=moves)


def write_problems(run: CheckRun, path: Path) -> Path:
    """Every problem as a GeoJSON feature in WGS-84 (RFC 7946), its properties as in the JSON report.

    GIS tools cannot read the [x, y] arrays of `location_input`, so its coordinates also come as the
    numbers `input_x` and `input_y`, beside `input_crs` which names their coordinate system.
    """
    features = []
    input_crs = crs_name(run.report.input_crs)
    for problem in run.document["problems"]:
        properties = {key: value for key, value in problem.items() if key != "geometry"}
        location_input = problem["location_input"] or [None, None]
        properties |= {"input_crs": input_crs, "input_x": location_input[0], "input_y": location_input[1]}
        features.append({"type": "Feature", "geometry": problem["geometry"], "properties": properties})
    path.parent.mkdir(parents=True, exist_ok=True)
    collection = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path
