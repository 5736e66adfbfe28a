"""`gridmap fix`: safe, reported repair of a boundary set into a new file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import shapely

from gridmap.errors import InvalidInput
from gridmap.geo.allowed_exceptions import AllowedException, allowing, keep_allowed_areas
from gridmap.geo.crs import LocalMetres
from gridmap.geo.hierarchy import LEVELS, parent_index
from gridmap.geo.problems import ProblemKind
from gridmap.geo.repair import repair_children, same_shapes
from gridmap.geo.slivers import SliverRepair, merge_slivers
from gridmap.geo.validity import FeatureLabel, check_geometries
from gridmap.io.boundaries import SourceCrs, boundary_files, write_boundaries
from gridmap.services.check import CheckOptions
from gridmap.services.problem_locations import frame_in_input

if TYPE_CHECKING:  # `gridmap check` imports this module (for its options) and starts without geopandas
    import geopandas as gpd

_CHANGE_THRESHOLD_M2 = 0.01


class MergeStrategy(StrEnum):
    """Which neighbour receives an overlap (GEOS CoverageCleaner strategies)."""

    LONGEST_BORDER = "longest-border"
    MAX_AREA = "max-area"
    MIN_AREA = "min-area"
    MIN_INDEX = "min-index"


@dataclass(frozen=True)
class AreaChange:
    """How much one feature gained and lost in the repair."""

    code: str
    level: str | None
    gained_m2: float
    lost_m2: float


@dataclass(frozen=True)
class SliverMerged:
    """One sliver (a part of a feature, or a whole sliver feature) merged into a neighbour of the same parent."""

    level: str | None
    from_code: str
    to_code: str
    area_m2: float
    shared_border_m: float
    lon: float  # a point inside the merged polygon
    lat: float
    whole_feature: bool  # the sliver was the whole feature, which is now left out
    carried_with: str | None = None  # "350924100001001 -> 350924100001002": the parent's merge this piece follows

    def describe(self) -> str:
        """The merge in words, for people."""
        what = f"sliver feature {self.from_code}" if self.whole_feature else f"sliver part of {self.from_code}"
        if self.carried_with:
            what = f"part of {self.from_code} under its parent's sliver ({self.carried_with})"
        return (
            f"{what} at lon {self.lon:.6f}, lat {self.lat:.6f}: {self.area_m2:,.1f} m2 merged into {self.to_code} "
            f"(shared border {self.shared_border_m:,.1f} m)"
        )


@dataclass
class RepairedFrame:
    """A repaired boundary frame (a feature repair emptied keeps its row, with an empty geometry), what moved,
    and what could not be repaired."""

    frame: gpd.GeoDataFrame
    changes: list[AreaChange]
    notes: list[str] = field(default_factory=list)
    slivers: list[SliverMerged] = field(default_factory=list)


@dataclass
class RepairResult:
    """Where the repaired file went, what moved, and what could not be repaired."""

    path: Path
    changes: list[AreaChange]
    notes: list[str] = field(default_factory=list)
    slivers: list[SliverMerged] = field(default_factory=list)


def repair_boundaries(
    frame: gpd.GeoDataFrame,
    out: Path,
    *,
    inputs: Sequence[Path],
    gap_width: float = 1.0,
    snapping_distance: float = -1.0,
    merge_strategy: MergeStrategy = MergeStrategy.LONGEST_BORDER,
    min_area_m2: float = 1.0,
    sliver_width: float = CheckOptions().sliver_width,
    merge_sliver_features: bool = False,
    allowed: Sequence[AllowedException] = (),
    input_crs: SourceCrs | None = None,
    progress: Callable[[str], None] | None = None,
) -> RepairResult:
    """Clean every level top-down (each parent's children among themselves, clipped to it) and write `out`.

    Then sliver parts (thinner than `sliver_width` m everywhere, as the check defines slivers) are merged into
    the neighbour of the same parent with the longest shared border; whole sliver features only with
    `merge_sliver_features` (they are otherwise reported for a decision).

    Gaps and overlaps `allowed` on purpose are not repaired: whatever the cleaning and merging changed inside
    an exception's area is undone (each feature keeps what it had there), and a note names each exception.

    `out` is written in `input_crs`, the coordinate system the input was read from (WGS-84 when None), so that
    the repaired layer lines up with the input's in a GIS.
    """
    sources = {p.resolve() for p in boundary_files(inputs)}
    if out.resolve() in sources:
        msg = f"{out}: refusing to overwrite an input file; choose another --out"
        raise InvalidInput(msg)
    fmt = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".shp": "shp"}.get(out.suffix.lower())
    if fmt is None:
        msg = f"{out}: unknown output format; end the name with .geojson, .gpkg or .shp"
        raise InvalidInput(msg)
    repaired = repair_frame(
        frame,
        gap_width=gap_width,
        snapping_distance=snapping_distance,
        merge_strategy=merge_strategy,
        min_area_m2=min_area_m2,
        sliver_width=sliver_width,
        merge_sliver_features=merge_sliver_features,
        allowed=allowed,
        progress=progress,
    )
    if progress is not None:
        progress("writing")
    kept = repaired.frame[~shapely.is_empty(repaired.frame.geometry.values)]
    path = write_boundaries(frame_in_input(kept, input_crs or SourceCrs()), out, fmt)
    return RepairResult(path=path, changes=repaired.changes, notes=repaired.notes, slivers=repaired.slivers)


def repair_frame(
    frame: gpd.GeoDataFrame,
    *,
    gap_width: float = 1.0,
    snapping_distance: float = -1.0,
    merge_strategy: MergeStrategy = MergeStrategy.LONGEST_BORDER,
    min_area_m2: float = 1.0,
    sliver_width: float = CheckOptions().sliver_width,
    merge_sliver_features: bool = False,
    allowed: Sequence[AllowedException] = (),
    progress: Callable[[str], None] | None = None,
) -> RepairedFrame:
    """The repair of `repair_boundaries` in memory (rules as described there): the repaired frame and what moved."""
    step = progress or (lambda _: None)
    frame = frame.reset_index(drop=True)
    notes: list[str] = []
    columns = (frame[name].tolist() for name in ("code", "level", "source", "feature"))
    labels = [
        FeatureLabel(str(c), lv if isinstance(lv, str) and lv else None, f"{s}: feature {f}")
        for c, lv, s, f in zip(*columns, strict=True)
    ]
    geometry_check = check_geometries(
        np.asarray(frame.geometry.values, dtype=object), labels, np.zeros(len(frame), dtype=bool)
    )
    for problem in geometry_check.problems:
        if problem.kind.value != "invalid_geometry":
            notes.append(f"left out, cannot be repaired: {problem.message}")
    kept = frame[geometry_check.usable].copy()
    kept["geometry"] = geometry_check.geometries[geometry_check.usable]
    kept = kept.reset_index(drop=True)
    # Clean in lon/lat so that untouched vertices stay bit-identical; widths are converted to degrees.
    local = LocalMetres(*(float(b) for b in kept.total_bounds))
    metres_per_degree = float(np.sqrt(local.kx * local.ky))
    before = np.asarray(kept.geometry.values, dtype=object)
    after = before.copy()
    levels = kept["level"].fillna("").astype(str).to_numpy()
    codes = kept["code"].astype(str).tolist()
    parent_of = np.array(parent_index(codes, kept["parent"].fillna("").astype(str).tolist()), dtype=np.intp)
    present = [lv.value for lv in LEVELS if (levels == lv.value).any()] or [""]
    for depth, level in enumerate(present):
        step(f"cleaning {level or 'features'}")
        members = np.flatnonzero(levels == level)
        groups = np.full(len(members), -1) if depth == 0 else parent_of[members]
        if depth > 0:  # a child under a missing parent or one of the wrong level is cleaned without a parent
            wrong = (groups < 0) | (levels[np.maximum(groups, 0)] != present[depth - 1])
            groups = np.where(wrong, -1, groups)
        for parent in np.unique(groups).tolist():
            group = members[groups == parent]
            parent_shape = None if parent < 0 else after[parent]
            repaired, wide = repair_children(
                after[group],
                parent_shape,
                gap_width=gap_width / metres_per_degree,
                snapping_distance=snapping_distance / metres_per_degree if snapping_distance > 0 else snapping_distance,
                merge_strategy=merge_strategy.value.replace("-", "_"),
                min_area=min_area_m2 / (local.kx * local.ky),
            )
            after[group] = repaired
            owner = codes[parent] if parent >= 0 else "the top level"
            allowed_by = allowing(wide, [ProblemKind.GAP] * len(wide), [(owner,)] * len(wide), allowed)
            notes.extend(
                f"gap of {float(local.true_area(local.to_local(g))):,.1f} m2 in {owner} is {_unfilled(e, gap_width)} "
                f"(around lon {g.centroid.x:.6f}, lat {g.centroid.y:.6f})"
                for g, e in zip(wide, allowed_by, strict=True)
            )
    step("merging slivers")
    slivers = merge_slivers(
        after,
        levels=levels.tolist(),
        parent_of=parent_of,
        to_metres=local.to_local,
        sliver_width=sliver_width,
        merge_features=merge_sliver_features,
    )
    after = slivers.geometries
    if allowed:
        step("keeping allowed gaps and overlaps")
        after = keep_allowed_areas(before, after, codes, allowed)
        notes.extend(
            f"allowed {e.kind.value} (exception {e.id}: {e.reason}) left as it is: not repaired" for e in allowed
        )
    # GEOS may rewrite a feature it did not change (another start vertex, ring order): keep the input's
    # shape then, so that a second run writes the same file.
    after = np.where(same_shapes(after, before), before, after)
    merged = _sliver_report(slivers, codes, levels, local)
    notes.extend(_sliver_notes(slivers, codes, kept["households_target"].tolist(), local, sliver_width))
    changes = _area_changes(before, after, codes, levels, local)
    kept["geometry"] = after
    emptied = shapely.is_empty(after)
    whole_slivers = {m.source for m in slivers.merges if m.whole_feature}
    notes.extend(
        f"{codes[i]} lost all its area to its neighbours and is left out"
        for i in np.flatnonzero(emptied).tolist()
        if i not in whole_slivers
    )
    return RepairedFrame(frame=kept, changes=changes, notes=notes, slivers=merged)


def _area_changes(
    before: npt.NDArray[np.object_],
    after: npt.NDArray[np.object_],
    codes: list[str],
    levels: npt.NDArray[np.object_],
    local: LocalMetres,
) -> list[AreaChange]:
    """The features whose area moved by more than the threshold, with what each gained and lost (m2)."""
    moved = np.flatnonzero([shape is not kept for shape, kept in zip(after, before, strict=True)])  # others: as read
    gained = local.true_area(local.to_local(shapely.difference(after[moved], before[moved])))
    lost = local.true_area(local.to_local(shapely.difference(before[moved], after[moved])))
    return [
        AreaChange(codes[i], levels[i] or None, float(gain), float(loss))
        for i, gain, loss in zip(moved.tolist(), gained, lost, strict=True)
        if gain > _CHANGE_THRESHOLD_M2 or loss > _CHANGE_THRESHOLD_M2
    ]


def _unfilled(exception: AllowedException | None, gap_width: float) -> str:
    """Why a gap was left: wider than the fix fills, or allowed on purpose."""
    if exception is None:
        return f"wider than {gap_width:g} m: not filled"
    return f"allowed (exception {exception.id}: {exception.reason}): not filled"


def _sliver_report(
    slivers: SliverRepair, codes: list[str], levels: npt.NDArray[np.object_], local: LocalMetres
) -> list[SliverMerged]:
    """Every sliver merge with codes, true area and where it was."""
    report = []
    for merge in slivers.merges:
        point = merge.geometry.representative_point()
        carried = None
        if merge.follows is not None:
            parent = slivers.merges[merge.follows]
            carried = f"{codes[parent.source]} -> {codes[parent.target]}"
        report.append(
            SliverMerged(
                level=str(levels[merge.source]) or None,
                from_code=codes[merge.source],
                to_code=codes[merge.target],
                area_m2=float(local.true_area(local.to_local(merge.geometry))),
                shared_border_m=merge.shared_border_m,
                lon=point.x,
                lat=point.y,
                whole_feature=merge.whole_feature,
                carried_with=carried,
            )
        )
    return report


def _sliver_notes(
    slivers: SliverRepair, codes: list[str], households: list[object], local: LocalMetres, width: float
) -> list[str]:
    """Slivers left as they were (with the reason), and households of sliver features that were deleted."""
    notes = []
    for sliver in slivers.left:
        point = sliver.geometry.representative_point()
        what = "sliver feature" if sliver.whole_feature else "sliver part of"
        area = float(local.true_area(local.to_local(sliver.geometry)))
        notes.append(
            f"{what} {codes[sliver.feature]} ({area:,.1f} m2 thinner than {width:g} m, around lon {point.x:.6f}, "
            f"lat {point.y:.6f}) not merged: {sliver.reason}"
        )
    for merge in slivers.merges:
        count = households[merge.source]
        if merge.whole_feature and isinstance(count, int | float) and count == count and count > 0:
            notes.append(
                f"sliver feature {codes[merge.source]} was deleted: its households_target of {int(count)} "
                f"households now belongs to {codes[merge.target]}; update the registry"
            )
    return notes
