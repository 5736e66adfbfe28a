"""The job store contract, run on SQLite and on PostGIS: jobs every server worker sees, with progress and outcome."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gridmap.errors import NotFound
from gridmap.store.interface import BoundaryStore
from gridmap.store.job_store import JobChange, JobStatus


def test_jobs_are_kept_with_their_progress_and_outcome(store: BoundaryStore) -> None:
    job = store.create_job("geocode", owner="规划员", label="地址.csv", runner="host:1")
    assert (job.status, job.progress, job.summary, job.finished_at) == (JobStatus.QUEUED, 0, None, None)
    assert len(job.id) == 32 and store.get_job(job.id) == job

    store.update_job(job.id, JobChange(status=JobStatus.RUNNING))
    store.add_job_progress(job.id, 40)
    store.add_job_progress(job.id, 2)
    assert [j.id for j in store.list_jobs("geocode", unfinished=True)] == [job.id]
    finished = datetime.now(UTC)
    done = store.update_job(job.id, JobChange(status=JobStatus.DONE, summary={"rows": 42}, finished_at=finished))

    assert (done.status, done.progress, done.summary, done.runner) == (JobStatus.DONE, 42, {"rows": 42}, "host:1")
    assert done.finished_at == finished
    assert store.list_jobs("geocode", unfinished=True) == []
    assert store.list_jobs("other") == []
    store.delete_job(job.id)
    with pytest.raises(NotFound):
        store.get_job(job.id)
    with pytest.raises(NotFound):
        store.update_job("0" * 32, JobChange(status=JobStatus.FAILED))
