"""Open311 GeoReport v2 shapes: the service list, request items, a parsed POST, and paging.

The mapping (docs/incidents.md): a category is a service (`service_code` = category code); statuses
reported..in_progress are `open`, resolved/closed/rejected/duplicate are `closed`, with the native status
in `status_notes`. Coordinates may arrive in GCJ-02 or BD-09 (WeChat, Amap, Baidu) through our `datum`
extension field and are stored in WGS-84. The reporter's contact fields are personal information: they are
parsed for the store and never echoed in request items.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, TypeVar

from gridmap.errors import InvalidInput
from gridmap.geo.crs import Datum, parse_datum, to_wgs84
from gridmap.geo.generalise import generalise
from gridmap.incidents.model import Channel, Contact, Incident
from gridmap.incidents.taxonomy import Taxonomy
from gridmap.incidents.workflow import AuditAction, Status

OPEN311_STATUS: dict[Status, str] = {
    Status.REPORTED: "open",
    Status.ACCEPTED: "open",
    Status.DISPATCHED: "open",
    Status.IN_PROGRESS: "open",
    Status.RESOLVED: "closed",
    Status.CLOSED: "closed",
    Status.REJECTED: "closed",
    Status.DUPLICATE: "closed",
}
STATUS_NOTES: dict[Status, str] = {
    Status.REPORTED: "reported: waiting to be accepted",
    Status.ACCEPTED: "accepted: waiting to be dispatched",
    Status.DISPATCHED: "dispatched to the grid worker",
    Status.IN_PROGRESS: "in progress",
    Status.RESOLVED: "resolved: waiting for the community's check",
    Status.CLOSED: "closed",
    Status.REJECTED: "rejected",
    Status.DUPLICATE: "duplicate of another request",
}
MAX_DESCRIPTION_CHARS = 4000  # the GeoReport v2 limit
_CONTACT_FIELDS = ("email", "first_name", "last_name", "phone", "device_id", "account_id")


def services(taxonomy: Taxonomy, *, language: str = "zh") -> list[dict[str, Any]]:
    """`services.json`: one realtime service without extra attributes per active category."""
    return [
        {
            "service_code": category.code,
            "service_name": category.name(language),
            "description": category.description,
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(k for k in (category.name_zh, category.name_en) if k),
            "group": category.gbt_class.value.split(":", 1)[1] if category.gbt_class else "",
        }
        for category in taxonomy.active()
    ]


def request_item(
    incident: Incident, taxonomy: Taxonomy, *, language: str = "zh", agency: str | None = None
) -> dict[str, Any]:
    """One element of `requests.json` / `requests/{id}.json` for an incident (no personal information)."""
    status = incident.state.status
    notes = STATUS_NOTES[status]
    # The note of the step into the current status (e.g. why it was rejected), never a resident's comment.
    steps = [e for e in incident.audit if e.action is AuditAction.TRANSITION and e.to_status is status]
    if steps and steps[-1].note:
        notes = f"{notes}: {steps[-1].note}"
    return {
        "service_request_id": incident.id,
        "status": OPEN311_STATUS[status],
        "status_notes": notes,
        "service_name": taxonomy.get(incident.category).name(language),
        "service_code": incident.category,
        "description": incident.description,
        "agency_responsible": agency or incident.community_code,
        "service_notice": None,
        "requested_datetime": _w3c(incident.state.reported_at),
        "updated_datetime": _w3c(incident.state.updated_at),
        "expected_datetime": None,
        "address": incident.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": incident.lat,
        "long": incident.lon,
        "media_url": incident.photo_urls[0] if incident.photo_urls else None,
    }


def public_request_item(
    incident: Incident, taxonomy: Taxonomy, location_m: float, *, language: str = "zh"
) -> dict[str, Any]:
    """`request_item` as the public sees it: the point generalised to a `location_m` grid, the description only
    once staff approved it (empty before: GeoReport v2 allows that), no address, staff note or photo."""
    lon, lat = generalise(incident.lon, incident.lat, location_m)
    return {
        **request_item(incident, taxonomy, language=language),
        "status_notes": STATUS_NOTES[incident.state.status],
        "description": incident.public_description or "",
        "address": None,
        "lat": lat,
        "long": lon,
        "media_url": None,
    }


@dataclass(frozen=True)
class ReportRequest:
    """A validated POST to `requests.json`: WGS-84 coordinates and the fields the store needs."""

    service_code: str
    lon: float
    lat: float
    description: str
    address: str
    channel: Channel
    media_url: str | None
    contact: dict[str, str]

    @property
    def reporter_contact(self) -> Contact:
        """The reporter's name (family name first) and phone from the contact fields; personal data."""
        name = "".join(self.contact.get(part, "") for part in ("last_name", "first_name"))
        return Contact(name=name or None, phone=self.contact.get("phone"))


def parse_report(form: Mapping[str, str], taxonomy: Taxonomy) -> ReportRequest:
    """The report a POST form describes; InvalidInput names the field at fault."""
    code = _text(form, "service_code")
    if not code:
        _fail("service_code", "is required; GET services.json lists the codes")
    try:
        taxonomy.for_new_report(code)
    except InvalidInput as exc:
        _fail("service_code", exc.detail)
    lat = _number(form, "lat", -90.0, 90.0)
    lon = _number(form, "long", -180.0, 180.0)
    datum_text = _text(form, "datum") or Datum.WGS84.value
    try:
        datum = parse_datum(datum_text)
    except ValueError as exc:
        _fail("datum", str(exc))
    wgs_lon, wgs_lat = to_wgs84(lon, lat, datum)
    description = _text(form, "description")
    if len(description) > MAX_DESCRIPTION_CHARS:
        _fail("description", f"has {len(description)} characters; at most {MAX_DESCRIPTION_CHARS}")
    channel_text = _text(form, "channel") or Channel.APP.value
    try:
        channel = Channel(channel_text)
    except ValueError:
        _fail("channel", f"is {channel_text!r}; use one of {', '.join(c.value for c in Channel)}")
    media_url = _text(form, "media_url") or None
    if media_url is not None and not media_url.startswith(("https://", "http://")):
        _fail("media_url", "must be an http(s) URL")
    return ReportRequest(
        service_code=code,
        lon=float(wgs_lon),
        lat=float(wgs_lat),
        description=description,
        address=_text(form, "address_string"),
        channel=channel,
        media_url=media_url,
        contact={name: value for name in _CONTACT_FIELDS if (value := _text(form, name))},
    )


@dataclass(frozen=True)
class Page:
    """A window of results: 1-based page number and its size."""

    page: int
    page_size: int

    @property
    def offset(self) -> int:
        """How many results come before this page."""
        return (self.page - 1) * self.page_size


def parse_page(
    page: str | int | None, page_size: str | int | None, *, default_size: int = 50, max_size: int = 200
) -> Page:
    """The page the `page`/`page_size` query parameters ask for (1-based; the size capped at `max_size`)."""
    number = _positive("page", page, 1)
    size = _positive("page_size", page_size, default_size)
    if size > max_size:
        _fail("page_size", f"is {size}; at most {max_size}")
    return Page(number, size)


T = TypeVar("T")


def paginate(items: Sequence[T], page: Page) -> list[T]:
    """The items on `page` (an empty list past the end)."""
    return list(items[page.offset : page.offset + page.page_size])


def _positive(field: str, value: str | int | None, default: int) -> int:
    if value is None or value == "":
        return default
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        _fail(field, f"is {value!r}; give a whole number of 1 or more")
    return int(text)


def _text(form: Mapping[str, str], field: str) -> str:
    value = form.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        _fail(field, "must be text")
    return value.strip()


def _number(form: Mapping[str, str], field: str, low: float, high: float) -> float:
    text = _text(form, field)
    if not text:
        _fail(field, "is required (this service needs the point: lat and long)")
    try:
        value = float(text)
    except ValueError:
        _fail(field, f"is {text!r}, not a number")
    if not math.isfinite(value) or not low <= value <= high:
        _fail(field, f"is {text}; it must lie between {low:g} and {high:g}")
    return value


def _fail(field: str, problem: str) -> NoReturn:
    msg = f"field {field!r} {problem}"
    raise InvalidInput(msg)


def _w3c(at: datetime) -> str:
    """An aware datetime as W3C/ISO 8601 with its offset, seconds precision."""
    return at.isoformat(timespec="seconds")
