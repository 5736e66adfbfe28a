"""Incident use cases: report (locate in the published version, route, open, store once per key with its
photos), change (workflow steps, the reporter's rating and pin moves) and statistics per area and period.

The pure steps live in `gridmap.incidents`; this module joins them to the store and the point lookup.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from gridmap.errors import InvalidInput
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.intake import advance, check_reporter_key, move_pin, open_incident, rate_incident
from gridmap.incidents.model import Contact, Incident
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.photos import CleanPhoto
from gridmap.incidents.routing import DEFAULT_NEAR_BOUNDARY_M, route_report
from gridmap.incidents.stats import AreaStats, GroupBy, area_stats
from gridmap.incidents.workflow import ActorRole
from gridmap.services.incident_access import check_in_scope, reachable_incident
from gridmap.services.incident_clock import IncidentRules, default_rules, started, stepped
from gridmap.services.locator import LocatorCache
from gridmap.store.incident_store import IncidentFilter, IncidentOrder, IncidentPage, IncidentStore, KeyedReport
from gridmap.store.version_store import VersionInfo

# Where the API serves a stored photo; numbered from 1 in the order the photos were sent.
PHOTO_PATH = "/api/v1/incidents/{incident_id}/photos/{number}"


def photo_path(incident_id: str, number: int) -> str:
    """The URL path of photo `number` (from 1) of an incident."""
    return PHOTO_PATH.format(incident_id=incident_id, number=number)


def report_incident(
    *,
    store: IncidentStore,
    locators: LocatorCache,
    version: VersionInfo,
    request: ReportRequest,
    reporter: str,
    role: ActorRole | str,
    at: datetime,
    keyed: KeyedReport | None = None,
    near_boundary_m: float = DEFAULT_NEAR_BOUNDARY_M,
    photos: Sequence[CleanPhoto] = (),
    reporter_key: str | None = None,
    contact: Contact | None = None,
    rules: IncidentRules | None = None,
) -> tuple[Incident, bool]:
    """The stored incident for a report, and whether it is new (False for a repeat of the same key).

    The store gives it the day's next short number with the `rules`' prefix, and its filing clock starts
    (the shipped rules when none are given).

    `photos` must already be cleaned (`gridmap.incidents.photos.clean_photos`); they are stored with the
    incident in one transaction. `reporter_key` is the reporting client's secret; only its hash is kept.
    `contact` (the resident's name and phone, e.g. taken on the hotline) is stored apart from the incident.
    """
    location = locators.locate(version, request.lon, request.lat)
    # A point in no grid is refused here (InvalidInput saying so), before anything is stored.
    route = route_report(request.lon, request.lat, location.chain, near_boundary_m=near_boundary_m)
    incident_id = str(uuid.uuid4())
    incident = open_incident(
        incident_id=incident_id,
        request=request,
        route=route,
        reporter=reporter,
        role=role,
        at=at,
        photo_urls=[photo_path(incident_id, number) for number in range(1, len(photos) + 1)],
        reporter_key=reporter_key,
        contact=contact,
    )
    rules = rules or default_rules()
    return store.create_incident(
        started(incident, rules, at), keyed=keyed, now=at, photos=photos, number_prefix=rules.number_prefix
    )


def import_incidents(
    *, store: IncidentStore, incidents: Iterable[Incident], progress: Callable[[int], None] | None = None
) -> int:
    """Store incidents with their trails in one transaction (ids must be new); how many were stored."""
    return store.import_incidents(incidents, progress=progress)


def list_incidents(
    *, store: IncidentStore, where: IncidentFilter, limit: int, offset: int, order: IncidentOrder = IncidentOrder.NEWEST
) -> IncidentPage:
    """A page of the incidents matching `where` (a member of staff's scope in it), in `order`."""
    return store.list_incidents(where, limit=limit, offset=offset, order=order)


def incident_photo(*, store: IncidentStore, incident_id: str, number: int, scope: IncidentScope | None) -> CleanPhoto:
    """Photo `number` (from 1) of an incident within `scope`; NotFound for no such photo or an incident out of reach."""
    reachable_incident(store, incident_id, scope)
    return store.get_incident_photo(incident_id, number)


def advance_incident(
    *,
    store: IncidentStore,
    incident_id: str,
    to: str,
    actor: str,
    role: ActorRole | str,
    at: datetime,
    note: str = "",
    duplicate_of: str | None = None,
    scope: IncidentScope | None = None,
    rules: IncidentRules | None = None,
) -> Incident:
    """The incident after one workflow step, stored with its audit entry; only within the actor's `scope`.

    A step into another stage starts that stage's clock (`rules`, the shipped ones when None).
    """
    if duplicate_of is not None:
        reachable_incident(store, duplicate_of, scope)  # NotFound when the original does not exist (for them)

    def advanced(incident: Incident) -> Incident:
        check_in_scope(incident, scope)
        after = advance(incident, to, actor=actor, role=role, at=at, note=note, duplicate_of=duplicate_of)
        return stepped(incident, after, rules or default_rules())

    return store.change_incident(incident_id, advanced)


def _acting(incident: Incident, actor: str | None, reporter_key: str | None) -> str:
    """Who acts: the reporter when `reporter_key` matches, else the `actor` the caller vouches for (staff)."""
    if reporter_key is not None or actor is None:
        # Forbidden for a wrong key, and for no key when nobody else is named.
        check_reporter_key(incident, reporter_key)
    return actor or incident.reporter


def rate(
    *,
    store: IncidentStore,
    incident_id: str,
    rating: int,
    at: datetime,
    actor: str | None = None,
    note: str = "",
    reporter_key: str | None = None,
) -> Incident:
    """The incident after its reporter rated it (closed incidents, once); checks `reporter_key` when given."""

    def rated(incident: Incident) -> Incident:
        who = _acting(incident, actor, reporter_key)
        return rate_incident(incident, rating, actor=who, role=ActorRole.RESIDENT, at=at, note=note)

    return store.change_incident(incident_id, rated)


def move_incident_pin(
    *,
    store: IncidentStore,
    locators: LocatorCache,
    version: VersionInfo,
    incident_id: str,
    lon: float,
    lat: float,
    role: ActorRole | str,
    at: datetime,
    actor: str | None = None,
    reporter_key: str | None = None,
    near_boundary_m: float = DEFAULT_NEAR_BOUNDARY_M,
    scope: IncidentScope | None = None,
) -> Incident:
    """The incident at a new WGS-84 point, re-routed in `version`; refused once dispatched.

    Staff pass their name as `actor` and their `scope` (checked before the move); the reporter passes
    `reporter_key` (checked against the stored hash).
    """
    chain = locators.locate(version, lon, lat).chain

    def moved(incident: Incident) -> Incident:
        check_in_scope(incident, scope)
        who = _acting(incident, actor, reporter_key)
        return move_pin(incident, lon, lat, chain, actor=who, role=role, at=at, near_boundary_m=near_boundary_m)[0]

    return store.change_incident(incident_id, moved)


def area_statistics(
    store: IncidentStore, *, by: GroupBy | str, start: datetime, end: datetime, community: str | None = None
) -> list[AreaStats]:
    """Statistics per grid or community of the incidents reported in [start, end), optionally in one community."""
    try:
        group = GroupBy(by)
    except ValueError:
        msg = f"statistics are grouped by {' or '.join(g.value for g in GroupBy)}, not {by!r}"
        raise InvalidInput(msg) from None
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        msg = "a period needs time-zone-aware start and end, with end after start"
        raise InvalidInput(msg)
    # The period and community are filtered in SQL; the incidents are read in chunks with their trails.
    where = IncidentFilter(community_code=community, reported_since=start, reported_before=end)
    return area_stats(list(store.iter_incidents(where)), by=group, start=start, end=end)
