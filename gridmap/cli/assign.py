"""`gridmap assign`: households of any number (millions) into the grids of a boundary file or stored version.

Only counts reach the console: names, phone numbers and ID numbers in the input never do.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from gridmap.cli.common import (
    DaskWorkersOption,
    Engine,
    EngineOption,
    SchedulerOption,
    StoreOption,
    console,
    dask_engine,
    err_console,
    store_at,
    user_errors,
)

if TYPE_CHECKING:
    import geopandas as gpd

    from gridmap.services.household_assign import AssignSummary

commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)

DEFAULT_CACHE = Path.home() / ".cache" / "gridmap" / "rasters"


class RowRateColumn(ProgressColumn):
    """Rows per second so far."""

    def render(self, task: Task) -> Text:
        """The task's speed in rows/s."""
        return Text("" if task.speed is None else f"{task.speed:,.0f} rows/s", style="progress.data.speed")


@commands.command()
@user_errors
def assign(
    households: Annotated[
        Path,
        typer.Argument(
            help="Households: CSV (UTF-8/GBK, lon/lat or address columns), Parquet/GeoParquet file or folder, "
            "GeoPackage.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="A .csv file, or else a new folder of GeoParquet files (one per chunk).")
    ],
    boundaries: Annotated[
        Path | None, typer.Option(help="Boundary file to assign into (else the version in --store).")
    ] = None,
    store_url: StoreOption = None,
    version: Annotated[
        int | None, typer.Option(help="Stored version to assign into (default: the set's published version).")
    ] = None,
    set_name: Annotated[str, typer.Option("--set", help="Boundary set whose published version to use.")] = "default",
    chunk_rows: Annotated[int, typer.Option(min=1, help="Rows read, assigned and written at a time.")] = 2_000_000,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Threads assigning each chunk. Default: every core this process may use, or 1 with --engine dask "
            "(its workers take partitions side by side). The answers are the same for every N; --threads 1 keeps "
            "a local run on one core.",
            show_default=False,
        ),
    ] = None,
    crs: Annotated[
        str, typer.Option("--crs", help="Datum of the lon/lat columns: wgs84, gcj02, bd09, cgcs2000.")
    ] = "wgs84",
    address_column: Annotated[str, typer.Option(help="Column of addresses, for rows without lon/lat.")] = "address",
    registry: Annotated[
        Path | None,
        typer.Option(help="Address registry file (CSV or GeoJSON) to locate rows without lon/lat by address."),
    ] = None,
    cache_dir: Annotated[
        Path, typer.Option(help="Where the boundaries' lookup rasters are kept between runs.")
    ] = DEFAULT_CACHE,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
    engine: EngineOption = Engine.LOCAL,
    scheduler: SchedulerOption = None,
    workers: DaskWorkersOption = None,
) -> None:
    """Assign households (CSV, Parquet/GeoParquet, GeoPackage; millions of rows, in chunks) to their community,
    grid and microgrid, with the nearest grid of those outside.

    Every row is written with community_code, grid_code and microgrid_code (empty where none covers it: on a
    shared edge the smallest code), location_source, and for rows outside every grid nearest_grid_code and
    distance_m. The boundaries' lookup raster is kept in --cache-dir, so the next run over the same version
    starts at once.

    With --engine dask the boundaries go to every worker once and each worker assigns and writes whole
    partitions (Parquet row groups, GeoPackage ranges, CSV chunks) as part-NNNNN.parquet in the --out folder.

    Examples:

    \b
      gridmap assign households.parquet --boundaries grids.gpkg --out assigned/
      gridmap assign households.csv --store postgresql://... --version 12 --out assigned.csv
      gridmap assign households/ --boundaries grids.gpkg --out assigned/ --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from gridmap.address.match import AddressMatcher
    from gridmap.geo.crs import parse_datum
    from gridmap.io.household_tables import count_table_rows
    from gridmap.services.geocode import load_registry
    from gridmap.services.household_assign import AssignOptions, assign_households
    from gridmap.services.parallel import usable_cores
    from gridmap.services.raster_cache import cached_layers

    try:
        datum = parse_datum(crs)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--crs") from None
    if boundaries is not None and (store_url is not None or version is not None):
        raise typer.BadParameter("give either --boundaries or --store/--version, not both", param_hint="--boundaries")
    frame = _file_boundaries(boundaries) if boundaries is not None else _stored_boundaries(store_url, version, set_name)
    with err_console.status("preparing the boundaries") if progress else nullcontext():
        layers = cached_layers(frame, cache_dir)
    matcher = AddressMatcher(load_registry(registry)) if registry is not None else None
    threads = threads or (usable_cores() if engine is Engine.LOCAL else 1)
    options = AssignOptions(datum=datum, address_column=address_column, chunk_rows=chunk_rows, threads=threads)
    total = count_table_rows(households) if households.exists() else None
    columns = (TextColumn("assigning"), BarColumn(), MofNCompleteColumn(), RowRateColumn(), TimeElapsedColumn())
    with (
        dask_engine(engine, scheduler, workers) as client,
        Progress(*columns, console=err_console, transient=True, disable=not progress) as bar,
    ):
        task = bar.add_task("rows", total=total)
        if client is None:
            summary = assign_households(
                households, out, layers=layers, matcher=matcher, options=options, on_rows=lambda n: bar.advance(task, n)
            )
        else:
            from gridmap.services.household_assign_dask import assign_households_on_cluster

            summary = assign_households_on_cluster(
                households,
                out,
                client=client,
                layers=layers,
                matcher=matcher,
                options=options,
                on_rows=lambda n: bar.advance(task, n),
            )
    _print_summary(summary, out)


def _file_boundaries(path: Path) -> gpd.GeoDataFrame:
    """A boundary file's features in WGS-84."""
    from gridmap.io.boundaries import read_boundaries

    return read_boundaries([path]).frame


def _stored_boundaries(url: str | None, version: int | None, set_name: str) -> gpd.GeoDataFrame:
    """A stored version's features (the set's published one when `version` is None)."""
    from gridmap.services.boundaries import published_frame

    with store_at(url) as store:
        return published_frame(store=store, set_name=set_name) if version is None else store.version_frame(version)


def _print_summary(summary: AssignSummary, out: Path) -> None:
    """Counts only: rows located and covered at each level."""
    table = Table("level", "covered", "uncovered", title=f"{summary.rows:,} rows assigned into {out}")
    for level, covered in summary.covered.items():
        table.add_row(level, f"{covered:,}", f"{summary.uncovered[level]:,}")
    console.print(table)
    console.print(
        f"located by coordinates: {summary.by_coordinates:,}, by address: {summary.by_address:,}, "
        f"not located: {summary.unlocated:,}",
        highlight=False,
    )
