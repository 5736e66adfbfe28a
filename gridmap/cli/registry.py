"""`gridmap registry import`: the standard address registry (标准地址库) into the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridmap.cli.common import StoreOption, console, store_at, user_errors
from gridmap.store import display_url

registry_app = typer.Typer(help="The standard address registry the geocoder matches against.", no_args_is_help=True)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(registry_app, name="registry")


@registry_app.command("import")
@user_errors
def import_registry(
    path: Annotated[
        Path,
        typer.Argument(
            help=(
                "CSV (UTF-8 or GBK: id, road, number, compound, building, unit, room, lon, lat, and optionally "
                "aliases: other names of the row's compound, else of its road, separated by |) or GeoJSON points."
            ),
            show_default=False,
        ),
    ],
    store_url: StoreOption = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Empty the stored registry and aliases first (else entries are added)."),
    ] = False,
    aliases: Annotated[
        Path | None,
        typer.Option(
            "--aliases",
            help="CSV of other names (kind: road, compound or town; name: as in the registry; alias).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import address registry entries (WGS-84 points) for `/geocode`, `gridmap geocode` and household imports.

    Entries whose id repeats in the file or is stored already are skipped, rows without an id or a usable
    point are left out; both are counted. Aliases (the `aliases` column, the --aliases file) naming no road,
    compound or town are listed and left out. Servers see the new registry at their next geocoding request.

    Examples:

      gridmap registry import addresses.csv

      gridmap registry import data/sample/addresses.csv --aliases data/sample/address_aliases.csv --replace

      gridmap registry import addresses-2027.geojson --replace --store postgresql+psycopg://gridmap@db/gridmap
    """
    from gridmap.services.address_registry import SHOWN_ROWS
    from gridmap.services.address_registry import import_registry as import_file

    with store_at(store_url) as store:
        done = import_file(store, path, replace=replace, aliases=aliases)
        where = display_url(store.url)
    console.print(
        f"{done.imported:,} addresses imported into {where} from {done.rows:,} rows; "
        f"{done.duplicate_ids:,} duplicate ids skipped, {done.unparseable:,} unparseable rows left out; "
        f"{done.aliases:,} aliases stored",
        soft_wrap=True,
        highlight=False,
    )
    if done.unparseable_rows:
        more = " ..." if done.unparseable > SHOWN_ROWS else ""
        rows = ", ".join(str(row) for row in done.unparseable_rows)
        console.print(f"unparseable rows (no id, or no usable lon/lat): {rows}{more}", highlight=False)
    if done.unknown_aliases:
        shown = ", ".join(done.unknown_aliases[:SHOWN_ROWS]) + (
            " ..." if len(done.unknown_aliases) > SHOWN_ROWS else ""
        )
        console.print(f"aliases naming nothing in the registry, left out: {shown}", soft_wrap=True, highlight=False)
