"""Background geocoding jobs kept in the store: states, failures without row content, forgetting, restarts."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gridmap.address.match import AddressMatcher
from gridmap.errors import Conflict, Forbidden, NotFound
from gridmap.services import jobs as job_service
from gridmap.services.geocode import GeocodeOptions
from gridmap.services.geocode_jobs import GeocodeJobs
from gridmap.store.account_store import Role, UserInfo
from gridmap.store.interface import BoundaryStore
from gridmap.store.job_store import JobChange, JobStatus

PLANNER = UserInfo(id=1, name="规划员", role=Role.PLANNER, created_at=datetime.now(UTC))


def writer(text: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def broken_matcher() -> AddressMatcher:
    msg = "secret row content 张三 13812340421"
    raise RuntimeError(msg)


@pytest.fixture
def jobs(store: BoundaryStore, tmp_path: Path) -> GeocodeJobs:
    return GeocodeJobs(store, folder=tmp_path / "jobs")


def submit(jobs: GeocodeJobs, upload: Callable[[Path], None] = writer("x\n")) -> str:
    job = jobs.submit_upload(
        upload, filename="a.csv", owner=PLANNER, matcher=broken_matcher, layers=lambda: None, options=GeocodeOptions()
    )
    jobs.close(10)  # waits for the job's thread
    return job.id


def test_an_unexpected_failure_ends_the_job_without_logging_rows(
    jobs: GeocodeJobs, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        job_id = submit(jobs, writer("address\n胜利街1号\n"))
    job = jobs.get(job_id, user=PLANNER)
    assert job.status is JobStatus.FAILED and job.finished_at is not None
    assert job.error == "the job failed unexpectedly; see the server log"
    assert "RuntimeError" in caplog.text and "张三" not in caplog.text and "13812340421" not in caplog.text
    assert not (jobs.job_folder(job_id) / "upload.csv").exists()
    with pytest.raises(Conflict):
        jobs.result(job_id, user=PLANNER)


def test_another_process_sees_the_job(store: BoundaryStore, jobs: GeocodeJobs, tmp_path: Path) -> None:
    """A second GeocodeJobs on the same store and folder (another worker) answers for the first one's job."""
    job_id = submit(jobs)
    other_worker = GeocodeJobs(store, folder=tmp_path / "jobs")
    assert other_worker.get(job_id, user=PLANNER).status is JobStatus.FAILED


def test_old_finished_jobs_are_forgotten_with_their_files(jobs: GeocodeJobs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job_service, "MAX_KEPT_JOBS", 2)
    made = [submit(jobs) for _ in range(3)]
    with pytest.raises(NotFound):
        jobs.get(made[0], user=PLANNER)
    assert not jobs.job_folder(made[0]).exists()
    assert jobs.get(made[2], user=PLANNER).status is JobStatus.FAILED
    other = UserInfo(id=2, name="别人", role=Role.PLANNER, created_at=datetime.now(UTC))
    with pytest.raises(Forbidden):
        jobs.get(made[2], user=other)


def test_a_failed_upload_leaves_no_folder_and_no_job(store: BoundaryStore, jobs: GeocodeJobs, tmp_path: Path) -> None:
    def failing(path: Path) -> None:
        (tmp_path / "seen").write_text(str(path.parent))
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        submit(jobs, failing)
    assert not Path((tmp_path / "seen").read_text()).exists()
    assert store.list_jobs("geocode") == []


def test_jobs_of_a_dead_process_fail_at_start_up(store: BoundaryStore, jobs: GeocodeJobs) -> None:
    host = socket.gethostname()
    dead = store.create_job("geocode", owner="规划员", label="a.csv", runner=f"{host}:999999999")
    store.update_job(dead.id, JobChange(status=JobStatus.RUNNING))
    alive = store.create_job("geocode", owner="规划员", label="b.csv", runner=f"{host}:{os.getpid()}")
    elsewhere = store.create_job("geocode", owner="规划员", label="c.csv", runner="another-host:1")

    assert jobs.fail_interrupted() == [dead.id]

    interrupted = store.get_job(dead.id)
    assert interrupted.status is JobStatus.FAILED and interrupted.error == job_service.INTERRUPTED
    assert "interrupted by a restart" in job_service.INTERRUPTED
    assert store.get_job(alive.id).status is JobStatus.QUEUED
    assert store.get_job(elsewhere.id).status is JobStatus.QUEUED
