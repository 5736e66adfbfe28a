"""Incident use cases: report (locate in the published version, route, open, store once per key with its
photos), change (workflow steps, the reporter's rating and pin moves) and statistics per area and period.

The pure steps live in `gridmap.incidents`; this module joins them to the store and the point lookup.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from gridmap.errors import InvalidInput, NotFound
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.field_loop import check_original, check_step, settle_task
from gridmap.incidents.intake import advance, check_reporter_key, move_pin, open_incident, rate_incident
from gridmap.incidents.model import Contact, Incident
from gridmap.incidents.open311 import ReportRequest
from gridmap.incidents.photos import CleanPhoto
from gridmap.incidents.routing import DEFAULT_NEAR_BOUNDARY_M, Route, route_report
from gridmap.incidents.stats import AreaStats, GroupBy, area_stats
from gridmap.incidents.taxonomy import Category, Taxonomy
from gridmap.incidents.workflow import ActorRole, Status
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
    neighbour = neighbour_grid(locators, version, route, near_boundary_m)
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
    opened = replace(started(incident, rules, at), neighbour_grid_code=neighbour)
    return store.create_incident(opened, keyed=keyed, now=at, photos=photos, number_prefix=rules.number_prefix)


def neighbour_grid(locators: LocatorCache, version: VersionInfo, route: Route, near_boundary_m: float) -> str | None:
    """For a report near its grid's boundary, the nearest other grid within that distance (the second candidate)."""
    if not route.near_boundary:
        return None
    # A centimetre of slack: the point is `boundary_distance_m` from the shared edge, measured in another frame.
    near = locators.grids_within(version, route.lon, route.lat, route.boundary_distance_m + 0.01)
    return next((code for code, _ in near if code != route.grid_code), None)


def category_rules(taxonomy: Taxonomy, code: str) -> Category | None:
    """The category whose rules (after photo, check) apply to incidents of `code`; None for one not in `taxonomy`."""
    return taxonomy.get(code) if code in taxonomy else None


def import_incidents(
    *, store: IncidentStore, incidents: Iterable[Incident], progress: Callable[[int], None] | None = None
) -> int:
    """Store incidents with their trails in one transaction (ids must be new); how many were stored."""
    return store.import_incidents(incidents, progress=progress)


# A search by words without dates looks at the reports of the last 90 days: a dispatcher searching words looks
# for a recent report they heard of (an older one is found by its number, or with dates set), and words are
# matched by scanning texts, which over every incident ever reported would take seconds.
WORD_SEARCH_DAYS = 90


def word_search_window(where: IncidentFilter, now: datetime) -> IncidentFilter:
    """`where`, its search by words (when it has one and no dates) limited to `WORD_SEARCH_DAYS` before `now`."""
    if where.text is None or where.reported_since is not None or where.reported_before is not None:
        return where
    return replace(where, reported_since=now - timedelta(days=WORD_SEARCH_DAYS))


# The desk's lists count their matches up to this many and then say "10,000+": counting every match of a wide
# filter over hundreds of thousands of incidents costs more than the page itself, and nobody reads further.
COUNT_UP_TO = 10_000


def list_incidents(
    *, store: IncidentStore, where: IncidentFilter, limit: int, offset: int, order: IncidentOrder = IncidentOrder.NEWEST
) -> IncidentPage:
    """A page of the incidents matching `where` (a member of staff's scope in it), in `order`; matches are
    counted up to `COUNT_UP_TO` (the page says `capped` beyond). Each incident's trail holds only its pending
    hold or extension request, if any: a list shows the clock and a pending request, never the history."""
    return store.list_incidents(
        where, limit=limit, offset=offset, order=order, count_up_to=COUNT_UP_TO, whole_trails=False
    )


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

    A step into another stage starts that stage's clock, and the incident's category in the `rules`' taxonomy
    says whether resolving needs an after photo and closing a check (the shipped rules when None).
    """
    rules = rules or default_rules()
    if duplicate_of is not None:
        # NotFound when the original does not exist (for them); refused when it is this one or a duplicate itself.
        check_original(incident_id, reachable_incident(store, duplicate_of, scope))

    def advanced(incident: Incident) -> Incident:
        check_in_scope(incident, scope)
        check_step(incident, to, category_rules(rules.taxonomy, incident.category))
        after = advance(incident, to, actor=actor, role=role, at=at, note=note, duplicate_of=duplicate_of)
        return settle_task(incident, stepped(incident, after, rules))

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


def follow_up(*, store: IncidentStore, incident_id: str, reporter_key: str | None) -> tuple[Incident, str | None]:
    """The reporter's own incident (Forbidden without its key) and the number of the one it duplicates, if any."""
    incident = store.get_incident(incident_id)
    check_reporter_key(incident, reporter_key)
    original_id = incident.state.duplicate_of if incident.status is Status.DUPLICATE else None
    if original_id is None:
        return incident, None
    try:
        original = store.get_incident(original_id)
    except NotFound:
        return incident, None
    return incident, original.number


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
        after, rerouted = move_pin(
            incident, lon, lat, chain, actor=who, role=role, at=at, near_boundary_m=near_boundary_m
        )
        return replace(after, neighbour_grid_code=neighbour_grid(locators, version, rerouted.route, near_boundary_m))

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
