"""`gridmap config`: the settings in force (secrets masked), their reference table, and the safety check."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Table

from gridmap.cli.common import console, err_console, user_errors
from gridmap.errors import EXIT_INPUT_ERROR
from gridmap.settings import Settings, settings_reference, shown_value, unsafe_reasons

config_app = typer.Typer(help="The settings (GRIDMAP_* environment variables or a .env file).", no_args_is_help=True)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(config_app, name="config")


@config_app.command("show")
@user_errors
def show(
    markdown: Annotated[
        bool, typer.Option("--reference", help="Print the reference table of every setting (Markdown) instead.")
    ] = False,
) -> None:
    """Print every setting's effective value and where it came from, passwords and secrets masked.

    Exits with status 2 when the settings are unsafe for a server (the reasons are printed).

    Examples:

    \b
      gridmap config show
      GRIDMAP_DATABASE_URL=postgresql+psycopg://gridmap@db/gridmap gridmap config show
    """
    if markdown:
        console.print(settings_reference(), markup=False, highlight=False, soft_wrap=True)
        return
    settings = Settings()
    table = Table(title="gridmap settings")
    for column in ("setting", "value", "from"):
        table.add_column(column)
    for name in Settings.model_fields:
        variable = f"GRIDMAP_{name.upper()}"
        origin = (
            "environment" if variable in os.environ else ("set" if name in settings.model_fields_set else "default")
        )
        table.add_row(variable, shown_value(name, getattr(settings, name)), origin)
    console.print(table)
    reasons = unsafe_reasons(settings)
    for reason in reasons:
        err_console.print(f"[bold red]unsafe:[/] {reason}", highlight=False, soft_wrap=True)
    if reasons:
        raise typer.Exit(EXIT_INPUT_ERROR)
