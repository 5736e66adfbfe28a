"""The one composition root: create_app() builds the FastAPI app; its lifespan owns the store.

Run it with `gridmap serve`, or `uvicorn --factory gridmap.api.app:create_app`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from gridmap import __version__
from gridmap.api.base_map import install_base_map
from gridmap.api.clients import store_limiter, trusted_networks
from gridmap.api.contract import install_contract
from gridmap.api.headers import install_security_headers
from gridmap.api.limits import BodySizeLimit
from gridmap.api.log_privacy import install_access_log_redaction
from gridmap.api.pages import mount_pages
from gridmap.api.problems import install_problem_handlers
from gridmap.api.retention import start_purge_timer
from gridmap.api.routers import (
    allowed_exceptions,
    boundary_sets,
    collections,
    draft_import,
    edits,
    geocode,
    geocode_jobs,
    grid_stats,
    hotline,
    household_assign,
    households,
    incident_field,
    incident_map,
    incident_public,
    incident_reports,
    incident_scores,
    incidents,
    landing,
    lifecircle,
    locate,
    open311,
    privacy,
    reference_layers,
    session,
    users,
)
from gridmap.api.text_guard import RefuseNulText
from gridmap.errors import GridmapError
from gridmap.services.draft_status import StatusMemory
from gridmap.services.geocode_jobs import GeocodeJobs
from gridmap.services.household_assign_jobs import HouseholdAssignJobs
from gridmap.services.incident_clock import rules_from_settings
from gridmap.services.level_summaries import LevelSummaries
from gridmap.services.locator import LocatorCache
from gridmap.services.reference_layers import ReferenceLayerCache
from gridmap.services.simplified_outlines import SimplifiedOutlines
from gridmap.services.version_cache import VersionCache
from gridmap.settings import Settings, refuse_unsafe
from gridmap.store import BoundaryStore, database_file, open_store

API_PREFIX = "/api/v1"

logger = logging.getLogger(__name__)


def prepare_store(settings: Settings) -> BoundaryStore:
    """Open the store (SQLite gets its tables on first use). Nothing is loaded into it: see `gridmap demo load`."""
    return open_store(settings.database_url, upgrade=settings.database_url.startswith("sqlite"))


def jobs_folder(settings: Settings) -> Path:
    """Where background jobs keep their files: settings.jobs_dir, else `jobs` beside the SQLite file."""
    if settings.jobs_dir is not None:
        return settings.jobs_dir
    database = database_file(settings.database_url)
    return (database.parent if database is not None else Path()) / "jobs"


def _warm_up(versions: VersionCache, locators: LocatorCache, summaries: LevelSummaries) -> None:
    """Build the published version's point lookup and level summaries now rather than during the first request."""
    try:
        published = versions.default()
        locators.prepare(published)
        summaries.prepare(published)
    except GridmapError as err:
        logger.info("nothing to prepare for point lookups: %s", err.detail)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The gridmap API and map viewer, configured by `settings` (from the environment when None)."""
    settings = settings or Settings()
    refuse_unsafe(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await run_in_threadpool(prepare_store, settings)
        app.state.store = store
        app.state.versions = VersionCache(store)
        app.state.locators = LocatorCache(store)
        app.state.level_summaries = LevelSummaries(store)
        app.state.outlines = SimplifiedOutlines(store)
        app.state.draft_statuses = StatusMemory()
        app.state.reference_layers = ReferenceLayerCache(store)
        # Batch geocoding jobs are in the store, seen by every worker (see services.jobs).
        app.state.geocode_jobs = GeocodeJobs(store, folder=jobs_folder(settings))
        await run_in_threadpool(app.state.geocode_jobs.fail_interrupted)
        app.state.household_assign_jobs = HouseholdAssignJobs(
            store, folder=jobs_folder(settings), raster_cache=jobs_folder(settings) / "rasters"
        )
        await run_in_threadpool(app.state.household_assign_jobs.fail_interrupted)
        await run_in_threadpool(_warm_up, app.state.versions, app.state.locators, app.state.level_summaries)
        # Everything alive now (libraries, settings, the store) lives as long as the process: keep it out of
        # the garbage collector's full passes, which otherwise add tens of ms to a request now and then.
        gc.freeze()
        purge_timer = start_purge_timer(store, settings)
        try:
            yield
        finally:
            if purge_timer is not None:
                purge_timer.cancel()
                await asyncio.gather(purge_timer, return_exceptions=True)
            await run_in_threadpool(app.state.geocode_jobs.close)
            await run_in_threadpool(app.state.household_assign_jobs.close)
            await run_in_threadpool(app.state.versions.close)
            store.close()

    app = FastAPI(
        title="gridmap",
        summary="Community grid management (网格化管理): boundaries, point lookup and versions",
        version=__version__,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served by mount_pages with Swagger UI from web/node_modules, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.trusted_networks = trusted_networks(settings.trusted_proxies)
    app.state.incident_rules = rules_from_settings(settings)  # a bad time-limit or category file stops start-up
    app.state.report_limiter = store_limiter(
        app, "reports", capacity=settings.report_burst, per_hour=settings.reports_per_hour, subject="reports"
    )
    app.state.expensive_limiter = store_limiter(
        app, "expensive", capacity=settings.expensive_burst, per_hour=settings.expensive_per_hour, subject="requests"
    )
    install_problem_handlers(app)
    install_access_log_redaction()
    routers = (
        landing,
        collections,
        locate,
        geocode,
        geocode_jobs,
        household_assign,  # before the household routes
        households,
        grid_stats,
        boundary_sets,
        edits,
        draft_import,
        allowed_exceptions,
        lifecircle,
        hotline,  # before the incident routes: /incidents/export-orders is no incident id
        incident_reports,
        incidents,
        incident_field,
        incident_public,
        incident_map,
        incident_scores,
        privacy,
        reference_layers,
        session,
        users,
    )
    for router in (module.router for module in routers):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(open311.router)  # GeoReport v2 keeps its own well-known paths
    mount_pages(app)
    install_contract(app, settings)
    app.add_middleware(RefuseNulText)  # inside BodySizeLimit, which bounds the bodies it reads
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    base = install_base_map(app, settings)
    install_security_headers(app, image_sources=base.image_sources())  # on every answer, 413s and 500s too
    return app
