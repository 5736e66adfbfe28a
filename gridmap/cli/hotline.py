"""`gridmap incidents import-orders` and `export-orders`: the 12345 hotline's work orders in and their progress out.

Registered on the `incidents` group by `gridmap.cli.incidents`; the services do the work
(`gridmap.services.hotline`). The output names orders by row and order number only: the caller's text, name,
phone and address never reach the terminal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from gridmap.cli.common import StoreOption, console, store_at, user_errors
from gridmap.io.orders import EXPORT_HEADERS, ORDER_FIELDS, OrderFormat, TextEncoding

if TYPE_CHECKING:
    from gridmap.services.hotline import HotlineImport
    from gridmap.services.incident_clock import IncidentRules

MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="COLUMN=FIELD for a column the defaults do not recognise (repeatable).",
        show_default=False,
    ),
]
SHOWN_NOTES = 50  # orders listed by row; the rest are counted


@user_errors
def import_orders(
    path: Annotated[Path, typer.Argument(help="The work orders: CSV (GBK or UTF-8) or XLSX.", show_default=False)],
    store_url: StoreOption = None,
    encoding: Annotated[TextEncoding, typer.Option(help="The CSV's encoding (auto: judged from the file).")] = (
        TextEncoding.AUTO
    ),
    mapping: MapOption = None,
    classes: Annotated[
        Path | None,
        typer.Option(help="A TOML/JSON table of 12345 classes to our categories, over the built-in one."),
    ] = None,
    who: Annotated[str, typer.Option(help="Who the incidents' trails say reported them.")] = "12345",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Place and route every order; store nothing.")] = False,
) -> None:
    """Import 12345 hotline work orders as incidents: geocoded, routed, stored once per order number.

    Recognised headers: 工单编号, 受理时间, 诉求内容, 事发地址, 诉求分类 (and 来电人, 联系电话); name
    others with --map, fields: order_number, received_at, text, address, category, caller_name, caller_phone.
    Orders whose address cannot be placed are listed and not imported.

    Examples:

    \b
      gridmap incidents import-orders 12345-2026-11.csv
      gridmap incidents import-orders orders.xlsx --map 工单号码=order_number --dry-run
    """
    from gridmap.cli.incidents import import_progress
    from gridmap.incidents.hotline import class_map
    from gridmap.incidents.workflow import ActorRole
    from gridmap.io.orders import parse_mapping, read_orders
    from gridmap.services.address_registry import RegistryMatchers
    from gridmap.services.boundaries import published_version
    from gridmap.services.hotline import HotlineImporter
    from gridmap.services.hotline import import_orders as import_service
    from gridmap.services.locator import LocatorCache

    orders = read_orders(path, encoding=encoding, mapping=parse_mapping(mapping or [], ORDER_FIELDS))
    rules = incident_rules()
    table = class_map(rules.taxonomy, classes)
    with store_at(store_url) as store:
        matcher = RegistryMatchers(store).get()  # NotFound, saying how to load one, without a registry
        importer = HotlineImporter(LocatorCache(store), published_version(store), matcher, table, rules)
        with import_progress(len(orders.rows), generating=False) as progress:
            summary = import_service(
                store=store,
                importer=importer,
                orders=orders,
                actor=who,
                role=ActorRole.PLANNER,
                at=datetime.now(UTC),
                dry_run=dry_run,
                progress=progress,
            )
    print_summary(summary, path)


def incident_rules() -> IncidentRules:
    """The deployment's incident rules (number prefix, time limits, categories) from the settings, as the server
    loads them."""
    from gridmap.services.incident_clock import rules_from_settings
    from gridmap.settings import Settings

    return rules_from_settings(Settings())


def print_summary(summary: HotlineImport, path: Path) -> None:
    """The import's counts, then the orders left out and the warnings, by row and order number."""
    verb = "would be imported (dry run: nothing stored)" if summary.dry_run else "imported"
    console.print(f"{summary.orders:,} orders in {escape(path.name)}: {summary.imported:,} {verb}", soft_wrap=True)
    if summary.already_imported:
        console.print(f"{summary.already_imported:,} imported before: nothing added for them")
    if summary.orders and summary.already_imported == summary.orders:
        console.print("nothing new: every order of the file was imported before")
    if summary.categories:
        counts = ", ".join(f"{code} {count}" for code, count in summary.categories.most_common())
        console.print(f"by category: {counts}", soft_wrap=True)
    for title, notes in (("not imported", summary.not_imported), ("warnings", summary.warnings)):
        if not notes:
            continue
        console.print(f"{title}: {len(notes):,}")
        for note in notes[:SHOWN_NOTES]:
            line = f"  row {note.row}, order {escape(note.order_number) or '(none)'}: {escape(note.reason)}"
            console.print(line, soft_wrap=True, highlight=False)
        if len(notes) > SHOWN_NOTES:
            console.print(f"... and {len(notes) - SHOWN_NOTES:,} more {title}")


@user_errors
def export_orders(
    out: Annotated[Path, typer.Option("--out", help="The file to write (.csv or .xlsx).", show_default=False)],
    store_url: StoreOption = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only orders changed since: a date (China time) or a date and time with offset."),
    ] = None,
    format: Annotated[
        OrderFormat | None, typer.Option("--format", help="csv or xlsx (default: from --out's suffix).")
    ] = None,
    mapping: MapOption = None,
) -> None:
    """Write the 12345 orders' progress back for the hotline system: status in Chinese, result, stage times.

    Columns: 工单编号, 受理时间, 办理状态, 办理结果, 签收时间, 派遣时间, 办结时间, 结案时间; rename any with
    --map COLUMN=FIELD (fields: order_number, received_at, status, result, accepted_at, dispatched_at,
    resolved_at, closed_at) to match the hotline's own template.

    Examples:

    \b
      gridmap incidents export-orders --out 12345-progress.xlsx --since 2026-11-01
    """
    from gridmap.io.orders import order_format, parse_mapping, write_orders
    from gridmap.services.hotline import export_orders as export_service
    from gridmap.services.hotline import parse_since

    kind = format or order_format(out)
    renamed = parse_mapping(mapping or [], list(EXPORT_HEADERS))
    moment = parse_since(since) if since else None
    with store_at(store_url) as store:
        orders = export_service(store=store, since=moment)
    out.write_bytes(write_orders(orders, format=kind, mapping=renamed))
    console.print(f"{len(orders):,} orders written to {escape(str(out))}", soft_wrap=True)
