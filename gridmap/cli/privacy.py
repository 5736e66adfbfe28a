"""`gridmap privacy purge`, `export` and `erase`: residents' personal data in incidents.

Purge and erase change nothing without `--apply`: they print what would be deleted (incident ids and counts,
never names or phones). The server runs the same purge on a timer (settings.purge_interval_s).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from gridmap.cli.common import StoreOption, console, err_console, store_at, user_errors
from gridmap.errors import InvalidInput
from gridmap.incidents.access import RetentionPolicy
from gridmap.services import privacy
from gridmap.services.privacy import Removal
from gridmap.settings import Settings

privacy_app = typer.Typer(
    help="Residents' personal data in incidents: retention, export, erasure.", no_args_is_help=True
)
commands = typer.Typer()  # this module's commands of `gridmap`, imported when used (gridmap.cli.lazy)
commands.add_typer(privacy_app, name="privacy")

ApplyOption = Annotated[bool, typer.Option("--apply", help="Delete; without it, only say what would be deleted.")]
PhoneOption = Annotated[str | None, typer.Option("--phone", help="The phone the resident gave.", show_default=False)]
NameOption = Annotated[str | None, typer.Option("--name", help="The name the resident gave.", show_default=False)]


@privacy_app.command("purge")
@user_errors
def purge(
    apply: ApplyOption = False,
    store_url: StoreOption = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days", min=0, help="Retention days (default: GRIDMAP_RETENTION_DAYS, 180).", show_default=False
        ),
    ] = None,
) -> None:
    """Delete contact details and photos of incidents closed longer ago than the retention period.

    The period is per category: GRIDMAP_RETENTION_DAYS and GRIDMAP_RETENTION_DAYS_BY_CATEGORY (JSON),
    counted from the step that closed, rejected or marked the incident a duplicate.

    Examples:

    \b
      gridmap privacy purge
      gridmap privacy purge --apply
    """
    settings = Settings()
    policy = RetentionPolicy(
        days=settings.retention_days if days is None else days, by_category=dict(settings.retention_days_by_category)
    )
    with store_at(store_url) as store:
        removal = privacy.purge(store, now=datetime.now(UTC), dry_run=not apply, policy=policy)
    _report(removal, "closed incidents past their retention period")


@privacy_app.command("export")
@user_errors
def export(
    phone: PhoneOption = None,
    name: NameOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: standard output).")] = None,
    store_url: StoreOption = None,
) -> None:
    """Write what the incidents hold on a resident (found by exact phone or name) as GeoJSON.

    Examples:

    \b
      gridmap privacy export --phone 13800000000 --out resident.geojson
    """
    _someone(phone, name)
    with store_at(store_url) as store:
        document = privacy.export_resident(store, name=name, phone=phone)
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"Wrote {len(document['features'])} incidents to {out}")


@privacy_app.command("erase")
@user_errors
def erase(
    phone: PhoneOption = None,
    name: NameOption = None,
    apply: ApplyOption = False,
    store_url: StoreOption = None,
) -> None:
    """Delete a resident's contact details and photos from every incident they reported; the incidents stay.

    Examples:

    \b
      gridmap privacy erase --phone 13800000000
      gridmap privacy erase --phone 13800000000 --apply
    """
    _someone(phone, name)
    with store_at(store_url) as store:
        removal = privacy.erase_resident(store, now=datetime.now(UTC), name=name, phone=phone, dry_run=not apply)
    _report(removal, "incidents this resident reported")


def _someone(phone: str | None, name: str | None) -> None:
    if not ((phone and phone.strip()) or (name and name.strip())):
        msg = "give the resident's --phone or --name"
        raise InvalidInput(msg)


def _report(removal: Removal, which: str) -> None:
    """What was (or would be) deleted: counts on stdout, the incident ids on stderr."""
    verb = "would delete" if removal.dry_run else "deleted"
    console.print(
        f"{len(removal.incident_ids)} {which}: {verb} {removal.contacts} contacts and {removal.photos} photos",
        soft_wrap=True,
    )
    if removal.incident_ids:
        err_console.print("incidents: " + ", ".join(removal.incident_ids), soft_wrap=True)
    if removal.dry_run and removal.incident_ids:
        console.print("Nothing was deleted; run again with --apply to delete.")
