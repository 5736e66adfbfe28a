"""Use cases on stored boundaries, shared by the CLI and the API: import, validate, publish, diff, export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gridmap.errors import NotFound
from gridmap.geo.problems import Problem
from gridmap.io.boundaries import FieldMapping, SourceCrs, read_boundaries, write_boundaries
from gridmap.services.check import CheckOptions, CheckReport, check_boundaries
from gridmap.services.households import place_households
from gridmap.store.interface import BoundaryStore, ExpectedPublished, VersionDiff, VersionInfo

DEFAULT_SET = "default"
SAMPLE_FILE = Path("boundaries") / "shouning_aoyang.geojson"
SAMPLE_AUTHOR = "gridmap"


@dataclass(frozen=True)
class ImportResult:
    """The draft an import created, and what reading the files found on the way."""

    version: VersionInfo
    read_problems: list[Problem]


def import_boundaries(
    store: BoundaryStore,
    paths: Sequence[Path],
    *,
    set_name: str = DEFAULT_SET,
    who: str,
    why: str,
    mapping: FieldMapping | None = None,
    source_crs: SourceCrs | None = None,
) -> ImportResult:
    """Read boundary files and store them as a new draft version of `set_name`."""
    boundary_input = read_boundaries(paths, mapping=mapping, source_crs=source_crs)
    version = store.import_version(set_name, boundary_input.frame, who=who, why=why)
    return ImportResult(version=version, read_problems=boundary_input.problems)


def validate_version(store: BoundaryStore, version_id: int, options: CheckOptions | None = None) -> CheckReport:
    """The full check report of a stored version."""
    return check_boundaries(store.version_frame(version_id), options)


def publish_version(
    store: BoundaryStore,
    version_id: int,
    *,
    who: str,
    why: str,
    options: CheckOptions | None = None,
    expected: ExpectedPublished | None = None,
    force: bool = False,
) -> VersionInfo:
    """Publish a draft once the full check passes (CheckFailed carries the report when it does not).

    It replaces the `expected` published version (by default: the one published when the draft was made);
    when another was published meanwhile, PublishedMeanwhile names it, unless `force`. The households are
    placed in the new version then, so that reading their counts never writes.
    """
    published = store.publish(
        version_id,
        who=who,
        why=why,
        check=lambda frame: check_boundaries(frame, options),
        expected=expected,
        force=force,
    )
    place_households(store, published.id)
    return published


def published_version(store: BoundaryStore, set_name: str = DEFAULT_SET) -> VersionInfo:
    """The set's published version; NotFound when nothing is published yet."""
    version = store.published_version(set_name)
    if version is None:
        msg = f"boundary set {set_name!r} has no published version; import and publish one first"
        raise NotFound(msg)
    return version


def diff_versions(store: BoundaryStore, from_version: int, to_version: int) -> VersionDiff:
    """Features added, removed, reshaped (area change in m2) and with changed properties."""
    return store.diff(from_version, to_version)


def export_version(store: BoundaryStore, version_id: int, path: Path, fmt: str) -> Path:
    """Write a stored version as geojson, gpkg or shp; returns the path written."""
    return write_boundaries(store.version_frame(version_id), path, fmt)


def ensure_sample(store: BoundaryStore, *, sample_dir: Path) -> VersionInfo | None:
    """Load and publish the sample region when the store holds no boundaries yet (for the demo server).

    Returns the published sample version, or None when the store already had boundaries.
    """
    if store.list_sets():
        return None
    path = sample_dir / SAMPLE_FILE
    if not path.is_file():
        msg = f"{path}: the sample region is missing (set GRIDMAP_SAMPLE_DIR to the folder holding boundaries/)"
        raise NotFound(msg)
    result = import_boundaries(store, [path], who=SAMPLE_AUTHOR, why=f"sample region from {path.name}")
    return publish_version(store, result.version.id, who=SAMPLE_AUTHOR, why="sample region, loaded on first start")
