"""`gridmap incidents scores`: the scores of incident handling (考核) per grid, worker, community or category for
a month, printed or written to CSV or XLSX. Registered on the `incidents` group by `gridmap.cli.incidents`; the
service is `gridmap.services.incident_scores` (the formulas: docs/incidents.md, "Scoring")."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gridmap.cli.common import StoreOption, console, store_at, user_errors
from gridmap.errors import InvalidInput
from gridmap.incidents.scores import ScoreBy
from gridmap.services.grid_stats import Kind

if TYPE_CHECKING:
    from gridmap.services.incident_scores import ScoreTable

SUFFIXES = (".csv", ".xlsx")
PRINTED = ("key", "name", "reports")


@user_errors
def scores(
    period: Annotated[str, typer.Option(help="The month of the reports, YYYY-MM (China time).", show_default=False)],
    by: Annotated[ScoreBy, typer.Option(help="Group by grid, worker, community or category.")] = ScoreBy.GRID,
    community: Annotated[str | None, typer.Option(help="Only this community's incidents.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the table to this .csv or .xlsx file instead of printing it.")
    ] = None,
    store_url: StoreOption = None,
) -> None:
    """Score incident handling over a month: reports, filed, on-time response and resolution, reopen and
    satisfaction rates, on working time. Outcomes only: nobody is ranked by patrol mileage.

    Examples:

    \b
      gridmap incidents scores --by grid --period 2026-11
      gridmap incidents scores --by worker --period 2026-11 --out scores.xlsx
    """
    from gridmap.cli.hotline import incident_rules
    from gridmap.incidents.stats import month_period
    from gridmap.services.incident_scores import incident_scores

    if out is not None and out.suffix.lower() not in SUFFIXES:
        msg = f"--out {out.name}: write the scores to a .csv or .xlsx file"
        raise InvalidInput(msg)
    start_end = month_period(period)
    with store_at(store_url) as store:
        table = incident_scores(
            store=store, rules=incident_rules(), by=by, period=start_end, as_of=datetime.now(UTC), community=community
        )
    if out is None:
        _print(table, period)
        return
    out.write_bytes(table.xlsx() if out.suffix.lower() == ".xlsx" else table.csv())
    console.print(f"{len(table.rows):,} rows of scores by {by.value} written to {escape(str(out))}", soft_wrap=True)


def _print(table: ScoreTable, period: str) -> None:
    """The groups with their counts of reports and the rates (every column: --out)."""
    columns = [column for column in table.columns if column.key in PRINTED or column.kind is Kind.SHARE]
    printed = Table(title=f"考核 Scores {period}")
    for column in columns:  # codes and names whole; titles may wrap
        printed.add_column(
            column.title, no_wrap=column.kind is Kind.TEXT, justify="left" if column.kind is Kind.TEXT else "right"
        )
    for row in table.rows:
        printed.add_row(*(escape(_shown(row.get(column.key))) for column in columns))
    console.print(printed)
    console.print("every column, the counts behind each rate too: --out FILE.xlsx (or .csv)")


def _shown(cell: str | int | float | None) -> str:
    if cell is None:
        return "—"
    return f"{cell:.1%}" if isinstance(cell, float) else str(cell)
