"""What every command shares: consoles, the error-to-exit-code rule, and the boundary-file options."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from typer.exceptions import TyperException

from gridmap.errors import EXIT_INTERNAL_ERROR, GridmapError
from gridmap.geo.hierarchy import Level, parse_level
from gridmap.io.boundaries import FieldMapping, SourceCrs

if TYPE_CHECKING:
    from distributed import Client

    from gridmap.store import BoundaryStore

console = Console()
err_console = Console(stderr=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store", help="Database URL (default: GRIDMAP_DATABASE_URL, else sqlite:///gridmap.db).", show_default=False
    ),
]

P = ParamSpec("P")
R = TypeVar("R")


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """A GridmapError becomes a one-line message on stderr and its class's exit code, never a traceback; any other
    exception is a bug: its traceback, and exit code 3, so that a crash never looks like "problems found" (1)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except GridmapError as err:
            err_console.print(f"[bold red]gridmap:[/] {err.detail}", highlight=False, soft_wrap=True)
            raise typer.Exit(err.exit_code) from None
        except (typer.Exit, typer.Abort, TyperException, KeyboardInterrupt):  # usage errors are click's to print
            raise
        except Exception:
            err_console.print_exception()
            err_console.print("[bold red]gridmap: internal error[/] (a bug, please report it with the traceback above)")
            raise typer.Exit(EXIT_INTERNAL_ERROR) from None

    return wrapper


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off for a batch command's work (back on after). Reading a country's GeoJSON and
    writing its 77,000 problems make millions of lists, dicts and tuples but no cycles, and the collector's passes
    over them cost 2-4 s of a 30 s check; the command is the process, so nothing else is held up by it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def store_at(url: str | None) -> Iterator[BoundaryStore]:
    """The store at `url` (or the configured one); SQLite gets its tables on first use.

    The store package (SQLAlchemy, GeoAlchemy2, Alembic) and the settings are imported here, by the commands that
    open a store, so that the file commands (`check`, `fix`) start without them.
    """
    from gridmap.settings import Settings
    from gridmap.store import open_store

    url = url or Settings().database_url
    store = open_store(url, upgrade=url.startswith("sqlite"))
    try:
        yield store
    finally:
        store.close()


@contextmanager
def stage_progress(enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr naming the current stage of a long job; yields the callback that advances it."""
    if not enabled:
        yield lambda _: None
        return
    if not (err_console.is_terminal or err_console.is_jupyter):
        # a file or a pipe shows no spinner: rich's Progress only writes an empty line there when it stops, so this
        # does the same, without importing rich.progress or starting its refresh thread
        try:
            yield lambda _: None
        finally:
            err_console.print()
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("starting", total=None)
        yield lambda stage: progress.update(task, description=stage)


CodeField = Annotated[str, typer.Option(help="Property holding the feature code (e.g. adcode).")]
NameField = Annotated[str, typer.Option(help="Property holding the name.")]
ParentField = Annotated[str, typer.Option(help="Property holding the parent's code.")]
LevelField = Annotated[
    str, typer.Option(help="Property holding the level (community/grid/microgrid or 社区/网格/微网格).")
]
LevelOption = Annotated[
    str | None, typer.Option("--level", help="Treat every feature as this level (community, grid, microgrid).")
]
FlatOption = Annotated[
    bool, typer.Option("--flat", help="Ignore levels and parents: check the file as one flat coverage.")
]
CrsOption = Annotated[
    str | None,
    typer.Option(
        "--crs",
        help="Coordinate system of the input when it does not declare one: wgs84 (default), gcj02 (Amap, "
        "DataV, WeChat), bd09 (Baidu), cgcs2000, or EPSG:NNNN. Overrides the file's own declaration.",
    ),
]
PathsArgument = Annotated[
    list[Path], typer.Argument(help="Boundary files (.geojson, .gpkg, .shp) or folders of them.", show_default=False)
]
AllowOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--allow",
        help="GeoJSON (WGS-84) of gaps and overlaps allowed on purpose, properties kind (gap|overlap), reason, "
        "codes?: listed as allowed, never failing (not even with --strict), and never repaired. Repeatable.",
        show_default=False,
    ),
]


class Engine(StrEnum):
    """Where a command's work runs."""

    LOCAL = "local"
    DASK = "dask"


EngineOption = Annotated[
    Engine,
    typer.Option(
        help="local: this machine's processes; dask: the workers of a Dask cluster (pip install 'gridmap[dask]'; "
        "see docs/scale.md). The answers are the same."
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="With --engine dask: a running scheduler to use, e.g. tcp://10.0.0.5:8786 (its workers must see the "
        "input and output paths).",
        show_default=False,
    ),
]
DaskWorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="With --engine dask and no --scheduler: start this many worker processes here (one thread each) "
        "for the run. Default: every core this process may use.",
        show_default=False,
    ),
]


@contextmanager
def dask_engine(engine: Engine, scheduler: str | None, workers: int | None) -> Iterator[Client | None]:
    """The Dask client the engine options ask for (None for the local engine); a cluster started here is closed."""
    if engine is Engine.LOCAL:
        if scheduler is not None or workers is not None:
            hint = "--scheduler" if scheduler is not None else "--workers"
            raise typer.BadParameter("needs --engine dask", param_hint=hint)
        yield None
        return
    from gridmap.services.dask_cluster import dask_client

    with dask_client(scheduler=scheduler, workers=workers) as client:
        yield client


def field_mapping(
    code_field: str, name_field: str, parent_field: str, level_field: str, level: str | None, flat: bool = False
) -> FieldMapping:
    """The FieldMapping the field options describe."""
    forced: Level | None = None
    if level is not None:
        forced = parse_level(level)
        if forced is None:
            raise typer.BadParameter(f"unknown level {level!r}; use community, grid or microgrid", param_hint="--level")
    return FieldMapping(
        code_field=code_field,
        name_field=name_field,
        parent_field=parent_field,
        level_field=level_field,
        level=forced,
        flat=flat,
    )


def source_crs(text: str | None) -> SourceCrs | None:
    """The --crs option parsed, or None to use what the file declares."""
    return SourceCrs.parse(text) if text else None
