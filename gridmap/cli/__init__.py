"""The `gridmap` command: a thin shell over the services.

Each topic's module puts its commands on its own `commands` Typer; the table below names them, so that the root
group imports a module (and its dependencies: geopandas, SQLAlchemy, SciPy, folium ...) only when one of its
commands runs or shows its help (`gridmap.cli.lazy`). A new command is added to its module and to this table;
tests/cli/test_startup_imports.py checks that the two agree.
"""

from __future__ import annotations

import typer

from gridmap.cli.lazy import HELP_MARKUP, LazyGroup


class GridmapCommands(LazyGroup):
    """Every `gridmap` command, in the order of the help: (name, module, summary)."""

    lazy_commands = (
        ("check", "gridmap.cli.check", "Check grid boundaries: geometry, codes, overlaps, gaps, nesting, slivers."),
        (
            "fix",
            "gridmap.cli.fix",
            "Repair overlaps, narrow gaps, children outside their parents and slivers; write a new file, say what "
            "moved.",
        ),
        (
            "geocode",
            "gridmap.cli.households",
            "Match each row's address to the registry, take its coordinates (converted to WGS-84) where it has them, "
            "and assign community, grid and microgrid codes; print a summary of match levels and unmatched reasons.",
        ),
        (
            "assign",
            "gridmap.cli.assign",
            "Assign households (CSV, Parquet/GeoParquet, GeoPackage; millions of rows, in chunks) to their community, "
            "grid and microgrid, with the nearest grid of those outside.",
        ),
        (
            "serve",
            "gridmap.cli.serve",
            "Serve the API (/api/v1, docs at /docs) and the map viewer (/) on GRIDMAP_DATABASE_URL.",
        ),
        (
            "import",
            "gridmap.cli.store",
            "Store boundary files as a new draft version (features keep their ids by code across versions).",
        ),
        (
            "publish",
            "gridmap.cli.store",
            "Run the full check on a draft and, if it passes, publish it (retiring the set's published version).",
        ),
        (
            "versions",
            "gridmap.cli.store",
            "List boundary versions: status, features, who made and published them, when and why.",
        ),
        (
            "diff",
            "gridmap.cli.store",
            "What changed between two versions: features added, removed, reshaped (area in m2), renamed or edited.",
        ),
        ("export", "gridmap.cli.store", "Write a stored version to a file (WGS-84), ready to edit and import again."),
        ("draft", "gridmap.cli.draft", "Drafts to edit: start one from a version, export it to QGIS, import it back."),
        (
            "allow",
            "gridmap.cli.allow",
            "Gaps and overlaps a boundary set allows on purpose (a river, the outer perimeter, an overlay grid).",
        ),
        ("config", "gridmap.cli.config", "The settings (GRIDMAP_* environment variables or a .env file)."),
        ("demo", "gridmap.cli.demo", "The demo data (Shouning county town): never loaded unless asked."),
        ("households", "gridmap.cli.households", "The household register in the database."),
        ("incidents", "gridmap.cli.incidents", "Incidents (事件): imported with their trails."),
        (
            "lifecircle",
            "gridmap.cli.lifecircle",
            "15-minute life circles (GB 50180-2018): walking access to facilities, gaps and new sites.",
        ),
        ("privacy", "gridmap.cli.privacy", "Residents' personal data in incidents: retention, export, erasure."),
        ("registry", "gridmap.cli.registry", "The standard address registry the geocoder matches against."),
        (
            "reference",
            "gridmap.cli.reference",
            "Reference layers drawn under the grids to orient by: streets, river, buildings.",
        ),
        ("report", "gridmap.cli.report", "Reports for community meetings (offline HTML maps)."),
        ("db", "gridmap.cli.store", "The database schema."),
        ("user", "gridmap.cli.users", "Users and their tokens."),
        ("token", "gridmap.cli.users", "Tokens: list them, add one for a user, revoke one."),
    )


app = typer.Typer(
    name="gridmap",
    cls=GridmapCommands,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=HELP_MARKUP,
)


@app.callback()
def gridmap() -> None:
    """Community grid management (网格化管理): check, repair, store and serve grid boundaries."""
