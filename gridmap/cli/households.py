"""`gridmap geocode`: household tables matched to the address registry and assigned to grids.

Only counts reach the console: names, phone numbers and ID numbers in the input never do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gridmap.cli.common import console, err_console, store_at, user_errors

if TYPE_CHECKING:
    import geopandas as gpd

    from gridmap.address.match import AddressMatcher
    from gridmap.services.geocode import GeocodeSummary


commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)


@commands.command()
@user_errors
def geocode(
    in_path: Annotated[
        Path, typer.Argument(help="CSV of households (UTF-8, UTF-16 with BOM, or GBK).", show_default=False)
    ],
    out: Annotated[Path, typer.Option("--out", help="CSV to write; unmatched rows also go to OUT.unmatched.csv.")],
    address_column: Annotated[str, typer.Option(help="Column holding the address text.")] = "address",
    crs: Annotated[
        str, typer.Option("--crs", help="Datum of lon/lat columns without a crs column: wgs84, gcj02, bd09, cgcs2000.")
    ] = "wgs84",
    registry: Annotated[
        Path | None,
        typer.Option(help="Standard address registry file (CSV or GeoJSON); default: the one in the database."),
    ] = None,
    boundaries: Annotated[
        Path | None,
        typer.Option(help="Boundary file to assign codes from (default: the published version in the database)."),
    ] = None,
    from_store: Annotated[
        bool, typer.Option("--from-store", help="Assign codes from the published version in the database (default).")
    ] = False,
    set_name: Annotated[str, typer.Option("--set", help="Boundary set, with --from-store.")] = "default",
    review_below: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Answers less sure than this are needs_review, with their top 3 candidates "
            "(default: GRIDMAP_REVIEW_BELOW, 0.9).",
            show_default=False,
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
) -> None:
    """Match each row's address to the registry, take its coordinates (converted to WGS-84) where it has them,
    and assign community, grid and microgrid codes; print a summary of match levels and unmatched reasons.

    Each row gets match_level, match_confidence, match_reason, matched_address (in the registry's words),
    matched_id (the registry entry's id), its WGS-84 point and its codes. match_status says whether the
    answer can be used (matched), needs a person to choose (needs_review: candidate_1_address, _id,
    _confidence, _reason up to candidate_3_...) or has nothing to choose from (unmatched).

    Examples:

    \b
      gridmap geocode households.csv --out located.csv
      gridmap geocode gps.csv --out located.csv --crs gcj02 --from-store
    """
    from gridmap.geo.crs import parse_datum
    from gridmap.services import geocode as service

    try:
        datum = parse_datum(crs)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--crs") from None
    if from_store and boundaries is not None:
        raise typer.BadParameter("give either --boundaries or --from-store, not both", param_hint="--from-store")
    frame = _file_boundaries(boundaries) if boundaries is not None else _store_boundaries(set_name)
    layers = service.boundary_layers(frame)
    matcher = _matcher(registry)
    if review_below is None:
        from gridmap.settings import Settings

        review_below = Settings().review_below
    options = service.GeocodeOptions(address_column=address_column, datum=datum, review_below=review_below)
    columns = (TextColumn("geocoding"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True, disable=not progress) as bar:
        task = bar.add_task("rows", total=service.count_rows(in_path) if in_path.is_file() else None)
        summary = service.geocode_file(
            in_path, out, matcher=matcher, layers=layers, options=options, on_rows=lambda n: bar.advance(task, n)
        )
    _print_summary(summary, out, service.unmatched_path_for(out))


def _file_matcher(registry: Path) -> AddressMatcher:
    """The matcher of an address registry file."""
    from gridmap.address.match import AddressMatcher
    from gridmap.services.geocode import load_registry

    return AddressMatcher(load_registry(registry))


def _matcher(registry: Path | None) -> AddressMatcher:
    """The matcher of a registry file, else of the registry in the configured database (NotFound when empty)."""
    from gridmap.services.address_registry import RegistryMatchers

    if registry is not None:
        return _file_matcher(registry)
    with store_at(None) as store:
        return RegistryMatchers(store).get()


def _file_boundaries(path: Path) -> gpd.GeoDataFrame:
    """A boundary file's features in WGS-84."""
    from gridmap.io.boundaries import read_boundaries

    return read_boundaries([path]).frame


def _store_boundaries(set_name: str) -> gpd.GeoDataFrame:
    """The features of the set's published version in the configured database."""
    from gridmap.services.boundaries import published_frame
    from gridmap.settings import Settings
    from gridmap.store import open_store

    url = Settings().database_url
    with open_store(url, upgrade=url.startswith("sqlite")) as store:
        return published_frame(store=store, set_name=set_name)


def _print_summary(summary: GeocodeSummary, out: Path, unmatched: Path) -> None:
    """Counts only: match levels, unmatched reasons, assignment."""
    levels = Table("match level", "rows", title=f"{summary.rows} rows geocoded into {out}")
    for level in ("door", "building", "compound", "road", "coordinates", "none"):
        if summary.levels[level]:
            levels.add_row(level, str(summary.levels[level]))
    console.print(levels)
    statuses = ", ".join(f"{status}: {summary.statuses[status]}" for status in ("matched", "needs_review", "unmatched"))
    console.print(f"addresses {statuses}", highlight=False)
    if summary.reasons:
        reasons = Table("unmatched reason", "rows")
        for reason, count in summary.reasons.most_common():
            reasons.add_row(reason, str(count))
        console.print(reasons)
    placed = ", ".join(f"{name}: {count}" for name, count in sorted(summary.assignments.items()))
    console.print(f"assignment: {placed or 'none'}; rows with bad coordinates: {summary.row_errors}")
    console.print(f"{summary.unmatched} rows without a location also written to {unmatched}")


households_app = typer.Typer(help="The household register in the database.", no_args_is_help=True)
commands.add_typer(households_app, name="households")


@households_app.command("import")
@user_errors
def import_households(
    path: Annotated[
        Path, typer.Argument(help="CSV of households (UTF-8, UTF-16 with BOM, or GBK).", show_default=False)
    ],
    registry: Annotated[
        Path | None,
        typer.Option(
            help="Address registry file to locate rows without coordinates (default: the one in the database, if any)."
        ),
    ] = None,
    crs: Annotated[str, typer.Option("--crs", help="Datum of lon/lat without a crs column.")] = "wgs84",
    set_name: Annotated[
        str, typer.Option("--set", help="Boundary set whose published version gets codes.")
    ] = "default",
) -> None:
    """Load households into the database (GRIDMAP_DATABASE_URL) and give them the published version's codes.

    Columns: household_id, address, lon, lat (optional, with an optional crs), people, elderly_alone, disabled,
    left_behind_children, head_name, phone. Bad rows are listed by line number and skipped; coordinates of NaN
    or Infinity refuse the whole file (status 2, nothing imported).

    Example:

      gridmap households import data/sample/households.csv
    """
    from gridmap.geo.crs import parse_datum
    from gridmap.services.address_registry import RegistryMatchers
    from gridmap.services.household_import import import_households as import_file

    try:
        datum = parse_datum(crs)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--crs") from None
    with store_at(None) as store:
        if registry is not None:
            matcher: AddressMatcher | None = _file_matcher(registry)
        else:  # rows without coordinates stay unlocated when the database has no registry either
            matcher = RegistryMatchers(store).get() if store.address_revision()[0] else None
        done = import_file(store, path, matcher=matcher, datum=datum, set_name=set_name)
    for error in done.errors[:20]:
        err_console.print(f"skipped {error}", highlight=False)
    if len(done.errors) > 20:
        err_console.print(f"... and {len(done.errors) - 20} more rows skipped", highlight=False)
    where = f"version {done.version.id} of {set_name!r}" if done.version else "no version (nothing published)"
    console.print(
        f"imported {done.added} households ({done.located_by_address} located by address), skipped "
        f"{len(done.errors)} rows; {done.placed} placed in {where}"
    )


@households_app.command("export")
@user_errors
def export_households(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write (UTF-8).", show_default=False)],
    include_personal: Annotated[
        bool, typer.Option("--include-personal", help="Keep names and phones unmasked (needs an admin's token).")
    ] = False,
    token: Annotated[
        str | None, typer.Option("--token", envvar="GRIDMAP_TOKEN", help="An admin's token, for --include-personal.")
    ] = None,
) -> None:
    """Write the household register (GRIDMAP_DATABASE_URL) to a CSV, names and phones masked (陈**, 138****0421).

    Examples:

    \b
      gridmap households export --out households-masked.csv
      GRIDMAP_TOKEN=... gridmap households export --out households.csv --include-personal
    """
    from gridmap.services.household_export import export_households as export
    from gridmap.settings import Settings
    from gridmap.store import open_store

    url = Settings().database_url
    with open_store(url, upgrade=url.startswith("sqlite")) as store:
        written = export(store, out, include_personal=include_personal, token=token)
    what = "with names and phones" if include_personal else "names and phones masked"
    console.print(f"wrote {written} households to {out} ({what})", highlight=False)
