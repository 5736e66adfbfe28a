"""Households assigned to grids over HTTP: upload a table (planners), follow the job, download the result.

Jobs run in a background thread of the worker that accepted them; their state is in the store and their files
in the jobs folder, so every worker answers for every job (see gridmap.services.jobs). The result holds the
upload's own columns, so only its owner and admins may read it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from gridmap.api.contract import AnswerRoute
from gridmap.api.dependencies import PlannerDep, StoreDep, VersionsDep
from gridmap.api.job_routes import accepted, add_job_routes, form_datum, submit_route, upload_writer
from gridmap.api.params import MAX_ID
from gridmap.api.uploads import safe_name
from gridmap.services.household_assign import AssignOptions
from gridmap.services.household_assign_jobs import HouseholdAssignJobs

router = APIRouter(route_class=AnswerRoute, prefix="/households/assign", tags=["households"])


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
    job = _jobs(request).submit_upload(
        upload_writer(file),
        filename=safe_name(file.filename, 0),
        owner=user,
        boundaries=lambda: store.version_frame(chosen.id),
        options=AssignOptions(datum=datum),
    )
    return accepted(request, job, status_route="household_assign_status")


add_job_routes(
    router,
    _jobs,
    status_route="household_assign_status",
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
