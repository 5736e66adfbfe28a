"""Household assignment jobs: an uploaded table (CSV, Parquet, GeoPackage) assigned to a boundary version in the
background, its state in the store (see services.jobs), so any server worker answers for it and finished jobs
outlive a restart. The result holds the uploader's own columns: only its owner and admins may read it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd

from gridmap.errors import GridmapError, InvalidInput
from gridmap.io.household_tables import table_kind
from gridmap.services.household_assign import AssignOptions, assign_households
from gridmap.services.jobs import BackgroundJobs
from gridmap.services.raster_cache import cached_layers
from gridmap.store.account_store import UserInfo
from gridmap.store.job_store import JobInfo, JobStore

KIND = "household-assign"
RESULT = "assigned.csv"


class HouseholdAssignJobs(BackgroundJobs):
    """Assignment jobs in the store, their uploads and results under `folder`, rasters kept in `raster_cache`."""

    def __init__(self, store: JobStore, *, folder: Path, raster_cache: Path | None) -> None:
        super().__init__(store, kind=KIND, folder=folder)
        self.raster_cache = raster_cache

    def submit_upload(
        self,
        upload: Callable[[Path], None],
        *,
        filename: str,
        owner: UserInfo,
        boundaries: Callable[[], gpd.GeoDataFrame],
        options: AssignOptions,
    ) -> JobInfo:
        """Save the upload (`upload(path)` writes it) and assign its rows to `boundaries()` in a background thread."""
        stored_name = f"upload{Path(filename).suffix.lower()}"
        table_kind(Path(stored_name))  # an unknown kind of file: refused now, not in the job

        def assign(folder: Path, advance: Callable[[int], None]) -> dict[str, Any]:
            source = folder / stored_name
            try:
                layers = cached_layers(boundaries(), self.raster_cache)
                summary = assign_households(source, folder / RESULT, layers=layers, options=options, on_rows=advance)
            except GridmapError as err:
                # The message names the upload by its stored path: say it as the uploader named it.
                raise InvalidInput(err.detail.replace(str(source), filename)) from None
            finally:
                source.unlink(missing_ok=True)
            return summary.as_json()

        return self.submit(lambda folder: upload(folder / stored_name), assign, owner=owner, label=filename)

    def result(self, job_id: str, *, user: UserInfo) -> Path:
        """The result CSV of a finished job; Conflict while it runs or when it failed."""
        return self.finished_file(job_id, RESULT, user=user)
