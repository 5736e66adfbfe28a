"""`gridmap fix`: repair grid boundaries from files, write a new file and say what moved."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gridmap.cli.common import (
    AllowOption,
    CodeField,
    CrsOption,
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
from gridmap.io.boundaries import read_boundaries
from gridmap.services.check_run import read_allowed
from gridmap.services.problem_locations import common_input_crs, crs_name
from gridmap.services.repair import MergeStrategy, repair_boundaries

commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)


@commands.command()
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
    allow: AllowOption = None,
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
    (never one that other features name as parent). Gaps and overlaps --allow'ed stay as they are: whatever the
    repair would change inside an exception's area is undone, and a note names the exception.

    Examples:

    \b
      gridmap fix data/boundaries/broken/ --out fixed.geojson
      gridmap fix data/boundaries/broken/ --out fixed.geojson --merge-sliver-features
      gridmap fix grids.gpkg --out fixed.gpkg --gap-width 2 --merge-strategy max-area
    """
    mapping = field_mapping(code_field, name_field, parent_field, level_field, level)
    with stage_progress() as step:
        step("reading")
        boundary_input = read_boundaries(paths, mapping=mapping, source_crs=source_crs(crs))
        input_crs, _ = common_input_crs(boundary_input.crs_by_file)  # files in several CRSs: WGS-84
        result = repair_boundaries(
            boundary_input.frame,
            out,
            inputs=paths,
            gap_width=gap_width,
            snapping_distance=snapping_distance,
            merge_strategy=merge_strategy,
            sliver_width=sliver_width,
            merge_sliver_features=merge_sliver_features,
            allowed=read_allowed(allow or ()),
            input_crs=input_crs,
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
    console.print(f"Wrote {result.path} in {crs_name(input_crs)} coordinates")
