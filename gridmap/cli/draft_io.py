"""`gridmap draft export` and `gridmap draft import`: the QGIS round trip of a draft (gridmap.services.draft_import).

The commands live on the `draft` group of gridmap.cli.draft; this module holds them and their printing.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gridmap.cli.common import StoreOption, console, err_console, source_crs, store_at, user_errors
from gridmap.errors import EXIT_CONFLICT, EXIT_PROBLEMS_FOUND
from gridmap.services import draft_import as import_service
from gridmap.services.draft_import import DraftImport, Resolution

DraftArgument = Annotated[int, typer.Argument(help="The draft's version number, as `gridmap versions` lists it.")]


@user_errors
def export(
    draft: DraftArgument,
    out: Annotated[Path, typer.Option("--out", help="GeoPackage (.gpkg) or GeoJSON (.geojson) to write.")],
    crs: Annotated[
        str | None, typer.Option("--crs", help="Write in this CRS (e.g. EPSG:4549) rather than WGS-84 (EPSG:4326).")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Write a draft for editing in QGIS: one layer named after the set, each feature with its id and revision.

    Keep the feature_id and revision fields: `gridmap draft import` matches rows by them, finds each feature as
    exported in the draft's history, and so tells the features only you changed from the ones the draft
    changed too (conflicts).

    Examples:

    \b
      gridmap draft export 4 --out aoyang-draft.gpkg
      gridmap draft export 4 --out aoyang-draft.gpkg --crs EPSG:4549
    """
    with store_at(store) as opened:
        written = import_service.export_draft(store=opened, version_id=draft, path=out, crs=crs)
    console.print(f"Wrote draft {draft} to {written}")


@user_errors
def import_(
    file: Annotated[Path, typer.Argument(help="The edited GeoPackage or GeoJSON.", show_default=False)],
    into: Annotated[int, typer.Option("--into", help="The draft's version number.")],
    commit: Annotated[bool, typer.Option("--commit", help="Store the changes (one undoable edit).")] = False,
    theirs: Annotated[bool, typer.Option("--theirs", help="In a conflict the file wins.")] = False,
    ours: Annotated[bool, typer.Option("--ours", help="In a conflict the draft wins: skip those rows.")] = False,
    delete_missing: Annotated[
        bool, typer.Option("--delete-missing", help="Delete the draft's features the file lacks (else: listed, kept).")
    ] = False,
    layer: Annotated[
        str | None, typer.Option("--layer", help="The layer to read (default: the polygon layer).")
    ] = None,
    crs: Annotated[
        str | None,
        typer.Option("--crs", help="The file's CRS when it declares none or a wrong one (gcj02, EPSG:4549)."),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the draft's history).")] = "imported from QGIS",
    store: StoreOption = None,
) -> None:
    """Diff an edited file against a draft, check the result, and store it with --commit as one undoable edit.

    Rows match the draft's features by feature_id (rows without one by code; the others are new features).
    A row you left as exported keeps the draft's feature, even when the draft changed it since; a row only
    you changed is applied; a row that you and the draft both changed, differently, is a conflict: refused
    unless --theirs (the file wins) or --ours (the draft wins). Features missing from the file are kept
    unless --delete-missing.

    Exit status: 0 fine (stored with --commit), 1 the check finds new problems, 2 the file cannot be used,
    4 unresolved conflicts or the draft changed meanwhile.

    Examples:

    \b
      gridmap draft import aoyang-draft.gpkg --into 4
      gridmap draft import aoyang-draft.gpkg --into 4 --ours --commit --reason "城东 grids redrawn in QGIS"
    """
    if theirs and ours:
        raise typer.BadParameter("choose one of --theirs and --ours", param_hint="--theirs/--ours")
    resolution = Resolution.THEIRS if theirs else Resolution.OURS if ours else Resolution.NONE
    with store_at(store) as opened:
        planned = import_service.plan_draft_import(
            store=opened,
            version_id=into,
            path=file,
            layer=layer,
            source_crs=source_crs(crs),
            resolution=resolution,
            delete_missing=delete_missing,
        )
        print_import(planned)
        if planned.unresolved:
            err_console.print("[bold red]gridmap:[/] conflicts: choose --theirs or --ours; nothing stored")
            raise typer.Exit(EXIT_CONFLICT)
        if planned.new_problems:
            err_console.print("[bold red]gridmap:[/] the check finds new problems; nothing stored")
            raise typer.Exit(EXIT_PROBLEMS_FOUND)
        if not commit:
            console.print("Nothing stored (a dry run): add --commit to store the import as one undoable edit")
            return
        import_service.commit_draft_import(store=opened, planned=planned, who=getpass.getuser(), why=reason)
    if planned.edit is None:
        console.print("The file changes nothing: no edit stored")
    else:
        console.print(f"[bold green]Stored[/] the import as one edit of draft {into} (undo reverts it whole)")


def print_import(planned: DraftImport) -> None:
    """The import as tables: what changes, what is kept, the conflicts and the check of the result."""
    input_crs = "" if planned.input_crs == "wgs84" else f", from {planned.input_crs}"
    console.print(f"Importing {planned.file} (layer {planned.layer!r}{input_crs}) into draft {planned.version_id}:")
    if planned.empty and not planned.conflicts:
        console.print("no changes")
    tables: list[Table] = []
    if planned.reshaped:
        table = Table("code", "area before m2", "area after m2", "change m2", title=f"{len(planned.reshaped)} reshaped")
        for r in planned.reshaped:
            table.add_row(r.code, f"{r.area_before_m2:,.1f}", f"{r.area_after_m2:,.1f}", f"{r.area_change_m2:+,.1f}")
        tables.append(table)
    if planned.changed:
        table = Table("code", "property", "before", "after", title=f"{len(planned.changed)} with new properties")
        for c in planned.changed:
            for name, (before, after) in c.changes.items():
                table.add_row(c.code, name, "" if before is None else str(before), "" if after is None else str(after))
        tables.append(table)
    if planned.added:
        table = Table("code", "name", "level", "parent", title=f"{len(planned.added)} added")
        for f in planned.added:
            table.add_row(f.code, f.name, f.level or "", f.parent or "")
        tables.append(table)
    kept = "not in the file, kept" + ("" if planned.delete_missing else " (--delete-missing)")
    for refs, title in ((planned.removed, "removed"), (planned.missing, kept)):
        if refs:
            table = Table("code", "name", "feature_id", title=f"{len(refs)} {title}")
            for ref in refs:
                table.add_row(ref.code, ref.name, ref.feature_id)
            tables.append(table)
    if planned.conflicts:
        wins = {Resolution.NONE: "unresolved", Resolution.THEIRS: "the file wins", Resolution.OURS: "skipped"}
        table = Table(
            "code",
            "feature_id",
            "file revision",
            "draft revision",
            "file changed",
            "draft changed",
            "changed by",
            title=f"{len(planned.conflicts)} conflicts: {wins[planned.resolution]}",
        )
        for conflict in planned.conflicts:
            draft_revision = "deleted" if conflict.draft_revision is None else str(conflict.draft_revision)
            changed_by = " ".join(part for part in (conflict.changed_by, conflict.op) if part)
            table.add_row(
                conflict.code,
                conflict.feature_id,
                str(conflict.file_revision),
                draft_revision,
                _changed(conflict.file_changed),
                _changed(conflict.draft_changed),
                changed_by,
            )
        tables.append(table)
    for table in tables:
        console.print(table)
    for note in planned.notes:
        console.print(f"[yellow]note[/] {note}", highlight=False)
    _print_check(planned)


def _changed(names: tuple[str, ...] | None) -> str:
    """What one side of a conflict changed, in words ("unknown" when the draft's history lost the base)."""
    return "unknown" if names is None else ", ".join(names)


def _print_check(planned: DraftImport) -> None:
    """The check of the draft as the import would leave it: its new problems, or that it passes."""
    errors = planned.check.errors
    verdict = "[green]passes[/]" if planned.check.ok else f"[red]{errors} errors[/]"
    console.print(f"Check of the draft with the import applied: {verdict}, {len(planned.new_problems)} new problems")
    for problem in planned.new_problems:
        colour = "red" if problem.severity.value == "error" else "yellow"
        console.print(f"  [{colour}]{problem.kind.value}[/] {problem.message}", highlight=False, soft_wrap=True)
