"""Drafts and their edit history: start a draft, store one edit atomically, list, undo and redo edits.

An edit is recorded with snapshots of every feature it touched, before and after (a feature missing from a
side did not exist there), so undo writes `before` back and redo writes `after` back, each only while the
touched features are still at the revisions the last step left them. Undo is linear: a new edit discards the
undone ones. Geometry crosses this protocol as shapely objects in WGS-84; `gridmap/store/edits.py` implements
it on both backends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from gridmap.errors import PreconditionFailed
from gridmap.store.version_store import Feature, FeatureValues, VersionInfo, VersionStore


class EditState(StrEnum):
    """An edit is applied until undone; redo applies it again."""

    APPLIED = "applied"
    UNDONE = "undone"


@dataclass(frozen=True)
class DraftInfo:
    """A version with what editing adds: the version a draft was started from, and its edit sequence."""

    version: VersionInfo
    based_on: int | None
    edit_seq: int  # grows with every edit, undo and redo: the draft's ETag


@dataclass(frozen=True)
class StagedFeature:
    """A feature as an edit leaves it: its id (new for a created feature) and every value it holds."""

    feature_id: str
    values: FeatureValues


@dataclass(frozen=True)
class EditRequest:
    """What the history records about an edit besides the features: the operation and who, why, how much."""

    op: str
    params: Mapping[str, Any]
    who: str
    why: str
    area_moved_m2: float = 0.0


@dataclass(frozen=True)
class EditRecord:
    """One edit of a draft's history, with the touched features before and after (revisions as last written)."""

    version_id: int
    seq: int
    op: str
    params: dict[str, Any]
    who: str
    at: datetime
    why: str
    state: EditState
    before: tuple[Feature, ...]
    after: tuple[Feature, ...]
    area_moved_m2: float

    @property
    def feature_ids(self) -> list[str]:
        """The ids of every feature the edit touched, sorted."""
        return sorted({f.feature_id for f in self.before} | {f.feature_id for f in self.after})


@dataclass(frozen=True)
class EditStep:
    """What one store write did: the history entry, the features it wrote and the ids it deleted."""

    record: EditRecord
    written: tuple[Feature, ...]
    deleted: tuple[str, ...]
    draft: DraftInfo


class StaleFeatures(PreconditionFailed):
    """Features an edit touches changed since the revisions it was based on, seen by the store (412).

    `current` maps each such feature id to its revision now (None: it no longer exists).
    """

    def __init__(self, detail: str, *, current: Mapping[str, int | None]) -> None:
        super().__init__(detail)
        self.current = dict(current)


class DraftEditStore(Protocol):
    """Drafts started from a version, and their edits: atomic writes with optimistic locking, undo and redo."""

    def start_draft(self, version_id: int, *, who: str, why: str) -> DraftInfo:
        """A new draft of the version's set holding copies of its features: same feature ids and revisions."""
        ...

    def draft_info(self, version_id: int) -> DraftInfo:
        """A version with its `based_on` and `edit_seq`; NotFound when there is none."""
        ...

    def apply_changes(
        self,
        version_id: int,
        *,
        written: Sequence[StagedFeature],
        deleted: Sequence[str],
        expected: Mapping[str, int],
        request: EditRequest,
    ) -> EditStep:
        """Store one edit of a draft in one transaction, and record it (discarding any undone edits).

        Deletes first, then updates (codes may be swapped among the written features), then inserts: a written
        feature the draft lacks is created at revision 1. Every updated or deleted feature must be at its
        `expected` revision (StaleFeatures otherwise); every touched feature's revision grows by one and the
        draft's edit_seq by one. Conflict when the version is not a draft; InvalidInput for values that cannot
        be stored (a duplicate code, a geometry that is not an area). On any failure nothing changes.
        """
        ...

    def added_since(self, version_id: int, edit_seq: int) -> set[str]:
        """The ids of the draft's features that an edit, undo or redo after `edit_seq` added (features the draft
        was started with, and those added since and deleted again, are not among them)."""
        ...

    def edits(self, version_id: int) -> list[EditRecord]:
        """The draft's history, oldest first (applied edits, then the undone ones redo would apply)."""
        ...

    def undo(self, version_id: int) -> EditStep:
        """Write back the `before` of the latest applied edit and mark it undone.

        Conflict when nothing is left to undo; StaleFeatures when a touched feature has changed since.
        """
        ...

    def redo(self, version_id: int) -> EditStep:
        """Write back the `after` of the earliest undone edit and mark it applied (Conflict, StaleFeatures as undo)."""
        ...


class VersionEditStore(VersionStore, DraftEditStore, Protocol):
    """What editing a draft needs: its features (neighbourhood queries, checks) and its edit history."""
