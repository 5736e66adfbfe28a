"""The `gridmap` command: a thin shell over the services.

Each topic registers its commands from its own module, so that adding one does not touch the others.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="gridmap",
    help="Community grid management (网格化管理): check, repair, store and serve grid boundaries.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


def _register() -> None:
    """Import the command modules; each adds its commands to `app`."""
    from gridmap.cli import (  # noqa: F401
        check,
        config,
        demo,
        households,
        incidents,
        lifecircle,
        privacy,
        registry,
        report,
        serve,
        store,
    )


_register()
