"""`gridmap check`: validate grid boundaries from files."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gridmap.cli.common import (
    AllowOption,
    CodeField,
    CrsOption,
    DaskWorkersOption,
    Engine,
    EngineOption,
    FlatOption,
    LevelField,
    LevelOption,
    NameField,
    ParentField,
    PathsArgument,
    SchedulerOption,
    collector_paused,
    console,
    dask_engine,
    err_console,
    field_mapping,
    source_crs,
    stage_progress,
    user_errors,
)
from gridmap.geo.allowed_exceptions import is_allowed
from gridmap.geo.problems import Problem, Severity
from gridmap.services.check import CheckOptions
from gridmap.services.check_run import CheckFiles, CheckRun, run_check
from gridmap.services.parallel import usable_cores
from gridmap.services.problem_locations import format_location, is_wgs84

if TYPE_CHECKING:  # household impact needs geopandas: imported by the checks that compare households
    from gridmap.services.household_impact import HouseholdImpact

commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)


class OutputFormat(StrEnum):
    """How `gridmap check` prints its report."""

    TEXT = "text"
    JSON = "json"


@commands.command()
@user_errors
@collector_paused()
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
    allow: AllowOption = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Processes for the top level's gap and inlet search, which runs tile by tile (a tile: a box "
            "holding about 16 features). Default: every core this process may use. The report is the same for "
            "every N; --jobs 1 keeps the check on one core (a shared machine). Small files run in one process.",
            show_default=False,
        ),
    ] = None,
    engine: EngineOption = Engine.LOCAL,
    scheduler: SchedulerOption = None,
    workers: DaskWorkersOption = None,
    code_field: CodeField = "code",
    name_field: NameField = "name",
    parent_field: ParentField = "parent",
    level_field: LevelField = "level",
    level: LevelOption = None,
    flat: FlatOption = False,
    crs: CrsOption = None,
) -> None:
    """Check grid boundaries: geometry, codes, overlaps, gaps, nesting, slivers.

    Exit status: 0 no errors (warnings and info may be listed), 1 problems found (errors; warnings too with
    --strict), 2 bad usage or input that could not be read (a one-line message naming the file), 3 an internal
    error (a bug: its traceback; never taken for "problems found").

    Input in GCJ-02, BD-09, CGCS2000 or a projected CRS is checked in WGS-84; every problem's location is
    reported in the input's own coordinates too, so it can be found in the file being edited.

    Examples:

    \b
      gridmap check data/boundaries/
      gridmap check grids.gpkg --format json --output problems.geojson --html problems.html
      gridmap check fujian.geojson --crs gcj02 --code-field adcode --flat
      gridmap check draft.geojson --households households.csv --compare-to data/boundaries/
      gridmap check county/ --allow river.geojson --strict
      gridmap check china_counties.geojson --crs gcj02 --code-field adcode --flat --jobs 2
      gridmap check province/ --engine dask --scheduler tcp://10.0.0.5:8786   (each parent's children on a worker)
    """
    if compare_to is not None and households is None:
        raise typer.BadParameter("needs --households FILE to compare", param_hint="--compare-to")
    mapping = field_mapping(code_field, name_field, parent_field, level_field, level, flat)
    options = CheckOptions(
        gap_width=gap_width,
        min_area_m2=min_area,
        sliver_width=sliver_width,
        strict=strict,
        allow_empty=allow_empty,
        households_min=households_min,
        households_max=households_max,
        jobs=jobs or usable_cores(),
    )
    files = CheckFiles(extent=extent, households=households, compare_to=compare_to, allow=allow or (), output=output)
    with dask_engine(engine, scheduler, workers) as client, stage_progress(output_format is OutputFormat.TEXT) as step:
        if client is not None:
            from gridmap.services.dask_cluster import DaskPieces

            options = replace(options, parents_on=DaskPieces(client))
        run = run_check(paths, mapping=mapping, source_crs=source_crs(crs), options=options, files=files, progress=step)
        if html is not None:
            from gridmap.maps.check_map import write_check_map

            step("drawing the map")
            write_check_map(run.checked.frame, run.report, html)
    if output_format is OutputFormat.JSON:
        typer.echo(run.json_text(options.jobs))
    else:
        _print_report(run, paths, html)
    raise typer.Exit(run.exit_code)


def _print_impact(impact: HouseholdImpact) -> None:
    """Households that would change grid, counted per (from, to) pair."""
    from rich.table import Table  # rich's tables are imported by the runs that print one

    table = Table("from grid", "to grid", "households", title=f"{impact.moved} households would change grid")
    for pair in impact.pairs:
        table.add_row(pair.from_grid or "(none)", pair.to_grid or "(none)", str(pair.count))
    console.print(table)


def _print_report(run: CheckRun, paths: list[Path], html: Path | None) -> None:
    """A summary table by kind, then every problem, then the household impact, for people."""
    report, document = run.report, run.document
    summary = document["summary"]
    levels = ", ".join(f"{count} {name}" for name, count in summary["levels"].items())
    in_crs = "" if is_wgs84(report.input_crs) else f", in {summary['input_crs']} coordinates"
    console.print(f"Checked {report.features} features ({levels}) in {', '.join(map(str, paths))}{in_crs}")
    if report.problems:
        from rich.table import Table

        table = Table("kind", "severity", "count", title="Problems by kind")
        for kind, count in summary["problems"].items():
            severity = next(p.severity.value for p in report.problems if p.kind.value == kind)
            table.add_row(kind, severity, str(count))
        console.print(table)
        for problem, problem_document in zip(report.problems, document["problems"], strict=True):
            colour = {"error": "red", "warning": "yellow"}.get(problem.severity.value, "blue")
            area = f" [{problem.area_m2:,.1f} m2]" if problem.area_m2 is not None else ""
            allowed = _allowed_by(problem)
            console.print(
                f"[{colour}]{problem.kind.value}[/]{area} {problem.message}{allowed}", highlight=False, soft_wrap=True
            )
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
        allowed = f" ({report.allowed} allowed (listed))" if report.allowed else ""
        err_console.print(f"[bold red]FAILED[/]: {report.errors} errors{allowed}")
    if run.impact is not None:
        _print_impact(run.impact)


def _allowed_by(problem: Problem) -> str:
    """` (allowed: exception 2, the Aoyang river)` after an allowed problem; nothing after others."""
    if not is_allowed(problem):
        return ""
    exception = problem.details["allowed_by"]
    return f" (allowed: exception {exception['id']}, {exception['reason']})"


def _counted(problems: list[Problem]) -> str:
    """What an OK check still lists, e.g. `3 warnings, 2 info, 1 allowed (listed)`."""
    allowed = sum(1 for problem in problems if is_allowed(problem))
    counts = Counter(problem.severity for problem in problems)
    warnings, info = counts[Severity.WARNING], counts[Severity.INFO] - allowed
    parts = [f"{warnings} warning{'' if warnings == 1 else 's'}"] if warnings else []
    parts += [f"{info} info"] if info else []
    return ", ".join([*parts, f"{allowed} allowed (listed)"] if allowed else parts)
