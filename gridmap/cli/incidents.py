"""`gridmap incidents import`: incidents with their workflow trails from a GeoJSON file into a store; and
`gridmap incidents rebuild-counts`: the incident map's kept counts recounted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gridmap.cli.common import StoreOption, console, err_console, stage_progress, store_at, user_errors
from gridmap.cli.hotline import export_orders, import_orders
from gridmap.cli.incident_clock import clock_app
from gridmap.cli.incident_scores import scores

incidents_app = typer.Typer(help="Incidents (事件): imported with their trails.", no_args_is_help=True)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(incidents_app, name="incidents")


@incidents_app.command("import")
@user_errors
def import_file(
    path: Annotated[
        Path,
        typer.Argument(help="GeoJSON of incidents with trails (as `gridmap demo load` reads).", show_default=False),
    ],
    store_url: StoreOption = None,
) -> None:
    """Import incidents with their trails from a GeoJSON file; every trail is replayed first.

    Examples:

    \b
      gridmap incidents import data/sample/incidents.geojson
      gridmap incidents import out/incidents.geojson --store sqlite:///demo.db
    """
    from gridmap.io.incidents import read_incidents
    from gridmap.services.incidents import import_incidents
    from gridmap.store import display_url

    with stage_progress() as step:
        step(f"reading {path}")
        incidents = read_incidents(path)
    with store_at(store_url) as store, import_progress(len(incidents), generating=False) as progress:
        stored = import_incidents(store=store, incidents=incidents, progress=progress)
        where = display_url(store.url)
    console.print(f"{stored:,} incidents from {path} stored in {where}", soft_wrap=True)


@incidents_app.command("rebuild-counts")
@user_errors
def rebuild_counts(store_url: StoreOption = None) -> None:
    """Count every incident again into the incident map's counts (kept by every write; rebuilt after restoring
    incidents by hand, or to check them).

    Examples:

    \b
      gridmap incidents rebuild-counts --store sqlite:///demo.db
    """
    from gridmap.services.incident_map import rebuild_incident_counts
    from gridmap.store import display_url

    with stage_progress() as step, store_at(store_url) as store:
        step("counting incidents")
        rows = rebuild_incident_counts(store=store)
        where = display_url(store.url)
    console.print(f"incident map counts rebuilt in {where}: {rows:,} count rows", soft_wrap=True)


@contextmanager
def import_progress(total: int, *, generating: bool = True) -> Iterator[Callable[[int], None]]:
    """A bar on stderr: 'generating' until the first batch is stored, then incidents stored of `total`."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("generating" if generating else "storing", total=total)

        def advance(stored: int) -> None:
            bar.update(task, completed=stored, description="storing")

        yield advance


# The 12345 hotline's work orders (gridmap/cli/hotline.py).
incidents_app.command("import-orders")(import_orders)
incidents_app.command("export-orders")(export_orders)
# Scores of incident handling (gridmap/cli/incident_scores.py).
incidents_app.command("scores")(scores)
# The time limit's holds, extensions, decisions and sending back (gridmap/cli/incident_clock.py).
incidents_app.add_typer(clock_app, name="clock")
