"""The in-memory job list behind batch geocoding: states, failures without row content, forgetting, cleanup."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gridmap.address.match import AddressMatcher
from gridmap.errors import Conflict, Forbidden, NotFound
from gridmap.services import geocode_jobs
from gridmap.services.geocode import GeocodeOptions
from gridmap.services.geocode_jobs import GeocodeJobs, JobStatus
from gridmap.store.interface import Role, UserInfo

PLANNER = UserInfo(id=1, name="规划员", role=Role.PLANNER, created_at=datetime.now(UTC))


def writer(text: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return write


def broken_matcher() -> AddressMatcher:
    msg = "secret row content 张三 13812340421"
    raise RuntimeError(msg)


def wait(jobs: GeocodeJobs, job_id: str) -> JobStatus:
    job = jobs.get(job_id, user=PLANNER)
    assert job.thread is not None
    job.thread.join(10)
    return job.status


def test_an_unexpected_failure_ends_the_job_without_logging_rows(caplog: pytest.LogCaptureFixture) -> None:
    jobs = GeocodeJobs()
    with caplog.at_level(logging.DEBUG):
        job = jobs.submit(
            writer("address\n胜利街1号\n"),
            filename="a.csv",
            owner=PLANNER,
            matcher=broken_matcher,
            layers=lambda: None,
            options=GeocodeOptions(),
        )
        assert wait(jobs, job.id) is JobStatus.FAILED
    assert job.error == "the job failed unexpectedly; see the server log"
    assert "RuntimeError" in caplog.text and "张三" not in caplog.text and "13812340421" not in caplog.text
    assert not job.source.exists()
    with pytest.raises(Conflict):
        jobs.result(job.id, user=PLANNER)
    folder = job.folder
    jobs.close()
    assert not folder.exists()
    with pytest.raises(NotFound):
        jobs.get(job.id, user=PLANNER)


def test_old_finished_jobs_are_forgotten_with_their_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geocode_jobs, "MAX_KEPT_JOBS", 2)
    jobs = GeocodeJobs()
    made = []
    for _ in range(3):
        job = jobs.submit(
            writer("x\n"),
            filename="a.csv",
            owner=PLANNER,
            matcher=broken_matcher,
            layers=lambda: None,
            options=GeocodeOptions(),
        )
        wait(jobs, job.id)
        made.append(job)
    with pytest.raises(NotFound):
        jobs.get(made[0].id, user=PLANNER)
    assert not made[0].folder.exists()
    assert jobs.get(made[2].id, user=PLANNER).status is JobStatus.FAILED
    other = UserInfo(id=2, name="别人", role=Role.PLANNER, created_at=datetime.now(UTC))
    with pytest.raises(Forbidden):
        jobs.get(made[2].id, user=other)
    jobs.close()


def test_a_failed_upload_leaves_no_folder(tmp_path: Path) -> None:
    jobs = GeocodeJobs()

    def failing(path: Path) -> None:
        (tmp_path / "seen").write_text(str(path.parent))
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        jobs.submit(
            failing,
            filename="a.csv",
            owner=PLANNER,
            matcher=broken_matcher,
            layers=lambda: None,
            options=GeocodeOptions(),
        )
    assert not Path((tmp_path / "seen").read_text()).exists()
