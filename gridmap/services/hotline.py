"""The 12345 hotline bridge: work orders in as incidents, their progress back out, nothing typed twice.

Import: each order of a file (`gridmap.io.orders`) is placed by its address with the store's address
registry, given our category through the hotline class table, routed to its grid like any report, and
stored as an incident of channel 12345 whose id holds the order number (`gridmap.incidents.hotline`), so a
file imported twice adds nothing the second time and says so. An order that cannot be placed (no address,
an address the registry does not know, a place outside every grid) is not imported: an incident always has a
point and a grid, which routing, the maps and the time limits depend on. The summary lists such orders by
row, order number and reason; it never repeats the caller's text, name, phone or address.

Export: every imported order whose incident changed since a moment, with its status in the hotline's words,
the result note and the time each stage was reached.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gridmap.address.match import AddressMatcher
from gridmap.errors import Conflict, InvalidInput, NotFound
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.hotline import (
    FALLBACK_CATEGORY,
    ClassMap,
    OrderProgress,
    order_incident_id,
    order_number_of,
    order_progress,
)
from gridmap.incidents.intake import open_incident
from gridmap.incidents.model import Channel, Contact, Incident
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.routing import DEFAULT_NEAR_BOUNDARY_M, Route, route_report
from gridmap.incidents.workflow import ActorRole
from gridmap.io.orders import OrderFile, OrderRow, parse_order_time
from gridmap.services.incident_clock import IncidentRules, started
from gridmap.services.locator import LocatorCache
from gridmap.store.incident_store import IncidentFilter, IncidentStore
from gridmap.store.version_store import VersionInfo

# An order stamped later than this after the import is refused: its clock is wrong, and workflow steps taken
# now would come "before" its report.
FUTURE_SLACK = timedelta(minutes=10)


@dataclass(frozen=True)
class OrderNote:
    """An order the summary names: its row in the file, its number as given, and why (never its content)."""

    row: int
    order_number: str
    reason: str


@dataclass
class HotlineImport:
    """What an import did (or, on a dry run, would do), in counts and notes that hold no personal data."""

    orders: int = 0
    imported: int = 0
    already_imported: int = 0
    dry_run: bool = False
    not_imported: list[OrderNote] = field(default_factory=list)
    warnings: list[OrderNote] = field(default_factory=list)
    categories: Counter[str] = field(default_factory=Counter)
    match_levels: Counter[str] = field(default_factory=Counter)
    unknown_classes: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, object]:
        """The summary as the API answers it and `--format json` prints it."""
        return {
            "orders": self.orders,
            "imported": self.imported,
            "already_imported": self.already_imported,
            "not_imported": [note.__dict__ for note in self.not_imported],
            "warnings": [note.__dict__ for note in self.warnings],
            "dry_run": self.dry_run,
            "categories": dict(self.categories),
            "match_levels": dict(self.match_levels),
            "unknown_classes": dict(self.unknown_classes),
        }


@dataclass(frozen=True)
class HotlineImporter:
    """What placing and routing orders needs: the published version, its point lookup and the registry's matcher."""

    locators: LocatorCache
    version: VersionInfo
    matcher: AddressMatcher
    classes: ClassMap
    rules: IncidentRules  # the deployment's number prefix and time limits, as for any report
    near_boundary_m: float = DEFAULT_NEAR_BOUNDARY_M


class _Skip(Exception):
    """An order that is not imported, and why (a reason fit for the summary)."""


def import_orders(
    *,
    store: IncidentStore,
    importer: HotlineImporter,
    orders: OrderFile,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    dry_run: bool = False,
    scope: IncidentScope | None = None,
    progress: Callable[[int], None] | None = None,
) -> HotlineImport:
    """Store each order of `orders` as an incident reported by `actor` (nothing stored on a dry run).

    A dispatcher with a `scope` imports the orders routed into it; the others are listed, left for their own
    dispatchers. Orders are stored one by one, so an import stopped half-way keeps what it stored and a second run adds
    the rest. `progress` is called with the number of orders done after each.
    """
    summary = HotlineImport(orders=len(orders.rows), dry_run=dry_run)
    first_rows: dict[str, int] = {}
    for done, order in enumerate(orders.rows, start=1):
        number = order.values["order_number"]
        try:
            incident_id = _order_id(order, first_rows)
            if _stored_already(store, incident_id):
                summary.already_imported += 1
            else:
                incident = _incident(order, incident_id, importer, summary, actor=actor, role=role, at=at)
                if scope is not None and not scope.covers(incident):
                    msg = f"the order is routed to grid {incident.grid_code}, outside the grids you dispatch"
                    raise _Skip(msg)
                stored = dry_run or _store(store, incident, importer.rules)
                summary.imported += stored
                summary.already_imported += not stored
                summary.categories[incident.category] += stored
        except _Skip as skip:
            summary.not_imported.append(OrderNote(order.row, number, str(skip)))
        if progress is not None:
            progress(done)
    return summary


def _order_id(order: OrderRow, first_rows: dict[str, int]) -> str:
    """The incident id of the order; _Skip for an unusable number or one an earlier row of the file had."""
    try:
        incident_id = order_incident_id(order.values["order_number"])
    except InvalidInput as exc:
        raise _Skip(exc.detail) from None
    if incident_id in first_rows:
        msg = f"the order number is also on row {first_rows[incident_id]}; that row's order is the one imported"
        raise _Skip(msg)
    first_rows[incident_id] = order.row
    return incident_id


def _incident(
    order: OrderRow,
    incident_id: str,
    importer: HotlineImporter,
    summary: HotlineImport,
    *,
    actor: str,
    role: ActorRole | str,
    at: datetime,
) -> Incident:
    """The incident an order becomes; _Skip saying why it cannot be imported."""
    values = order.values
    try:
        received = parse_order_time(values["received_at"])
    except InvalidInput as exc:
        raise _Skip(exc.detail) from None
    if received > at + FUTURE_SLACK:
        msg = "the order's time is in the future; correct the hotline system's clock or the file"
        raise _Skip(msg)
    route = _place(values["address"], importer, summary)
    request = ReportRequest(
        service_code=_category(order, importer.classes, summary),
        lon=route.lon,
        lat=route.lat,
        description=values["text"],
        address=values["address"],
        channel=Channel.CITIZEN_HOTLINE,
        media_url=None,
        contact={},
    )
    caller = Contact(name=values["caller_name"] or None, phone=values["caller_phone"] or None)
    return open_incident(
        incident_id=incident_id, request=request, route=route, reporter=actor, role=role, at=received, contact=caller
    )


def _place(address: str, importer: HotlineImporter, summary: HotlineImport) -> Route:
    """The route of the point the registry gives `address`; _Skip when it gives none or it is in no grid."""
    if not address:
        msg = "the order has no address"
        raise _Skip(msg)
    result = importer.matcher.match(address)
    summary.match_levels[result.level.value] += 1
    if not result.matched or result.lon is None or result.lat is None:
        why = result.reason.value if result.reason else "no match"
        msg = f"the address is not in the address registry ({why}): add it and import again, or report it by hand"
        raise _Skip(msg)
    chain = importer.locators.locate(importer.version, result.lon, result.lat).chain
    try:
        return route_report(result.lon, result.lat, chain, near_boundary_m=importer.near_boundary_m)
    except InvalidInput:
        msg = "the address lies outside every grid of the published version"
        raise _Skip(msg) from None


def _category(order: OrderRow, classes: ClassMap, summary: HotlineImport) -> str:
    """Our category for the order's hotline class; "other" with a warning when the table does not know it."""
    hotline_class = order.values["category"]
    category = classes.category_for(hotline_class) if hotline_class else None
    if category is None:
        summary.unknown_classes[hotline_class] += 1
        reason = f"unknown 12345 class {hotline_class!r}" if hotline_class else "no 12345 class"
        number = order.values["order_number"]
        summary.warnings.append(OrderNote(order.row, number, f"{reason}: imported as {FALLBACK_CATEGORY!r}"))
        return FALLBACK_CATEGORY
    return category


def _stored_already(store: IncidentStore, incident_id: str) -> bool:
    try:
        store.get_incident(incident_id)
    except NotFound:
        return False
    return True


def _store(store: IncidentStore, incident: Incident, rules: IncidentRules) -> bool:
    """Store the incident with its short number, its filing clock started when the hotline received the order;
    False when someone stored the same order meanwhile."""
    received = incident.state.reported_at
    try:
        store.create_incident(started(incident, rules, received), now=received, number_prefix=rules.number_prefix)
    except Conflict:
        return False
    return True


def export_orders(
    *, store: IncidentStore, since: datetime | None = None, scope: IncidentScope | None = None
) -> list[OrderProgress]:
    """The progress of every imported order whose incident changed at or after `since` (within a dispatcher's
    `scope`), oldest order first."""
    if since is not None and since.tzinfo is None:
        msg = "since needs a time zone"
        raise InvalidInput(msg)
    return [
        order_progress(incident, number)
        for incident, number in _orders(store, since)
        if scope is None or scope.covers(incident)
    ]


def _orders(store: IncidentStore, since: datetime | None) -> Iterator[tuple[Incident, str]]:
    # The store filters by report time, not by channel or last change: an order received long ago may have
    # been closed yesterday, so every incident is read and the orders picked here.
    for incident in store.iter_incidents(IncidentFilter()):
        number = order_number_of(incident)
        if number is not None and (since is None or incident.state.updated_at >= since):
            yield incident, number


def parse_since(text: str) -> datetime:
    """A `since` option: a date (midnight China time) or a date and time (with an offset, or China time)."""
    try:
        return parse_order_time(text)
    except InvalidInput:
        msg = f"since {text!r} is not a date (2026-11-01) or a date and time (2026-11-01T08:00:00+08:00)"
        raise InvalidInput(msg) from None
