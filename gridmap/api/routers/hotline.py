"""The 12345 hotline bridge over HTTP (planners): upload work orders as incidents, download their progress.

The app includes this router before the incident routes, so `/incidents/export-orders` is not taken for an
incident id. The answers name orders by row and order number only, never by what the caller said.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import Field

from gridmap.api.answers import Answer, binary_answer
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import IncidentRulesDep, LocatorsDep, PlannerDep, SettingsDep, StoreDep, VersionsDep
from gridmap.api.problems import BadParameter
from gridmap.api.routers.geocode import address_matchers
from gridmap.api.uploads import saved_upload
from gridmap.errors import InvalidInput
from gridmap.incidents.hotline import class_map
from gridmap.io.orders import (
    CSV_SUFFIXES,
    ORDER_FIELDS,
    XLSX_SUFFIXES,
    OrderFormat,
    TextEncoding,
    parse_mapping,
    read_orders,
    write_orders,
)
from gridmap.services import hotline, incident_access

router = APIRouter(route_class=AnswerRoute, tags=["incidents"])

MEDIA_TYPES = {
    OrderFormat.CSV: "text/csv; charset=utf-8",
    OrderFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class OrderNote(Answer):
    """An order the import names: its row in the file (the header is row 1), its number, and why."""

    row: int
    order_number: str
    reason: str


class OrderImport(Answer):
    """What importing a file of work orders did (or, with dry_run, would do)."""

    orders: int = Field(ge=0, description="Orders in the file")
    imported: int = Field(ge=0, description="Stored now as incidents (with dry_run: that would be)")
    already_imported: int = Field(ge=0, description="Order numbers stored before: nothing added for them")
    dry_run: bool
    not_imported: list[OrderNote] = Field(description="Orders left out (no usable number or time, not placeable)")
    warnings: list[OrderNote] = Field(description="Imported, with a caveat (an unknown class, stored as other)")
    categories: dict[str, int] = Field(description="Imported orders per category code")
    match_levels: dict[str, int] = Field(description="How precisely the registry placed the addresses")
    unknown_classes: dict[str, int] = Field(description="12345 classes the table does not know, with their orders")


@router.post(
    "/incidents/import-orders",
    summary="Import 12345 hotline work orders (CSV or XLSX) as incidents (planners)",
    response_model=OrderImport,
    responses=errors(404, 413, 422),
)
def import_orders(
    request: Request,
    store: StoreDep,
    versions: VersionsDep,
    locators: LocatorsDep,
    rules: IncidentRulesDep,
    settings: SettingsDep,
    user: PlannerDep,
    file: Annotated[UploadFile, File(description="The work orders: CSV (GBK or UTF-8) or XLSX")],
    dry_run: Annotated[bool, Form(description="Place and route every order; store nothing")] = False,
    encoding: Annotated[TextEncoding, Form(description="The CSV's encoding; auto judges it from the file")] = (
        TextEncoding.AUTO
    ),
    mapping: Annotated[
        list[str] | None,
        Form(alias="map", description="COLUMN=FIELD for columns the defaults do not recognise (repeat the field)"),
    ] = None,
) -> dict[str, Any]:
    """Each order geocoded with the address registry, routed to its grid and stored once per order number.

    404 without a published version or an address registry; 422 for a file that is no order file (naming the
    missing columns); orders that cannot be placed are listed in `not_imported`, not refused as a whole.
    """
    columns = parse_mapping(mapping or [], ORDER_FIELDS)
    with saved_upload(file, suffixes=(*CSV_SUFFIXES, *XLSX_SUFFIXES), kind="a CSV or XLSX file of orders") as path:
        orders = read_orders(path, encoding=encoding, mapping=columns, max_unzipped_bytes=settings.max_upload_bytes)
    importer = hotline.HotlineImporter(
        locators=locators,
        version=versions.default(),
        matcher=address_matchers(request).get(),
        classes=class_map(rules.taxonomy),
        rules=rules,
    )
    summary = hotline.import_orders(
        store=store,
        importer=importer,
        orders=orders,
        actor=user.name,
        role=user.role.value,
        at=datetime.now(UTC),
        dry_run=dry_run,
        scope=incident_access.staff_scope(versions, user),
    )
    return summary.as_json()


@router.get(
    "/incidents/export-orders",
    summary="The 12345 orders' progress as the hotline takes it back (planners)",
    response_class=Response,
    responses=binary_answer(*MEDIA_TYPES.values(), description="One row per order"),
)
def export_orders(
    store: StoreDep,
    versions: VersionsDep,
    user: PlannerDep,
    format: Annotated[OrderFormat, Query(description="csv (UTF-8 with BOM) or xlsx")] = OrderFormat.CSV,
    since: Annotated[
        str | None,
        Query(max_length=40, description="Only orders changed since: a date (China time) or ISO 8601 with offset"),
    ] = None,
) -> Response:
    """Order number, time, status in Chinese (办理状态), result note and the time of each stage, per order."""
    try:
        moment = hotline.parse_since(since) if since else None
    except InvalidInput as exc:
        raise BadParameter(exc.detail) from None
    scope = incident_access.staff_scope(versions, user)
    body = write_orders(hotline.export_orders(store=store, since=moment, scope=scope), format=format)
    filename = f"12345-orders.{format.value}"
    return Response(
        body, media_type=MEDIA_TYPES[format], headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
