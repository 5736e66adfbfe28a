"""`gridmap draft ...`: drafts to edit. `draft start` copies a version into a new draft; `draft export` and
`draft import` (the QGIS round trip, in gridmap.cli.draft_io) are registered on the same group.

Further draft commands are added here as `draft_app.command(...)`.
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from gridmap.cli import draft_io
from gridmap.cli.common import StoreOption, console, store_at, user_errors
from gridmap.services import editing as editing_service

draft_app = typer.Typer(
    help="Drafts to edit: start one from a version, export it to QGIS, import it back.", no_args_is_help=True
)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(draft_app, name="draft")


@draft_app.command("start")
@user_errors
def start(
    set_name: Annotated[str, typer.Option("--set", help="Boundary set (a named series of versions).")],
    reason: Annotated[str, typer.Option("--reason", help="Why this draft is made (kept with the version).")],
    from_version: Annotated[
        int | None, typer.Option("--from", help="The version to copy (default: the set's published version).")
    ] = None,
    who: Annotated[str | None, typer.Option("--who", help="Who starts it (default: your login name).")] = None,
    store: StoreOption = None,
) -> None:
    """Start a draft: a copy of a version whose features keep their ids and revisions, ready for edits.

    Examples:

    \b
      gridmap draft start --set shouning --reason "split the market grid"
      gridmap draft start --set shouning --from 3 --reason "redo the 2025 changes"
    """
    with store_at(store) as opened:
        draft = editing_service.start_draft(
            opened, set_name, from_version=from_version, who=who or getpass.getuser(), why=reason
        )
    console.print(
        f"[bold green]Draft[/] version {draft.version.id} of set {draft.version.set_name!r} started from version "
        f"{draft.based_on} ({draft.version.feature_count} features)",
        highlight=False,
    )


draft_app.command("export")(draft_io.export)
draft_app.command("import")(draft_io.import_)
