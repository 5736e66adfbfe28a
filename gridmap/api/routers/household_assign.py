"""Households assigned to grids over HTTP: upload a table (planners), follow the job, download the result.

Jobs run in a background thread of the worker that accepted them; their state is in the store and their files
in the jobs folder, so every worker answers for every job (see gridmap.services.jobs). The result holds the
upload's own columns, so only its owner and admins may read it.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from gridmap.api.contract import AnswerRoute
from gridmap.api.dependencies import PlannerDep, StoreDep, VersionsDep
from gridmap.api.job_routes import accept_upload, add_job_routes, form_datum, submit_route
from gridmap.api.params import MAX_ID
from gridmap.services.household_assign import AssignOptions
from gridmap.services.household_assign_jobs import HouseholdAssignJobs

router = APIRouter(route_class=AnswerRoute, prefix="/households/assign", tags=["households"])
STATUS_ROUTE = "household_assign_status"


def _jobs(request: Request) -> HouseholdAssignJobs:
    jobs: HouseholdAssignJobs = request.app.state.household_assign_jobs
    return jobs


@submit_route(router, summary="Start assigning an uploaded household table to grids (planners)")
def submit_job(
    request: Request,
    store: StoreDep,
    versions: VersionsDep,
    user: PlannerDep,
    file: Annotated[
        UploadFile,
        File(description="CSV (UTF-8 or GBK) with lon/lat columns, Parquet/GeoParquet, or GeoPackage of points"),
    ],
    version: Annotated[
        int | None, Form(ge=1, le=MAX_ID, description="Boundary version id; default: the published one")
    ] = None,
    crs: Annotated[str, Form(description="Datum of lon/lat: wgs84, gcj02, bd09, cgcs2000")] = "wgs84",
) -> JSONResponse:
    """Accept the upload and assign its rows in the background; poll the job's URL for its status."""
    datum = form_datum(crs)
    chosen = versions.default() if version is None else versions.get(version)  # 404 now, not a failed job
    boundaries = partial(store.version_frame, chosen.id)
    submit = partial(_jobs(request).submit_upload, boundaries=boundaries, options=AssignOptions(datum=datum))
    return accept_upload(request, file, user, submit, status_route=STATUS_ROUTE)


add_job_routes(
    router,
    _jobs,
    status_route=STATUS_ROUTE,
    status_summary="An assignment job's status and summary counts",
    status_description=(
        "Queued, running (with rows done), done (with covered/uncovered per level) or failed (with why)."
    ),
    result_summary="The assigned rows of a finished job, as CSV",
    result_description=(
        "The upload's rows with community/grid/microgrid codes and the nearest grid of rows outside (409 until done)."
    ),
    result_answer="The rows with their codes",
    result_prefix="assigned",
)
