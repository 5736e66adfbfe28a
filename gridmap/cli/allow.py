"""`gridmap allow list|add|remove`: the register of gaps and overlaps a stored boundary set allows on purpose.

The check of a stored version (`gridmap publish`, the API's validate and publish) lists the problems inside
them as allowed; `gridmap check --allow FILE` does the same for files.
"""

from __future__ import annotations

import getpass
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gridmap.cli.common import StoreOption, console, store_at, user_errors
from gridmap.io.allowed_exceptions import read_allowed_exceptions
from gridmap.services import allowed_exceptions as allowed_service

allow_app = typer.Typer(
    help="Gaps and overlaps a boundary set allows on purpose (a river, the outer perimeter, an overlay grid).",
    no_args_is_help=True,
)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(allow_app, name="allow")

SetOption = Annotated[str, typer.Option("--set", help="The boundary set.", show_default=False)]


class ListFormat(StrEnum):
    """How `gridmap allow list` prints."""

    TEXT = "text"
    GEOJSON = "geojson"


@allow_app.command("list")
@user_errors
def list_allowed(
    set_name: SetOption,
    store_url: StoreOption = None,
    output_format: Annotated[
        ListFormat, typer.Option("--format", help="text, or geojson (a FeatureCollection --allow reads).")
    ] = ListFormat.TEXT,
) -> None:
    """List the set's allowed exceptions: id, kind, codes, reason, who allowed them and when.

    Examples:

    \b
      gridmap allow list --set shouning
      gridmap allow list --set shouning --format geojson > allowed.geojson
    """
    with store_at(store_url) as store:
        exceptions = allowed_service.list_allowed(store=store, set_name=set_name)
    if output_format is ListFormat.GEOJSON:
        features = [e.to_geojson(with_author=True) for e in exceptions]
        typer.echo(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
        return
    table = Table("id", "kind", "codes", "reason", "allowed by", "when", title=f"Allowed exceptions of {set_name!r}")
    for e in exceptions:
        kind = f"{e.kind.value} (outside)" if e.outside else e.kind.value
        when = "" if e.allowed_at is None else e.allowed_at.strftime("%Y-%m-%d %H:%MZ")
        table.add_row(str(e.id), kind, ", ".join(e.codes), e.reason, e.allowed_by or "", when)
    console.print(table)


@allow_app.command("add")
@user_errors
def add_allowed(
    path: Annotated[
        Path,
        typer.Argument(
            help="GeoJSON FeatureCollection (WGS-84) with properties kind (gap|overlap), reason, codes?, outside?, "
            "allowed_by?.",
            show_default=False,
        ),
    ],
    set_name: SetOption,
    store_url: StoreOption = None,
    who: Annotated[
        str | None, typer.Option("--who", help="Who allows them, where the file names nobody (default: you).")
    ] = None,
) -> None:
    """Register every gap or overlap of a GeoJSON file for the set (the whole file is checked before storing).

    Examples:

    \b
      gridmap allow add river.geojson --set shouning --who 张发敏
    """
    exceptions = read_allowed_exceptions(path)
    with store_at(store_url) as store:
        added = allowed_service.add_allowed_exceptions(
            store=store, set_name=set_name, exceptions=exceptions, who=who or getpass.getuser()
        )
    for e in added:
        console.print(f"Allowed {e.kind.value} {e.id} in set {set_name!r}: {e.reason}", highlight=False)


@allow_app.command("remove")
@user_errors
def remove_allowed(
    exception_id: Annotated[int, typer.Argument(help="The exception's id, as `gridmap allow list` shows it.")],
    set_name: SetOption,
    store_url: StoreOption = None,
) -> None:
    """Remove one allowed exception of the set: its gap or overlap fails the check again.

    Examples:

    \b
      gridmap allow remove 3 --set shouning
    """
    with store_at(store_url) as store:
        allowed_service.remove_allowed(store=store, set_name=set_name, exception_id=exception_id)
    console.print(f"Removed allowed exception {exception_id} of set {set_name!r}")
