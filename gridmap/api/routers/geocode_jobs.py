"""Batch geocoding over HTTP: upload a CSV (planners), follow the job, download the result.

Jobs run in a background thread of the worker that accepted them; their state is in the store and their
files in the jobs folder, so every worker answers for every job (see gridmap.services.jobs). The result
holds the upload's own columns, so only its owner and admins may read it.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from gridmap.api.contract import AnswerRoute
from gridmap.api.dependencies import PlannerDep, SettingsDep, StoreDep, VersionsDep
from gridmap.api.job_routes import accept_upload, add_job_routes, form_datum, submit_route
from gridmap.api.routers.geocode import address_matchers
from gridmap.services.geocode import GeocodeOptions
from gridmap.services.geocode_jobs import GeocodeJobs, published_layers

router = APIRouter(route_class=AnswerRoute, prefix="/geocode/jobs", tags=["geocode"])
STATUS_ROUTE = "job_status"


def _jobs(request: Request) -> GeocodeJobs:
    jobs: GeocodeJobs = request.app.state.geocode_jobs
    return jobs


@submit_route(router, summary="Start geocoding an uploaded CSV of addresses (planners)")
def submit_job(
    request: Request,
    store: StoreDep,
    versions: VersionsDep,
    user: PlannerDep,
    settings: SettingsDep,
    file: Annotated[
        UploadFile, File(description="CSV (UTF-8, UTF-16 with BOM, or GBK) with an address column and/or lon, lat")
    ],
    address_column: Annotated[str, Form(max_length=64, description="Column holding the address")] = "address",
    crs: Annotated[str, Form(description="Datum of lon/lat without a crs column: wgs84, gcj02, bd09, cgcs2000")] = (
        "wgs84"
    ),
) -> JSONResponse:
    """Accept the upload and geocode it in the background; poll the job's URL for its status."""
    datum = form_datum(crs)
    matchers = address_matchers(request)
    matchers.get()  # no registry: a 404 now rather than a job that fails later
    submit = partial(
        _jobs(request).submit_upload,
        matcher=matchers.get,
        layers=lambda: published_layers(store=store, versions=versions),
        options=GeocodeOptions(address_column=address_column, datum=datum, review_below=settings.review_below),
    )
    return accept_upload(request, file, user, submit, status_route=STATUS_ROUTE)


add_job_routes(
    router,
    _jobs,
    status_route=STATUS_ROUTE,
    status_summary="A geocoding job's status and summary counts",
    status_description="Queued, running (with rows done), done (with the summary) or failed (with why).",
    result_summary="The geocoded CSV of a finished job",
    result_description=(
        "The upload's rows with match level, WGS-84 point and community/grid/microgrid codes (409 until done)."
    ),
    result_answer="The geocoded rows",
    result_prefix="geocoded",
)
