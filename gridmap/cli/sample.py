"""`gridmap sample`: the deterministic sample region (Shouning county town) and its broken twin."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gridmap.cli import app
from gridmap.cli.common import console, stage_progress, user_errors


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

      gridmap sample --out data

      gridmap sample --out /tmp/big --communities 2000
    """
    from gridmap.sample.region import write_sample_region

    with stage_progress() as step:
        step(f"generating {communities} communities")
        summary = write_sample_region(out, communities=communities, seed=seed)
        incidents = 0
        if summary.households:
            from gridmap.sample.incidents import write_sample_incidents

            step("generating incidents")
            _, incidents = write_sample_incidents(out, seed=seed)
    table = Table("what", "count", title=f"Sample region in {out}")
    for name, value in vars(summary).items():
        if isinstance(value, int):
            table.add_row(name, str(value))
    if incidents:
        table.add_row("incidents", str(incidents))
    console.print(table)
