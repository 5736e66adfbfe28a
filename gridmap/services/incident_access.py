"""Which incidents a member of staff reaches: a worker their grids' (in the published version), a dispatcher
their community or street when their account is scoped, everyone else with a staff role all of them.

Viewers read incidents only as the public does (Open311, the incident map): the native incident routes
refuse them. An incident outside a caller's scope is answered as one that does not exist, so that an id
tells nothing about incidents elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridmap.errors import NotFound
from gridmap.geo.hierarchy import Level
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.model import Incident
from gridmap.services.users import has_role, require_role
from gridmap.store.account_store import Role, UserInfo
from gridmap.store.incident_store import IncidentStore
from gridmap.store.version_store import Feature, VersionInfo, VersionStore

if TYPE_CHECKING:  # the version cache reaches households, which use `grid_worker`: no import at run time
    from gridmap.services.version_cache import VersionCache


def grid_worker(store: VersionStore, version: VersionInfo, feature: Feature) -> str | None:
    """The worker of the grid a grid or microgrid is (or is in); None for communities."""
    if feature.level is Level.GRID:
        return feature.worker
    if feature.level is Level.MICROGRID and feature.parent:
        grids = store.features(version.id, code=feature.parent, level=Level.GRID).features
        return grids[0].worker if grids else None
    return None


def staff_scope(versions: VersionCache, user: UserInfo) -> IncidentScope | None:
    """The incidents `user` reaches in the version readers get by default (None: all); Forbidden for viewers.

    A worker reaches their grids' (none while no version is published; the cache reads a version's grids once).
    """
    require_role(user, Role.WORKER)
    if has_role(user, Role.PLANNER):
        return None if user.scope is None else IncidentScope(code_prefix=user.scope)
    try:
        grids = versions.grid_workers(versions.default()).get(user.name, frozenset())
    except NotFound:
        grids = frozenset()
    return IncidentScope(grid_codes=grids, worker=user.name)


def check_in_scope(incident: Incident, scope: IncidentScope | None) -> Incident:
    """The incident when `scope` covers it; NotFound (as for an unknown id) otherwise."""
    if scope is not None and not scope.covers(incident):
        msg = f"there is no incident {incident.id!r}"
        raise NotFound(msg)
    return incident


def reachable_incident(store: IncidentStore, incident_id: str, scope: IncidentScope | None) -> Incident:
    """The incident with its trail, when it exists and `scope` covers it; NotFound otherwise."""
    return check_in_scope(store.get_incident(incident_id), scope)
