"""What routes receive: the settings, the store, the caller, and readable versions.

The caller is named by `Authorization: Bearer <token>` (the API, the CLI, scripts) or, without one, by the
session cookie of a browser signed in with a password (gridmap.api.session_cookies): both give the same user,
role and scope to every dependency below. An unsafe request the cookie authenticates must carry the session's
CSRF token (`X-CSRF-Token`), else 403.

Reading rule: published and retired versions (the history of what was published) are open to anyone when
settings.public_read is on, and to any user with a token otherwise; the features, check report and export of
a draft (work in progress) need a token whatever the setting, though the version list names drafts to every
reader. Importing and publishing need a planner (roles: viewer < worker < planner < admin).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from gridmap.api.clients import request_client
from gridmap.api.session_cookies import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE
from gridmap.errors import Forbidden, Unauthorized
from gridmap.incidents.access import IncidentScope
from gridmap.incidents.disclosure import Disclosure
from gridmap.incidents.ratelimit import TokenBucketLimiter
from gridmap.incidents.taxonomy import Taxonomy
from gridmap.services import incident_access, public_incidents, sessions
from gridmap.services import users as user_service
from gridmap.services.draft_status import StatusMemory
from gridmap.services.incident_clock import Acting, IncidentRules
from gridmap.services.level_summaries import LevelSummaries
from gridmap.services.locator import LocatorCache
from gridmap.services.simplified_outlines import SimplifiedOutlines
from gridmap.services.version_cache import VersionCache
from gridmap.settings import Settings
from gridmap.store.account_store import Role, UserInfo
from gridmap.store.interface import BoundaryStore
from gridmap.store.version_store import VersionInfo, VersionStatus

# The small dependencies are `async def` so that they run on the event loop: a sync dependency costs a hop
# to the thread pool each, which is most of the time a cached lookup takes.
# auto_error=False: a missing header is decided by the rules above, and answered as problem+json.
_bearer = HTTPBearer(auto_error=False, description="A token from `gridmap user add NAME --role ROLE`")


async def get_settings(request: Request) -> Settings:
    """The settings create_app() was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> BoundaryStore:
    """The store the lifespan opened."""
    store: BoundaryStore = request.app.state.store
    return store


async def get_versions(request: Request) -> VersionCache:
    """The process's cache of which versions exist and which one is published."""
    versions: VersionCache = request.app.state.versions
    return versions


async def get_locators(request: Request) -> LocatorCache:
    """The process's in-memory point lookups."""
    locators: LocatorCache = request.app.state.locators
    return locators


async def get_outlines(request: Request) -> SimplifiedOutlines:
    """The process's simplified outlines of whole levels, for display at low zoom."""
    outlines: SimplifiedOutlines = request.app.state.outlines
    return outlines


async def get_draft_statuses(request: Request) -> StatusMemory:
    """The process's last changed-area check of each large draft, so that a draft's next status re-checks only
    where it changed."""
    statuses: StatusMemory = request.app.state.draft_statuses
    return statuses


async def get_level_summaries(request: Request) -> LevelSummaries:
    """The process's remembered counts and extents of each level of published and retired versions."""
    summaries: LevelSummaries = request.app.state.level_summaries
    return summaries


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[BoundaryStore, Depends(get_store)]
VersionsDep = Annotated[VersionCache, Depends(get_versions)]
LocatorsDep = Annotated[LocatorCache, Depends(get_locators)]
OutlinesDep = Annotated[SimplifiedOutlines, Depends(get_outlines)]
LevelSummariesDep = Annotated[LevelSummaries, Depends(get_level_summaries)]
DraftStatusesDep = Annotated[StatusMemory, Depends(get_draft_statuses)]


async def get_incident_rules(request: Request) -> IncidentRules:
    """The deployment's incident rules (number prefix, time limits, categories), loaded when the app was made."""
    rules: IncidentRules = request.app.state.incident_rules
    return rules


async def get_taxonomy(request: Request) -> Taxonomy:
    """The deployment's incident categories (GRIDMAP_CATEGORIES_FILE, else the shipped ones)."""
    rules: IncidentRules = request.app.state.incident_rules
    return rules.taxonomy


IncidentRulesDep = Annotated[IncidentRules, Depends(get_incident_rules)]
TaxonomyDep = Annotated[Taxonomy, Depends(get_taxonomy)]


async def current_user(
    request: Request, store: StoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> UserInfo | None:
    """The caller named by a bearer token (401 for a token nobody holds), else by a live session cookie (403 for an
    unsafe request without its CSRF token); None for neither, or a session that ended (the caller is anonymous)."""
    # The token and session lookups are database queries: off the event loop.
    if credentials is not None:
        return await run_in_threadpool(user_service.authenticate, store, credentials.credentials)
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    user = await run_in_threadpool(sessions.session_user, store, session_id)
    if (
        user is not None
        and request.method not in SAFE_METHODS
        and not sessions.csrf_matches(session_id, request.headers.get(CSRF_HEADER))
    ):
        msg = f"a signed-in page must send its {CSRF_HEADER} header with this request; reload the page and try again"
        raise Forbidden(msg)
    return user


CurrentUserDep = Annotated[UserInfo | None, Depends(current_user)]


async def reader(user: CurrentUserDep, settings: SettingsDep) -> UserInfo | None:
    """Anyone when reading is public, else any user with a valid token."""
    if user is None and not settings.public_read:
        msg = "reading boundaries needs a token here (public_read is off): send 'Authorization: Bearer <token>'"
        raise Unauthorized(msg)
    return user


async def signed_in(user: CurrentUserDep, store: StoreDep) -> UserInfo:
    """Any user with a valid token, whatever their role."""
    return user or user_service.authenticate(store, None)


async def planner(user: CurrentUserDep, store: StoreDep) -> UserInfo:
    """A user with the planner role or above."""
    user = user or user_service.authenticate(store, None)
    user_service.require_role(user, Role.PLANNER)
    return user


async def admin(user: Annotated[UserInfo, Depends(signed_in)]) -> UserInfo:
    """A user with the admin role (managing users and their passwords)."""
    user_service.require_role(user, Role.ADMIN)
    return user


ReaderDep = Annotated[UserInfo | None, Depends(reader)]


async def costly_reader(request: Request, user: ReaderDep) -> UserInfo | None:
    """A reader of an answer that is costly to make (a life-circle analysis): one without a token takes a
    token from their address's bucket of settings.expensive_burst (else 429 with Retry-After)."""
    if user is None:
        limiter: TokenBucketLimiter = request.app.state.expensive_limiter
        # The buckets are in the store (shared by every worker): off the event loop.
        await run_in_threadpool(limiter.check, request_client(request))
    return user


CostlyReaderDep = Annotated[UserInfo | None, Depends(costly_reader)]
SignedInDep = Annotated[UserInfo, Depends(signed_in)]
PlannerDep = Annotated[UserInfo, Depends(planner)]
AdminDep = Annotated[UserInfo, Depends(admin)]


@dataclass(frozen=True)
class Staff:
    """A member of staff (worker or above) and the incidents they reach (None: all)."""

    user: UserInfo
    scope: IncidentScope | None


async def staff(user: SignedInDep, versions: VersionsDep) -> Staff:
    """A worker, planner or admin with their incident scope; 403 for viewers (they read what the public reads)."""
    # A worker's grids may be read from the store (once per version): off the event loop.
    return Staff(user, await run_in_threadpool(incident_access.staff_scope, versions, user))


StaffDep = Annotated[Staff, Depends(staff)]


def acting(staff: StaffDep) -> Acting:
    """The member of staff acting on an incident's clock now, with the incidents they reach."""
    return Acting(actor=staff.user.name, role=staff.user.role.value, at=datetime.now(UTC), scope=staff.scope)


ActingDep = Annotated[Acting, Depends(acting)]


async def audience(user: ReaderDep, settings: SettingsDep) -> Disclosure | None:
    """How much of an incident a reader sees: None (exact) for staff, the public's rules for anyone else."""
    return public_incidents.audience(user, location_m=settings.public_location_m, min_group=settings.public_min_group)


AudienceDep = Annotated[Disclosure | None, Depends(audience)]


def ensure_readable(version: VersionInfo, user: UserInfo | None) -> VersionInfo:
    """The version, when this caller may read it (drafts need a token)."""
    if version.status is VersionStatus.DRAFT and user is None:
        msg = f"version {version.id} is a draft; reading drafts needs a token"
        raise Unauthorized(msg)
    return version


def readable_version(versions: VersionCache, version_id: int | None, user: UserInfo | None) -> VersionInfo:
    """The version a read asks for (`version=`), or the default published one."""
    version = versions.default() if version_id is None else versions.get(version_id)
    return ensure_readable(version, user)
