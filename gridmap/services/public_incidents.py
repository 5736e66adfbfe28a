"""Incidents as the public sees them: generalised points, no private categories, groups of at least k, and only
the description a member of staff approved.

The public is anyone without a staff role (no token, or a viewer's token); workers and above read exact data
(`audience` returns None for them). The rules themselves are pure (`gridmap.geo.generalise`,
`gridmap.incidents.disclosure`); this module applies them to the store's answers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from gridmap.errors import InvalidInput, NotFound
from gridmap.geo.generalise import MAX_LATITUDE, METRES_PER_DEGREE
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.disclosure import Disclosure, MergedCell, merge_small_cells
from gridmap.incidents.model import Incident
from gridmap.incidents.open311 import MAX_DESCRIPTION_CHARS
from gridmap.incidents.taxonomy import Taxonomy
from gridmap.services.incident_access import reachable_incident
from gridmap.services.users import has_role, require_role
from gridmap.store.account_store import Role, UserInfo
from gridmap.store.incident_store import IncidentCell, IncidentFilter, IncidentPage, IncidentStore


def audience(user: UserInfo | None, *, location_m: float, min_group: int) -> Disclosure | None:
    """What the caller may see: None (exact data) for staff, the public's disclosure rules for anyone else."""
    return None if has_role(user, Role.WORKER) else Disclosure(location_m=location_m, min_group=min_group)


def public_filter(where: IncidentFilter, disclosure: Disclosure, taxonomy: Taxonomy) -> IncidentFilter:
    """`where` as a public answer applies it: private categories left out, the bbox on generalised points."""
    excluded = (where.excluded_categories or frozenset()) | taxonomy.private_codes()
    return replace(where, excluded_categories=excluded, generalised_m=disclosure.location_m)


def as_seen(where: IncidentFilter, shown: Disclosure | None, taxonomy: Taxonomy) -> IncidentFilter:
    """The filter as the caller may apply it: unchanged for staff (`shown` None), the public's rules for anyone else."""
    return where if shown is None else public_filter(where, shown, taxonomy)


def seen_incidents(
    *,
    store: IncidentStore,
    where: IncidentFilter,
    shown: Disclosure | None,
    taxonomy: Taxonomy,
    limit: int,
    offset: int,
) -> IncidentPage:
    """A page of the incidents matching `where` as the caller may see them (see `as_seen`), newest first."""
    return store.list_incidents(as_seen(where, shown, taxonomy), limit=limit, offset=offset)


def seen_incident(*, store: IncidentStore, incident_id: str, shown: Disclosure | None, taxonomy: Taxonomy) -> Incident:
    """The incident for staff; for the public, NotFound (as for an unknown id) in a private category."""
    return store.get_incident(incident_id) if shown is None else public_incident(store, incident_id, taxonomy)


def public_incident(store: IncidentStore, incident_id: str, taxonomy: Taxonomy) -> Incident:
    """The incident, when the public may know of it; NotFound (as for an unknown id) in a private category."""
    incident = store.get_incident(incident_id)
    if incident.category in taxonomy.private_codes():
        msg = f"there is no incident {incident_id!r}"
        raise NotFound(msg)
    return incident


def min_cell_degrees(cell_deg: float, location_m: float, max_abs_lat: float) -> float:
    """`cell_deg` doubled until a cell is at least `location_m` a side at every latitude up to `max_abs_lat`."""
    latitude = min(abs(max_abs_lat), MAX_LATITUDE)
    needed = location_m / (METRES_PER_DEGREE * math.cos(math.radians(latitude)))
    doublings = max(0, math.ceil(math.log2(needed / cell_deg)))
    return cell_deg * 2.0**doublings


def public_cells(cells: Sequence[IncidentCell], cell_deg: float, min_group: int) -> tuple[list[dict[str, float]], int]:
    """Cells counted at generalised points, small ones merged or withheld, each placed at its centre."""
    merged, withheld = merge_small_cells({(cell.x, cell.y): cell.count for cell in cells}, min_group)
    return [_centred(cell, cell_deg) for cell in merged], withheld


def _centred(cell: MergedCell, cell_deg: float) -> dict[str, float]:
    size = cell_deg * 2.0**cell.level
    return {
        "x": cell.x,
        "y": cell.y,
        "count": cell.count,
        "lon": (cell.x + 0.5) * size,
        "lat": (cell.y + 0.5) * size,
        "cell_deg": size,
    }


def approve_public_description(
    *, store: IncidentStore, incident_id: str, text: str, user: UserInfo, scope: IncidentScope | None
) -> Incident:
    """The incident with `text` as its public description (an empty text withdraws it); planners and above,
    within their scope (NotFound outside it, as for an unknown id)."""
    require_role(user, Role.PLANNER)
    reachable_incident(store, incident_id, scope)
    approved = text.strip()
    if len(approved) > MAX_DESCRIPTION_CHARS:
        msg = f"a public description has at most {MAX_DESCRIPTION_CHARS} characters, not {len(approved)}"
        raise InvalidInput(msg)
    return store.change_incident(incident_id, lambda incident: replace(incident, public_description=approved or None))
