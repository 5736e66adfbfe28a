"""`gridmap check` and `gridmap fix`: validate and repair grid boundaries from files."""

from __future__ import annotations

import json
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import geopandas as gpd
import shapely
import typer
from rich.table import Table

from gridmap.cli import app
from gridmap.cli.common import (
    CodeField,
    CrsOption,
    FlatOption,
    LevelField,
    LevelOption,
    NameField,
    ParentField,
    PathsArgument,
    console,
    err_console,
    field_mapping,
    source_crs,
    stage_progress,
    user_errors,
)
from gridmap.errors import EXIT_OK, EXIT_PROBLEMS_FOUND
from gridmap.geo.problems import Problem, Severity
from gridmap.io.boundaries import read_boundaries, read_outline
from gridmap.services.check import CheckOptions, CheckReport, check_boundaries
from gridmap.services.household_impact import HouseholdImpact, moves_between
from gridmap.services.problem_locations import common_input_crs, crs_name, format_location, is_wgs84
from gridmap.services.repair import MergeStrategy, repair_boundaries


class OutputFormat(StrEnum):
    """How `gridmap check` prints its report."""

    TEXT = "text"
    JSON = "json"


@app.command()
@user_errors
def check(
    paths: PathsArgument,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            help="text for people, json for tools. Locations are WGS-84, and also in the input's CRS when it is "
            "not WGS-84 (json: location and location_input, summary.input_crs).",
        ),
    ] = OutputFormat.TEXT,
    output: Annotated[
        Path | None,
        typer.Option(
            help="Write every problem as a GeoJSON FeatureCollection in WGS-84 (RFC 7946); properties carry the "
            "input-CRS location (input_crs, input_x, input_y)."
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            help="Write an offline HTML map (WGS-84) with every problem highlighted; popups give input-CRS locations."
        ),
    ] = None,
    gap_width: Annotated[float, typer.Option(help="Open gaps narrower than this (m) count as gaps.")] = 1.0,
    min_area: Annotated[float, typer.Option(help="Ignore overlaps/gaps smaller than this (m2).")] = 1.0,
    sliver_width: Annotated[float, typer.Option(help="Features thinner than this (m) are slivers.")] = 2.0,
    extent: Annotated[Path | None, typer.Option(help="Outer boundary the top level must cover exactly.")] = None,
    households: Annotated[
        Path | None, typer.Option(help="Household points (CSV with lon,lat or GeoJSON) to check coverage.")
    ] = None,
    households_min: Annotated[int, typer.Option(help="Fewest households a grid should have.")] = 0,
    households_max: Annotated[int, typer.Option(help="Most households a grid should have.")] = 500,
    compare_to: Annotated[
        Path | None,
        typer.Option(help="With --households: the boundaries in force now; lists households that would change grid."),
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Fail on warnings (edge_mismatch, sliver_part, household limits) too.")
    ] = False,
    allow_empty: Annotated[
        bool,
        typer.Option(help="Features without geometry are placeholders: listed as info, left out of coverage rules."),
    ] = False,
    code_field: CodeField = "code",
    name_field: NameField = "name",
    parent_field: ParentField = "parent",
    level_field: LevelField = "level",
    level: LevelOption = None,
    flat: FlatOption = False,
    crs: CrsOption = None,
) -> None:
    """Check grid boundaries: geometry, codes, overlaps, gaps, nesting, slivers.

    Exit status: 0 no errors, 1 errors found, 2 input could not be read, 3 an internal error.

    Input in GCJ-02, BD-09, CGCS2000 or a projected CRS is checked in WGS-84; every problem's location is
    reported in the input's own coordinates too, so it can be found in the file being edited.

    Examples:

      gridmap check data/boundaries/

      gridmap check grids.gpkg --format json --output problems.geojson --html problems.html

      gridmap check fujian.geojson --crs gcj02 --code-field adcode --flat

      gridmap check draft.geojson --households households.csv --compare-to data/boundaries/
    """
    from gridmap.io.points import read_points

    mapping = field_mapping(code_field, name_field, parent_field, level_field, level, flat)
    with stage_progress(output_format is OutputFormat.TEXT) as step:
        step("reading")
        boundary_input = read_boundaries(paths, mapping=mapping, source_crs=source_crs(crs))
        input_crs, crs_note = common_input_crs(boundary_input.crs_by_file)
        outline = read_outline(extent, source_crs=source_crs(crs)) if extent else None
        options = CheckOptions(
            gap_width=gap_width,
            min_area_m2=min_area,
            sliver_width=sliver_width,
            strict=strict,
            allow_empty=allow_empty,
            extent=outline,
            households=read_points(households) if households else None,
            households_min=households_min,
            households_max=households_max,
        )
        report = check_boundaries(
            boundary_input.frame,
            options,
            read_problems=boundary_input.problems,
            progress=step,
            input_crs=input_crs,
        )
        if crs_note:
            report.notes.append(crs_note)
        impact = None
        if compare_to is not None:
            if options.households is None:
                raise typer.BadParameter("needs --households FILE to compare", param_hint="--compare-to")
            step("comparing households with the boundaries in force")
            current = read_boundaries([compare_to], mapping=mapping, source_crs=source_crs(crs)).frame
            impact = _household_impact(current, boundary_input.frame, options.households)
        if output is not None:
            step("writing problems")
            _write_problems(report, output)
        if html is not None:
            from gridmap.maps.check_map import write_check_map

            step("drawing the map")
            write_check_map(boundary_input.frame, report, html)
    if output_format is OutputFormat.JSON:
        document = report.to_json()
        if impact is not None:
            document["summary"]["household_impact"] = impact.to_json(with_households=False)
        typer.echo(json.dumps(document, ensure_ascii=False))
    else:
        _print_report(report, paths, html)
        if impact is not None:
            _print_impact(impact)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_PROBLEMS_FOUND)


def _household_impact(current: gpd.GeoDataFrame, checked: gpd.GeoDataFrame, points: Any) -> HouseholdImpact:
    """Households (numbered by their row, from 1) whose grid differs between the current and checked sets."""
    lon = shapely.get_x(points).astype("float64")
    lat = shapely.get_y(points).astype("float64")
    ids = [str(i) for i in range(1, len(points) + 1)]
    moves = moves_between(current, checked, household_ids=ids, lon=lon, lat=lat)
    return HouseholdImpact(from_version=0, to_version=0, moves=moves)


def _print_impact(impact: HouseholdImpact) -> None:
    """Households that would change grid, counted per (from, to) pair."""
    table = Table("from grid", "to grid", "households", title=f"{impact.moved} households would change grid")
    for pair in impact.pairs:
        table.add_row(pair.from_grid or "(none)", pair.to_grid or "(none)", str(pair.count))
    console.print(table)


def _write_problems(report: CheckReport, path: Path) -> None:
    """Every problem as a GeoJSON feature in WGS-84 (RFC 7946), its properties as in the JSON report.

    GIS tools cannot read the [x, y] arrays of `location_input`, so its coordinates also come as the
    numbers `input_x` and `input_y`, beside `input_crs` which names their coordinate system.
    """
    features = []
    input_crs = crs_name(report.input_crs)
    for problem in report.to_json()["problems"]:
        geometry = problem.pop("geometry")
        location_input = problem["location_input"] or [None, None]
        properties = {**problem, "input_crs": input_crs, "input_x": location_input[0], "input_y": location_input[1]}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def _print_report(report: CheckReport, paths: list[Path], html: Path | None) -> None:
    """A summary table by kind, then every problem, for people."""
    document = report.to_json()
    summary = document["summary"]
    levels = ", ".join(f"{count} {name}" for name, count in summary["levels"].items())
    in_crs = "" if is_wgs84(report.input_crs) else f", in {summary['input_crs']} coordinates"
    console.print(f"Checked {report.features} features ({levels}) in {', '.join(map(str, paths))}{in_crs}")
    if report.problems:
        table = Table("kind", "severity", "count", title="Problems by kind")
        for kind, count in summary["problems"].items():
            severity = next(p.severity.value for p in report.problems if p.kind.value == kind)
            table.add_row(kind, severity, str(count))
        console.print(table)
        for problem, problem_document in zip(report.problems, document["problems"], strict=True):
            colour = {"error": "red", "warning": "yellow"}.get(problem.severity.value, "blue")
            area = f" [{problem.area_m2:,.1f} m2]" if problem.area_m2 is not None else ""
            console.print(f"[{colour}]{problem.kind.value}[/]{area} {problem.message}", highlight=False, soft_wrap=True)
            if not is_wgs84(report.input_crs):  # WGS-84 input: the message is all, as before
                where = format_location(problem_document, report.input_crs)
                if where is not None:
                    console.print(f"    at {where}", highlight=False, soft_wrap=True)
    for note in report.notes:
        err_console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    if html is not None:
        console.print(f"Map of the problems: {html}")
    if report.ok:
        console.print("[bold green]OK[/]: no errors" + (f" ({_counted(report.problems)})" if report.problems else ""))
    else:
        err_console.print(f"[bold red]FAILED[/]: {report.errors} errors")


@app.command()
@user_errors
def fix(
    paths: PathsArgument,
    out: Annotated[Path, typer.Option("--out", help="File to write (never the input); .geojson, .gpkg or .shp.")],
    gap_width: Annotated[float, typer.Option(help="Fill gaps narrower than this (m); wider ones are reported.")] = 1.0,
    snapping_distance: Annotated[
        float, typer.Option(help="Snap vertices closer than this (m); -1 lets GEOS choose from the extent.")
    ] = -1.0,
    merge_strategy: Annotated[
        MergeStrategy, typer.Option(help="Which neighbour an overlap goes to.")
    ] = MergeStrategy.LONGEST_BORDER,
    sliver_width: Annotated[
        float, typer.Option(help="Parts thinner than this (m) everywhere are slivers (as in check).")
    ] = 2.0,
    merge_sliver_features: Annotated[
        bool, typer.Option(help="Also merge whole sliver features (deleting them); otherwise they are reported.")
    ] = False,
    code_field: CodeField = "code",
    name_field: NameField = "name",
    parent_field: ParentField = "parent",
    level_field: LevelField = "level",
    level: LevelOption = None,
    crs: CrsOption = None,
) -> None:
    """Repair overlaps, narrow gaps, children outside their parents and slivers; write a new file, say what moved.

    A sliver part of a feature goes to the neighbour of the same parent with the longest shared border (a grid's
    microgrids follow it). A feature that is a sliver as a whole is only reported, unless --merge-sliver-features
    (never one that other features name as parent).

    Examples:

      gridmap fix data/boundaries/broken/ --out fixed.geojson

      gridmap fix data/boundaries/broken/ --out fixed.geojson --merge-sliver-features

      gridmap fix grids.gpkg --out fixed.gpkg --gap-width 2 --merge-strategy max-area
    """
    mapping = field_mapping(code_field, name_field, parent_field, level_field, level)
    with stage_progress() as step:
        step("reading")
        boundary_input = read_boundaries(paths, mapping=mapping, source_crs=source_crs(crs))
        result = repair_boundaries(
            boundary_input.frame,
            out,
            inputs=paths,
            gap_width=gap_width,
            snapping_distance=snapping_distance,
            merge_strategy=merge_strategy,
            sliver_width=sliver_width,
            merge_sliver_features=merge_sliver_features,
            progress=step,
        )
    table = Table("code", "level", "gained m2", "lost m2", title=f"What moved ({len(result.changes)} features changed)")
    for change in result.changes:
        table.add_row(change.code, change.level or "", f"{change.gained_m2:,.1f}", f"{change.lost_m2:,.1f}")
    console.print(table)
    for sliver in result.slivers:
        console.print(f"sliver merged: {sliver.describe()}", highlight=False, soft_wrap=True)
    for note in result.notes:
        err_console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    console.print(f"Wrote {result.path}")


def _counted(problems: list[Problem]) -> str:
    """What an OK check still lists, e.g. `3 warnings, 2 info`."""
    counts = Counter(problem.severity for problem in problems)
    warnings, info = counts[Severity.WARNING], counts[Severity.INFO]
    parts = [f"{warnings} warning{'' if warnings == 1 else 's'}"] if warnings else []
    return ", ".join([*parts, f"{info} info"] if info else parts)
