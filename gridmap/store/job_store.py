"""Background jobs of any kind, seen by every server worker; implemented in `gridmap/store/jobs.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class JobStatus(StrEnum):
    """Where a background job is: waiting, running, done (result ready) or failed (with a message)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class JobChange:
    """What to change of a job: the fields left None stay as they are."""

    status: JobStatus | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class JobInfo:
    """A background job of some `kind` (e.g. geocode), as every server worker sees it in the store."""

    id: str
    kind: str
    owner: str
    label: str
    status: JobStatus
    progress: int
    summary: dict[str, Any] | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    runner: str  # host:pid of the process that runs it


class JobStore(Protocol):
    """Background jobs (e.g. geocoding an uploaded file): their state, progress and result summary."""

    def create_job(self, kind: str, *, owner: str, label: str, runner: str) -> JobInfo:
        """A new queued job run by `runner` (host:pid of the process running it), with a random id."""
        ...

    def get_job(self, job_id: str) -> JobInfo:
        """One job; NotFound when there is none."""
        ...

    def list_jobs(self, kind: str, *, unfinished: bool = False) -> list[JobInfo]:
        """The jobs of a kind (only those queued or running when `unfinished`), oldest first."""
        ...

    def update_job(self, job_id: str, change: JobChange) -> JobInfo:
        """Apply a change (status, progress, summary, error, finish time) to a job; NotFound when there is none."""
        ...

    def add_job_progress(self, job_id: str, amount: int) -> None:
        """Add `amount` to a job's progress in one statement (several threads may report at once)."""
        ...

    def delete_job(self, job_id: str) -> None:
        """Forget a job (its files are the caller's); nothing when there is none."""
        ...
