"""`gridmap incidents generate` and `import`: sample incidents into a store, for demos and benchmarks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gridmap.cli import app
from gridmap.cli.common import StoreOption, console, err_console, stage_progress, store_at, user_errors
from gridmap.errors import InvalidInput
from gridmap.incidents.stats import CHINA_TIME
from gridmap.store import display_url

incidents_app = typer.Typer(help="Incidents (事件): sample data for demos and benchmarks.", no_args_is_help=True)
app.add_typer(incidents_app, name="incidents")

SetOption = Annotated[str, typer.Option("--set", help="Boundary set whose published version has the grids.")]


@incidents_app.command("generate")
@user_errors
def generate(
    count: Annotated[int, typer.Option("--count", min=1, help="How many incidents to generate.", show_default=False)],
    store_url: StoreOption = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and grids give the same incidents.")] = 350924,
    start: Annotated[str, typer.Option(help="First day reports are made (YYYY-MM-DD, China time).")] = "2026-09-01",
    end: Annotated[str, typer.Option(help="Last day reports are made (YYYY-MM-DD, inclusive).")] = "2026-11-27",
    set_name: SetOption = "default",
    id_prefix: Annotated[str, typer.Option(help="Ids are this and a running number; change it to add more.")] = (
        "sample-"
    ),
    near_homes: Annotated[
        bool, typer.Option("--near-homes/--anywhere", help="Place reports near the store's households, if any.")
    ] = True,
) -> None:
    """Generate incidents in the grids of the published version and import them with their workflow trails.

    Categories, channels, times of day and how far each incident got (handled, rejected, duplicate, still
    open, rated) follow docs/incidents.md ("Sample data"). The period ends at the end of --end: steps that
    would come later have not happened, so the last days' incidents are still open.

    Examples:

      gridmap incidents generate --count 3000

      gridmap incidents generate --count 200000 --store postgresql+psycopg://gridmap@db/gridmap --seed 7

      gridmap incidents generate --count 500 --start 2026-12-01 --end 2026-12-31 --id-prefix dec-
    """
    from gridmap.services.sample_incidents import generate_into_store

    first, last = _day(start, "--start"), _day(end, "--end")
    if last < first:
        raise InvalidInput(f"--end {end} is before --start {start}")
    period_start = datetime.combine(first, time(), CHINA_TIME)
    period_end = datetime.combine(last + timedelta(days=1), time(), CHINA_TIME)
    with store_at(store_url) as store, _import_progress(count) as progress:
        stored = generate_into_store(
            store,
            count=count,
            seed=seed,
            start=period_start,
            end=period_end,
            set_name=set_name,
            id_prefix=id_prefix,
            near_homes=near_homes,
            progress=progress,
        )
        where = display_url(store.url)
    console.print(f"{stored:,} incidents from {first} to {last} stored in {where}", soft_wrap=True)


@incidents_app.command("import")
@user_errors
def import_file(
    path: Annotated[Path, typer.Argument(help="GeoJSON of incidents with trails (as `gridmap sample` writes).")] = Path(
        "data/sample/incidents.geojson"
    ),
    store_url: StoreOption = None,
) -> None:
    """Import incidents with their trails from a GeoJSON file; every trail is replayed first.

    Examples:

      gridmap incidents import

      gridmap incidents import out/incidents.geojson --store sqlite:///demo.db
    """
    from gridmap.io.incidents import read_incidents

    with stage_progress() as step:
        step(f"reading {path}")
        incidents = read_incidents(path)
    with store_at(store_url) as store, _import_progress(len(incidents), generating=False) as progress:
        stored = store.import_incidents(incidents, progress=progress)
        where = display_url(store.url)
    console.print(f"{stored:,} incidents from {path} stored in {where}", soft_wrap=True)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date written YYYY-MM-DD", param_hint=option) from None


@contextmanager
def _import_progress(total: int, *, generating: bool = True) -> Iterator[Callable[[int], None]]:
    """A bar on stderr: 'generating' until the first batch is stored, then incidents stored of `total`."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("generating" if generating else "storing", total=total)

        def advance(stored: int) -> None:
            bar.update(task, completed=stored, description="storing")

        yield advance
