"""What the routers of background job kinds (batch geocoding, household assignment) share.

Each kind's router writes its own POST (declared by `submit_route`), which parses the kind's options and hands
the upload to `accept_upload`; the two GET routes, a job's status and its result file, are the same for every
kind and are added by `add_job_routes`, so polls and downloads answer alike (404 for an unknown job, 409 for a
result not ready).

This module does without `from __future__ import annotations`: the routes are built inside a function, and
FastAPI reads their parameters' annotations, which name the router's own path, at run time.
"""

import shutil
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Path, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from fastapi.types import DecoratedCallable

from gridmap.api.answers import GeocodeJob, binary_answer
from gridmap.api.contract import errors
from gridmap.api.dependencies import PlannerDep
from gridmap.api.problems import BadParameter
from gridmap.api.uploads import safe_name
from gridmap.geo.crs import Datum, parse_datum
from gridmap.services.geocode_jobs import job_json
from gridmap.store.account_store import UserInfo
from gridmap.store.job_store import JobInfo

JOB_ID_PATTERN = r"^[0-9a-f]{32}$"


class JobKind(Protocol):
    """The jobs of one kind as the routes use them (see gridmap.services.jobs.BackgroundJobs)."""

    def get(self, job_id: str, *, user: UserInfo) -> JobInfo: ...

    def result(self, job_id: str, *, user: UserInfo) -> FilePath: ...


class UploadJob(Protocol):
    """A job kind's `submit_upload` with the kind's own options given (a `functools.partial`): it saves the
    upload (`upload(path)` writes it) and starts the job."""

    def __call__(self, upload: Callable[[FilePath], None], /, *, filename: str, owner: UserInfo) -> JobInfo: ...


def submit_route(router: APIRouter, *, summary: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """Declares the POST that starts a job: 202 with the job's status (404 and 422 for what the job needs now)."""
    return router.post("", status_code=202, summary=summary, response_model=GeocodeJob, responses=errors(404, 422))


def form_datum(crs: str) -> Datum:
    """The datum a form field names (wgs84, gcj02, bd09, cgcs2000); 400 for any other."""
    try:
        return parse_datum(crs)
    except ValueError as err:
        raise BadParameter(str(err)) from None


def accept_upload(
    request: Request, file: UploadFile, user: UserInfo, submit: UploadJob, *, status_route: str
) -> JSONResponse:
    """Start the job `submit` makes of the uploaded `file` for `user`; the 202 answer: the job's status, and its
    status route's URL in Location."""

    def save(path: FilePath) -> None:
        with path.open("wb") as target:
            shutil.copyfileobj(file.file, target)

    job = submit(save, filename=safe_name(file.filename, 0), owner=user)
    location = str(request.url_for(status_route, job_id=job.id))
    return JSONResponse(job_json(job), status_code=202, headers={"Location": location})


def add_job_routes(
    router: APIRouter,
    jobs_of: Callable[[Request], JobKind],
    *,
    status_route: str,
    status_summary: str,
    status_description: str,
    result_summary: str,
    result_description: str,
    result_answer: str,
    result_prefix: str,
) -> None:
    """GET `{job_id}` (status) and `{job_id}/result` (a CSV named `{result_prefix}-{id[:8]}.csv`) on `router`."""
    job_id_param = Path(pattern=JOB_ID_PATTERN, description=f"A job id, as POST {router.prefix} gave it")

    @router.get(
        "/{job_id}",
        name=status_route,
        summary=status_summary,
        description=status_description,
        response_model=GeocodeJob,
        responses=errors(404),
    )
    def job_status(request: Request, user: PlannerDep, job_id: Annotated[str, job_id_param]) -> dict[str, Any]:
        return job_json(jobs_of(request).get(job_id, user=user))

    @router.get(
        "/{job_id}/result",
        summary=result_summary,
        description=result_description,
        response_class=FileResponse,
        responses={**binary_answer("text/csv", description=result_answer), **errors(404, 409)},
    )
    def job_result(request: Request, user: PlannerDep, job_id: Annotated[str, job_id_param]) -> FileResponse:
        path = jobs_of(request).result(job_id, user=user)
        return FileResponse(path, media_type="text/csv; charset=utf-8", filename=f"{result_prefix}-{job_id[:8]}.csv")
