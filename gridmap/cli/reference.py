"""`gridmap reference`: the reference layers (streets, river, buildings, stations) a map is read by."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from gridmap.cli.common import StoreOption, console, store_at, user_errors

reference_app = typer.Typer(
    help="Reference layers drawn under the grids to orient by: streets, river, buildings.", no_args_is_help=True
)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(reference_app, name="reference")


@reference_app.command("import")
@user_errors
def import_layer(
    path: Annotated[
        Path, typer.Argument(help="GeoJSON, GeoPackage or Shapefile (any CRS GDAL knows).", show_default=False)
    ],
    name: Annotated[str, typer.Option("--name", help="The layer's name in URLs, e.g. streets.", show_default=False)],
    title: Annotated[str | None, typer.Option(help="The name a map shows, e.g. '道路 / Streets'.")] = None,
    label_field: Annotated[
        str | None, typer.Option("--label-field", help="Field whose text labels each feature (e.g. name).")
    ] = None,
    style: Annotated[
        str | None, typer.Option(help='Leaflet style options as JSON, e.g. \'{"color": "#4dabf7", "weight": 3}\'.')
    ] = None,
    store_url: StoreOption = None,
) -> None:
    """Store a file as reference layer NAME, replacing a layer of that name. Only the geometries and the label
    field are kept (a map is public: no other attribute of the file is served).

    Examples:

    \b
      gridmap reference import streets.geojson --name streets --label-field name --title "道路 / Streets"
      gridmap reference import buildings.gpkg --name buildings --style '{"fillColor": "#dee2e6"}'
    """
    from gridmap.services.reference_layers import import_reference_layer
    from gridmap.store import display_url

    try:
        overrides = None if style is None else json.loads(style)
    except json.JSONDecodeError as err:
        raise typer.BadParameter(f"not JSON: {err}", param_hint="--style") from None
    if overrides is not None and not isinstance(overrides, dict):
        raise typer.BadParameter("give a JSON object of style options", param_hint="--style")
    with store_at(store_url) as store:
        imported = import_reference_layer(
            store=store, path=path, name=name, title=title, label_field=label_field, style=overrides
        )
        where = display_url(store.url)
    layer = imported.layer
    skipped = f", {imported.skipped} without geometry skipped" if imported.skipped else ""
    console.print(
        f"reference layer {layer.name} ({layer.kind.value}, revision {layer.revision}) stored in {where}: "
        f"{layer.feature_count:,} features{skipped}",
        soft_wrap=True,
        highlight=False,
    )


@reference_app.command("list")
@user_errors
def list_layers(store_url: StoreOption = None) -> None:
    """List the stored reference layers: name, kind, features, title."""
    with store_at(store_url) as store:
        layers = store.list_reference_layers()
    for layer in layers:
        console.print(
            f"{layer.name}\t{layer.kind.value}\t{layer.feature_count:,}\t{layer.title}", soft_wrap=True, highlight=False
        )
    if not layers:
        console.print("no reference layers (gridmap reference import FILE --name NAME)", highlight=False)


@reference_app.command("delete")
@user_errors
def delete_layer(
    name: Annotated[str, typer.Argument(help="The layer's name.", show_default=False)], store_url: StoreOption = None
) -> None:
    """Remove reference layer NAME."""
    with store_at(store_url) as store:
        store.delete_reference_layer(name)
    console.print(f"reference layer {name} removed", highlight=False)
