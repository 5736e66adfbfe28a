"""`python -m gridmap_demo`: write the sample region's files, or generate incidents into a store.

`gridmap demo load` (in the product) then loads the files this writes into a store.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gridmap.cli.common import StoreOption, console, stage_progress, store_at, user_errors
from gridmap.cli.incidents import import_progress
from gridmap.errors import InvalidInput
from gridmap.incidents.stats import CHINA_TIME
from gridmap.store import display_url

app = typer.Typer(
    name="gridmap_demo",
    help="Demo and test data for gridmap: the sample region (Shouning county town) and generated incidents.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
incidents_app = typer.Typer(help="Incidents (事件): sample data for demos and benchmarks.", no_args_is_help=True)
app.add_typer(incidents_app, name="incidents")

SetOption = Annotated[str, typer.Option("--set", help="Boundary set whose published version has the grids.")]


@app.command()
@user_errors
def sample(
    out: Annotated[Path, typer.Option(help="Folder to write boundaries/ and sample/ into.")] = Path("data"),
    communities: Annotated[
        int, typer.Option(min=1, help="9 gives the Shouning county town; more gives a lattice for benchmarks.")
    ] = 9,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes byte-identical files.")] = 350924,
) -> None:
    """Generate the sample region: communities, grids and microgrids along streets and the river 蟾溪.

    Writes boundaries/shouning_aoyang.geojson (all three levels), boundaries/broken/ (one of every problem
    kind planted, with planted.json saying where), and sample/streets.geojson and sample/river.geojson;
    for the county town also the addresses, households, facilities and 2,000 incidents
    (sample/incidents.geojson, 1 Sep to 27 Nov 2026, with their workflow trails).

    Examples:

      python -m gridmap_demo sample --out data

      python -m gridmap_demo sample --out /tmp/big --communities 2000
    """
    from gridmap_demo.region import write_sample_region

    with stage_progress() as step:
        step(f"generating {communities} communities")
        summary = write_sample_region(out, communities=communities, seed=seed)
        incidents = 0
        if summary.households:
            from gridmap_demo.incidents import write_sample_incidents

            step("generating incidents")
            _, incidents = write_sample_incidents(out, seed=seed)
    table = Table("what", "count", title=f"Sample region in {out}")
    for name, value in vars(summary).items():
        if isinstance(value, int):
            table.add_row(name, str(value))
    if incidents:
        table.add_row("incidents", str(incidents))
    console.print(table)


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

      python -m gridmap_demo incidents generate --count 3000

      python -m gridmap_demo incidents generate --count 200000 --store postgresql+psycopg://gridmap@db/gridmap --seed 7

      python -m gridmap_demo incidents generate --count 500 --start 2026-12-01 --end 2026-12-31 --id-prefix dec-
    """
    from gridmap_demo.store_incidents import generate_into_store

    first, last = _day(start, "--start"), _day(end, "--end")
    if last < first:
        raise InvalidInput(f"--end {end} is before --start {start}")
    period_start = datetime.combine(first, time(), CHINA_TIME)
    period_end = datetime.combine(last + timedelta(days=1), time(), CHINA_TIME)
    with store_at(store_url) as store, import_progress(count) as progress:
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


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date written YYYY-MM-DD", param_hint=option) from None
