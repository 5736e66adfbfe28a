"""`gridmap serve`: the HTTP API and the map viewer under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from gridmap.cli.common import console, user_errors

commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)


@commands.command()
@user_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log every request.")] = True,
) -> None:
    """Serve the API (/api/v1, docs at /docs) and the map viewer (/) on GRIDMAP_DATABASE_URL.

    Nothing is loaded into an empty database: load real data (see the README) or the demo (`gridmap demo load`).

    Examples:

    \b
      gridmap serve
      GRIDMAP_DATABASE_URL=postgresql+psycopg://gridmap@db/gridmap gridmap serve --host 0.0.0.0 --workers 2
    """
    import uvicorn

    from gridmap.api.app import prepare_store
    from gridmap.services.incident_clock import rules_from_settings
    from gridmap.settings import Settings, refuse_unsafe
    from gridmap.store import display_url

    settings = Settings()
    refuse_unsafe(settings)
    rules_from_settings(settings)  # a bad time-limit or category file: one line here, not a worker's traceback
    # Once here rather than in each worker's lifespan, so that workers never race to create tables.
    prepare_store(settings).close()
    console.print(
        f"gridmap on http://{host}:{port}/ (API docs at /docs), boundaries in {display_url(settings.database_url)}",
        soft_wrap=True,
    )
    uvicorn.run(
        "gridmap.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        proxy_headers=False,
    )
