"""Stored boundaries from the command line: `gridmap db upgrade`, `import`, `publish`, `versions`, `diff` and
`export` (users and tokens: gridmap.cli.users).

The database is GRIDMAP_DATABASE_URL (default sqlite:///gridmap.db). An embedded SQLite database gets its
tables on first use; a PostGIS database is migrated only by `gridmap db upgrade`.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gridmap.cli.common import (
    CodeField,
    CrsOption,
    LevelField,
    LevelOption,
    NameField,
    ParentField,
    PathsArgument,
    console,
    err_console,
    field_mapping,
    source_crs,
    user_errors,
)
from gridmap.services import boundaries as boundary_service
from gridmap.services import household_impact as impact_service
from gridmap.services.household_impact import HouseholdImpact
from gridmap.settings import Settings
from gridmap.store import BoundaryStore, display_url, open_store, upgrade_database
from gridmap.store.version_store import CheckFailed, VersionDiff, VersionInfo

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(db_app, name="db")

SetOption = Annotated[str, typer.Option("--set", help="Boundary set (a named series of versions).")]
WhoOption = Annotated[str | None, typer.Option("--who", help="Who does this (default: your login name).")]
VersionArgument = Annotated[int, typer.Argument(help="Version number, as `gridmap versions` lists it.")]


class DiffFormat(StrEnum):
    """How `gridmap diff` prints."""

    TEXT = "text"
    JSON = "json"


class ExportFormat(StrEnum):
    """File formats `gridmap export` writes."""

    GEOJSON = "geojson"
    GPKG = "gpkg"
    SHP = "shp"


@contextmanager
def _store() -> Iterator[BoundaryStore]:
    """The configured store; SQLite is migrated on first use, PostGIS only by `gridmap db upgrade`."""
    url = Settings().database_url
    store = open_store(url, upgrade=url.startswith("sqlite"))
    try:
        yield store
    finally:
        store.close()


def _who(who: str | None) -> str:
    return who or getpass.getuser()


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%MZ")


@db_app.command("upgrade")
@user_errors
def db_upgrade() -> None:
    """Create or migrate the tables of GRIDMAP_DATABASE_URL to this gridmap's schema.

    Examples:

    \b
      gridmap db upgrade
      GRIDMAP_DATABASE_URL=postgresql+psycopg://gridmap@db.example/gridmap gridmap db upgrade
    """
    url = Settings().database_url
    revision = upgrade_database(url)
    console.print(f"Database {display_url(url)} is at schema revision {revision}")


@commands.command("import")
@user_errors
def import_(
    paths: PathsArgument,
    set_name: SetOption = boundary_service.DEFAULT_SET,
    who: WhoOption = None,
    why: Annotated[str | None, typer.Option("--why", help="Why this version (default: the files' names).")] = None,
    publish: Annotated[bool, typer.Option("--publish", help="Publish at once if the full check passes.")] = False,
    code_field: CodeField = "code",
    name_field: NameField = "name",
    parent_field: ParentField = "parent",
    level_field: LevelField = "level",
    level: LevelOption = None,
    crs: CrsOption = None,
) -> None:
    """Store boundary files as a new draft version (features keep their ids by code across versions).

    Exit status: 0 stored (and published with --publish), 1 the check refused to publish, 2 bad input.

    Examples:

    \b
      gridmap import data/boundaries/shouning_aoyang.geojson --why "2025 survey" --publish
      gridmap import grids.gpkg --set aoyang --who 张发敏 --why "城东 grid 3 split in two"
      gridmap import fujian.geojson --crs gcj02 --code-field adcode --level community
    """
    mapping = field_mapping(code_field, name_field, parent_field, level_field, level)
    reason = why or "imported from " + ", ".join(p.name for p in paths)
    with _store() as store:
        result = boundary_service.import_boundaries(
            store, paths, set_name=set_name, who=_who(who), why=reason, mapping=mapping, source_crs=source_crs(crs)
        )
        for problem in result.read_problems:
            err_console.print(f"[yellow]{problem.kind.value}[/] {problem.message}", highlight=False, soft_wrap=True)
        version = result.version
        console.print(
            f"Stored {version.feature_count} features as draft version {version.id} of set {version.set_name!r}"
        )
        if publish:
            _publish(store, version.id, who=_who(who), why=reason)


@commands.command()
@user_errors
def publish(
    version: VersionArgument,
    who: WhoOption = None,
    why: Annotated[str, typer.Option("--why", help="Why this version replaces the published one.")] = (
        "published from the command line"
    ),
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace whatever is published, even if published meanwhile.")
    ] = False,
) -> None:
    """Run the full check on a draft and, if it passes, publish it (retiring the set's published version).

    The published version is read just before publishing: if another is published while the check runs,
    nothing changes and the command names it (exit 2), unless --replace.

    Exit status: 0 published, 1 the check found errors (nothing changed), 2 no such draft or published meanwhile.

    Examples:

    \b
      gridmap publish 3 --why "approved at the joint meeting"
    """
    with _store() as store:
        _publish(store, version, who=_who(who), why=why, force=replace)


def _publish(store: BoundaryStore, version_id: int, *, who: str, why: str, force: bool = False) -> None:
    try:
        version = boundary_service.publish_version(store, version_id, who=who, why=why, force=force)
    except CheckFailed as refusal:
        for problem in refusal.report.get("problems", []):
            colour = "red" if problem.get("severity") == "error" else "yellow"
            err_console.print(f"[{colour}]{problem.get('kind')}[/] {problem.get('message')}", highlight=False)
        err_console.print(f"[bold red]gridmap:[/] {refusal.detail}", highlight=False, soft_wrap=True)
        raise typer.Exit(refusal.exit_code) from None
    console.print(f"[bold green]Published[/] version {version.id} of set {version.set_name!r}")


@commands.command()
@user_errors
def versions(
    set_name: Annotated[str | None, typer.Option("--set", help="Only this boundary set.")] = None,
) -> None:
    """List boundary versions: status, features, who made and published them, when and why.

    Examples:

    \b
      gridmap versions
      gridmap versions --set aoyang
    """
    with _store() as store:
        listed = boundary_service.set_versions(store=store, name=set_name)
    if not listed:
        console.print("No boundary versions yet: store some with `gridmap import FILE`")
        return
    _print_versions(listed)


def _print_versions(listed: list[VersionInfo]) -> None:
    """One block per version: a headline, then who created, published and retired it, when and why."""
    colours = {"draft": "yellow", "published": "bold green", "retired": "dim"}
    for v in listed:
        status = f"[{colours[v.status.value]}]{v.status.value}[/]"
        console.print(f"[bold]version {v.id}[/]  set {v.set_name!r}  {status}  {v.feature_count} features")
        console.print(f"    created   {_when(v.created_at)} by {v.created_by}: {v.reason}", highlight=False)
        if v.published_at is not None:
            console.print(
                f"    published {_when(v.published_at)} by {v.published_by}: {v.publish_reason}", highlight=False
            )
        if v.retired_at is not None:
            console.print(f"    retired   {_when(v.retired_at)}", highlight=False)


@commands.command()
@user_errors
def diff(
    from_version: Annotated[int, typer.Argument(help="The older version.")],
    to_version: Annotated[int, typer.Argument(help="The newer version.")],
    output_format: Annotated[DiffFormat, typer.Option("--format", help="text for people, json for tools.")] = (
        DiffFormat.TEXT
    ),
) -> None:
    """What changed between two versions: features added, removed, reshaped (area in m2), renamed or edited.

    Examples:

      gridmap diff 1 2

      gridmap diff 1 2 --format json > changes.json

    Also counts the stored households that would change grid, per (from grid, to grid).
    """
    with _store() as store:
        changes = boundary_service.diff_versions(store, from_version, to_version)
        impact = impact_service.household_impact(store, from_version, to_version)
    if output_format is DiffFormat.JSON:
        answer = changes.to_json()
        answer["households"] = impact.to_json(with_households=False)
        typer.echo(json.dumps(answer, ensure_ascii=False))
        return
    _print_diff(changes)
    _print_impact(impact)


def _print_diff(changes: VersionDiff) -> None:
    console.print(f"From version {changes.from_version} to version {changes.to_version}:")
    if changes.empty:
        console.print("no changes")
        return
    for title, features in (("added", changes.added), ("removed", changes.removed)):
        if features:
            table = Table("code", "name", "level", title=f"{len(features)} {title}")
            for f in features:
                table.add_row(f.code, f.name, f.level.value if f.level else "")
            console.print(table)
    if changes.reshaped:
        table = Table("code", "area before m2", "area after m2", "change m2", title=f"{len(changes.reshaped)} reshaped")
        for r in changes.reshaped:
            table.add_row(r.code, f"{r.area_before_m2:,.1f}", f"{r.area_after_m2:,.1f}", f"{r.area_change_m2:+,.1f}")
        console.print(table)
    if changes.changed:
        table = Table("code", "property", "before", "after", title=f"{len(changes.changed)} with new properties")
        for c in changes.changed:
            for name, (before, after) in c.changes.items():
                table.add_row(c.code, name, "" if before is None else str(before), "" if after is None else str(after))
        console.print(table)


def _print_impact(impact: HouseholdImpact) -> None:
    if not impact.moved:
        console.print("no household changes grid")
        return
    table = Table("from grid", "to grid", "households", title=f"{impact.moved} households change grid")
    for pair in impact.pairs:
        table.add_row(pair.from_grid or "(uncovered)", pair.to_grid or "(uncovered)", str(pair.count))
    console.print(table)


@commands.command()
@user_errors
def export(
    version: Annotated[int, typer.Option("--version", help="Version number to write.")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    output_format: Annotated[ExportFormat, typer.Option("--format", help="File format.")] = ExportFormat.GEOJSON,
) -> None:
    """Write a stored version to a file (WGS-84), ready to edit and import again.

    Examples:

    \b
      gridmap export --version 2 --format geojson --out aoyang-v2.geojson
      gridmap export --version 2 --format gpkg --out aoyang-v2.gpkg
    """
    with _store() as store:
        written = boundary_service.export_version(store, version, out, output_format.value)
    console.print(f"Wrote version {version} to {written}")
