"""`gridmap registry import`: the standard address registry (标准地址库) into the database."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gridmap.cli.common import StoreOption, console, store_at, user_errors

if TYPE_CHECKING:
    from gridmap.services.registry_rows import RowProblem

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
                "CSV (UTF-8 or GBK), XLSX (first sheet) or GeoJSON points, with the columns id, road, number, "
                "compound, building, unit, room, lon, lat (or one address column instead of the parts; id is made "
                "from the parts when absent), and optionally aliases: other names of the row's compound, else of "
                "its road, separated by |."
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
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            help="Our column = the file's, e.g. --column address=门牌地址 --column lon=经度 --column lat=纬度 "
            "(repeat for each).",
            show_default=False,
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="Write every row left out (row, problem, detail) to this CSV.", show_default=False
        ),
    ] = None,
) -> None:
    """Import address registry entries (WGS-84 points) for `/geocode`, `gridmap geocode` and household imports.

    Rows that cannot be read (no point, no door plate or compound, parts of the address not understood) and
    duplicates (the same id, the same address twice, the same door plate at two places) are left out and
    listed by their row in the file (the header is row 1); ids stored already are skipped. Exits 1 when
    nothing was imported. Aliases (the `aliases` column, the --aliases file) naming no road, compound or town
    are listed and left out. Servers see the new registry at their next geocoding request.

    Examples:

    \b
      gridmap registry import addresses.csv
      gridmap registry import data/sample/addresses.csv --aliases data/sample/address_aliases.csv --replace
      gridmap registry import 门牌库.xlsx --column address=门牌地址 --column lon=经度 --column lat=纬度 --report out.csv
      gridmap registry import addresses-2027.geojson --replace --store postgresql+psycopg://gridmap@db/gridmap
    """
    from gridmap.services.address_registry import SHOWN_ROWS
    from gridmap.services.address_registry import import_registry as import_file
    from gridmap.services.registry_rows import Problem
    from gridmap.store import display_url

    columns = _column_map(column or [])
    with store_at(store_url) as store:
        done = import_file(store, path, replace=replace, aliases=aliases, columns=columns)
        where = display_url(store.url)
    console.print(
        f"{done.imported:,} addresses imported into {where} from {done.rows:,} rows; "
        f"{done.already_stored:,} ids stored already skipped; left out: "
        f"{done.count(Problem.UNPARSEABLE):,} unparseable rows, {done.count(Problem.DUPLICATE_ID):,} repeated ids, "
        f"{done.count(Problem.DUPLICATE_ADDRESS):,} repeated addresses, "
        f"{done.count(Problem.TWO_PLACES):,} door plates at two places; {done.aliases:,} aliases stored",
        soft_wrap=True,
        highlight=False,
    )
    for problem in done.problems[:SHOWN_ROWS]:
        console.print(f"row {problem.row}: {problem.problem}: {problem.detail}", soft_wrap=True, highlight=False)
    if len(done.problems) > SHOWN_ROWS:
        console.print(f"... {len(done.problems) - SHOWN_ROWS:,} more (see --report)", highlight=False)
    if report is not None:
        _write_report(report, done.problems)
    if done.unknown_aliases:
        shown = ", ".join(done.unknown_aliases[:SHOWN_ROWS]) + (
            " ..." if len(done.unknown_aliases) > SHOWN_ROWS else ""
        )
        console.print(f"aliases naming nothing in the registry, left out: {shown}", soft_wrap=True, highlight=False)
    if done.imported == 0:
        console.print("nothing was imported", highlight=False)
        raise typer.Exit(1)


def _column_map(pairs: list[str]) -> dict[str, str]:
    """`--column ours=theirs` options as a mapping; BadParameter for one without `=`."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise typer.BadParameter(f"{pair!r} is not ours=theirs (address=门牌地址)", param_hint="--column")
        mapping[ours.strip()] = theirs.strip()
    return mapping


def _write_report(path: Path, problems: Sequence[RowProblem]) -> None:
    """The rows left out, as a CSV a clerk opens in Excel (UTF-8 with a BOM)."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "problem", "detail"])
        writer.writerows([p.row, p.problem.value, p.detail] for p in problems)
