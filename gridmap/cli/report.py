"""`gridmap report incidents`: one community's month of incidents as an offline HTML map and table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gridmap.cli.common import console, stage_progress, user_errors

report_app = typer.Typer(help="Reports for community meetings (offline HTML maps).", no_args_is_help=True)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(report_app, name="report")


@report_app.command("incidents")
@user_errors
def incidents(
    community: Annotated[
        str, typer.Option("--community", help="Community code (12 digits, e.g. 350924100001).", show_default=False)
    ],
    month: Annotated[str, typer.Option("--month", help="Month, YYYY-MM (China time).", show_default=False)],
    html: Annotated[Path, typer.Option("--html", help="HTML file to write.", show_default=False)],
    store_url: Annotated[
        str | None,
        typer.Option("--store", help="Database URL (default: GRIDMAP_DATABASE_URL).", show_default=False),
    ] = None,
    set_name: Annotated[str, typer.Option("--set", help="Boundary set whose published version is shown.")] = (
        "default"
    ),
) -> None:
    """A community's incidents of one month for its meeting: map, legend and a table per grid.

    The map (Leaflet inlined: it opens offline, no CDN, no base map) shows the community and its grids of the
    published version shaded by the month's incident count, and one marker per incident coloured by status;
    a popup gives the category, status, report time, grid and time to resolution, never the reporter. The
    table gives per grid the total, counts by category and status, median hours to first response and to
    resolution, and the share handled within 24 h, with the community's total (the numbers of
    GET /api/v1/incidents/stats). A month without incidents still gets a report saying so. Community codes
    are those of the published boundaries (/api/v1/collections/communities/items); an unknown code is
    answered with some known ones.

    Examples:

    \b
      gridmap report incidents --community 350924100001 --month 2026-10 --html out/datong-2026-10.html
      gridmap report incidents --community 350924100003 --month 2026-11 --html nov.html --store sqlite:///demo.db
    """
    from gridmap.cli.hotline import incident_rules
    from gridmap.maps.incident_report import hours_text, share_text, write_incident_report
    from gridmap.services.incident_report import community_month
    from gridmap.settings import Settings
    from gridmap.store import open_store

    url = store_url or Settings().database_url
    taxonomy = incident_rules().taxonomy  # a bad GRIDMAP_CATEGORIES_FILE stops here, before any work
    with stage_progress() as step, open_store(url, upgrade=url.startswith("sqlite")) as store:
        step(f"reading {month} in {community}")
        report = community_month(store, community=community, month=month, set_name=set_name)
        step("writing the map")
        write_incident_report(html, report, taxonomy=taxonomy)
    table = Table(title=f"{report.community.name} {report.community.code}, {month}: incidents per grid (median hours)")
    for column in ("grid", "name", "total", "response h", "resolved h", "≤ 24 h"):
        table.add_column(column, justify="left" if column in ("grid", "name") else "right", no_wrap=True)
    for grid in report.grids:
        stats = report.grid_stats.get(grid.code)
        table.add_row(
            grid.code,
            grid.name,
            str(stats.total if stats else 0),
            hours_text(stats.median_first_response_h if stats else None),
            hours_text(stats.median_resolution_h if stats else None),
            share_text(stats.share_within_24h if stats else None),
        )
    total = report.total
    table.add_section()
    table.add_row(
        report.community.code,
        "community",
        str(total.total if total else 0),
        hours_text(total.median_first_response_h if total else None),
        hours_text(total.median_resolution_h if total else None),
        share_text(total.share_within_24h if total else None),
        style="bold",
    )
    console.print(table)
    if not report.incidents:
        console.print(
            f"no incidents were reported in {report.community.name} in {month}; the report says so", soft_wrap=True
        )
    console.print(f"report written to {html}", soft_wrap=True)
