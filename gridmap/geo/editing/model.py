"""What an edit operation works on and what it gives back: plain values, WGS-84 geometry, no storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

from gridmap.geo.hierarchy import Level

DEFAULT_SNAP_M = 0.5  # m: a drawn vertex this close to an existing vertex or border lands on it


@dataclass(frozen=True)
class EditFeature:
    """One feature of the neighbourhood an edit may touch (WGS-84 polygonal geometry; parent is a code)."""

    feature_id: str
    code: str
    level: Level | None
    parent: str | None
    geometry: BaseGeometry
    name: str = ""
    worker: str | None = None  # split and merge carry these over (gridmap.geo.editing.faces, .areas)
    households_target: int | None = None


@dataclass(frozen=True)
class FeatureChange:
    """A feature an edit changes: its new geometry (None: unchanged) and the properties that change."""

    feature_id: str
    geometry: BaseGeometry | None = None
    properties: dict[str, Any] = field(default_factory=dict)  # code, parent, name, ... -> new value


@dataclass(frozen=True)
class EditOutcome:
    """Everything one operation does to the coverage, for the service to check and store in one transaction."""

    changed: list[FeatureChange] = field(default_factory=list)
    created: list[EditFeature] = field(default_factory=list)  # new feature_ids are fresh uuid4 strings
    deleted: list[str] = field(default_factory=list)  # feature_ids
    area_moved_m2: float = 0.0  # area that changed hands (reshape, transfer, split, delete)
    notes: list[str] = field(default_factory=list)  # what the operation decided, in words (children moved, ...)

    @property
    def touched(self) -> set[str]:
        """The feature ids the outcome changes, creates or deletes."""
        return {c.feature_id for c in self.changed} | {f.feature_id for f in self.created} | set(self.deleted)


class EditRefused(ValueError):
    """The operation cannot be applied as asked (a line that does not cross the feature, a ring left with two
    vertices, features that are not neighbours); the message says why in words, `geometry` shows where."""

    def __init__(self, message: str, geometry: BaseGeometry | None = None) -> None:
        super().__init__(message)
        self.geometry = geometry


# The operations. Coordinates are WGS-84 (lon, lat); drawn lines and areas are shapely geometries in WGS-84.
Point = tuple[float, float]


@dataclass(frozen=True)
class MoveVertex:
    """Move the vertex at `at` (found within the snap tolerance) to `to`, in every feature that has it."""

    at: Point
    to: Point


@dataclass(frozen=True)
class InsertVertex:
    """Insert a vertex on the border at `at` in every feature whose border runs there, then move it to `to`."""

    at: Point
    to: Point | None = None


@dataclass(frozen=True)
class DeleteVertex:
    """Remove the vertex at `at` from every feature that has it."""

    at: Point


@dataclass(frozen=True)
class ReshapeBorder:
    """Replace the border between neighbours `first` and `second` (feature ids) by `line`."""

    first: str
    second: str
    line: BaseGeometry


@dataclass(frozen=True)
class Split:
    """Cut `feature` in two along `line`; children go to the side holding most of their area, or are cut too."""

    feature: str
    line: BaseGeometry
    split_children: bool = False


@dataclass(frozen=True)
class Merge:
    """Merge `absorbed` into `kept` (adjacent, same level and parent); absorbed's children are re-parented."""

    kept: str
    absorbed: str


@dataclass(frozen=True)
class Transfer:
    """The part of `source` inside `area` goes to its neighbour `target` (children follow)."""

    source: str
    target: str
    area: BaseGeometry


@dataclass(frozen=True)
class Create:
    """A new feature on a gap: `area` minus what the level already covers, inside `parent` (a code)."""

    area: BaseGeometry
    level: Level
    parent: str | None
    code: str | None = None  # None: the next free number under the parent
    name: str = ""


@dataclass(frozen=True)
class Delete:
    """Remove `feature`; its area (child by child) goes to the neighbours sharing the longest border."""

    feature: str


@dataclass(frozen=True)
class Attributes:
    """Change properties (name, worker, households_target, code); a new code re-prefixes the children's."""

    feature: str
    values: dict[str, Any]


EditOperation = (
    MoveVertex | InsertVertex | DeleteVertex | ReshapeBorder | Split | Merge | Transfer | Create | Delete | Attributes
)
