"""Households assigned to grids over HTTP: upload a table (planners), follow the job, download the result.

Jobs run in a background thread of the worker that accepted them; their state is in the store and their files
in the jobs folder, so every worker answers for every job (see gridmap.services.jobs). The result holds the
upload's own columns, so only its owner and admins may read it.
"""

from __future__ import annotations

import shutil
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from gridmap.api.answers import GeocodeJob, binary_answer
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import PlannerDep, StoreDep, VersionsDep
from gridmap.api.params import MAX_ID
from gridmap.api.problems import BadParameter
from gridmap.api.uploads import safe_name
from gridmap.geo.crs import parse_datum
from gridmap.services.geocode_jobs import job_json
from gridmap.services.household_assign import AssignOptions
from gridmap.services.household_assign_jobs import RESULT, HouseholdAssignJobs

router = APIRouter(route_class=AnswerRoute, prefix="/households/assign", tags=["households"])

JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A job id, as POST /households/assign gave it")]


def _jobs(request: Request) -> HouseholdAssignJobs:
    jobs: HouseholdAssignJobs = request.app.state.household_assign_jobs
    return jobs


@router.post(
    "",
    status_code=202,
    summary="Start assigning an uploaded household table to grids (planners)",
    response_model=GeocodeJob,
    responses=errors(404, 422),
)
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
    try:
        datum = parse_datum(crs)
    except ValueError as err:
        raise BadParameter(str(err)) from None
    chosen = versions.default() if version is None else versions.get(version)  # 404 now, not a failed job

    def save(path: FilePath) -> None:
        with path.open("wb") as target:
            shutil.copyfileobj(file.file, target)

    job = _jobs(request).submit_upload(
        save,
        filename=safe_name(file.filename, 0),
        owner=user,
        boundaries=lambda: store.version_frame(chosen.id),
        options=AssignOptions(datum=datum),
    )
    location = str(request.url_for("household_assign_status", job_id=job.id))
    return JSONResponse(job_json(job), status_code=202, headers={"Location": location})


@router.get(
    "/{job_id}",
    name="household_assign_status",
    summary="An assignment job's status and summary counts",
    response_model=GeocodeJob,
    responses=errors(404),
)
def job_status(request: Request, user: PlannerDep, job_id: JobId) -> dict[str, Any]:
    """Queued, running (with rows done), done (with covered/uncovered per level) or failed (with why)."""
    return job_json(_jobs(request).get(job_id, user=user))


@router.get(
    "/{job_id}/result",
    summary="The assigned rows of a finished job, as CSV",
    response_class=FileResponse,
    responses={**binary_answer("text/csv", description="The rows with their codes"), **errors(404, 409)},
)
def job_result(request: Request, user: PlannerDep, job_id: JobId) -> FileResponse:
    """The upload's rows with community/grid/microgrid codes and the nearest grid of rows outside (409 until done)."""
    path = _jobs(request).finished_file(job_id, RESULT, user=user)
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"assigned-{job_id[:8]}.csv")
