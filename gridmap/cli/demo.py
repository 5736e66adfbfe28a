"""`gridmap demo load`: the sample region, registry, households and incidents into a store, on request only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridmap.cli.common import StoreOption, console, stage_progress, store_at, user_errors

demo_app = typer.Typer(help="The demo data (Shouning county town): never loaded unless asked.", no_args_is_help=True)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(demo_app, name="demo")


@demo_app.command("load")
@user_errors
def load(
    store_url: StoreOption = None,
    data: Annotated[Path, typer.Option(help="Folder holding boundaries/ and sample/ (the repository's data/).")] = Path(
        "data"
    ),
    force: Annotated[
        bool, typer.Option("--force", help="Load into a store that holds data already (ids taken still fail).")
    ] = False,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Load only into an empty store; succeed saying so otherwise (scripts).")
    ] = False,
) -> None:
    """Load the demo into a store: the sample region (imported and published), its address registry, households
    placed in the grids, and incidents with their workflow trails.

    A store holding boundary sets, households, incidents or a registry is refused unless --force (or left as
    it is with --if-empty, as scripts/serve.sh does).

    Examples:

    \b
      gridmap demo load
      gridmap demo load --store sqlite:///demo.db --data /srv/gridmap/data
    """
    from gridmap.services.demo import load_demo, store_holdings
    from gridmap.store import display_url

    if force and if_empty:
        raise typer.BadParameter("give --force or --if-empty, not both", param_hint="--if-empty")
    with store_at(store_url) as store:
        where = display_url(store.url)
        held = store_holdings(store) if if_empty else []
        if held:
            console.print(f"demo not loaded: {where} holds {', '.join(held)}", soft_wrap=True, highlight=False)
            return
        with stage_progress() as step:
            step(f"loading the demo from {data}")
            loaded = load_demo(store, data, force=force)
    console.print(
        f"demo loaded into {where}: sample region published as version {loaded.version.id} "
        f"({loaded.version.feature_count} features), {loaded.addresses.imported:,} addresses, "
        f"{loaded.households.added:,} households ({loaded.households.placed:,} placed), "
        f"{loaded.incidents:,} incidents, reference layers {', '.join(loaded.reference_layers)}",
        soft_wrap=True,
        highlight=False,
    )
