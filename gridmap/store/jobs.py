"""Background jobs in SQL: their state is seen by every server worker and outlives a restart."""

from __future__ import annotations

import json
import uuid
from contextlib import AbstractContextManager

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gridmap.errors import NotFound
from gridmap.store.frames import stored_text
from gridmap.store.job_store import JobChange, JobInfo, JobStatus, JobStore
from gridmap.store.tables import CODE_LENGTH, NAME_LENGTH, PERSON_LENGTH, JobRow, utc_now

_UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def _job(row: JobRow) -> JobInfo:
    return JobInfo(
        id=row.id,
        kind=row.kind,
        owner=row.owner,
        label=row.label,
        status=JobStatus(row.status),
        progress=row.progress,
        summary=None if row.summary is None else json.loads(row.summary),
        error=row.error,
        created_at=row.created_at,
        finished_at=row.finished_at,
        runner=row.runner,
    )


def _row(session: Session, job_id: str) -> JobRow:
    row = session.get(JobRow, job_id) if len(job_id) <= 32 else None
    if row is None:
        msg = f"there is no job {job_id}"
        raise NotFound(msg)
    return row


class JobRegister(JobStore):
    """The job half of a SQL store; the store supplies the transaction."""

    def _transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write_transaction(self) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def create_job(self, kind: str, *, owner: str, label: str, runner: str) -> JobInfo:
        """A new queued job run by `runner` (host:pid of the process running it), with a random id."""
        row = JobRow(
            id=uuid.uuid4().hex,
            kind=stored_text(kind, "the job kind", CODE_LENGTH),
            owner=stored_text(owner, "the job owner", PERSON_LENGTH),
            label=label[:NAME_LENGTH],
            status=JobStatus.QUEUED.value,
            progress=0,
            created_at=utc_now(),
            runner=runner[:PERSON_LENGTH],
        )
        with self._transaction() as session:
            session.add(row)
            session.flush()
            return _job(row)

    def get_job(self, job_id: str) -> JobInfo:
        """One job; NotFound when there is none."""
        with self._transaction() as session:
            return _job(_row(session, job_id))

    def list_jobs(self, kind: str, *, unfinished: bool = False) -> list[JobInfo]:
        """The jobs of a kind (only those queued or running when `unfinished`), oldest first."""
        query = select(JobRow).where(JobRow.kind == kind).order_by(JobRow.created_at, JobRow.id)
        if unfinished:
            query = query.where(JobRow.status.in_(_UNFINISHED))
        with self._transaction() as session:
            return [_job(row) for row in session.scalars(query)]

    def update_job(self, job_id: str, change: JobChange) -> JobInfo:
        """Apply a change (status, summary, error, finish time) to a job; NotFound when there is none."""
        with self._write_transaction() as session:
            row = _row(session, job_id)
            if change.status is not None:
                row.status = change.status.value
            if change.summary is not None:
                row.summary = json.dumps(change.summary, ensure_ascii=False)
            if change.error is not None:
                row.error = change.error
            if change.finished_at is not None:
                row.finished_at = change.finished_at
            session.flush()
            return _job(row)

    def add_job_progress(self, job_id: str, amount: int) -> None:
        """Add `amount` to a job's progress in one statement (several threads may report at once)."""
        with self._transaction() as session:
            session.execute(update(JobRow).where(JobRow.id == job_id).values(progress=JobRow.progress + amount))

    def delete_job(self, job_id: str) -> None:
        """Forget a job (its files are the caller's); nothing when there is none."""
        with self._transaction() as session:
            session.execute(delete(JobRow).where(JobRow.id == job_id))
