"""Batch geocoding jobs: an uploaded CSV geocoded in the background, its state in the store (see services.jobs).

Any server worker answers a job's status and hands out its result, and finished jobs outlive a restart.
Results may hold the uploader's personal columns (names, phones), so only the job's owner and admins may
read them, and no row content is ever logged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gridmap.address.match import AddressMatcher
from gridmap.errors import GridmapError, InvalidInput, NotFound
from gridmap.services.geocode import BoundaryLayers, GeocodeOptions, GeocodeSummary, geocode_file
from gridmap.services.jobs import BackgroundJobs
from gridmap.services.version_cache import VersionCache
from gridmap.store.account_store import UserInfo
from gridmap.store.job_store import JobInfo, JobStore
from gridmap.store.version_store import VersionStore

KIND = "geocode"
UPLOAD = "upload.csv"
RESULT = "result.csv"

MatcherSource = Callable[[], AddressMatcher]
LayersSource = Callable[[], BoundaryLayers | None]


def published_layers(*, store: VersionStore, versions: VersionCache) -> BoundaryLayers | None:
    """The published version's assigners; None when nothing is published (rows are matched, not assigned)."""
    try:
        version = versions.default()
    except NotFound:
        return None
    return BoundaryLayers(store.version_frame(version.id))


def summary_json(summary: GeocodeSummary) -> dict[str, Any]:
    """The counts of a run (no row content)."""
    return {
        "rows": summary.rows,
        "unmatched": summary.unmatched,
        "row_errors": summary.row_errors,
        "levels": dict(summary.levels),
        "unmatched_reasons": dict(summary.reasons),
        "assignments": dict(summary.assignments),
    }


def job_json(job: JobInfo) -> dict[str, Any]:
    """A geocoding job's status and summary counts, as the API shows it."""
    return {
        "id": job.id,
        "status": job.status.value,
        "filename": job.label,
        "created_by": job.owner,
        "created_at": job.created_at.isoformat(),
        "finished_at": None if job.finished_at is None else job.finished_at.isoformat(),
        "rows_done": job.progress,
        "summary": job.summary,
        "error": job.error,
    }


class GeocodeJobs(BackgroundJobs):
    """Geocoding jobs in the store, their uploads and results under `folder`."""

    def __init__(self, store: JobStore, *, folder: Path) -> None:
        super().__init__(store, kind=KIND, folder=folder)

    def submit_upload(
        self,
        upload: Callable[[Path], None],
        *,
        filename: str,
        owner: UserInfo,
        matcher: MatcherSource,
        layers: LayersSource,
        options: GeocodeOptions,
    ) -> JobInfo:
        """Save the upload (`upload(path)` writes it) and start geocoding it in a background thread."""

        def geocode(folder: Path, advance: Callable[[int], None]) -> dict[str, Any]:
            source = folder / UPLOAD
            try:
                summary = geocode_file(
                    source, folder / RESULT, matcher=matcher(), layers=layers(), options=options, on_rows=advance
                )
            except GridmapError as err:
                # The message names the upload by its stored path: say it as the uploader named it.
                raise InvalidInput(err.detail.replace(str(source), filename)) from None
            finally:
                source.unlink(missing_ok=True)
            return summary_json(summary)

        return self.submit(lambda folder: upload(folder / UPLOAD), geocode, owner=owner, label=filename)

    def result(self, job_id: str, *, user: UserInfo) -> Path:
        """The result CSV of a finished job; Conflict while it runs or when it failed."""
        return self.finished_file(job_id, RESULT, user=user)
