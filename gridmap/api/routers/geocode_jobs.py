"""Batch geocoding over HTTP: upload a CSV (planners), follow the job, download the result.

Jobs run in a background thread of the worker that accepted them; their state is in the store and their
files in the jobs folder, so every worker answers for every job (see gridmap.services.jobs). The result
holds the upload's own columns, so only its owner and admins may read it.
"""

from __future__ import annotations

import shutil
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from gridmap.api.answers import GeocodeJob, binary_answer
from gridmap.api.contract import AnswerRoute, errors
from gridmap.api.dependencies import PlannerDep, SettingsDep, StoreDep, VersionsDep
from gridmap.api.problems import BadParameter
from gridmap.api.routers.geocode import address_matchers
from gridmap.api.uploads import safe_name
from gridmap.geo.crs import parse_datum
from gridmap.services.geocode import GeocodeOptions
from gridmap.services.geocode_jobs import GeocodeJobs, job_json, published_layers

router = APIRouter(route_class=AnswerRoute, prefix="/geocode/jobs", tags=["geocode"])

JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A job id, as POST /geocode/jobs gave it")]


def _jobs(request: Request) -> GeocodeJobs:
    jobs: GeocodeJobs = request.app.state.geocode_jobs
    return jobs


@router.post(
    "",
    status_code=202,
    summary="Start geocoding an uploaded CSV of addresses (planners)",
    response_model=GeocodeJob,
    responses=errors(404, 422),
)
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
    try:
        datum = parse_datum(crs)
    except ValueError as err:
        raise BadParameter(str(err)) from None
    matchers = address_matchers(request)
    matchers.get()  # no registry: a 404 now rather than a job that fails later

    def save(path: FilePath) -> None:
        with path.open("wb") as target:
            shutil.copyfileobj(file.file, target)

    job = _jobs(request).submit_upload(
        save,
        filename=safe_name(file.filename, 0),
        owner=user,
        matcher=matchers.get,
        layers=lambda: published_layers(store=store, versions=versions),
        options=GeocodeOptions(address_column=address_column, datum=datum, review_below=settings.review_below),
    )
    location = str(request.url_for("job_status", job_id=job.id))
    return JSONResponse(job_json(job), status_code=202, headers={"Location": location})


@router.get(
    "/{job_id}",
    name="job_status",
    summary="A geocoding job's status and summary counts",
    response_model=GeocodeJob,
    responses=errors(404),
)
def job_status(request: Request, user: PlannerDep, job_id: JobId) -> dict[str, Any]:
    """Queued, running (with rows done), done (with the summary) or failed (with why)."""
    return job_json(_jobs(request).get(job_id, user=user))


@router.get(
    "/{job_id}/result",
    summary="The geocoded CSV of a finished job",
    response_class=FileResponse,
    responses={**binary_answer("text/csv", description="The geocoded rows"), **errors(404, 409)},
)
def job_result(request: Request, user: PlannerDep, job_id: JobId) -> FileResponse:
    """The upload's rows with match level, WGS-84 point and community/grid/microgrid codes (409 until done)."""
    path = _jobs(request).result(job_id, user=user)
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"geocoded-{job_id[:8]}.csv")
