"""Batch geocoding jobs: an uploaded CSV geocoded in a background thread of this process.

Jobs, their state and their result files live in memory and in a temporary folder of this process only:
a restart (or a second worker process) loses them, and the uploader submits again. Results may hold the
uploader's personal columns (names, phones), so only the job's owner and admins may read them, and no row
content is ever logged.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from gridmap.address.match import AddressMatcher
from gridmap.errors import Conflict, Forbidden, GridmapError, NotFound
from gridmap.services.geocode import BoundaryLayers, GeocodeOptions, GeocodeSummary, geocode_file
from gridmap.services.users import has_role
from gridmap.store.interface import Role, UserInfo

logger = logging.getLogger(__name__)

# Finished jobs beyond this many are forgotten, oldest first, with their files.
MAX_KEPT_JOBS = 100


class JobStatus(StrEnum):
    """Where a job is: waiting for its thread, running, done (result ready) or failed (with a message)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class GeocodeJob:
    """One upload being geocoded; `rows_done` grows as chunks finish."""

    id: str
    owner: str
    filename: str
    folder: Path
    created_at: datetime
    status: JobStatus = JobStatus.QUEUED
    rows_done: int = 0
    summary: GeocodeSummary | None = None
    error: str | None = None
    finished_at: datetime | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def source(self) -> Path:
        return self.folder / "upload.csv"

    @property
    def result(self) -> Path:
        return self.folder / "result.csv"

    def to_json(self) -> dict[str, Any]:
        """Status and summary counts (no row content)."""
        summary = None
        if self.summary is not None:
            summary = {
                "rows": self.summary.rows,
                "unmatched": self.summary.unmatched,
                "row_errors": self.summary.row_errors,
                "levels": dict(self.summary.levels),
                "unmatched_reasons": dict(self.summary.reasons),
                "assignments": dict(self.summary.assignments),
            }
        return {
            "id": self.id,
            "status": self.status.value,
            "filename": self.filename,
            "created_by": self.owner,
            "created_at": self.created_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
            "rows_done": self.rows_done,
            "summary": summary,
            "error": self.error,
        }


MatcherSource = Callable[[], AddressMatcher]
LayersSource = Callable[[], BoundaryLayers | None]


class GeocodeJobs:
    """The process's jobs, by id; thread-safe."""

    def __init__(self) -> None:
        self._jobs: dict[str, GeocodeJob] = {}
        self._lock = threading.Lock()

    def submit(
        self,
        upload: Callable[[Path], None],
        *,
        filename: str,
        owner: UserInfo,
        matcher: MatcherSource,
        layers: LayersSource,
        options: GeocodeOptions,
    ) -> GeocodeJob:
        """Save the upload (`upload(path)` writes it) and start geocoding it in a background thread."""
        folder = Path(tempfile.mkdtemp(prefix="gridmap-geocode-job-"))
        job = GeocodeJob(
            id=uuid.uuid4().hex, owner=owner.name, filename=filename, folder=folder, created_at=datetime.now(UTC)
        )
        try:
            upload(job.source)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with self._lock:
            self._forget_oldest()
            self._jobs[job.id] = job
        job.thread = threading.Thread(
            target=self._run, args=(job, matcher, layers, options), name=f"geocode-job-{job.id[:8]}", daemon=True
        )
        job.thread.start()
        return job

    def get(self, job_id: str, *, user: UserInfo) -> GeocodeJob:
        """A job its owner (or an admin) may see; NotFound for unknown ids, Forbidden for other people's."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            msg = f"there is no geocoding job {job_id} (jobs are kept in memory and lost when the server restarts)"
            raise NotFound(msg)
        if job.owner != user.name and not has_role(user, Role.ADMIN):
            msg = f"geocoding job {job_id} belongs to someone else"
            raise Forbidden(msg)
        return job

    def result(self, job_id: str, *, user: UserInfo) -> Path:
        """The result CSV of a finished job; Conflict while it runs or when it failed."""
        job = self.get(job_id, user=user)
        if job.status is not JobStatus.DONE:
            msg = f"geocoding job {job_id} is {job.status.value}" + (f": {job.error}" if job.error else "")
            raise Conflict(msg)
        return job.result

    def close(self, timeout: float = 5.0) -> None:
        """Wait briefly for running jobs, then remove every job's files."""
        with self._lock:
            jobs = list(self._jobs.values())
            self._jobs.clear()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(timeout)
            shutil.rmtree(job.folder, ignore_errors=True)

    def _forget_oldest(self) -> None:
        finished = [j for j in self._jobs.values() if j.status in (JobStatus.DONE, JobStatus.FAILED)]
        for job in sorted(finished, key=lambda j: j.created_at)[: max(len(self._jobs) - MAX_KEPT_JOBS + 1, 0)]:
            del self._jobs[job.id]
            shutil.rmtree(job.folder, ignore_errors=True)

    @staticmethod
    def _run(job: GeocodeJob, matcher: MatcherSource, layers: LayersSource, options: GeocodeOptions) -> None:
        job.status = JobStatus.RUNNING

        def advance(rows: int) -> None:
            job.rows_done += rows

        status = JobStatus.FAILED
        try:
            job.summary = geocode_file(
                job.source, job.result, matcher=matcher(), layers=layers(), options=options, on_rows=advance
            )
            status = JobStatus.DONE
        except GridmapError as err:
            # The message names the upload by its temporary path: say it as the uploader named it.
            job.error = err.detail.replace(str(job.source), job.filename)
        except Exception as err:
            logger.error("geocoding job %s failed: %s", job.id, type(err).__name__)  # no row content
            job.error = "the job failed unexpectedly; see the server log"
        finally:
            job.source.unlink(missing_ok=True)
            job.finished_at = datetime.now(UTC)
            job.status = status  # last: a reader seeing `done` sees the summary and the file too
