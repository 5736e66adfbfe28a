"""Background jobs of any kind, kept in the store so that every server worker answers for every job.

A job's state (queued, running with progress, done with a summary, failed with why) is a row of the store,
and its files live in a folder of its own under the jobs folder (settings.jobs_dir, by default `jobs` beside
the SQLite file), so any worker can answer a status poll or hand out a result, and a restart keeps finished
jobs. The work itself runs in a thread of the process that accepted it; a job whose process is gone (a
restart, a crash) is reported as failed at the next start-up.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gridmap.errors import Conflict, Forbidden, GridmapError, NotFound
from gridmap.services.users import has_role
from gridmap.store.account_store import Role, UserInfo
from gridmap.store.job_store import JobChange, JobInfo, JobStatus, JobStore

logger = logging.getLogger(__name__)

# Finished jobs of a kind beyond this many are forgotten, oldest first, with their files.
MAX_KEPT_JOBS = 100
INTERRUPTED = "interrupted by a restart; submit it again"
UNEXPECTED = "the job failed unexpectedly; see the server log"

# What a job does, given its folder and a way to report rows done; returns its summary. A GridmapError's
# detail becomes the job's error, shown to its owner; any other exception is logged by type only.
Work = Callable[[Path, Callable[[int], None]], dict[str, Any]]


def this_runner() -> str:
    """This process as a job runner: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _gone(runner: str) -> bool:
    """Whether the process `runner` names is known to be gone (on another host nobody can tell)."""
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


class BackgroundJobs:
    """The jobs of one kind in the store, their files under `folder`, run in threads of this process."""

    def __init__(self, store: JobStore, *, kind: str, folder: Path) -> None:
        self.store = store
        self.kind = kind
        self.folder = folder
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def job_folder(self, job_id: str) -> Path:
        """Where a job's files are."""
        return self.folder / job_id

    def fail_interrupted(self) -> list[str]:
        """Report the unfinished jobs of processes that are gone as failed; their ids."""
        now = datetime.now(UTC)
        failed = []
        for job in self.store.list_jobs(self.kind, unfinished=True):
            if _gone(job.runner):
                self.store.update_job(job.id, JobChange(status=JobStatus.FAILED, error=INTERRUPTED, finished_at=now))
                failed.append(job.id)
        return failed

    def submit(self, prepare: Callable[[Path], None], work: Work, *, owner: UserInfo, label: str) -> JobInfo:
        """Make a job, let `prepare(folder)` put its input there, and run `work` on it in a thread."""
        self._forget_oldest()
        job = self.store.create_job(self.kind, owner=owner.name, label=label, runner=this_runner())
        folder = self.job_folder(job.id)
        try:
            folder.mkdir(parents=True)
            prepare(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            self.store.delete_job(job.id)
            raise
        thread = threading.Thread(target=self._run, args=(job.id, work), name=f"{self.kind}-job-{job.id[:8]}")
        thread.daemon = True
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return job

    def get(self, job_id: str, *, user: UserInfo) -> JobInfo:
        """A job its owner (or an admin) may see; NotFound for unknown ids, Forbidden for other people's."""
        try:
            job = self.store.get_job(job_id)
        except NotFound:
            job = None
        if job is None or job.kind != self.kind:
            msg = f"there is no {self.kind} job {job_id}"
            raise NotFound(msg) from None
        if job.owner != user.name and not has_role(user, Role.ADMIN):
            msg = f"{self.kind} job {job_id} belongs to someone else"
            raise Forbidden(msg)
        return job

    def finished_file(self, job_id: str, name: str, *, user: UserInfo) -> Path:
        """The file `name` of a job that is done; Conflict while it runs or when it failed."""
        job = self.get(job_id, user=user)
        if job.status is not JobStatus.DONE:
            msg = f"{self.kind} job {job_id} is {job.status.value}" + (f": {job.error}" if job.error else "")
            raise Conflict(msg)
        return self.job_folder(job_id) / name

    def close(self, timeout: float = 5.0) -> None:
        """Wait briefly for this process's running jobs (a job still running is reported failed at next start)."""
        with self._lock:
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(timeout)

    def _forget_oldest(self) -> None:
        listed = self.store.list_jobs(self.kind)
        finished = [job for job in listed if job.status in (JobStatus.DONE, JobStatus.FAILED)]
        for job in finished[: max(len(listed) - MAX_KEPT_JOBS + 1, 0)]:
            self.store.delete_job(job.id)
            shutil.rmtree(self.job_folder(job.id), ignore_errors=True)

    def _run(self, job_id: str, work: Work) -> None:
        self.store.update_job(job_id, JobChange(status=JobStatus.RUNNING))
        change = JobChange(status=JobStatus.FAILED, error=UNEXPECTED)
        try:
            summary = work(self.job_folder(job_id), lambda rows: self.store.add_job_progress(job_id, rows))
            change = JobChange(status=JobStatus.DONE, summary=summary)
        except GridmapError as err:
            change = JobChange(status=JobStatus.FAILED, error=err.detail)
        except Exception as err:
            logger.error("%s job %s failed: %s", self.kind, job_id, type(err).__name__)  # no row content
        finally:
            # The status comes with the summary in one write: a reader seeing `done` sees the result too.
            self.store.update_job(job_id, replace(change, finished_at=datetime.now(UTC)))
