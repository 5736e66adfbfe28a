"""Use cases on stored boundaries, shared by the CLI and the API: import, validate, publish, diff, export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gridmap.errors import NotFound
from gridmap.geo.problems import Problem
from gridmap.io.boundaries import FieldMapping, SourceCrs, read_boundaries, write_boundaries
from gridmap.services.allowed_exceptions import CheckedVersionStore, PublishingStore, check_options_for_set
from gridmap.services.check import CheckOptions, CheckReport, check_boundaries
from gridmap.services.households import place_households
from gridmap.store.version_store import BoundarySetInfo, ExpectedPublished, VersionDiff, VersionInfo, VersionStore

if TYPE_CHECKING:  # the frames are built by the reader and the store
    from geopandas import GeoDataFrame

DEFAULT_SET = "default"


@dataclass(frozen=True)
class ImportResult:
    """The draft an import created, and what reading the files found on the way."""

    version: VersionInfo
    read_problems: list[Problem]


def import_boundaries(
    store: VersionStore,
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


def validate_version(store: CheckedVersionStore, version_id: int, options: CheckOptions | None = None) -> CheckReport:
    """The full check report of a stored version, its set's allowed exceptions listed as allowed."""
    version = store.get_version(version_id)
    options = check_options_for_set(store=store, set_name=version.set_name, options=options)
    return check_boundaries(store.version_frame(version_id), options)


def publish_version(
    store: PublishingStore,
    version_id: int,
    *,
    who: str,
    why: str,
    options: CheckOptions | None = None,
    expected: ExpectedPublished | None = None,
    force: bool = False,
) -> VersionInfo:
    """Publish a draft once the full check passes (CheckFailed carries the report when it does not).

    The check honours the set's allowed exceptions: a registered river gap is listed as allowed, not refused.

    It replaces the `expected` published version (by default: the one published when the draft was made);
    when another was published meanwhile, PublishedMeanwhile names it, unless `force`. The households are
    placed in the new version then, so that reading their counts never writes.
    """
    options = check_options_for_set(store=store, set_name=store.get_version(version_id).set_name, options=options)
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


def published_version(store: VersionStore, set_name: str = DEFAULT_SET) -> VersionInfo:
    """The set's published version; NotFound when nothing is published yet."""
    version = store.published_version(set_name)
    if version is None:
        msg = f"boundary set {set_name!r} has no published version; import and publish one first"
        raise NotFound(msg)
    return version


def boundary_sets(*, store: VersionStore) -> list[BoundarySetInfo]:
    """Every boundary set with its published version, by name."""
    return store.list_sets()


def boundary_set(*, store: VersionStore, name: str) -> BoundarySetInfo:
    """The named boundary set; NotFound when there is none."""
    return store.get_set(name)


def set_versions(*, store: VersionStore, name: str | None) -> list[VersionInfo]:
    """Every version of the named set (of every set when None), oldest first; NotFound for no such set."""
    return store.list_versions(name)


def set_version(*, store: VersionStore, set_name: str, version_id: int) -> VersionInfo:
    """Version `version_id` of the set `set_name`; NotFound when the set has no such version."""
    store.get_set(set_name)
    version = store.get_version(version_id)
    if version.set_name != set_name:
        msg = f"boundary set {set_name!r} has no version {version_id} (it belongs to {version.set_name!r})"
        raise NotFound(msg)
    return version


def published_frame(*, store: VersionStore, set_name: str) -> GeoDataFrame:
    """The features of the set's published version (EPSG:4326); NotFound when nothing is published yet."""
    return store.version_frame(published_version(store, set_name).id)


def diff_versions(store: VersionStore, from_version: int, to_version: int) -> VersionDiff:
    """Features added, removed, reshaped (area change in m2) and with changed properties."""
    return store.diff(from_version, to_version)


def export_version(store: VersionStore, version_id: int, path: Path, fmt: str) -> Path:
    """Write a stored version as geojson, gpkg or shp; returns the path written."""
    return write_boundaries(store.version_frame(version_id), path, fmt)
